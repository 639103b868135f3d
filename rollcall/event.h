/*
 * An event (common/out.h) as a handler (--on-change) receives it: one JSON
 * line on its stdin, and environment variables in the manner of Serf's
 * SERF_EVENT:
 *
 *   ROLLCALL_EVENT=view|unreachable|removed|crashing
 *   ROLLCALL_PEER_ID=2        this peer
 *   ROLLCALL_VIEW_ID=4
 *   ROLLCALL_LEADER=1
 *   ROLLCALL_MEMBERS=1,2,3,4  the view installed, or the view that
 *                             removed this peer; empty otherwise
 *   ROLLCALL_PEER=5           unreachable only: the peer
 *   ROLLCALL_PEER_IS_LEADER=1 unreachable only: 1 when it was the leader
 *
 *   {"event":"unreachable","peer_id":2,"view_id":4,"leader":1,
 *    "members":[],"peer":5,"peer_is_leader":false}
 *
 * Pure formatting into the caller's buffers.
 */
#ifndef ROLLCALL_EVENT_H
#define ROLLCALL_EVENT_H

#include <stddef.h>

#include "../common/bounds.h"
#include "../common/out.h"

/* The ROLLCALL_ variables an event sets, at most. */
#define EVENT_ENV_VARS_MAX 7

/* The JSON line, newline included; buf holds HANDLER_EVENT_BYTES_MAX. */
size_t event_json(char *buf, const struct out_event *e);

/*
 * The variables as "NAME=value" strings, written into store (which holds
 * HANDLER_EVENT_BYTES_MAX bytes) and pointed to from vars. Returns how
 * many (at most EVENT_ENV_VARS_MAX).
 */
unsigned event_env(const struct out_event *e, char *store,
		   char *vars[EVENT_ENV_VARS_MAX]);

#endif
