/*
 * The failure detector: who has been silent too long.
 *
 * A watched peer is declared dead when nothing was heard of it for
 * timeout_ms (twice the heartbeat period plus an allowance): alive at
 * timeout_ms - 1 after it was last heard, dead at timeout_ms exactly. A
 * peer starts with a full timeout from the moment it is watched.
 *
 * Heard of, directly or through others: each heartbeat names the peers
 * its sender heard directly and how long before it sent (fd_direct_ages),
 * and a receiver counts that as hearing the peer at that moment
 * (fd_heard_via). So a peer dies for us only when it has been silent for
 * the timeout both to us and to everyone we hear from; a crashed peer
 * still dies at its last heartbeat's arrival plus the timeout, plus at
 * most one delivery time. A peer alive only through others is degraded:
 * our own link to it is failing.
 *
 * Pure: times come in as arguments, nothing is sent, read or printed here.
 */
#ifndef ROLLCALL_FD_H
#define ROLLCALL_FD_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/peerset.h"

#define FD_NEVER INT64_MAX
/* direct_ms of a peer not heard directly since it was watched. */
#define FD_NOT_HEARD INT64_MIN

struct fd {
	uint32_t timeout_ms;
	struct peerset watched;
	int64_t deadline_ms[HOSTS_MAX + 1];
	/* When each watched peer was last heard directly, or FD_NOT_HEARD;
	 * and when its watch began. */
	int64_t direct_ms[HOSTS_MAX + 1];
	int64_t since_ms[HOSTS_MAX + 1];
};

void fd_create(struct fd *d, uint32_t timeout_ms);

/* Start (or restart) watching peer, with a full timeout from now. */
void fd_watch(struct fd *d, unsigned peer, int64_t now_ms);

void fd_unwatch(struct fd *d, unsigned peer);

/*
 * Peer is alive as of now: its deadline moves to now + timeout (never
 * back). Ignored unless peer is watched. Not a direct hearing: a pause of
 * our own gives every peer a fresh timeout this way.
 */
void fd_heard(struct fd *d, unsigned peer, int64_t now_ms);

/* A heartbeat from peer itself arrived: fd_heard, and heard directly. */
void fd_heard_direct(struct fd *d, unsigned peer, int64_t now_ms);

/*
 * Another member heard peer directly at at_ms (our clock: the arrival of
 * its report minus the age it gave): alive as of then, never back.
 */
void fd_heard_via(struct fd *d, unsigned peer, int64_t at_ms);

/*
 * The watched peers heard directly less than timeout_ms before now, the
 * lowest ids first, at most max: ids in peers, how long ago in ages_ms.
 * Returns how many.
 */
unsigned fd_direct_ages(const struct fd *d, int64_t now_ms, unsigned max,
			uint16_t *peers, uint32_t *ages_ms);

/*
 * Peer is watched and alive, but not heard directly for the timeout (or
 * since it was watched): only others' reports keep it alive.
 */
bool fd_degraded(const struct fd *d, unsigned peer, int64_t now_ms);

/* The earliest deadline among watched peers, or FD_NEVER. */
int64_t fd_next_deadline(const struct fd *d);

/*
 * Move every watched peer whose deadline is at or before now into dead
 * (which is added to, not cleared) and stop watching it. Returns how many.
 */
unsigned fd_expire(struct fd *d, int64_t now_ms, struct peerset *dead);

#endif
