/*
 * The failure detector. A deadline per watched peer, pushed forward by
 * every heartbeat and every report of one heard by another member; the
 * earliest one tells the caller when to look again, so a death is declared
 * at its deadline and not at some later poll.
 */
#include "fd.h"

void fd_create(struct fd *d, uint32_t timeout_ms)
{
	d->timeout_ms = timeout_ms;
	peerset_clear(&d->watched);
	for (unsigned i = 0; i <= HOSTS_MAX; i++) {
		d->deadline_ms[i] = FD_NEVER;
		d->direct_ms[i] = FD_NOT_HEARD;
		d->since_ms[i] = 0;
	}
}

void fd_watch(struct fd *d, unsigned peer, int64_t now_ms)
{
	peerset_add(&d->watched, peer);
	d->deadline_ms[peer] = now_ms + d->timeout_ms;
	d->direct_ms[peer] = FD_NOT_HEARD;
	d->since_ms[peer] = now_ms;
}

void fd_unwatch(struct fd *d, unsigned peer)
{
	peerset_del(&d->watched, peer);
	d->deadline_ms[peer] = FD_NEVER;
	d->direct_ms[peer] = FD_NOT_HEARD;
}

void fd_heard(struct fd *d, unsigned peer, int64_t now_ms)
{
	if (!peerset_has(&d->watched, peer))
		return;
	/* A heartbeat delivered late must not pull a deadline backwards. */
	if (now_ms + d->timeout_ms > d->deadline_ms[peer])
		d->deadline_ms[peer] = now_ms + d->timeout_ms;
}

void fd_heard_direct(struct fd *d, unsigned peer, int64_t now_ms)
{
	if (!peerset_has(&d->watched, peer))
		return;
	if (now_ms > d->direct_ms[peer])
		d->direct_ms[peer] = now_ms;
	fd_heard(d, peer, now_ms);
}

void fd_heard_via(struct fd *d, unsigned peer, int64_t at_ms)
{
	fd_heard(d, peer, at_ms);
}

unsigned fd_direct_ages(const struct fd *d, int64_t now_ms, unsigned max,
			uint16_t *peers, uint32_t *ages_ms)
{
	unsigned n = 0;
	peerset_foreach(&d->watched, id) {
		if (n == max)
			break;
		int64_t at = d->direct_ms[id];
		if (at == FD_NOT_HEARD || at > now_ms ||
		    now_ms - at >= d->timeout_ms)
			continue;
		peers[n] = (uint16_t)id;
		ages_ms[n] = (uint32_t)(now_ms - at);
		n++;
	}
	return n;
}

bool fd_degraded(const struct fd *d, unsigned peer, int64_t now_ms)
{
	if (!peerset_has(&d->watched, peer) || d->deadline_ms[peer] <= now_ms)
		return false;
	int64_t at = d->direct_ms[peer];
	if (at < d->since_ms[peer])
		at = d->since_ms[peer];
	return now_ms - at >= d->timeout_ms;
}

int64_t fd_next_deadline(const struct fd *d)
{
	int64_t next = FD_NEVER;
	peerset_foreach(&d->watched, id) {
		if (d->deadline_ms[id] < next)
			next = d->deadline_ms[id];
	}
	return next;
}

unsigned fd_expire(struct fd *d, int64_t now_ms, struct peerset *dead)
{
	unsigned n = 0;
	peerset_foreach(&d->watched, id) {
		if (d->deadline_ms[id] <= now_ms) {
			fd_unwatch(d, id);
			peerset_add(dead, id);
			n++;
		}
	}
	return n;
}
