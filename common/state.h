/*
 * What a peer must not forget across a restart: the promise it made to a
 * ballot, the change it accepted and has not seen decided, and the last
 * view it installed. A peer that answered a ballot and then forgot it could
 * answer a lower one, and two leaders could each decide a different view
 * with the same id; so the core hands this to the outbox's save before it
 * sends any message that depends on it, and the daemon writes it durably
 * (write, fsync, rename) before returning.
 *
 * This module is the state's codec; it does no I/O. The file is text, so
 * an operator can read it:
 *
 *   rollcall-state 1
 *   promised 131074
 *   accepted 65537 4 2 5 1      (ballot, base view, op, peer, leader)
 *   accepted 65537 4 1 6 1 1:7,2:3
 *                               (a batch: its further changes, op:peer)
 *   view 4 1 1,2,3,4,5          (id, leader, members)
 *
 * with "accepted none" and "view none" when there is none, and
 * "view none 7" when the peer is in no view but knows view 7 (the view
 * that removed it, or one past the view it held): no later life may take
 * a view at or below it.
 */
#ifndef ROLLCALL_STATE_H
#define ROLLCALL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerset.h"
#include "wire.h"

#define STATE_VERSION 1

/*
 * A ballot orders competing leaders: (counter << 16) | leader id, so that
 * two leaders never share one, and a higher counter wins.
 */
#define BALLOT_LEADER(b) ((unsigned)((b) & 0xffffu))
#define BALLOT_COUNTER(b) ((b) >> 16)
#define BALLOT_MAKE(counter, id) (((uint64_t)(counter) << 16) | (uint64_t)(id))

struct state {
	uint64_t promised;	/* the highest ballot answered; 0: none */
	/* The changes accepted and not yet seen decided: the view that
	 * follows view acc_base, at ballot acc_ballot (a batch: the first in
	 * acc_op and acc_peer, the rest in acc_more). */
	bool acc_set;
	uint64_t acc_ballot;
	uint32_t acc_base;
	uint8_t acc_op;		/* WIRE_OP_ADD or WIRE_OP_DEL */
	uint16_t acc_peer;
	uint16_t acc_leader;	/* the leader the new view names */
	struct wire_changes acc_more;
	/* The last view installed. in_view false: in none now; view_id is
	 * then the view that removed us (0: never in one), and members, if
	 * any, that view's list, led by view_leader: we may be the only one
	 * alive that knows it. */
	bool in_view;
	uint32_t view_id;
	uint16_t view_leader;
	struct peerset members;
};

/* Negative results of the codec, in the libuv convention. */
enum state_error {
	STATE_ENOSPACE = -1,	/* encode: buffer too small */
	STATE_EFORMAT = -2,	/* not a state file of this version */
	STATE_ERANGE = -3,	/* a field outside its range */
};

/* Encode s as text into buf; its length goes to *len. */
int state_encode(const struct state *s, char *buf, size_t cap, size_t *len);

/*
 * Decode exactly len bytes (at most STATE_BYTES_MAX) into *s. Fails on
 * anything this version would not have written; *line says which line.
 */
int state_decode(const char *buf, size_t len, struct state *s,
		 unsigned *line);

const char *state_strerror(int err);

#endif
