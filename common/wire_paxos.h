/*
 * The Paxos messages on the wire, in msgpack: struct paxos_msg (the core's,
 * paxos/paxos.h) to bytes and back. The same rules as the membership wire
 * (wire.h), through the same checks (wire_walk.h): the structure is walked
 * before msgpack-c sees a byte, the whole body must be one message, and
 * every field is range checked; whatever decodes also encodes. The same
 * framing on TCP: a 4-byte big-endian length, a body of at most
 * FRAME_BYTES_MAX bytes (wire_frame_next splits the stream). It does no
 * I/O and keeps no state.
 *
 * A message is one msgpack array, its first five fields common:
 *
 *   [version, type, from, slot, ballot, ...]
 *
 *   type        value  rest of the array
 *   PREPARE       1    (nothing)        phase 1a; slot: the first slot the
 *                                         promise must cover
 *   PROMISE       2    [entry, ...]     phase 1b; at most
 *                                         PAXOS_PROMISE_ENTRIES_MAX, slots
 *                                         ascending, each at or above slot
 *   ACCEPT        3    value            phase 2a
 *   ACCEPTED      4    value            phase 2b: the sender voted
 *   NACK          5    (nothing)        ballot: the promise that refused
 *   CHOSEN        6    value            decided at ballot
 *
 *   entry  = [slot, vballot, value]     vballot at least 1
 *   value  = bin of 0..PAXOS_VALUE_BYTES_MAX bytes, or nil for a no-op
 *
 * version is WIRE_PAXOS_VERSION; from the sender's peer id, 1..HOSTS_MAX;
 * ballot (round << 16) | proposer id, at least 1; slots any unsigned
 * 64-bit number (the lab uses slot 0). The type values are the core's
 * enum paxos_msg_type.
 */
#ifndef ROLLCALL_WIRE_PAXOS_H
#define ROLLCALL_WIRE_PAXOS_H

#include <stddef.h>

#include "../paxos/paxos.h"
#include "wire.h"

/* Not WIRE_VERSION's range: a membership peer's bytes never decode here. */
#define WIRE_PAXOS_VERSION 0x50

/*
 * Encode m as a msgpack body into buf; its length goes to *len. The
 * results are wire.h's enum wire_error (WIRE_ERANGE, WIRE_ENOSPACE, ...).
 */
int wire_paxos_encode(const struct paxos_msg *m, char *buf, size_t cap,
		      size_t *len);

/* Encode m as a TCP frame (length prefix and body) into buf. */
int wire_paxos_encode_frame(const struct paxos_msg *m, char *buf, size_t cap,
			    size_t *len);

/*
 * Decode one whole body of exactly len bytes into *m, every byte of which
 * is written (zero where the type has no field; all zero on failure).
 */
int wire_paxos_decode(const char *buf, size_t len, struct paxos_msg *m);

/* "PREPARE", "PROMISE", ... for logs; "?" when unknown. */
const char *wire_paxos_type_name(int type);

#endif
