/*
 * The wire format: every message rollcall peers exchange, in msgpack.
 *
 * This module turns a struct wire_msg into bytes and back. It never trusts
 * the bytes: before msgpack-c unpacks anything, the structure is walked and
 * checked against the bytes actually present (msgpack-c 4.0 allocates on a
 * declared container size, so an unchecked 5-byte array header would ask
 * for tens of GiB). It does no I/O and keeps no state.
 *
 * A message is one msgpack array of unsigned integers, the first six
 * fields common to all types:
 *
 *   [version, type, from, incarnation, view_id, ballot, ...]
 *
 *   type           value  rest of the array
 *   JOIN             1    (nothing)
 *   REQ              2    request_id, op (ADD|DEL), peer, leader
 *                           [, [op, peer, op, peer, ...]]
 *                           the changes that make view view_id + 1 (a
 *                           batch: the first in op and peer, any further
 *                           ones in the trailing array, sent only when
 *                           any), and the leader that view names
 *   OK               3    request_id, op, peer, leader, acc_ballot
 *                           [, [op, peer, ...]]
 *                           answering REQ: the REQ's fields echoed
 *                           answering NEWLEADER: the changes accepted in
 *                           view view_id and not seen decided (ADD|DEL,
 *                           its peer, further changes trailing, the
 *                           leader, the ballot it was accepted at), or
 *                           NOTHING with zeros
 *                           refusing either (REFUSE): ballot is the
 *                           higher one answered, peer whom it follows
 *   NEWVIEW          4    leader, [member ids, ascending]
 *   NEWLEADER        5    request_id, op (PENDING)
 *   HEARTBEAT        6    leader (the one the sender follows; 0: none),
 *                           beat (the sender's latest beat in this
 *                           life, numbered 2, 4, 6, ...; a half-beat's
 *                           repeat its beat's number plus one; 0: none)
 *                           [, [suspects, ascending]] (the members its
 *                           detector holds dead; sent only when any)
 *                           [, [peer, age_ms, peer, age_ms, ...]] (the
 *                           members it heard directly within 2T + A, ids
 *                           ascending, each with how many ms before this
 *                           message it last did; sent only when any, and
 *                           then the suspects too, even empty)
 *   REDIRECT         7    leader (answer to a JOIN sent to a non-leader;
 *                           0 from a peer that is itself still joining)
 *
 *   op       value
 *   ADD        1
 *   DEL        2
 *   PENDING    3
 *   NOTHING    4
 *   REFUSE     5
 *
 * A batch names each peer once, and holds at most CHANGES_MAX changes; a
 * batch of one is exactly the lab's REQ and OK.
 *
 * version is WIRE_VERSION; from is the sender's peer id, incarnation the
 * life of the process behind it (at least 1, and higher in every later
 * life: a restart or a rejoin), view_id its current view id (REQ: the
 * view the change is asked in), and ballot the ballot the message speaks
 * for: the leader's in REQ, NEWLEADER and NEWVIEW, the one answered in OK,
 * the one the sender follows in HEARTBEAT (see common/state.h). Peer ids
 * are 1..HOSTS_MAX (peer 0 only where noted).
 *
 * On TCP each message is a frame: a 4-byte big-endian body length, then
 * the body; a body is at most FRAME_BYTES_MAX bytes. On UDP a datagram is
 * exactly one body, with no length prefix.
 */
#ifndef ROLLCALL_WIRE_H
#define ROLLCALL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerset.h"

#define WIRE_VERSION 4
#define WIRE_FRAME_HEADER_BYTES 4

enum wire_type {
	WIRE_JOIN = 1,
	WIRE_REQ = 2,
	WIRE_OK = 3,
	WIRE_NEWVIEW = 4,
	WIRE_NEWLEADER = 5,
	WIRE_HEARTBEAT = 6,
	WIRE_REDIRECT = 7,
};
#define WIRE_TYPE_MAX 7

enum wire_op {
	WIRE_OP_ADD = 1,
	WIRE_OP_DEL = 2,
	WIRE_OP_PENDING = 3,
	WIRE_OP_NOTHING = 4,
	WIRE_OP_REFUSE = 5,
};

/* Negative results of the codec, in the libuv convention. */
enum wire_error {
	WIRE_ETRUNCATED = -1,	/* fewer bytes than the structure claims */
	WIRE_ETOOBIG = -2,	/* frame or datagram over its cap */
	WIRE_ESHAPE = -3,	/* not an array of the right count and types */
	WIRE_EVERSION = -4,	/* unknown protocol version */
	WIRE_ETYPE = -5,	/* unknown message type */
	WIRE_ERANGE = -6,	/* a field outside its range */
	WIRE_ETRAILING = -7,	/* bytes left after the message */
	WIRE_ENOSPACE = -8,	/* encode: output buffer too small */
};

/* One change of a view (op ADD or DEL of peer), and a batch of them. */
struct wire_change {
	uint8_t op;
	uint16_t peer;
};

struct wire_changes {
	uint16_t count;
	struct wire_change at[CHANGES_MAX];
};

/*
 * A decoded message. Only the fields its type carries are meaningful; the
 * decoder zeroes the rest. members is a set, so it is ascending and free of
 * duplicates by construction.
 */
struct wire_msg {
	enum wire_type type;
	uint16_t from;
	uint64_t incarnation;
	uint32_t view_id;
	uint64_t ballot;
	uint32_t request_id;	/* REQ, OK, NEWLEADER */
	enum wire_op op;	/* REQ, OK, NEWLEADER */
	uint16_t peer;		/* REQ, OK */
	uint16_t leader;	/* all but JOIN and NEWLEADER */
	uint64_t acc_ballot;	/* OK */
	/* REQ, OK: the batch's changes after (op, peer); count 0: none. */
	struct wire_changes more;
	uint32_t beat;			/* HEARTBEAT */
	struct peerset suspects;	/* HEARTBEAT */
	/* HEARTBEAT: peers heard directly (ascending) and how long ago. */
	uint16_t heard_count;
	uint16_t heard_peer[HEARTBEAT_HEARD_MAX];
	uint32_t heard_age_ms[HEARTBEAT_HEARD_MAX];
	struct peerset members;	/* NEWVIEW */
};

/* Encode m as a msgpack body into buf; its length goes to *len. */
int wire_encode(const struct wire_msg *m, char *buf, size_t cap, size_t *len);

/* Encode m as a TCP frame (length prefix and body) into buf. */
int wire_encode_frame(const struct wire_msg *m, char *buf, size_t cap,
		      size_t *len);

/*
 * Decode one whole body of exactly len bytes into *m. Checks structure,
 * version, type, every field's range, and that nothing trails the message.
 */
int wire_decode(const char *buf, size_t len, struct wire_msg *m);

/*
 * Split a TCP byte stream into frames. Looks at the len bytes in buf:
 * returns 0 and sets *body, *body_len and *consumed (header plus body) when
 * a whole frame is present; returns 1 when more bytes are needed; returns
 * WIRE_ETOOBIG when the declared length exceeds FRAME_BYTES_MAX (the
 * stream cannot be resynchronised and must be closed).
 */
int wire_frame_next(const char *buf, size_t len, const char **body,
		    size_t *body_len, size_t *consumed);

/*
 * A batch and the wire's form of it: the first change in op and peer,
 * the rest in more. wire_changes_join builds all (op ADD or DEL) from
 * them; wire_changes_split fills a message's op, peer and more from all
 * (count at least 1).
 */
void wire_changes_join(struct wire_changes *all, enum wire_op op,
		       unsigned peer, const struct wire_changes *more);
void wire_changes_split(const struct wire_changes *all, enum wire_op *op,
			uint16_t *peer, struct wire_changes *more);
/* Whether c holds (op, peer); op 0: any change of peer. */
bool wire_changes_has(const struct wire_changes *c, int op, unsigned peer);
/* Members after the batch: every ADD added, every DEL removed. */
void wire_changes_apply(const struct wire_changes *c,
			struct peerset *members);
/* The peers the batch changes by op (ADD: those it adds). */
struct peerset wire_changes_peers(const struct wire_changes *c,
				  enum wire_op op);
/* Append (op, peer); false when full. */
bool wire_changes_push(struct wire_changes *c, enum wire_op op,
		       unsigned peer);

/* Names for logs: "JOIN", "ADD", "truncated", ... ("?" when unknown). */
const char *wire_type_name(int type);
const char *wire_op_name(int op);
const char *wire_strerror(int err);

#endif
