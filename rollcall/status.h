/*
 * The status file (--status FILE): this peer's state as one JSON object,
 * for programs that act on the membership (a load balancer, a readiness
 * probe, a script).
 *
 *   {"peer_id":2,
 *    "role":"member",
 *    "view_id":4,
 *    "leader":1,
 *    "members":[1,2,3,4,5],
 *    "incarnation":1764583200123456,
 *    "last_heard_ms":{"1":37,"3":52,"4":12,"5":80},
 *    "counters":{"core":{...},"transport":{...},"hooks":{...}},
 *    "written_unix_ms":1764583260123}
 *
 * Three parts, so that each can be tested alone: a snapshot of the state
 * (status_snap_core is the one place that reads the protocol core),
 * rendering the snapshot into a buffer (pure), and replacing the file
 * atomically (a temporary file in the same folder, fsync, rename), so a
 * reader never sees half a file. The check behind --ready is in ready.h.
 */
#ifndef ROLLCALL_STATUS_H
#define ROLLCALL_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/bounds.h"
#include "../common/peerset.h"

struct mship;
struct transport_stats;

/* A member that is not watched (this peer, or one given up for dead). */
#define STATUS_NOT_HEARD INT64_MIN

struct status_counter {
	const char *name;
	uint64_t value;
};

/* Counters of one kind, in the order they are rendered. */
struct status_counters {
	struct status_counter c[STATUS_COUNTERS_MAX];
	unsigned count;
};

struct status_snap {
	unsigned self;
	const char *role;	/* starting, joining, member, leader, removed,
				 * crashed, stopped */
	uint32_t view_id;
	unsigned leader;
	struct peerset members;
	uint64_t incarnation;
	/* Milliseconds since each member was last heard, or
	 * STATUS_NOT_HEARD; meaningful for members only. */
	int64_t heard_ago_ms[HOSTS_MAX + 1];
	/* Members alive for this peer only through others' reports: its own
	 * link to them is failing (fd_degraded). */
	struct peerset degraded;
	struct status_counters core;
	struct status_counters transport;
	struct status_counters hooks;	/* the handler's and the file's own */
	int64_t written_unix_ms;
};

/*
 * The core's part of the snapshot: id, role, view, leader, members,
 * incarnation, last heard, and the core's counters. The only function
 * that reads struct mship for the status file.
 */
/* Whether the core's role, view or leader differ from those given (the
 * last written): cheap, so it can run after every event. */
bool status_core_changed(const struct mship *m, const char *role,
			 uint32_t view_id, unsigned leader);

void status_snap_core(struct status_snap *s, const struct mship *m,
		      int64_t now_ms);

/* The transport's counters; ts may be NULL (not started yet). */
void status_snap_transport(struct status_snap *s,
			   const struct transport_stats *ts);

/* Append one counter; past STATUS_COUNTERS_MAX it is left out. */
void status_counters_add(struct status_counters *cs, const char *name,
			 uint64_t value);

/*
 * The JSON object, ending in a newline, into buf. Returns its length, or
 * -ENOBUFS when it does not fit in cap (STATUS_BYTES_MAX always fits).
 */
int status_render(char *buf, size_t cap, const struct status_snap *s);

/*
 * Replace path with data, readable by all (savefile_write_mode: path +
 * ".tmp" in the same folder, fsync, rename over path). Returns 0, or a
 * negative errno with one line in err that names the file and why.
 */
int status_write_atomic(const char *path, const char *data, size_t len,
			char *err, size_t err_cap);

#endif
