/*
 * The transport: the one place rollcall touches the network (libuv).
 *
 * It takes a hostsfile entry that is an IPv4 or IPv6 address as it is, and
 * resolves every other with uv_getaddrinfo (retried with capped, jittered
 * backoff: under docker compose a name resolves only once its container
 * runs); with no name to resolve, no threadpool thread ever starts. It
 * binds one TCP listener and one UDP socket to this peer's own address
 * and port, keeps one outbound TCP connection per peer it sends to (made
 * on first send, remade from a backoff timer after a failure, with a send
 * queue capped at SEND_QUEUE_BYTES_MAX), and reads inbound TCP frames and
 * UDP datagrams. Per hostsfile entry it keeps only the address and the
 * replay window; a connection's handles and queue exist only while that
 * peer is sent to, so memory grows with the peers talked to, not with the
 * hostsfile.
 *
 * Inbound bytes are untrusted: a frame over FRAME_BYTES_MAX closes its
 * connection; when INBOUND_CONNS_MAX are open, a new one replaces the
 * oldest that never carried a valid message (else it is refused); a new
 * connection from an address that already has INBOUND_PER_SOURCE_MAX open
 * replaces that address's oldest; a body that does not decode, a sender id outside the
 * hostsfile, or a sender id whose resolved address is not the address the
 * bytes came from is dropped and counted. Only messages that pass reach
 * on_message, whichever way they came: transport_send sends by TCP,
 * transport_send_datagram by UDP.
 *
 * With a keyring, every datagram and every frame's body is an envelope
 * (common/seal.h): sealed after encoding, opened before decoding. What no
 * key opens, what is not an envelope, a replay and an envelope whose
 * sender or life is not its message's are dropped and counted, never
 * decoded. Without one, the wire is plain msgpack, and an envelope is
 * dropped and counted: keyed and unkeyed peers never talk.
 *
 * It knows nothing of the protocol: no view, no roles. By default it
 * carries rollcall's membership messages (wire.h: wire_decode, on_message,
 * transport_send). Another program gives its own codec in the config
 * (struct transport_codec): the transport then decodes every body with it,
 * applies the same checks to the sender id it reports, hands the message
 * to on_decoded, and sends frames the program encoded
 * (transport_send_frame). Framing, bounds and every check stay here.
 */
#ifndef ROLLCALL_TRANSPORT_H
#define ROLLCALL_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "hosts.h"
#include "keyring.h"
#include "peerset.h"
#include "wire.h"

struct transport;

/* Another program's messages on the same framing (see the top). */
struct transport_codec {
	/* Bytes of one decoded message: the transport keeps one. */
	size_t msg_bytes;
	/*
	 * Decode exactly len bytes (one frame body or datagram) into msg and
	 * set *from to the sender id it claims; 0, or a negative wire.h
	 * error (the body is then dropped and counted as malformed).
	 */
	int (*decode)(const char *body, size_t len, void *msg,
		      unsigned *from);
	/* A name for the message's type, for diagnostics. */
	const char *(*type_name)(const void *msg);
};

struct transport_config {
	uv_loop_t *loop;
	const struct hosts *hosts;	/* must outlive the transport */
	unsigned self;			/* own id in hosts */
	uint16_t port;			/* every peer's TCP and UDP port */
	int verbose;			/* diagnostics on stderr when > 0 */
	/* Tests only: share of received datagrams dropped at random, in
	 * percent (0 to 100), to measure the detector under loss. */
	unsigned drop_udp_percent;
	/* NULL: rollcall's membership messages. */
	const struct transport_codec *codec;
	/* NULL: plain msgpack, as without --keyring. Else the keys to seal
	 * and open with; it must outlive the transport, and may be changed
	 * in place between callbacks (SIGHUP rereads the file). With a
	 * codec, transport_send_frame seals each frame's body too. */
	const struct keyring *keyring;
	/* With a codec and a keyring: this process's life, sealed into every
	 * frame it sends, above every earlier life's (the wall clock in
	 * microseconds), so that the replay rule refuses an earlier life's
	 * frames. Membership messages carry their own. */
	uint64_t incarnation;
};

struct transport_events {
	void *ctx;
	/* Own address resolved and both sockets bound: the protocol may run. */
	void (*on_ready)(void *ctx);
	/* A checked message from peer m->from. */
	void (*on_message)(void *ctx, const struct wire_msg *m);
	/* With a codec, instead of on_message: a checked message from peer
	 * from, as the codec decoded it (valid during the call only). */
	void (*on_decoded)(void *ctx, unsigned from, const void *msg);
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
	uint64_t lookups_started;	/* uv_getaddrinfo calls: names only */
	uint64_t links_made;		/* a peer's handles and queue made */
	uint64_t links_freed;		/* ... and freed, once unused */
	uint64_t datagrams_out;		/* datagrams the kernel took */
	uint64_t datagram_sends;	/* system calls that sent them */
};

/* Allocate and start resolving; sockets are bound once self resolves. */
int transport_new(struct transport **out, const struct transport_config *cfg,
		  const struct transport_events *ev);

/* Queue m for every peer in to (self is skipped), by TCP. Never blocks. */
void transport_send(struct transport *t, const struct peerset *to,
		    const struct wire_msg *m);

/* Send m to every peer in to (self and unresolved peers are skipped), one
 * datagram each, now or never: no queue. Never blocks. */
void transport_send_datagram(struct transport *t, const struct peerset *to,
			     const struct wire_msg *m);

/*
 * Queue one frame already encoded (length prefix and body, at most
 * WIRE_FRAME_HEADER_BYTES + FRAME_BYTES_MAX bytes) for every peer in to
 * (self is skipped), by TCP. Never blocks. For a program with a codec.
 * Keyed, the body is sealed for each peer (the sealed frame must fit
 * FRAME_BYTES_MAX: a body SEAL_OVERHEAD_BYTES shorter; a longer one is
 * logged and not sent).
 */
void transport_send_frame(struct transport *t, const struct peerset *to,
			  const char *frame, size_t len);

/*
 * Whether messages to peer id wait in its queue, not yet handed to a
 * connection (it is not connected yet, or reconnecting): a program that
 * would send the same message again may leave the queued one to go.
 */
bool transport_backlogged(const struct transport *t, unsigned id);

/*
 * Stop reading, let queued writes finish (at most about a second), close
 * every handle, free the transport, then call done(ctx). After this call
 * the transport must not be used; on_message is not called again.
 */
void transport_close(struct transport *t, void (*done)(void *ctx),
		     void *ctx);

/*
 * Batched reading: while batched, datagrams wait in the socket until
 * transport_udp_read_all reads every one queued (at most a few thousand),
 * each going to on_message as it would have; a process woken for each
 * datagram costs more than the datagram. TCP is read as it comes.
 */
void transport_udp_batch(struct transport *t, bool batched);
void transport_udp_read_all(struct transport *t);

const struct transport_stats *transport_stats(const struct transport *t);

#endif
