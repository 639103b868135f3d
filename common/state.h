/*
 * What a peer must not forget across a restart: the promise it made to a
 * ballot, the change it accepted and has not seen decided, and the last
 * view it installed. A peer that answered a ballot and then forgot it could
 * answer a lower one, and two leaders could each decide a different view
 * with the same id; so the core hands this to the outbox's save before it
 * sends any message that depends on it, and the daemon writes it durably
 * (write, fsync, rename) before returning.
 *
 * This module is the state's codec (msgpack, checked like the wire); it
 * does no I/O.
 */
#ifndef ROLLCALL_STATE_H
#define ROLLCALL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerset.h"

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
	uint32_t epoch;		/* peer 1's foundings: views of epoch e
				 * are numbered from e * STATE_EPOCH_VIEWS */
	/* The change accepted and not yet seen decided: the view that
	 * follows view acc_base, at ballot acc_ballot. */
	bool acc_set;
	uint64_t acc_ballot;
	uint32_t acc_base;
	uint8_t acc_op;		/* WIRE_OP_ADD or WIRE_OP_DEL */
	uint16_t acc_peer;
	uint16_t acc_leader;	/* the leader the new view names */
	/* The last view installed (in_view false: never in one). */
	bool in_view;
	uint32_t view_id;
	uint16_t view_leader;
	struct peerset members;
};

/* View ids a founding's group may use before the next founding's. */
#define STATE_EPOCH_VIEWS (UINT32_C(1) << 20)

/* Encode s into buf (at most STATE_BYTES_MAX); its length goes to *len. */
int state_encode(const struct state *s, char *buf, size_t cap, size_t *len);

/* Decode exactly len bytes; a negative wire_error when they are not a
 * state this version wrote. */
int state_decode(const char *buf, size_t len, struct state *s);

#endif
