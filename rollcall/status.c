/*
 * The status file: a snapshot of the peer, rendered as JSON, written
 * atomically. Rendering is pure (a bounded writer into a buffer); the only
 * I/O is status_write_atomic.
 */
#include "status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../common/savefile.h"
#include "../common/transport.h"
#include "../membership/mship.h"

/* ---- The snapshot ------------------------------------------------------- */

static const char *status_role_name(enum mship_role role)
{
	switch (role) {
	case MSHIP_IDLE:
		return "starting";
	case MSHIP_JOINING:
		return "joining";
	case MSHIP_MEMBER:
		return "member";
	case MSHIP_LEADER:
		return "leader";
	case MSHIP_REMOVED:
		return "removed";
	case MSHIP_CRASHED:
		return "crashed";
	}
	return "unknown";
}

/* The core's counters, one line each: a field added to struct mship_stats
 * is one more line here. */
#define STATUS_MSHIP_STATS(X) \
	X(dropped_stranger) X(dropped_nonmember) X(dropped_stale) \
	X(dropped_role) X(dropped_queue_full) X(dropped_old_life) \
	X(refused) X(new_lives) X(pauses) X(takeovers) \
	X(saves) X(suspicions) X(heard_again)

/* A counter added to struct mship_stats and not here fails the build. */
#define STATUS_COUNT(f) +1
_Static_assert(sizeof(struct mship_stats) ==
		       sizeof(uint64_t) * (0 STATUS_MSHIP_STATS(STATUS_COUNT)),
	       "rollcall/status.c: STATUS_MSHIP_STATS misses a counter");

#define STATUS_TRANSPORT_STATS(X) \
	X(frames_in) X(datagrams_in) X(dropped_malformed) \
	X(dropped_stranger) X(dropped_spoofed) X(dropped_queue_full) \
	X(conns_refused) X(conns_evicted) X(conns_source_capped) \
	X(dropped_test_loss) X(conns_oversize) X(dropped_unsealed) \
	X(dropped_sealed) X(dropped_unopened) X(dropped_replayed)

void status_counters_add(struct status_counters *cs, const char *name,
			 uint64_t value)
{
	if (cs->count >= STATUS_COUNTERS_MAX)
		return;
	cs->c[cs->count].name = name;
	cs->c[cs->count].value = value;
	cs->count++;
}

bool status_core_changed(const struct mship *m, const char *role,
			 uint32_t view_id, unsigned leader)
{
	return strcmp(status_role_name(m->role), role) != 0 ||
	       m->view_id != view_id || m->leader != leader;
}

void status_snap_core(struct status_snap *s, const struct mship *m,
		      int64_t now_ms)
{
	s->self = m->cfg.self;
	s->role = status_role_name(m->role);
	s->view_id = m->view_id;
	s->leader = m->leader;
	s->members = m->members;
	s->incarnation = m->incarnation;
	/* The detector keeps deadlines, not times heard: a peer heard at t
	 * (by us, or by another that told us) has its deadline at
	 * t + timeout. */
	peerset_clear(&s->degraded);
	peerset_foreach(&m->members, id) {
		if (fd_degraded(&m->fd, id, now_ms))
			peerset_add(&s->degraded, id);
		int64_t heard = m->fd.deadline_ms[id] - m->fd.timeout_ms;
		s->heard_ago_ms[id] = peerset_has(&m->fd.watched, id) ?
			(now_ms > heard ? now_ms - heard : 0) :
			STATUS_NOT_HEARD;
	}
	s->core.count = 0;
#define STATUS_X(f) status_counters_add(&s->core, #f, m->stats.f);
	STATUS_MSHIP_STATS(STATUS_X)
#undef STATUS_X
}

void status_snap_transport(struct status_snap *s,
			   const struct transport_stats *ts)
{
	static const struct transport_stats none;
	if (ts == NULL)
		ts = &none;
	s->transport.count = 0;
#define STATUS_X(f) status_counters_add(&s->transport, #f, ts->f);
	STATUS_TRANSPORT_STATS(STATUS_X)
#undef STATUS_X
}

/* ---- Rendering: a bounded writer --------------------------------------- */

struct status_buf {
	char *p;
	size_t cap;
	size_t len;
	bool over;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void status_put(struct status_buf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->over)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->over = true;
		return;
	}
	b->len += (size_t)n;
}

/* Names here are ours (C identifiers and fixed words): no escaping. */
static void status_put_counters(struct status_buf *b, const char *kind,
				const struct status_counters *cs,
				const char *after)
{
	status_put(b, "\"%s\":{", kind);
	for (unsigned i = 0; i < cs->count; i++)
		status_put(b, "%s\"%s\":%" PRIu64, i ? "," : "", cs->c[i].name,
			   cs->c[i].value);
	status_put(b, "}%s", after);
}

int status_render(char *buf, size_t cap, const struct status_snap *s)
{
	struct status_buf b = { .p = buf, .cap = cap };
	const char *sep = "";

	if (cap == 0)
		return -ENOBUFS;
	status_put(&b, "{\"peer_id\":%u,\n \"role\":\"%s\",\n \"view_id\":%u,"
		   "\n \"leader\":%u,\n \"members\":[", s->self, s->role,
		   (unsigned)s->view_id, s->leader);
	peerset_foreach(&s->members, id) {
		status_put(&b, "%s%u", sep, id);
		sep = ",";
	}
	status_put(&b, "],\n \"incarnation\":%" PRIu64 ",\n \"last_heard_ms\":{",
		   s->incarnation);
	sep = "";
	peerset_foreach(&s->members, id) {
		if (id == s->self)
			continue;
		if (s->heard_ago_ms[id] == STATUS_NOT_HEARD)
			status_put(&b, "%s\"%u\":null", sep, id);
		else
			status_put(&b, "%s\"%u\":%" PRId64, sep, id,
				   s->heard_ago_ms[id]);
		sep = ",";
	}
	status_put(&b, "},\n \"degraded\":[");
	sep = "";
	peerset_foreach(&s->degraded, id) {
		status_put(&b, "%s%u", sep, id);
		sep = ",";
	}
	status_put(&b, "],\n \"counters\":{\n  ");
	status_put_counters(&b, "core", &s->core, ",\n  ");
	status_put_counters(&b, "transport", &s->transport, ",\n  ");
	status_put_counters(&b, "hooks", &s->hooks, "},\n");
	status_put(&b, " \"written_unix_ms\":%" PRId64 "}\n",
		   s->written_unix_ms);
	if (b.over)
		return -ENOBUFS;
	return (int)b.len;
}

/* ---- The atomic write --------------------------------------------------- */

int status_write_atomic(const char *path, const char *data, size_t len,
			char *err, size_t err_cap)
{
	int rc = savefile_write_mode(path, data, len, 0644);

	if (rc != 0 && err != NULL && err_cap > 0)
		snprintf(err, err_cap, "--status %s: cannot write it: %s; give "
			 "a file in a folder this user can write", path,
			 strerror(-rc));
	return rc;
}
