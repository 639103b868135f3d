/*
 * The bank's messages, in msgpack, on rollcall's framing (a 4-byte
 * big-endian length, then the body; common/wire.h), and the command a
 * Paxos value carries. No I/O; every decoder takes untrusted bytes (mp.h)
 * and checks each field's type and range.
 *
 * Between a client and a replica (the client port):
 *
 *   type       value  array
 *   REQUEST      1    [1, client id, seq, account, op, amount]
 *   RESULT       2    [2, seq, account, balance, error]
 *   REDIRECT     3    [3, seq, leader id, "host:port" of its client port]
 *                       (leader 0 and "": none known yet)
 *   FAIL         4    [4, seq, message]  ("no quorum ...", a protocol
 *                       error; the client may try again, same seq)
 *
 * Between replicas (the replica port):
 *
 *   PAXOS       10    [10, from, type, slot, ballot, noop, value,
 *                      [[slot, vballot, noop, value], ...], trimmed]
 *                       a paxos/ message; value a bin of at most
 *                       PAXOS_VALUE_BYTES_MAX; entries for PROMISE only;
 *                       trimmed 0 but in a NACK refusing a PREPARE
 *                       below the acceptor's trim point
 *   STATUS      11    [11, from, applied]   every slot below applied is
 *                       applied here (sent every BANK_STATUS_MS)
 *   FETCH       12    [12, from, first]     send me decided slots from
 *                       first on
 *   LOG         13    [13, from, first, [[noop, value], ...]]  decided
 *                       slots first, first + 1, ... (at most
 *                       BANK_LOG_BATCH_MAX)
 *   SNAP        14    [14, from, slot, total, offset, bin]  bytes offset..
 *                       of a snapshot (bank_snapshot_encode, total bytes)
 *                       of the bank with every slot below slot applied;
 *                       the answer to a FETCH from a slot no longer kept
 *   SNAPGET     15    [15, from, slot, offset]  the snapshot's next bytes
 *
 * A command in a Paxos value: [client id, seq, account, op, amount].
 */
#ifndef BANK_PROTO_H
#define BANK_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../paxos/paxos.h"
#include "bank.h"

enum bank_msg_type {
	BANK_MSG_REQUEST = 1,
	BANK_MSG_RESULT = 2,
	BANK_MSG_REDIRECT = 3,
	BANK_MSG_FAIL = 4,
	BANK_MSG_PAXOS = 10,
	BANK_MSG_STATUS = 11,
	BANK_MSG_FETCH = 12,
	BANK_MSG_LOG = 13,
	BANK_MSG_SNAP = 14,
	BANK_MSG_SNAPGET = 15,
};

/* Bytes of a snapshot one SNAP carries. */
#define BANK_SNAP_CHUNK_BYTES (48 * 1024)

/* Decided slots one LOG carries. */
#define BANK_LOG_BATCH_MAX 128
/* Bytes of a REDIRECT's address or a FAIL's message. */
#define BANK_TEXT_BYTES_MAX 300

/* A client message (REQUEST, RESULT, REDIRECT, FAIL). */
struct bank_client_msg {
	enum bank_msg_type type;
	uint64_t seq;
	struct bank_cmd cmd;		/* REQUEST */
	struct bank_result result;	/* RESULT */
	unsigned leader;		/* REDIRECT */
	char text[BANK_TEXT_BYTES_MAX + 1];	/* REDIRECT, FAIL */
};

/* A replica message; pm is filled for PAXOS, log for LOG. */
struct bank_peer_msg {
	enum bank_msg_type type;
	unsigned from;
	uint64_t applied;		/* STATUS */
	uint64_t first;			/* FETCH, LOG */
	uint64_t slot, total, offset;	/* SNAP, SNAPGET */
	size_t chunk_len;		/* SNAP */
	uint8_t chunk[BANK_SNAP_CHUNK_BYTES];
	unsigned log_count;		/* LOG */
	struct paxos_value log[BANK_LOG_BATCH_MAX];
	struct paxos_msg pm;		/* PAXOS */
};

/* The type of a body (its first element), or 0 when it has none. */
int bank_msg_type_of(const void *body, size_t len);

/* Encode into buf (cap bytes): the body's length, or -ENOSPC. */
int bank_client_encode(const struct bank_client_msg *m, void *buf,
		       size_t cap);
int bank_peer_encode(const struct bank_peer_msg *m, void *buf, size_t cap);

/* Decode one whole body: 0, or -EINVAL (shape, type or range). */
int bank_client_decode(const void *body, size_t len,
		       struct bank_client_msg *m);
int bank_peer_decode(const void *body, size_t len, struct bank_peer_msg *m);

/* A command to a Paxos value and back (-EINVAL on bad bytes). */
int bank_cmd_to_value(const struct bank_cmd *c, struct paxos_value *v);
int bank_cmd_from_value(const struct paxos_value *v, struct bank_cmd *c);

#endif
