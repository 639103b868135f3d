/*
 * A link: one TCP connection carrying frames (rollcall's framing, a
 * 4-byte big-endian length and a body of at most FRAME_BYTES_MAX bytes;
 * the prefix and the frame reader are common/wire_walk.h's and wire.h's),
 * between the bank's clients and a replica's client port only.
 *
 * The replicas talk to each other through the shared transport
 * (common/transport.h). Clients cannot: the transport takes only peers of
 * the hostsfile, checks each message's sender id against the address it
 * came from, and answers over its own connection to that address; a
 * client is anonymous, and is answered on the connection it opened.
 *
 * A link is dialled (a host name, resolved with uv_getaddrinfo, and a
 * port) or accepted from a listener. It hands each whole frame's body to
 * on_frame, and ends once, with on_close: the peer closed, a read or
 * write failed, a frame was over the cap, the send queue passed
 * SEND_QUEUE_BYTES_MAX, or link_close was called. Memory is freed after
 * on_close returns, from the loop. It knows nothing of what the bodies
 * mean.
 */
#ifndef BANK_LINK_H
#define BANK_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct link;

struct link_events {
	void *ctx;
	/* Dialled: connected, frames may flow (sends before it queue). */
	void (*on_connect)(struct link *l);
	/* One frame's body: len bytes at body, valid during the call. */
	void (*on_frame)(struct link *l, const char *body, size_t len);
	/* Ended; err is 0 after link_close, else a libuv error (UV_EOF: the
	 * peer closed; UV_E2BIG: a frame over the cap). Not called for a
	 * link_close made from inside on_close. */
	void (*on_close)(struct link *l, int err);
};

/* Dial host:port; the result comes as on_connect or on_close. */
int link_dial(uv_loop_t *loop, const char *host, uint16_t port,
	      const struct link_events *ev, struct link **out);

/* Accept a pending connection of a listener. */
int link_accept(uv_stream_t *server, const struct link_events *ev,
		struct link **out);

/* Queue one frame (the body, framed here). 0, or a negative code: the
 * link is closing, or the queue is full (then the link closes). */
int link_send(struct link *l, const void *body, size_t len);

/* Close now: queued frames are dropped. Safe to call twice. */
void link_close(struct link *l);

/* The ctx the events were given, and the peer's address as text. */
void *link_ctx(const struct link *l);
const char *link_peer_name(const struct link *l);
/* Whether the peer's IPv4 address is the given one (network order). */
bool link_is_connected(const struct link *l);
/* Bytes queued and not yet written. */
size_t link_queued(const struct link *l);

/* Any per-link data of the user. */
void link_set_data(struct link *l, void *data);
void *link_data(const struct link *l);

#endif
