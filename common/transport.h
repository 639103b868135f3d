/*
 * The transport: the one place rollcall touches the network (libuv).
 *
 * It resolves every hostsfile entry with uv_getaddrinfo (retried with
 * capped, jittered backoff: under docker compose a name resolves only once
 * its container runs), binds one TCP listener and one UDP socket to this
 * peer's own address and port, keeps one outbound TCP connection per peer
 * (made on first send, remade from a backoff timer after a failure, with a
 * send queue capped at SEND_QUEUE_BYTES_MAX), and reads inbound TCP frames
 * and UDP datagrams.
 *
 * Inbound bytes are untrusted: a frame over FRAME_BYTES_MAX closes its
 * connection; when INBOUND_CONNS_MAX are open, a new one replaces the
 * oldest that never carried a valid message (else it is refused); a new
 * connection from an address that already has INBOUND_PER_SOURCE_MAX open
 * replaces that address's oldest; a body that does not decode, a sender id outside the
 * hostsfile, or a sender id whose resolved address is not the address the
 * bytes came from is dropped and counted. Only messages that pass reach
 * on_message. HEARTBEAT goes by UDP, everything else by TCP.
 *
 * With a keyring, every datagram and every frame's body is an envelope
 * (common/seal.h): sealed after encoding, opened before decoding. What no
 * key opens, what is not an envelope, a replay and an envelope whose
 * sender or life is not its message's are dropped and counted, never
 * decoded. Without one, the wire is plain msgpack, and an envelope is
 * dropped and counted: keyed and unkeyed peers never talk.
 *
 * It knows nothing of the protocol: no view, no roles.
 */
#ifndef ROLLCALL_TRANSPORT_H
#define ROLLCALL_TRANSPORT_H

#include <stdint.h>
#include <uv.h>

#include "hosts.h"
#include "keyring.h"
#include "peerset.h"
#include "wire.h"

struct transport;

struct transport_config {
	uv_loop_t *loop;
	const struct hosts *hosts;	/* must outlive the transport */
	unsigned self;			/* own id in hosts */
	uint16_t port;			/* every peer's TCP and UDP port */
	int verbose;			/* diagnostics on stderr when > 0 */
	/* Tests only: share of received datagrams dropped at random, in
	 * percent (0 to 100), to measure the detector under loss. */
	unsigned drop_udp_percent;
	/* NULL: plain msgpack, as without --keyring. Else the keys to seal
	 * and open with; it must outlive the transport, and may be changed
	 * in place between callbacks (SIGHUP rereads the file). */
	const struct keyring *keyring;
};

struct transport_events {
	void *ctx;
	/* Own address resolved and both sockets bound: the protocol may run. */
	void (*on_ready)(void *ctx);
	/* A checked message from peer m->from. */
	void (*on_message)(void *ctx, const struct wire_msg *m);
	/* Binding failed (address in use, not local): a one-line reason. */
	void (*on_fatal)(void *ctx, const char *reason);
};

/* Counters, for -v, tests and benchmarks. */
struct transport_stats {
	uint64_t frames_in;
	uint64_t datagrams_in;
	uint64_t dropped_malformed;	/* did not decode */
	uint64_t dropped_stranger;	/* sender id not in the hostsfile */
	uint64_t dropped_spoofed;	/* id does not match source address */
	uint64_t dropped_queue_full;	/* send queue at its cap */
	uint64_t conns_refused;		/* inbound over INBOUND_CONNS_MAX */
	uint64_t conns_evicted;		/* a stranger's, closed for a new one */
	uint64_t conns_source_capped;	/* closed: INBOUND_PER_SOURCE_MAX */
	uint64_t dropped_test_loss;	/* drop_udp_percent's doing */
	uint64_t conns_oversize;	/* closed for an oversize frame */
	uint64_t dropped_unsealed;	/* keyed: plain msgpack received */
	uint64_t dropped_sealed;	/* unkeyed: an envelope received */
	uint64_t dropped_unopened;	/* keyed: no key opens it */
	uint64_t dropped_replayed;	/* keyed: an old counter or life */
};

/* Allocate and start resolving; sockets are bound once self resolves. */
int transport_new(struct transport **out, const struct transport_config *cfg,
		  const struct transport_events *ev);

/* Queue m for every peer in to (self is skipped). Never blocks. */
void transport_send(struct transport *t, const struct peerset *to,
		    const struct wire_msg *m);

/*
 * Stop reading, let queued writes finish (at most about a second), close
 * every handle, free the transport, then call done(ctx). After this call
 * the transport must not be used; on_message is not called again.
 */
void transport_close(struct transport *t, void (*done)(void *ctx),
		     void *ctx);

const struct transport_stats *transport_stats(const struct transport *t);

#endif
