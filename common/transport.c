/*
 * The transport: libuv sockets, timers and name resolution for one peer.
 *
 * Every libuv handle is embedded in the struct that owns it (the transport,
 * a struct link for each peer that needs handles, a struct inbound for
 * each accepted connection) and its owner is recovered with container_of.
 * Each hostsfile entry has a small struct peer (address, replay window,
 * state); its link (lookup, timer, socket, send queue) is made when the
 * peer first needs one of them and freed once it needs none: a lookup
 * done, a backoff over, nothing queued and no socket open.
 * Memory is released only from uv_close callbacks (a link from its
 * timer's or its socket's, whichever comes back last, with no lookup in
 * flight); t->pending counts the handles not yet closed back plus the
 * lookups still in flight, and the transport frees itself when that count
 * reaches zero after transport_close.
 *
 * An outbound connection moves through
 *
 *   RESOLVING -> IDLE -> CONNECTING -> CONNECTED
 *       ^                    |            |
 *       |                    v            v
 *    BACKOFF <----------- CLOSING <-------+
 *
 * A name that is an address starts IDLE and is never looked up (no
 * threadpool thread starts for it). A failure (connect error or timeout,
 * EOF, read or write error) closes the socket; once it is closed back, a
 * jittered, capped exponential backoff timer looks a name up again (a
 * restarted container may have a new address; an address goes straight
 * to IDLE) and a connection is made again when frames are queued.
 * Frames not yet handed to uv_write survive a failure; frames already
 * written are lost with the connection, as TCP would lose them.
 *
 * Nothing here calls a user callback from transport_new, transport_send or
 * transport_close; every user callback may re-enter the transport, so the
 * code after one checks t->closing before going on.
 */
#define _GNU_SOURCE	/* sendmmsg, recvmmsg */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>
#include <uv.h>

#include "bounds.h"
#include "seal.h"
#include "transport.h"
#include "wire.h"
#include "wire_walk.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define LISTEN_BACKLOG 128
/* Datagrams for one message go out this many to a sendmmsg call. */
#define DATAGRAM_BATCH 64
/* Read in batches, datagrams come in this many to a recvmmsg call, and
 * at most RECV_ALL_MAX in one transport_udp_read_all (the rest wait). */
#define RECV_BATCH 16
#define RECV_ALL_MAX 4096
/* A connect that neither succeeds nor fails (a host gone without a RST). */
#define CONNECT_TIMEOUT_MS 3000
/* How long transport_close lets outbound connections drain. */
#define DRAIN_TIMEOUT_MS 1000
/*
 * How long binding waits for the first lookup of every other host, so that
 * the first messages from a peer are not dropped as spoofed merely because
 * its name was still being resolved.
 */
#define LOOKUP_GRACE_MS BACKOFF_MAX_MS
/* An inbound read buffer holds at most one whole frame. */
#define INBOUND_BUF_BYTES_MAX (FRAME_BYTES_MAX + WIRE_FRAME_HEADER_BYTES)
#define INBOUND_BUF_BYTES_MIN 4096
/* Bytes read and thrown away: outbound sockets, draining inbound ones. */
#define DISCARD_BYTES 4096
/* 100 ms << 5 already exceeds BACKOFF_MAX_MS. */
#define BACKOFF_SHIFT_MAX 5
#define ADDR_STR_BYTES 80
#define LOG_LINE_BYTES 512

enum peer_state {
	PEER_RESOLVING,		/* uv_getaddrinfo in flight */
	PEER_BACKOFF,		/* timer armed; then look the name up */
	PEER_IDLE,		/* resolved, no connection */
	PEER_CONNECTING,	/* connect in flight, timer is its timeout */
	PEER_CONNECTED,
	PEER_CLOSING,		/* uv_close called on tcp, not yet back */
};

/* One queued message towards one peer: the write request and its bytes. */
struct frame {
	uv_write_t req;
	struct frame *next;
	struct link *link;
	size_t len;
	char bytes[];
};

/* An IPv4 or IPv6 socket address, with its port. */
union peer_addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/*
 * What the transport keeps for every hostsfile entry, for its whole life:
 * the address and, keyed, the replay window. Everything else (a lookup, a
 * timer, a socket, a queue) is the peer's link, made when first needed and
 * freed once none of it is in use: in a ringed view a member talks TCP to
 * few peers, so at 1024 hosts most entries never have one.
 */
struct peer {
	struct transport *t;
	struct link *link;	/* NULL: no handle, nothing queued */
	unsigned id;
	enum peer_state state;
	unsigned char attempts;	/* failures since the last connect */
	bool numeric;		/* its name is an address: never looked up */
	bool resolved;		/* addr holds an address */
	bool first_lookup_done;
	union peer_addr addr;	/* with the port */
	/* Keyed: the life and counters last opened from this peer. */
	struct seal_replay replay;
};

/*
 * A peer's handles and send queue, while it needs any. It is freed when
 * its timer, its socket and its lookup are all back from libuv, after the
 * peer has given it up (peer_kick, with nothing to do) or at the end.
 */
struct link {
	struct peer *peer;
	bool timer_open;	/* timer not yet closed back */
	bool looking_up;	/* lookup in flight */
	bool tcp_open;		/* tcp initialised, not yet closed back */
	bool tcp_closing;	/* uv_close called on tcp */
	bool shutting_down;	/* uv_shutdown called on tcp */
	uv_timer_t timer;	/* backoff, or the connect timeout */
	uv_getaddrinfo_t lookup;
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_shutdown_t shutdown;
	/* Frames not yet handed to uv_write, oldest first. */
	struct frame *queue_head;
	struct frame *queue_tail;
	/* Bytes queued plus bytes written but not yet called back. */
	size_t queued_bytes;
};

struct inbound {
	uv_tcp_t tcp;
	struct transport *t;
	struct inbound *prev;
	struct inbound *next;
	bool closing;
	bool counted;		/* counts towards INBOUND_CONNS_MAX */
	bool identified;	/* has carried a message that passed */
	struct sockaddr_storage addr;
	char name[ADDR_STR_BYTES];
	char *buf;
	size_t len;
	size_t cap;
};

struct transport {
	uv_loop_t *loop;
	const struct hosts *hosts;
	unsigned self;
	uint16_t port;
	int verbose;
	unsigned drop_udp_percent;
	const struct keyring *keyring;
	uint64_t seal_counter;	/* the last envelope's, this process */
	uint64_t incarnation;	/* cfg's: a codec's frames' life */
	unsigned char seal_salt[SEAL_SALT_BYTES];	/* nonces' first part */
	struct transport_events ev;
	const struct transport_codec *codec;
	void *codec_msg;	/* codec->msg_bytes: the message decoded */
	struct transport_stats stats;
	uint64_t rng;

	struct peer *peers;	/* [1..hosts->count]; [0] unused */
	unsigned first_lookups_left;
	bool grace_over;
	bool bind_done;		/* bound, or failed and reported */
	bool ready;

	uv_timer_t timer;	/* lookup grace, then the drain deadline */
	uv_udp_t udp;
	bool udp_open;
	bool udp_batched;	/* read by transport_udp_read_all, not libuv */
	uv_tcp_t listener;
	bool listener_open;

	struct inbound *inbound;
	unsigned inbound_open;
	unsigned outbound_open;	/* peer tcp handles not yet closed back */
	unsigned pending;	/* handles not closed back, lookups in flight */

	bool closing;
	bool final;		/* every handle is closing */
	void (*done)(void *ctx);
	void *done_ctx;

	char udp_buf[DATAGRAM_BYTES_MAX];
	char recv_bufs[RECV_BATCH][DATAGRAM_BYTES_MAX];
	char discard[DISCARD_BYTES];
	char scratch[FRAME_BYTES_MAX + WIRE_FRAME_HEADER_BYTES];
	/* Keyed: a body after opening, and one before sealing. */
	char plain[FRAME_BYTES_MAX];
	char send_body[FRAME_BYTES_MAX];
};

static void peer_lookup(struct peer *p);
static void peer_kick(struct peer *p);
static void transport_final(struct transport *t);
static void on_peer_timer(uv_timer_t *timer);
static void on_connection(uv_stream_t *server, int status);
static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_udp_read(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *addr, unsigned flags);

/* ---- diagnostics ------------------------------------------------------ */

static void tlog(const struct transport *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tlog(const struct transport *t, const char *fmt, ...)
{
	char line[LOG_LINE_BYTES];
	va_list ap;
	int n;

	if (t->verbose <= 0)
		return;
	n = snprintf(line, sizeof(line), "rollcall[%u]: ", t->self);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line, so lines from peers sharing a tty stay whole. */
	fprintf(stderr, "%s\n", line);
}

static void addr_format(const struct sockaddr *sa, char *buf, size_t cap)
{
	char ip[64] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 =
			(const struct sockaddr_in *)(const void *)sa;
		uv_ip4_name(s4, ip, sizeof(ip));
		snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
			(const struct sockaddr_in6 *)(const void *)sa;
		uv_ip6_name(s6, ip, sizeof(ip));
		snprintf(buf, cap, "[%s]:%u", ip,
			 (unsigned)ntohs(s6->sin6_port));
	} else {
		snprintf(buf, cap, "?");
	}
}

static const struct sockaddr *peer_sa(const struct peer *p)
{
	return &p->addr.sa;
}

/* The IPv4 address of sa, also when it is IPv4-mapped IPv6. */
static bool ip4_of(const struct sockaddr *sa, uint32_t *out)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 =
			(const struct sockaddr_in *)(const void *)sa;
		*out = s4->sin_addr.s_addr;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
			(const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(out, &s6->sin6_addr.s6_addr[12], 4);
			return true;
		}
	}
	return false;
}

/* Whether a and b name the same host; ports are not compared. */
static bool same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	uint32_t a4 = 0, b4 = 0;
	bool a_is4 = ip4_of(a, &a4);
	bool b_is4 = ip4_of(b, &b4);

	if (a_is4 || b_is4)
		return a_is4 && b_is4 && a4 == b4;
	if (a->sa_family != AF_INET6 || b->sa_family != AF_INET6)
		return false;
	return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

/* ---- teardown bookkeeping --------------------------------------------- */

static void finish(struct transport *t)
{
	void (*done)(void *ctx) = t->done;
	void *ctx = t->done_ctx;

	/* Every link was freed as its last handle came back. */
	assert(t->inbound == NULL);
	free(t->peers);
	free(t->codec_msg);
	free(t);
	if (done)
		done(ctx);
}

/* A handle closed back or a lookup returned. May free t: call it last. */
static void pending_done(struct transport *t)
{
	assert(t->pending > 0);
	t->pending--;
	if (t->final && t->pending == 0)
		finish(t);
}

static void on_transport_handle_close(uv_handle_t *h)
{
	struct transport *t = h->data;
	pending_done(t);
}

/* ---- links ------------------------------------------------------------ */

/* p's link, made now if it has none; NULL, logged, without memory. */
static struct link *link_get(struct peer *p)
{
	struct transport *t = p->t;
	struct link *l = p->link;

	if (l != NULL)
		return l;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		tlog(t, "peer %u: out of memory", p->id);
		return NULL;
	}
	l->peer = p;
	uv_timer_init(t->loop, &l->timer);
	l->timer_open = true;
	t->pending++;
	t->stats.links_made++;
	p->link = l;
	return l;
}

/* Free l once libuv holds none of it: its timer, socket and lookup. */
static void link_free_if_done(struct link *l)
{
	struct peer *p = l->peer;
	struct frame *f = l->queue_head;

	if (l->timer_open || l->tcp_open || l->looking_up)
		return;
	while (f) {
		struct frame *next = f->next;
		free(f);
		f = next;
	}
	if (p->link == l)
		p->link = NULL;
	p->t->stats.links_freed++;
	free(l);
}

static void on_link_timer_close(uv_handle_t *h)
{
	struct link *l = container_of(h, struct link, timer);
	struct transport *t = l->peer->t;

	l->timer_open = false;
	link_free_if_done(l);
	pending_done(t);
}

/* Close l's timer (it is never closed twice), freeing l once back. */
static void link_close(struct link *l)
{
	if (!l->timer_open || uv_is_closing((uv_handle_t *)&l->timer))
		return;
	uv_close((uv_handle_t *)&l->timer, on_link_timer_close);
}

/* ---- backoff ----------------------------------------------------------- */

/* splitmix64: jitter needs no quality, only independence between peers. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A delay in [max(MIN, base/2), base], base doubling per failure to MAX. */
static uint64_t backoff_delay_ms(struct transport *t, struct peer *p)
{
	unsigned shift = p->attempts < BACKOFF_SHIFT_MAX ? p->attempts
							 : BACKOFF_SHIFT_MAX;
	uint64_t base = (uint64_t)BACKOFF_MIN_MS << shift;
	uint64_t low;

	if (base > BACKOFF_MAX_MS)
		base = BACKOFF_MAX_MS;
	low = base / 2 < BACKOFF_MIN_MS ? BACKOFF_MIN_MS : base / 2;
	if (p->attempts < BACKOFF_SHIFT_MAX)
		p->attempts++;
	return low + rng_next(&t->rng) % (base - low + 1);
}

/* Wait, then look the name up again (a numeric address: go idle). */
static void peer_backoff(struct peer *p)
{
	struct transport *t = p->t;
	struct link *l = link_get(p);
	uint64_t delay_ms;

	if (l == NULL) {
		/* No timer to wait on: the next send tries again. */
		p->state = PEER_IDLE;
		return;
	}
	delay_ms = backoff_delay_ms(t, p);
	p->state = PEER_BACKOFF;
	tlog(t, "peer %u (%s): next attempt in %llu ms", p->id,
	     t->hosts->names[p->id], (unsigned long long)delay_ms);
	uv_timer_start(&l->timer, on_peer_timer, delay_ms, 0);
}

/* ---- name resolution -------------------------------------------------- */

/* The first IPv4 address in res, else the first IPv6 one. */
static const struct addrinfo *pick_address(const struct addrinfo *res)
{
	const struct addrinfo *v6 = NULL;

	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in))
			return ai;
		if (ai->ai_family == AF_INET6 && !v6 &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in6))
			v6 = ai;
	}
	return v6;
}

static int bind_sockets(struct transport *t, char *reason, size_t cap)
{
	const struct sockaddr *sa = peer_sa(&t->peers[t->self]);
	char name[ADDR_STR_BYTES];
	int rc;

	addr_format(sa, name, sizeof(name));
	rc = uv_udp_init(t->loop, &t->udp);
	if (rc == 0) {
		t->udp.data = t;
		t->udp_open = true;
		t->pending++;
		rc = uv_udp_bind(&t->udp, sa, 0);
	}
	if (rc == 0) {
		rc = uv_tcp_init(t->loop, &t->listener);
		if (rc == 0) {
			t->listener.data = t;
			t->listener_open = true;
			t->pending++;
		}
	}
	/* libuv reports a TCP address in use from listen, not from bind. */
	if (rc == 0)
		rc = uv_tcp_bind(&t->listener, sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&t->listener, LISTEN_BACKLOG,
			       on_connection);
	if (rc == 0 && !t->udp_batched)
		rc = uv_udp_recv_start(&t->udp, on_udp_alloc, on_udp_read);
	if (rc < 0)
		snprintf(reason, cap, "bind %s: %s", name, uv_strerror(rc));
	else
		tlog(t, "listening on %s (tcp and udp)", name);
	return rc;
}

/*
 * Bind once self has an address and every other host has had its first
 * lookup (or the grace has run out). Calls on_ready or on_fatal, either of
 * which may close the transport: callers return right after.
 */
static void maybe_bind(struct transport *t)
{
	char reason[256];

	if (t->bind_done || t->closing || !t->peers[t->self].resolved)
		return;
	if (t->first_lookups_left > 0 && !t->grace_over)
		return;
	t->bind_done = true;
	uv_timer_stop(&t->timer);
	if (bind_sockets(t, reason, sizeof(reason)) < 0) {
		tlog(t, "%s", reason);
		if (t->ev.on_fatal)
			t->ev.on_fatal(t->ev.ctx, reason);
		return;
	}
	t->ready = true;
	for (unsigned id = 1; id <= t->hosts->count; id++)
		peer_kick(&t->peers[id]);
	if (t->ev.on_ready)
		t->ev.on_ready(t->ev.ctx);
}

static void on_grace(uv_timer_t *timer)
{
	struct transport *t = timer->data;

	t->grace_over = true;
	maybe_bind(t);
}

static void lookup_finished(struct peer *p, bool ok)
{
	struct transport *t = p->t;

	if (!p->first_lookup_done) {
		p->first_lookup_done = true;
		t->first_lookups_left--;
	}
	if (!ok) {
		peer_backoff(p);
		return;
	}
	p->state = PEER_IDLE;
	peer_kick(p);
	maybe_bind(t);
}

static void on_lookup(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct link *l = container_of(req, struct link, lookup);
	struct peer *p = l->peer;
	struct transport *t = p->t;
	const struct addrinfo *ai;
	char name[ADDR_STR_BYTES];

	l->looking_up = false;
	if (t->closing) {
		uv_freeaddrinfo(res);
		p->state = PEER_IDLE;
		link_free_if_done(l);
		pending_done(t);
		return;
	}
	t->pending--;
	ai = status == 0 ? pick_address(res) : NULL;
	if (ai) {
		memset(&p->addr, 0, sizeof(p->addr));
		memcpy(&p->addr, ai->ai_addr,
		       ai->ai_family == AF_INET ? sizeof(p->addr.in4)
						: sizeof(p->addr.in6));
		p->resolved = true;
		addr_format(peer_sa(p), name, sizeof(name));
		tlog(t, "peer %u (%s) resolved to %s", p->id,
		     t->hosts->names[p->id], name);
	} else {
		tlog(t, "peer %u (%s): lookup failed: %s", p->id,
		     t->hosts->names[p->id],
		     status < 0 ? uv_strerror(status) : "no IPv4 or IPv6 address");
	}
	uv_freeaddrinfo(res);
	lookup_finished(p, ai != NULL);
}

static void peer_lookup(struct peer *p)
{
	struct transport *t = p->t;
	struct link *l = link_get(p);
	struct addrinfo hints;
	char port[8];
	int rc;

	assert(!p->numeric);
	if (l == NULL) {
		lookup_finished(p, false);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", (unsigned)t->port);
	p->state = PEER_RESOLVING;
	rc = uv_getaddrinfo(t->loop, &l->lookup, on_lookup,
			    t->hosts->names[p->id], port, &hints);
	if (rc < 0) {
		tlog(t, "peer %u (%s): lookup failed: %s", p->id,
		     t->hosts->names[p->id], uv_strerror(rc));
		lookup_finished(p, false);
		return;
	}
	l->looking_up = true;
	t->stats.lookups_started++;
	t->pending++;
}

/*
 * A name that is an IPv4 or IPv6 address is its own lookup: it needs no
 * uv_getaddrinfo, so no threadpool thread, and it cannot move. 0 when
 * name is one (p->addr then holds it, with the port).
 */
static int addr_parse(const char *name, uint16_t port, union peer_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (uv_ip4_addr(name, port, &out->in4) == 0)
		return 0;
	memset(out, 0, sizeof(*out));
	return uv_ip6_addr(name, port, &out->in6);
}

/* ---- outbound connections --------------------------------------------- */

static void on_peer_close(uv_handle_t *h)
{
	struct link *l = container_of(h, struct link, tcp);
	struct peer *p = l->peer;
	struct transport *t = p->t;

	l->tcp_open = false;
	l->tcp_closing = false;
	l->shutting_down = false;
	p->state = PEER_IDLE;
	t->outbound_open--;
	if (t->closing) {
		if (!t->final && t->outbound_open == 0)
			transport_final(t);
		link_free_if_done(l);
		pending_done(t);
		return;
	}
	t->pending--;
	peer_backoff(p);
}

static void peer_close_tcp(struct peer *p)
{
	struct link *l = p->link;

	if (l == NULL || !l->tcp_open || l->tcp_closing)
		return;
	uv_timer_stop(&l->timer);
	l->tcp_closing = true;
	p->state = PEER_CLOSING;
	uv_close((uv_handle_t *)&l->tcp, on_peer_close);
}

static void peer_fail(struct peer *p, const char *what, int err)
{
	struct transport *t = p->t;
	struct link *l = p->link;

	if (l == NULL || !l->tcp_open || l->tcp_closing)
		return;
	tlog(t, "peer %u (%s): %s: %s", p->id, t->hosts->names[p->id], what,
	     err == UV_EOF ? "closed by peer" : uv_strerror(err));
	peer_close_tcp(p);
}

static void on_write(uv_write_t *req, int status)
{
	struct frame *f = container_of(req, struct frame, req);
	struct link *l = f->link;

	l->queued_bytes -= f->len;
	free(f);
	if (status < 0 && status != UV_ECANCELED)
		peer_fail(l->peer, "write", status);
}

/* Hand f to uv_write; on failure f is freed and the connection closed. */
static void peer_write(struct peer *p, struct frame *f)
{
	struct link *l = p->link;
	uv_buf_t b = uv_buf_init(f->bytes, (unsigned)f->len);
	int rc = uv_write(&f->req, (uv_stream_t *)&l->tcp, &b, 1, on_write);

	if (rc < 0) {
		l->queued_bytes -= f->len;
		free(f);
		peer_fail(p, "write", rc);
	}
}

static void peer_flush(struct peer *p)
{
	struct link *l = p->link;

	while (l->queue_head && p->state == PEER_CONNECTED) {
		struct frame *f = l->queue_head;
		l->queue_head = f->next;
		if (!l->queue_head)
			l->queue_tail = NULL;
		f->next = NULL;
		peer_write(p, f);
	}
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct link *l = container_of(req, struct link, shutdown);

	if (status == UV_ECANCELED)
		return;
	if (status < 0)
		peer_fail(l->peer, "shutdown", status);
	else
		peer_close_tcp(l->peer);
}

/* While closing: send FIN once the writes already queued are done. */
static void peer_shutdown(struct peer *p)
{
	struct link *l = p->link;
	int rc;

	if (p->state != PEER_CONNECTED || l->shutting_down)
		return;
	l->shutting_down = true;
	rc = uv_shutdown(&l->shutdown, (uv_stream_t *)&l->tcp, on_shutdown);
	if (rc < 0)
		peer_fail(p, "shutdown", rc);
}

static void on_out_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct link *l = container_of(h, struct link, tcp);

	(void)suggested;
	buf->base = l->peer->t->discard;
	buf->len = sizeof(l->peer->t->discard);
}

/* Outbound connections are write-only: reading only notices EOF. */
static void on_out_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct link *l = container_of(s, struct link, tcp);

	(void)buf;
	if (nread < 0)
		peer_fail(l->peer, "connection", (int)nread);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct link *l = container_of(req, struct link, connect);
	struct peer *p = l->peer;
	struct transport *t = p->t;
	char name[ADDR_STR_BYTES];
	int rc;

	if (status == UV_ECANCELED || l->tcp_closing)
		return;
	uv_timer_stop(&l->timer);
	if (status < 0) {
		peer_fail(p, "connect", status);
		return;
	}
	p->state = PEER_CONNECTED;
	p->attempts = 0;
	addr_format(peer_sa(p), name, sizeof(name));
	tlog(t, "peer %u (%s): connected to %s", p->id,
	     t->hosts->names[p->id], name);
	rc = uv_read_start((uv_stream_t *)&l->tcp, on_out_alloc, on_out_read);
	if (rc < 0) {
		peer_fail(p, "read", rc);
		return;
	}
	peer_flush(p);
	if (t->closing)
		peer_shutdown(p);
}

/* Open a connection on p's link (it has one: frames wait in it). */
static void peer_connect(struct peer *p)
{
	struct transport *t = p->t;
	struct link *l = p->link;
	union peer_addr src;
	char name[ADDR_STR_BYTES];
	int rc;

	assert(l != NULL);
	rc = uv_tcp_init(t->loop, &l->tcp);
	if (rc < 0) {
		tlog(t, "peer %u: socket: %s", p->id, uv_strerror(rc));
		peer_backoff(p);
		return;
	}
	l->tcp_open = true;
	p->state = PEER_CONNECTING;
	t->pending++;
	t->outbound_open++;
	addr_format(peer_sa(p), name, sizeof(name));
	tlog(t, "peer %u (%s): connecting to %s", p->id,
	     t->hosts->names[p->id], name);
	uv_tcp_nodelay(&l->tcp, 1);

	/* Our hostsfile address as the source, so the receiver's check of
	 * source against sender id passes on hosts with several addresses. */
	src = t->peers[t->self].addr;
	if (src.sa.sa_family == p->addr.sa.sa_family) {
		if (src.sa.sa_family == AF_INET)
			src.in4.sin_port = 0;
		else
			src.in6.sin6_port = 0;
		rc = uv_tcp_bind(&l->tcp, &src.sa, 0);
		if (rc < 0) {
			peer_fail(p, "bind source address", rc);
			return;
		}
	}
	rc = uv_tcp_connect(&l->connect, &l->tcp, peer_sa(p), on_connect);
	if (rc < 0) {
		peer_fail(p, "connect", rc);
		return;
	}
	uv_timer_start(&l->timer, on_peer_timer, CONNECT_TIMEOUT_MS, 0);
}

/*
 * An idle peer connects when there is something to send and somewhere to
 * send it; with nothing to send, it gives its link back. (A name left
 * unresolved for want of memory is looked up again first.)
 */
static void peer_kick(struct peer *p)
{
	struct transport *t = p->t;
	struct link *l = p->link;

	if (l == NULL || p->state != PEER_IDLE || t->closing)
		return;
	if (l->queue_head != NULL) {
		if (p->id == t->self)
			return;
		if (!p->resolved)
			peer_lookup(p);
		else if (t->ready)
			peer_connect(p);
		return;
	}
	if (l->tcp_open || l->looking_up)
		return;
	assert(l->queued_bytes == 0);
	p->link = NULL;
	link_close(l);
}

static void on_peer_timer(uv_timer_t *timer)
{
	struct link *l = container_of(timer, struct link, timer);
	struct peer *p = l->peer;

	if (p->t->closing)
		return;
	if (p->state == PEER_BACKOFF && p->numeric) {
		p->state = PEER_IDLE;
		peer_kick(p);
	} else if (p->state == PEER_BACKOFF) {
		peer_lookup(p);
	} else if (p->state == PEER_CONNECTING) {
		peer_fail(p, "connect", UV_ETIMEDOUT);
	}
}

static void peer_enqueue(struct peer *p, const char *bytes, size_t len)
{
	struct transport *t = p->t;
	struct link *l = link_get(p);
	struct frame *f;

	if (l != NULL && len > SEND_QUEUE_BYTES_MAX - l->queued_bytes) {
		t->stats.dropped_queue_full++;
		tlog(t, "peer %u: send queue full (%zu bytes), message dropped",
		     p->id, l->queued_bytes);
		return;
	}
	f = l != NULL ? malloc(sizeof(*f) + len) : NULL;
	if (!f) {
		t->stats.dropped_queue_full++;
		tlog(t, "peer %u: out of memory, message dropped", p->id);
		/* A link just made for it goes back at once. */
		peer_kick(p);
		return;
	}
	memcpy(f->bytes, bytes, len);
	f->len = len;
	f->link = l;
	f->next = NULL;
	l->queued_bytes += len;
	if (p->state == PEER_CONNECTED) {
		peer_write(p, f);
		return;
	}
	if (l->queue_tail)
		l->queue_tail->next = f;
	else
		l->queue_head = f;
	l->queue_tail = f;
	peer_kick(p);
}

/*
 * A peer we could not reach has just spoken: it is up now. Waiting out the
 * rest of a backoff meant for a dead peer would delay what we owe it (a
 * joiner's first NEWVIEW, say) past its failure deadline, so try at once.
 */
static void peer_heard(struct peer *p)
{
	if (p->state != PEER_BACKOFF || p->id == p->t->self)
		return;
	uv_timer_stop(&p->link->timer);
	p->attempts = 0;
	if (!p->resolved) {
		peer_lookup(p);
		return;
	}
	/* It reached us from the address we know: no need to look it up. */
	p->state = PEER_IDLE;
	peer_kick(p);
}

/* ---- inbound: checks common to TCP and UDP ---------------------------- */

/* Decode with the program's codec, or as a membership message. */
static int decode(struct transport *t, const char *body, size_t len,
		  struct wire_msg *m, unsigned *from, const char **type)
{
	int rc;

	if (t->codec == NULL) {
		rc = wire_decode(body, len, m);
		*from = m->from;
		*type = wire_type_name(m->type);
		return rc;
	}
	*from = 0;
	rc = t->codec->decode(body, len, t->codec_msg, from);
	*type = rc == 0 ? t->codec->type_name(t->codec_msg) : "?";
	return rc;
}

/*
 * Decode, check and hand on one message; true when it passed the checks.
 * May close the transport.
 */
static bool deliver(struct transport *t, const char *body, size_t len,
		    const struct sockaddr *src, const char *via,
		    const struct seal_header *h)
{
	struct wire_msg m;
	struct peer *p;
	char name[ADDR_STR_BYTES];
	const char *type;
	unsigned from;
	int rc;

	rc = decode(t, body, len, &m, &from, &type);
	if (rc < 0) {
		t->stats.dropped_malformed++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped malformed %s message (%zu bytes) from %s: %s",
		     via, len, name, wire_strerror(rc));
		return false;
	}
	if (from < 1 || from > t->hosts->count) {
		t->stats.dropped_stranger++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped %s from unknown peer id %u at %s", type, from,
		     name);
		return false;
	}
	p = &t->peers[from];
	if (!p->resolved || !same_ip(src, peer_sa(p))) {
		t->stats.dropped_spoofed++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped %s claiming peer %u (%s) from %s", type,
		     p->id, t->hosts->names[p->id], name);
		/* The peer may have come back at a new address: look it up
		 * again, no more often than the backoff allows. An address
		 * in the hostsfile cannot move. */
		if (p->state == PEER_IDLE && p->id != t->self && !p->numeric)
			peer_backoff(p);
		return false;
	}
	/* A codec's message carries no life: the envelope's is the
	 * transport's own (cfg.incarnation), checked by the replay rule. */
	if (h != NULL && (h->from != from ||
			  (t->codec == NULL &&
			   h->incarnation != m.incarnation))) {
		/* Only a keyholder can seal: this is a peer's bug, or a
		 * keyholder speaking for another. */
		t->stats.dropped_spoofed++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped %s sealed by peer %u but claiming peer %u "
		     "from %s", type, (unsigned)h->from, p->id, name);
		return false;
	}
	if (h != NULL)
		seal_replay_accept(&p->replay, h);
	if (t->verbose > 1)
		tlog(t, "received %s from peer %u by %s", type, p->id, via);
	peer_heard(p);
	if (t->codec != NULL) {
		if (t->ev.on_decoded)
			t->ev.on_decoded(t->ev.ctx, from, t->codec_msg);
	} else if (t->ev.on_message) {
		t->ev.on_message(t->ev.ctx, &m);
	}
	return true;
}

/*
 * Bytes as they came (a datagram, or a frame's body): with a keyring,
 * open the envelope and apply the replay rule before anything is
 * decoded; without one, refuse an envelope. True when the message passed.
 */
static bool receive(struct transport *t, const char *bytes, size_t len,
		    const struct sockaddr *src, enum seal_channel channel)
{
	const char *via = channel == SEAL_DATAGRAM ? "udp" : "tcp";
	char name[ADDR_STR_BYTES];
	struct seal_header h;
	size_t body_len = 0;
	int rc;

	if (t->keyring == NULL) {
		if (!seal_is_envelope(bytes, len))
			return deliver(t, bytes, len, src, via, NULL);
		t->stats.dropped_sealed++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped sealed %s message (%zu bytes) from %s: this "
		     "peer has no keyring (--keyring)", via, len, name);
		return false;
	}
	if (!seal_is_envelope(bytes, len)) {
		t->stats.dropped_unsealed++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped unsealed %s message (%zu bytes) from %s: this "
		     "peer has a keyring", via, len, name);
		return false;
	}
	rc = seal_open(t->keyring, channel, bytes, len, &h, t->plain,
		       sizeof(t->plain), &body_len, NULL);
	if (rc < 0) {
		t->stats.dropped_unopened++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped %s message (%zu bytes) from %s: %s", via, len,
		     name, seal_strerror(rc));
		return false;
	}
	if (h.to != t->self) {
		t->stats.dropped_spoofed++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped %s message sealed for peer %u from %s", via,
		     (unsigned)h.to, name);
		return false;
	}
	if (h.from < 1 || h.from > t->hosts->count) {
		t->stats.dropped_stranger++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped %s message sealed by unknown peer id %u at %s",
		     via, (unsigned)h.from, name);
		return false;
	}
	rc = seal_replay_check(&t->peers[h.from].replay, &h);
	if (rc < 0) {
		t->stats.dropped_replayed++;
		addr_format(src, name, sizeof(name));
		tlog(t, "dropped %s message sealed by peer %u from %s: %s", via,
		     (unsigned)h.from, name, seal_strerror(rc));
		return false;
	}
	return deliver(t, t->plain, body_len, src, via, &h);
}

/*
 * Encode m into out, leaving room for an envelope when keyed; false,
 * logged, when it cannot be encoded.
 */
static bool encode_body(struct transport *t, const struct wire_msg *m,
			char *out, size_t cap, size_t *len)
{
	int rc;

	if (t->keyring != NULL)
		cap = cap > SEAL_OVERHEAD_BYTES ? cap - SEAL_OVERHEAD_BYTES : 0;
	rc = wire_encode(m, out, cap, len);
	if (rc < 0)
		tlog(t, "cannot encode %s: %s", wire_type_name(m->type),
		     wire_strerror(rc));
	return rc == 0;
}

/* Seal a body from (from, life) for peer to, with the next counter of
 * this process; what names it in the log line when it cannot be. */
static bool seal_to(struct transport *t, unsigned from, uint64_t life,
		    unsigned to, enum seal_channel channel, const char *body,
		    size_t body_len, char *out, size_t cap, size_t *len,
		    const char *what)
{
	struct seal_header h = {
		.channel = channel,
		.from = (uint16_t)from,
		.to = (uint16_t)to,
		.incarnation = life,
		.counter = ++t->seal_counter,
	};
	int rc = seal_box(t->keyring, &h, t->seal_salt, body, body_len, out,
			  cap, len);

	if (rc < 0)
		tlog(t, "cannot seal %s: %s", what, seal_strerror(rc));
	return rc == 0;
}

/* Seal m's body for peer to: its sender and life are the message's. */
static bool seal_for(struct transport *t, const struct wire_msg *m,
		     unsigned to, enum seal_channel channel, const char *body,
		     size_t body_len, char *out, size_t cap, size_t *len)
{
	return seal_to(t, m->from, m->incarnation, to, channel, body,
		       body_len, out, cap, len, wire_type_name(m->type));
}

/* ---- inbound TCP ------------------------------------------------------ */

static void on_inbound_close(uv_handle_t *h)
{
	struct inbound *c = container_of(h, struct inbound, tcp);
	struct transport *t = c->t;

	if (c->prev)
		c->prev->next = c->next;
	else
		t->inbound = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->buf);
	free(c);
	pending_done(t);
}

static void inbound_close(struct inbound *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->counted)
		c->t->inbound_open--;
	uv_close((uv_handle_t *)&c->tcp, on_inbound_close);
}

static void on_inbound_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct inbound *c = container_of(h, struct inbound, tcp);
	struct transport *t = c->t;

	(void)suggested;
	if (t->closing || c->closing) {
		buf->base = t->discard;
		buf->len = sizeof(t->discard);
		return;
	}
	if (c->cap - c->len < INBOUND_BUF_BYTES_MIN &&
	    c->cap < INBOUND_BUF_BYTES_MAX) {
		size_t cap = c->cap ? c->cap * 2 : INBOUND_BUF_BYTES_MIN;
		char *nb;
		if (cap > INBOUND_BUF_BYTES_MAX)
			cap = INBOUND_BUF_BYTES_MAX;
		nb = realloc(c->buf, cap);
		if (nb) {
			c->buf = nb;
			c->cap = cap;
		}
	}
	/* An empty buffer makes libuv report UV_ENOBUFS: the read callback
	 * then closes the connection. */
	buf->base = c->buf ? c->buf + c->len : t->discard;
	buf->len = c->cap - c->len;
}

static void inbound_process(struct inbound *c)
{
	struct transport *t = c->t;
	size_t off = 0;

	while (!t->closing && !c->closing) {
		const char *body;
		size_t body_len, used;
		int rc = wire_frame_next(c->buf + off, c->len - off, &body,
					 &body_len, &used);
		if (rc == 1)
			break;
		if (rc < 0) {
			if (rc == WIRE_ETOOBIG)
				t->stats.conns_oversize++;
			tlog(t, "closing connection from %s: %s", c->name,
			     wire_strerror(rc));
			inbound_close(c);
			return;
		}
		off += used;
		t->stats.frames_in++;
		if (receive(t, body, body_len,
			    (const struct sockaddr *)&c->addr, SEAL_FRAME))
			c->identified = true;
	}
	if (t->closing || c->closing) {
		c->len = 0;
		return;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	/* A buffer is held only while part of a frame waits: a leader has
	 * a connection from every member, and most reads end on a frame's
	 * end. */
	if (c->len == 0) {
		free(c->buf);
		c->buf = NULL;
		c->cap = 0;
	}
}

static void on_inbound_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct inbound *c = container_of(s, struct inbound, tcp);
	struct transport *t = c->t;

	(void)buf;
	if (nread < 0) {
		if (nread != UV_EOF)
			tlog(t, "connection from %s: %s", c->name,
			     uv_strerror((int)nread));
		inbound_close(c);
		return;
	}
	/* While closing, bytes are read and dropped so that closing the
	 * socket later does not answer unread data with a RST. */
	if (nread == 0 || t->closing || c->closing)
		return;
	c->len += (size_t)nread;
	inbound_process(c);
}

/*
 * The table is full: close the oldest connection that never carried a
 * message that passed the checks. A peer sends as soon as it connects, so
 * what is never identified is a stranger's, and it must not keep a peer
 * that needs to reconnect out. False when every connection is a peer's.
 */
static bool inbound_evict(struct transport *t)
{
	struct inbound *oldest = NULL;
	for (struct inbound *c = t->inbound; c; c = c->next)
		if (c->counted && !c->closing && !c->identified)
			oldest = c;
	if (!oldest)
		return false;
	t->stats.conns_evicted++;
	tlog(t, "closed idle connection from %s to make room", oldest->name);
	inbound_close(oldest);
	return true;
}

/* Whether two socket addresses name the same host (the port aside). */
static bool addr_same_host(const struct sockaddr_storage *a,
			   const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)
			       ->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)
			       ->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)
				       ->sin6_addr,
			      &((const struct sockaddr_in6 *)(const void *)b)
				       ->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

/*
 * One address may hold at most INBOUND_PER_SOURCE_MAX connections: past
 * it, its oldest goes (a peer's newest connection is the one it uses), so
 * one stranger cannot fill the table however many it opens.
 */
static void inbound_cap_source(struct transport *t, const struct inbound *c)
{
	struct inbound *oldest = NULL;
	unsigned open = 0;
	for (struct inbound *o = t->inbound; o; o = o->next) {
		if (o == c || !o->counted || o->closing ||
		    !addr_same_host(&o->addr, &c->addr))
			continue;
		open++;
		oldest = o;
	}
	if (open < INBOUND_PER_SOURCE_MAX)
		return;
	t->stats.conns_source_capped++;
	tlog(t, "closed oldest of %u connections from %s", open, c->name);
	inbound_close(oldest);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct transport *t = server->data;
	struct inbound *c;
	int namelen;
	int rc;

	if (status < 0) {
		tlog(t, "accept: %s", uv_strerror(status));
		return;
	}
	/* Without memory the connection stays in the backlog; libuv offers
	 * it again once one is accepted. */
	c = calloc(1, sizeof(*c));
	if (!c) {
		tlog(t, "accept: out of memory");
		return;
	}
	c->t = t;
	rc = uv_tcp_init(t->loop, &c->tcp);
	if (rc < 0) {
		tlog(t, "accept: %s", uv_strerror(rc));
		free(c);
		return;
	}
	t->pending++;
	c->next = t->inbound;
	if (c->next)
		c->next->prev = c;
	t->inbound = c;
	snprintf(c->name, sizeof(c->name), "?");
	rc = uv_accept(server, (uv_stream_t *)&c->tcp);
	if (rc == 0) {
		namelen = (int)sizeof(c->addr);
		rc = uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->addr,
					&namelen);
	}
	if (rc < 0) {
		tlog(t, "accept: %s", uv_strerror(rc));
		inbound_close(c);
		return;
	}
	addr_format((const struct sockaddr *)&c->addr, c->name,
		    sizeof(c->name));
	inbound_cap_source(t, c);
	if (t->inbound_open >= INBOUND_CONNS_MAX && !inbound_evict(t)) {
		t->stats.conns_refused++;
		tlog(t, "refused connection from %s: %u open", c->name,
		     t->inbound_open);
		inbound_close(c);
		return;
	}
	c->counted = true;
	t->inbound_open++;
	rc = uv_read_start((uv_stream_t *)&c->tcp, on_inbound_alloc,
			   on_inbound_read);
	if (rc < 0) {
		tlog(t, "connection from %s: %s", c->name, uv_strerror(rc));
		inbound_close(c);
		return;
	}
	tlog(t, "accepted connection from %s", c->name);
}

/* ---- UDP --------------------------------------------------------------- */

static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct transport *t = h->data;

	(void)suggested;
	buf->base = t->udp_buf;
	buf->len = sizeof(t->udp_buf);
}

static void on_udp_read(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *addr, unsigned flags)
{
	/* Also called by transport_udp_read_all, as libuv would. */
	struct transport *t = h->data;
	char name[ADDR_STR_BYTES];

	if (nread < 0) {
		tlog(t, "udp receive: %s", uv_strerror((int)nread));
		return;
	}
	if (!addr || t->closing)
		return;
	t->stats.datagrams_in++;
	if (t->drop_udp_percent > 0 &&
	    rng_next(&t->rng) % 100 < t->drop_udp_percent) {
		t->stats.dropped_test_loss++;
		return;
	}
	if (flags & UV_UDP_PARTIAL) {
		t->stats.dropped_malformed++;
		addr_format(addr, name, sizeof(name));
		tlog(t, "dropped datagram over %d bytes from %s",
		     DATAGRAM_BYTES_MAX, name);
		return;
	}
	receive(t, buf->base, (size_t)nread, addr, SEAL_DATAGRAM);
}

/* One message's datagrams, each with its address and (keyed) its own
 * envelope, sent together. */
struct datagram_batch {
	struct mmsghdr msg[DATAGRAM_BATCH];
	struct iovec iov[DATAGRAM_BATCH];
	unsigned to[DATAGRAM_BATCH];
	char env[DATAGRAM_BATCH][DATAGRAM_BYTES_MAX];
	unsigned count;
};

/*
 * Send the batch with as few system calls as the socket allows: a
 * datagram the kernel refuses is logged and dropped, as an immediate
 * send's would be, and the rest still go. (libuv 1.50's uv_udp_try_send2
 * does this; Debian bookworm's libuv is 1.44, so the call is made on the
 * handle's socket here.)
 */
static void flush_datagrams(struct transport *t, struct datagram_batch *b,
			    const struct wire_msg *m)
{
	uv_os_fd_t fd;
	unsigned i = 0;

	if (b->count == 0 || uv_fileno((const uv_handle_t *)&t->udp, &fd) < 0) {
		b->count = 0;
		return;
	}
	while (i < b->count) {
		int n = sendmmsg(fd, &b->msg[i], b->count - i, 0);

		t->stats.datagram_sends++;
		if (n > 0) {
			i += (unsigned)n;
			t->stats.datagrams_out += (unsigned)n;
		} else if (errno != EINTR) {
			tlog(t, "peer %u: %s dropped: %s", b->to[i],
			     wire_type_name(m->type),
			     uv_strerror(uv_translate_sys_error(errno)));
			i++;
		}
	}
	b->count = 0;
}

/* Datagrams are unreliable by design: anything but an immediate send is
 * dropped, so nothing queues behind a slow or absent peer. */
void transport_send_datagram(struct transport *t, const struct peerset *to,
			     const struct wire_msg *m)
{
	char body[DATAGRAM_BYTES_MAX];
	struct datagram_batch batch;
	size_t body_len;

	if (t->closing || !t->ready)
		return;
	if (!encode_body(t, m, body, sizeof(body), &body_len))
		return;
	batch.count = 0;
	peerset_foreach(to, id) {
		struct iovec *iov = &batch.iov[batch.count];
		struct peer *p;
		size_t len;

		if (id == t->self || id > t->hosts->count)
			continue;
		p = &t->peers[id];
		if (!p->resolved)
			continue;
		iov->iov_base = body;
		iov->iov_len = body_len;
		/* Sealed for each peer: an envelope opens only where it was
		 * sent. */
		if (t->keyring != NULL) {
			char *env = batch.env[batch.count];
			if (!seal_for(t, m, id, SEAL_DATAGRAM, body, body_len,
				      env, DATAGRAM_BYTES_MAX, &len)) {
				flush_datagrams(t, &batch, m);
				return;
			}
			iov->iov_base = env;
			iov->iov_len = len;
		}
		batch.msg[batch.count] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &p->addr.sa,
			.msg_namelen = p->addr.sa.sa_family == AF_INET6 ?
				sizeof(struct sockaddr_in6) :
				sizeof(struct sockaddr_in),
			.msg_iov = iov,
			.msg_iovlen = 1,
		} };
		batch.to[batch.count++] = id;
		if (batch.count == DATAGRAM_BATCH)
			flush_datagrams(t, &batch, m);
	}
	flush_datagrams(t, &batch, m);
}

/* ---- the API ----------------------------------------------------------- */

int transport_new(struct transport **out, const struct transport_config *cfg,
		  const struct transport_events *ev)
{
	struct transport *t;
	unsigned count;

	assert(out && cfg && ev);
	*out = NULL;
	if (!cfg->loop || !cfg->hosts || cfg->self < 1 ||
	    cfg->self > cfg->hosts->count)
		return UV_EINVAL;
	count = cfg->hosts->count;
	t = calloc(1, sizeof(*t));
	if (!t)
		return UV_ENOMEM;
	t->peers = calloc(count + 1, sizeof(*t->peers));
	if (cfg->codec != NULL)
		t->codec_msg = malloc(cfg->codec->msg_bytes);
	if (!t->peers || (cfg->codec != NULL && !t->codec_msg)) {
		free(t->peers);
		free(t);
		return UV_ENOMEM;
	}
	t->codec = cfg->codec;
	t->loop = cfg->loop;
	t->hosts = cfg->hosts;
	t->self = cfg->self;
	t->port = cfg->port;
	t->verbose = cfg->verbose;
	t->drop_udp_percent = cfg->drop_udp_percent;
	t->keyring = cfg->keyring;
	t->incarnation = cfg->incarnation;
	if (t->keyring != NULL)
		randombytes_buf(t->seal_salt, sizeof(t->seal_salt));
	t->ev = *ev;
	t->rng = uv_hrtime() ^ ((uint64_t)cfg->self * UINT64_C(0x9e3779b97f4a7c15));
	for (unsigned id = 1; id <= count; id++) {
		struct peer *p = &t->peers[id];
		p->t = t;
		p->id = id;
		p->state = PEER_IDLE;
		if (addr_parse(cfg->hosts->names[id], cfg->port, &p->addr) == 0) {
			p->numeric = true;
			p->resolved = true;
			p->first_lookup_done = true;
		} else {
			t->first_lookups_left++;
		}
	}

	/* With every name an address, binding waits for nothing; it still
	 * happens from the loop, so that no user callback runs from here. */
	uv_timer_init(t->loop, &t->timer);
	t->timer.data = t;
	t->pending++;
	uv_timer_start(&t->timer, on_grace,
		       t->first_lookups_left > 0 ? LOOKUP_GRACE_MS : 0, 0);
	for (unsigned id = 1; id <= count; id++)
		if (!t->peers[id].numeric)
			peer_lookup(&t->peers[id]);
	*out = t;
	return 0;
}

void transport_send(struct transport *t, const struct peerset *to,
		    const struct wire_msg *m)
{
	size_t len;

	if (t->closing)
		return;
	/* Unkeyed, the body is encoded in place behind its length prefix
	 * and the same frame goes to every peer; keyed, it is sealed for
	 * each peer in turn. */
	char *body = t->keyring != NULL ? t->send_body
					: t->scratch + WIRE_FRAME_HEADER_BYTES;
	size_t body_len;
	if (!encode_body(t, m, body, FRAME_BYTES_MAX, &body_len))
		return;
	len = body_len;
	if (t->verbose > 1)
		tlog(t, "sending %s (%zu bytes)", wire_type_name(m->type),
		     len + WIRE_FRAME_HEADER_BYTES);
	peerset_foreach(to, id) {
		if (id == t->self || id > t->hosts->count)
			continue;
		if (t->keyring != NULL &&
		    !seal_for(t, m, id, SEAL_FRAME, body, body_len,
			      t->scratch + WIRE_FRAME_HEADER_BYTES,
			      FRAME_BYTES_MAX, &len))
			return;
		wire_frame_prefix(t->scratch, len);
		peer_enqueue(&t->peers[id], t->scratch,
			     len + WIRE_FRAME_HEADER_BYTES);
	}
}

void transport_send_frame(struct transport *t, const struct peerset *to,
			  const char *frame, size_t len)
{
	size_t sealed;

	if (t->closing)
		return;
	assert(len >= WIRE_FRAME_HEADER_BYTES && len <= sizeof(t->scratch));
	peerset_foreach(to, id) {
		if (id == t->self || id > t->hosts->count)
			continue;
		if (t->keyring == NULL) {
			peer_enqueue(&t->peers[id], frame, len);
			continue;
		}
		/* Keyed: the body sealed for each peer, from this peer in
		 * this process's life, behind a new length prefix. */
		if (!seal_to(t, t->self, t->incarnation, id, SEAL_FRAME,
			     frame + WIRE_FRAME_HEADER_BYTES,
			     len - WIRE_FRAME_HEADER_BYTES,
			     t->scratch + WIRE_FRAME_HEADER_BYTES,
			     FRAME_BYTES_MAX, &sealed, "a frame"))
			return;
		wire_frame_prefix(t->scratch, sealed);
		peer_enqueue(&t->peers[id], t->scratch,
			     sealed + WIRE_FRAME_HEADER_BYTES);
	}
}

/* Close every handle still open; finish() runs after the last one. */
static void transport_final(struct transport *t)
{
	if (t->final)
		return;
	t->final = true;
	uv_close((uv_handle_t *)&t->timer, on_transport_handle_close);
	for (unsigned id = 1; id <= t->hosts->count; id++) {
		struct peer *p = &t->peers[id];
		if (p->link == NULL)
			continue;
		peer_close_tcp(p);
		link_close(p->link);
	}
	for (struct inbound *c = t->inbound; c; c = c->next)
		inbound_close(c);
}

static void on_drain_timeout(uv_timer_t *timer)
{
	struct transport *t = timer->data;

	tlog(t, "%u outbound connections did not drain in %d ms; closing",
	     t->outbound_open, DRAIN_TIMEOUT_MS);
	transport_final(t);
}

void transport_close(struct transport *t, void (*done)(void *ctx), void *ctx)
{
	assert(!t->closing);
	t->closing = true;
	t->done = done;
	t->done_ctx = ctx;
	tlog(t, "closing");
	uv_timer_stop(&t->timer);
	if (t->udp_open)
		uv_close((uv_handle_t *)&t->udp, on_transport_handle_close);
	if (t->listener_open)
		uv_close((uv_handle_t *)&t->listener,
			 on_transport_handle_close);
	for (unsigned id = 1; id <= t->hosts->count; id++) {
		struct peer *p = &t->peers[id];
		struct link *l = p->link;
		if (l == NULL)
			continue;
		uv_timer_stop(&l->timer);
		if (p->state == PEER_RESOLVING)
			uv_cancel((uv_req_t *)&l->lookup);
		else if (p->state == PEER_CONNECTED)
			peer_shutdown(p);
		else if ((p->state == PEER_BACKOFF || p->state == PEER_IDLE) &&
			 l->queue_head && p->resolved && id != t->self) {
			/* One last try within the drain: a crashing leader's
			 * final messages (-t's REQs) must not wait on a backoff. */
			p->state = PEER_IDLE;
			peer_connect(p);
		}
	}
	if (t->outbound_open == 0)
		transport_final(t);
	else
		uv_timer_start(&t->timer, on_drain_timeout, DRAIN_TIMEOUT_MS,
			       0);
}

bool transport_backlogged(const struct transport *t, unsigned id)
{
	if (id < 1 || id > t->hosts->count)
		return false;
	return t->peers[id].link != NULL &&
	       t->peers[id].link->queue_head != NULL;
}

const struct transport_stats *transport_stats(const struct transport *t)
{
	return &t->stats;
}

/* ---- batched UDP reading ------------------------------------------------ */

void transport_udp_batch(struct transport *t, bool batched)
{
	if (t->udp_batched == batched)
		return;
	t->udp_batched = batched;
	/* Before the bind, the bind starts libuv's reading or not. */
	if (!t->bind_done || !t->udp_open || t->closing)
		return;
	int rc = batched ? uv_udp_recv_stop(&t->udp)
			 : uv_udp_recv_start(&t->udp, on_udp_alloc,
					     on_udp_read);
	if (rc < 0)
		tlog(t, "udp %s: %s", batched ? "recv_stop" : "recv_start",
		     uv_strerror(rc));
}

void transport_udp_read_all(struct transport *t)
{
	uv_os_fd_t fd;
	if (!t->udp_batched || !t->bind_done || !t->udp_open || t->closing ||
	    uv_fileno((const uv_handle_t *)&t->udp, &fd) != 0)
		return;
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct sockaddr_storage from[RECV_BATCH];
	for (unsigned total = 0; total < RECV_ALL_MAX;) {
		for (unsigned i = 0; i < RECV_BATCH; i++) {
			iov[i].iov_base = t->recv_bufs[i];
			iov[i].iov_len = sizeof(t->recv_bufs[i]);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				tlog(t, "udp receive: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n && !t->closing && t->udp_batched; i++) {
			uv_buf_t buf = uv_buf_init(t->recv_bufs[i],
						   sizeof(t->recv_bufs[i]));
			unsigned flags = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
						 ? UV_UDP_PARTIAL
						 : 0;
			on_udp_read(&t->udp, (ssize_t)msgs[i].msg_len, &buf,
				    (const struct sockaddr *)&from[i], flags);
		}
		total += (unsigned)n;
		if (n < RECV_BATCH || t->closing || !t->udp_batched)
			return;
	}
}
