/*
 * Fuzz the bank's messages (bank/proto.c): the input is the byte stream
 * one client or replica connection delivers.
 *
 * It is split into frames as bank/link.c splits it (wire_frame_next).
 * Each body is decoded as a client message, as a replica message and as a
 * command in a Paxos value; whatever decodes must encode again, and decode
 * to the same message (so what a replica accepts, it could have sent).
 * A command that decodes is also applied to a bank, whose answer must be
 * a result or one of the refusals bank_check names, never a crash.
 */
#include <string.h>

#include "../../bank/bank.h"
#include "../../bank/proto.h"
#include "../../common/bounds.h"
#include "../../common/wire.h"
#include "fuzz.h"

static struct bank_peer_msg peer, peer2;
static struct bank bank, snap, snap2;
static char snap_out[BANK_SNAPSHOT_BYTES_MAX];
static char out[FRAME_BYTES_MAX];

static void body_check(const char *body, size_t len)
{
	struct bank_client_msg c, c2;
	if (bank_client_decode(body, len, &c) == 0) {
		int n = bank_client_encode(&c, out, sizeof(out));
		fuzz_check(n > 0);
		fuzz_check(bank_client_decode(out, (size_t)n, &c2) == 0);
		fuzz_check(c2.type == c.type && c2.seq == c.seq);
		if (c.type == BANK_MSG_REQUEST) {
			char err[BANK_ERROR_BYTES_MAX];
			struct bank_result r;
			if (bank_check(&c.cmd, err, sizeof(err)) == 0) {
				struct paxos_value v;
				struct bank_cmd back;
				fuzz_check(bank_cmd_to_value(&c.cmd, &v) == 0);
				fuzz_check(bank_cmd_from_value(&v, &back) == 0);
				fuzz_check(memcmp(&back, &c.cmd,
						  sizeof(back)) == 0);
				(void)bank_apply(&bank, 0, &c.cmd, &r);
				fuzz_check(strlen(r.error) < sizeof(r.error));
			}
		}
	}
	if (bank_peer_decode(body, len, &peer) == 0) {
		int n = bank_peer_encode(&peer, out, sizeof(out));
		fuzz_check(n > 0);
		fuzz_check(bank_peer_decode(out, (size_t)n, &peer2) == 0);
		fuzz_check(peer2.type == peer.type && peer2.from == peer.from);
		fuzz_check(peer2.log_count == peer.log_count);
		fuzz_check(peer2.pm.entries_count == peer.pm.entries_count);
		fuzz_check(peer2.pm.trimmed == peer.pm.trimmed);
	}
	/* A snapshot that decodes encodes again to the same bytes' bank. */
	if (bank_snapshot_decode(&snap, body, len) == 0) {
		size_t n;
		fuzz_check(bank_snapshot_encode(&snap, snap_out,
						sizeof(snap_out), &n) == 0);
		fuzz_check(bank_snapshot_decode(&snap2, snap_out, n) == 0);
		fuzz_check(snap2.accounts_count == snap.accounts_count &&
			   snap2.clients_count == snap.clients_count);
	}
	if (len <= PAXOS_VALUE_BYTES_MAX) {
		struct paxos_value v = { .noop = false, .len = (uint16_t)len };
		struct bank_cmd cmd;
		memcpy(v.bytes, body, len);
		(void)bank_cmd_from_value(&v, &cmd);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *stream = (const char *)data;
	size_t off = 0;
	static int ready;
	if (!ready) {
		bank_create(&bank);
		ready = 1;
	}
	/* The whole input as one body too: most inputs are not framed. */
	if (size <= FRAME_BYTES_MAX)
		body_check(stream, size);
	for (;;) {
		const char *body;
		size_t body_len, used;
		int rc = wire_frame_next(stream + off, size - off, &body,
					 &body_len, &used);
		if (rc == 1 || rc == WIRE_ETOOBIG)
			break;
		fuzz_check(rc == 0);
		body_check(body, body_len);
		off += used;
	}
	return 0;
}
