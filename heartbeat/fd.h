/*
 * The failure detector: who has been silent too long.
 *
 * A watched peer is declared dead when nothing was heard from it for
 * timeout_ms (twice the heartbeat period): alive at timeout_ms - 1 after it
 * was last heard, dead at timeout_ms exactly. A peer starts with a full
 * timeout from the moment it is watched. Pure: times come in as arguments,
 * nothing is sent, read or printed here.
 */
#ifndef ROLLCALL_FD_H
#define ROLLCALL_FD_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/peerset.h"

#define FD_NEVER INT64_MAX

struct fd {
	uint32_t timeout_ms;
	struct peerset watched;
	int64_t deadline_ms[HOSTS_MAX + 1];
};

void fd_create(struct fd *d, uint32_t timeout_ms);

/* Start (or restart) watching peer, with a full timeout from now. */
void fd_watch(struct fd *d, unsigned peer, int64_t now_ms);

void fd_unwatch(struct fd *d, unsigned peer);

/* A heartbeat from peer arrived; ignored unless peer is watched. */
void fd_heard(struct fd *d, unsigned peer, int64_t now_ms);

/* The earliest deadline among watched peers, or FD_NEVER. */
int64_t fd_next_deadline(const struct fd *d);

/*
 * Move every watched peer whose deadline is at or before now into dead
 * (which is added to, not cleared) and stop watching it. Returns how many.
 */
unsigned fd_expire(struct fd *d, int64_t now_ms, struct peerset *dead);

#endif
