/*
 * The output lines: the fixed interface users' scripts read on stderr.
 *
 *   {peer_id:2, view_id: 3, leader: 1, memb_list: [1,2,3,5]}
 *   {peer_id:2, view_id: 3, leader: 1, message:"crashing"}
 *   {peer_id:2, view_id: 3, leader: 1, message:"peer 5 unreachable"}
 *   {peer_id:2, view_id: 3, leader: 1, message:"peer 1 (leader) unreachable"}
 *
 * Each function formats one line, newline included, into buf and returns
 * its length. buf must hold OUT_LINE_BYTES_MAX bytes. No I/O here.
 */
#ifndef ROLLCALL_OUT_H
#define ROLLCALL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerset.h"

/*
 * What a peer reports, as data: each kind but REMOVED is one output line.
 * members is meaningful for VIEW (the view installed) and REMOVED (the view
 * that left this peer out); peer for UNREACHABLE.
 */
enum out_event_kind {
	OUT_EVENT_VIEW = 1,
	OUT_EVENT_UNREACHABLE = 2,
	OUT_EVENT_REMOVED = 3,
	OUT_EVENT_CRASHING = 4,
	/* A peer this one's detector held dead spoke, and was never removed:
	 * alive again for it (no line; logged at -v). */
	OUT_EVENT_HEARD = 5,
};

struct out_event {
	enum out_event_kind kind;
	unsigned self;
	uint32_t view_id;
	unsigned leader;
	struct peerset members;
	unsigned peer;
	bool peer_is_leader;
	bool rejoining;		/* REMOVED: we join again, as a new member */
};

/* The event's output line into buf; 0 for REMOVED and HEARD, which have
 * none. */
size_t out_event_line(char *buf, const struct out_event *e);

/* "view", "unreachable", "removed", "crashing" */
const char *out_event_name(enum out_event_kind kind);

size_t out_view(char *buf, unsigned self, uint32_t view_id, unsigned leader,
		const struct peerset *members);
size_t out_crashing(char *buf, unsigned self, uint32_t view_id,
		    unsigned leader);
size_t out_unreachable(char *buf, unsigned self, uint32_t view_id,
		       unsigned leader, unsigned peer, bool peer_is_leader);

#endif
