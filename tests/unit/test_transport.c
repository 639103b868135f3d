/*
 * Unit tests for the transport (common/transport.c), over real sockets.
 *
 * One process, one uv loop: peers 1..3 live on 127.0.0.1..127.0.0.3 with
 * the same port (derived from the pid, so parallel runs rarely clash), and
 * raw libuv clients on 127.0.0.9 play strangers and attackers. Every wait
 * runs the loop under a deadline timer that fails the test instead of
 * hanging. Each test ends by closing every transport, checking that done
 * was called and that uv_loop_close then returns 0.
 *
 * TRANSPORT_VERBOSE=1 (or 2) in the environment turns on the transports'
 * diagnostics.
 */
#include <setjmp.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "../../common/hosts.h"
#include "../../common/keyring.h"
#include "../../common/seal.h"
#include "../../common/bounds.h"
#include "../../common/peerset.h"
#include "../../common/transport.h"
#include "../../common/wire.h"
#include "../../common/wire_paxos.h"

#define HOSTS_TEXT "127.0.0.1\n127.0.0.2\n127.0.0.3\n"
#define STRANGER_IP "127.0.0.9"
#define WAIT_MS 5000
#define WAIT_TICK_MS 10
#define NODES_MAX 5
#define MSGS_MAX 16
#define RAW_BATCH 64
#define PORT_BASE 12000
#define PORT_SLOTS 1200
#define PORTS_PER_RUN 16

struct fixture;

struct node {
	struct fixture *fx;
	unsigned self;
	struct transport *t;
	int ready;
	int fatal;
	char fatal_reason[256];
	unsigned msgs_count;
	struct wire_msg msgs[MSGS_MAX];
	bool close_on_message;
	/* With the Paxos codec: what on_decoded got. */
	unsigned decoded_count;
	unsigned decoded_from;
	struct paxos_msg decoded;
	bool closing;
	bool closed;
};

struct fixture {
	uv_loop_t loop;
	struct hosts hosts;
	uint16_t port;
	int verbose;
	struct node nodes[NODES_MAX];
	uv_timer_t deadline;	/* ticks every WAIT_TICK_MS while waiting */
	unsigned waited_ms;
	bool timed_out;
	uv_timer_t pause;
	bool paused_done;
};

static unsigned test_index;

/* ---- the loop, bounded ---------------------------------------------- */

/*
 * The deadline ticks: a condition that a timer's callback makes true is
 * seen within a tick, where a single WAIT_MS timer would leave the loop
 * asleep in its poll until then, with nothing else to wake it.
 */
static void on_deadline(uv_timer_t *timer)
{
	struct fixture *fx = timer->data;
	fx->waited_ms += WAIT_TICK_MS;
	if (fx->waited_ms >= WAIT_MS)
		fx->timed_out = true;
}

static void wait_begin(struct fixture *fx)
{
	fx->timed_out = false;
	fx->waited_ms = 0;
	uv_timer_start(&fx->deadline, on_deadline, WAIT_TICK_MS, WAIT_TICK_MS);
}

static void wait_end(struct fixture *fx)
{
	uv_timer_stop(&fx->deadline);
}

/* Run the loop until cond holds; fail the test after WAIT_MS. */
#define WAIT_UNTIL(fx, cond)                                           \
	do {                                                           \
		wait_begin(fx);                                        \
		while (!(cond) && !(fx)->timed_out)                    \
			uv_run(&(fx)->loop, UV_RUN_ONCE);              \
		wait_end(fx);                                          \
		if (!(cond))                                           \
			fail_msg("timed out waiting for: %s", #cond);  \
	} while (0)

static void on_pause(uv_timer_t *timer)
{
	struct fixture *fx = timer->data;
	fx->paused_done = true;
}

/* Let the loop run for ms milliseconds. */
static void run_for(struct fixture *fx, uint64_t ms)
{
	fx->paused_done = false;
	uv_timer_start(&fx->pause, on_pause, ms, 0);
	WAIT_UNTIL(fx, fx->paused_done);
}

/* ---- transports under test ------------------------------------------ */

static void on_ready(void *ctx)
{
	struct node *n = ctx;
	n->ready++;
}

static void on_closed(void *ctx)
{
	struct node *n = ctx;
	n->closed = true;
	n->t = NULL;
}

static void node_close(struct node *n)
{
	if (n->t && !n->closing) {
		n->closing = true;
		transport_close(n->t, on_closed, n);
	}
}

static void on_message(void *ctx, const struct wire_msg *m)
{
	struct node *n = ctx;

	assert_false(n->closing);
	if (n->msgs_count < MSGS_MAX)
		n->msgs[n->msgs_count] = *m;
	n->msgs_count++;
	if (n->close_on_message)
		node_close(n);
}

static void on_fatal(void *ctx, const char *reason)
{
	struct node *n = ctx;
	n->fatal++;
	snprintf(n->fatal_reason, sizeof(n->fatal_reason), "%s", reason);
}

static void on_decoded(void *ctx, unsigned from, const void *msg)
{
	struct node *n = ctx;

	n->decoded_count++;
	n->decoded_from = from;
	n->decoded = *(const struct paxos_msg *)msg;
}

static int paxos_decode(const char *body, size_t len, void *msg,
			unsigned *from)
{
	int rc = wire_paxos_decode(body, len, msg);

	*from = rc == 0 ? ((struct paxos_msg *)msg)->from : 0;
	return rc;
}

static const char *paxos_type_name(const void *msg)
{
	return wire_paxos_type_name(((const struct paxos_msg *)msg)->type);
}

/* The keyring the next node_start* gives its transport (NULL: none). */
static const struct keyring *next_keyring;

/* Another program's messages: the Paxos lab's codec. */
static const struct transport_codec paxos_codec = {
	.msg_bytes = sizeof(struct paxos_msg),
	.decode = paxos_decode,
	.type_name = paxos_type_name,
};

/* Start a transport for peer self in slot i of the fixture; codec NULL
 * for membership messages. */
static struct node *node_start_codec(struct fixture *fx, unsigned i,
				     unsigned self,
				     const struct transport_codec *codec)
{
	struct node *n = &fx->nodes[i];
	struct transport_config cfg = {
		.loop = &fx->loop,
		.hosts = &fx->hosts,
		.self = self,
		.port = fx->port,
		.verbose = fx->verbose,
		.codec = codec,
		.keyring = next_keyring,
		.incarnation = 1000 + self,
	};
	struct transport_events ev = {
		.ctx = n,
		.on_ready = on_ready,
		.on_message = on_message,
		.on_decoded = on_decoded,
		.on_fatal = on_fatal,
	};

	assert_null(n->t);
	memset(n, 0, sizeof(*n));
	n->fx = fx;
	n->self = self;
	assert_int_equal(transport_new(&n->t, &cfg, &ev), 0);
	assert_non_null(n->t);
	return n;
}

static struct node *node_start_in(struct fixture *fx, unsigned i,
				  unsigned self)
{
	return node_start_codec(fx, i, self, NULL);
}

static struct node *node_start(struct fixture *fx, unsigned self)
{
	return node_start_in(fx, self, self);
}

static struct node *node_start_ready(struct fixture *fx, unsigned self)
{
	struct node *n = node_start(fx, self);
	WAIT_UNTIL(fx, n->ready == 1);
	assert_int_equal(n->fatal, 0);
	return n;
}

/* As the core sends: HEARTBEAT by datagram, the rest by TCP. */
static void send_to(struct node *from, unsigned to, const struct wire_msg *m)
{
	struct peerset set;
	peerset_clear(&set);
	peerset_add(&set, to);
	if (m->type == WIRE_HEARTBEAT)
		transport_send_datagram(from->t, &set, m);
	else
		transport_send(from->t, &set, m);
}

static struct wire_msg make_req(unsigned from, uint32_t request_id)
{
	struct wire_msg m;
	memset(&m, 0, sizeof(m));
	m.incarnation = 1;
	m.type = WIRE_REQ;
	m.from = (uint16_t)from;
	m.view_id = 7;
	m.request_id = request_id;
	m.op = WIRE_OP_ADD;
	m.peer = 3;
	m.leader = (uint16_t)from;
	return m;
}

static const struct transport_stats *stats(const struct node *n)
{
	return transport_stats(n->t);
}

static bool all_closed(const struct fixture *fx)
{
	for (unsigned i = 0; i < NODES_MAX; i++)
		if (fx->nodes[i].t && !fx->nodes[i].closed)
			return false;
	return true;
}

/* Close every transport, wait for done, and require a clean loop. */
static void close_all_and_check(struct fixture *fx)
{
	for (unsigned i = 0; i < NODES_MAX; i++)
		node_close(&fx->nodes[i]);
	WAIT_UNTIL(fx, all_closed(fx));
	for (unsigned i = 0; i < NODES_MAX; i++)
		if (fx->nodes[i].closing)
			assert_true(fx->nodes[i].closed);
	uv_close((uv_handle_t *)&fx->deadline, NULL);
	uv_close((uv_handle_t *)&fx->pause, NULL);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	fx->port = 0;	/* tells teardown the loop is gone */
}

/* ---- raw clients from a stranger's address ---------------------------- */

struct raw_tcp {
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	char bytes[512];
	size_t len;
	bool connected;
	bool written;
	bool ended;
	bool closed;
	char discard[256];
};

static void on_raw_close(uv_handle_t *h)
{
	struct raw_tcp *r = h->data;
	r->closed = true;
}

static void on_raw_write(uv_write_t *req, int status)
{
	struct raw_tcp *r = req->data;
	(void)status;
	r->written = true;
}

static void on_raw_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct raw_tcp *r = h->data;
	(void)suggested;
	buf->base = r->discard;
	buf->len = sizeof(r->discard);
}

static void on_raw_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct raw_tcp *r = s->data;
	(void)buf;
	if (nread < 0)
		r->ended = true;
}

static void on_raw_connect(uv_connect_t *req, int status)
{
	struct raw_tcp *r = req->data;
	uv_buf_t b = uv_buf_init(r->bytes, (unsigned)r->len);

	assert_int_equal(status, 0);
	r->connected = true;
	r->write.data = r;
	if (r->len > 0)
		assert_int_equal(uv_write(&r->write, (uv_stream_t *)&r->tcp,
					  &b, 1, on_raw_write), 0);
	assert_int_equal(uv_read_start((uv_stream_t *)&r->tcp, on_raw_alloc,
				       on_raw_read), 0);
}

/* Connect from STRANGER_IP to peer `to` and send r->bytes. */
static void raw_tcp_send_from(struct fixture *fx, struct raw_tcp *r,
			      unsigned to, const char *src_ip)
{
	struct sockaddr_in src, dst;
	char ip[32];

	snprintf(ip, sizeof(ip), "127.0.0.%u", to);
	assert_int_equal(uv_ip4_addr(src_ip, 0, &src), 0);
	assert_int_equal(uv_ip4_addr(ip, fx->port, &dst), 0);
	assert_int_equal(uv_tcp_init(&fx->loop, &r->tcp), 0);
	r->tcp.data = r;
	r->connect.data = r;
	assert_int_equal(uv_tcp_bind(&r->tcp, (const struct sockaddr *)&src, 0),
			 0);
	assert_int_equal(uv_tcp_connect(&r->connect, &r->tcp,
					(const struct sockaddr *)&dst,
					on_raw_connect), 0);
}

static void raw_tcp_send(struct fixture *fx, struct raw_tcp *r, unsigned to)
{
	raw_tcp_send_from(fx, r, to, STRANGER_IP);
}

static void raw_tcp_close(struct fixture *fx, struct raw_tcp *r)
{
	uv_close((uv_handle_t *)&r->tcp, on_raw_close);
	WAIT_UNTIL(fx, r->closed);
}

/* ---- fixtures --------------------------------------------------------- */

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];
	const char *v = getenv("TRANSPORT_VERBOSE");

	if (!fx)
		return -1;
	if (uv_loop_init(&fx->loop) != 0)
		return -1;
	if (hosts_parse(&fx->hosts, HOSTS_TEXT, strlen(HOSTS_TEXT), "test",
			err, sizeof(err)) != 0) {
		fprintf(stderr, "hosts_parse: %s\n", err);
		return -1;
	}
	/* A port per test and per pid, inside 12000..31199: below the kernel's
	 * ephemeral range (32768 and up), which other sockets may hold. */
	fx->port = (uint16_t)(PORT_BASE +
			      ((unsigned)getpid() % PORT_SLOTS) * PORTS_PER_RUN +
			      test_index++ % PORTS_PER_RUN);
	fx->verbose = v ? atoi(v) : 0;
	uv_timer_init(&fx->loop, &fx->deadline);
	fx->deadline.data = fx;
	uv_timer_init(&fx->loop, &fx->pause);
	fx->pause.data = fx;
	*state = fx;
	return 0;
}

static void close_any(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Clean up after a test that failed before close_all_and_check. */
static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = 0;

	if (fx->port != 0) {
		for (unsigned i = 0; i < NODES_MAX; i++)
			node_close(&fx->nodes[i]);
		wait_begin(fx);
		while (!all_closed(fx) && !fx->timed_out)
			uv_run(&fx->loop, UV_RUN_ONCE);
		/* The test's own handles (timers, raw clients) are left. */
		uv_walk(&fx->loop, close_any, NULL);
		uv_run(&fx->loop, UV_RUN_DEFAULT);
		rc = uv_loop_close(&fx->loop) == 0 ? 0 : -1;
	}
	hosts_destroy(&fx->hosts);
	free(fx);
	return rc;
}

/* ---- tests ------------------------------------------------------------- */

static void test_req_by_tcp(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_ready(fx, 1);
	struct node *b = node_start_ready(fx, 2);
	struct wire_msg m = make_req(1, 42);
	struct peerset to;

	/* Self and ids past the hostsfile are skipped. */
	peerset_clear(&to);
	peerset_add(&to, 1);
	peerset_add(&to, 2);
	peerset_add(&to, 4);
	peerset_add(&to, HOSTS_MAX);
	transport_send(a->t, &to, &m);
	WAIT_UNTIL(fx, b->msgs_count == 1);
	assert_int_equal(b->msgs[0].type, WIRE_REQ);
	assert_int_equal(b->msgs[0].from, 1);
	assert_int_equal(b->msgs[0].view_id, 7);
	assert_int_equal(b->msgs[0].request_id, 42);
	assert_int_equal(b->msgs[0].op, WIRE_OP_ADD);
	assert_int_equal(b->msgs[0].peer, 3);
	assert_int_equal(stats(b)->frames_in, 1);
	assert_int_equal(stats(b)->datagrams_in, 0);
	assert_int_equal(a->msgs_count, 0);

	/* And back, over b's own outbound connection. */
	m = make_req(2, 43);
	m.type = WIRE_OK;
	send_to(b, 1, &m);
	WAIT_UNTIL(fx, a->msgs_count == 1);
	assert_int_equal(a->msgs[0].type, WIRE_OK);
	assert_int_equal(a->msgs[0].from, 2);
	assert_int_equal(a->msgs[0].request_id, 43);
	close_all_and_check(fx);
}

static void test_heartbeat_by_udp(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_ready(fx, 1);
	struct node *b = node_start_ready(fx, 2);
	struct wire_msg m;

	memset(&m, 0, sizeof(m));
	m.incarnation = 1;
	m.type = WIRE_HEARTBEAT;
	m.leader = 1;
	m.from = 1;
	m.view_id = 9;
	send_to(a, 2, &m);
	WAIT_UNTIL(fx, b->msgs_count == 1);
	assert_int_equal(b->msgs[0].type, WIRE_HEARTBEAT);
	assert_int_equal(b->msgs[0].from, 1);
	assert_int_equal(b->msgs[0].view_id, 9);
	assert_int_equal(stats(b)->datagrams_in, 1);
	assert_int_equal(stats(b)->frames_in, 0);

	/* Any message goes by datagram when sent so: a JOIN probe. */
	struct peerset to;
	peerset_clear(&to);
	peerset_add(&to, 2);
	memset(&m, 0, sizeof(m));
	m.incarnation = 1;
	m.type = WIRE_JOIN;
	m.from = 1;
	m.view_id = 9;
	transport_send_datagram(a->t, &to, &m);
	WAIT_UNTIL(fx, b->msgs_count == 2);
	assert_int_equal(b->msgs[1].type, WIRE_JOIN);
	assert_int_equal(b->msgs[1].from, 1);
	assert_int_equal(stats(b)->datagrams_in, 2);
	assert_int_equal(stats(b)->frames_in, 0);
	close_all_and_check(fx);
}

static void test_big_newview(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_ready(fx, 1);
	struct node *b = node_start_ready(fx, 2);
	struct wire_msg m;

	memset(&m, 0, sizeof(m));
	m.incarnation = 1;
	m.type = WIRE_NEWVIEW;
	m.from = 1;
	m.view_id = 12;
	m.leader = 1;
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		peerset_add(&m.members, id);
	send_to(a, 2, &m);
	send_to(a, 2, &m);
	WAIT_UNTIL(fx, b->msgs_count == 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(b->msgs[i].type, WIRE_NEWVIEW);
		assert_int_equal(b->msgs[i].leader, 1);
		assert_int_equal(b->msgs[i].view_id, 12);
		assert_true(peerset_equal(&b->msgs[i].members, &m.members));
	}
	close_all_and_check(fx);
}

/* ---- keyed transports (--keyring) -------------------------------------- */

static struct keyring ring_of(const char *text)
{
	struct keyring k;
	char err[256];
	assert_int_equal(keyring_parse(&k, text, strlen(text), "keys", err,
				       sizeof(err)), 0);
	return k;
}

#define KEY_A "q83vEjRWeJC6xN3u8QEjRWeJq83vEjRWeJC6xN3u8QE="
#define KEY_B "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static struct wire_msg make_heartbeat(unsigned from, unsigned suspects)
{
	struct wire_msg m;
	memset(&m, 0, sizeof(m));
	m.incarnation = UINT64_MAX;
	m.type = WIRE_HEARTBEAT;
	m.from = (uint16_t)from;
	m.view_id = UINT32_MAX;
	m.ballot = UINT64_MAX;
	m.leader = HOSTS_MAX;
	/* The largest heartbeat: HEARTBEAT_SUSPECTS_MAX ids of 3 bytes, and
	 * HEARTBEAT_HEARD_MAX pairs of 3 and 5. */
	for (unsigned i = 0; i < suspects; i++)
		peerset_add(&m.suspects, HOSTS_MAX - i);
	if (suspects == HEARTBEAT_SUSPECTS_MAX) {
		m.heard_count = HEARTBEAT_HEARD_MAX;
		for (unsigned i = 0; i < HEARTBEAT_HEARD_MAX; i++) {
			m.heard_peer[i] = (uint16_t)(HOSTS_MAX -
						     HEARTBEAT_HEARD_MAX + 1 + i);
			m.heard_age_ms[i] = UINT32_MAX;
		}
	}
	return m;
}

/* Keyed peers talk by TCP and UDP, the largest messages included, and
 * the same message twice is two envelopes (no replay drop). */
static void test_keyed_talk(void **state)
{
	struct fixture *fx = *state;
	struct keyring k = ring_of(KEY_A);
	struct wire_msg big;
	struct node *a, *b;

	next_keyring = &k;
	a = node_start_ready(fx, 1);
	b = node_start_ready(fx, 2);
	next_keyring = NULL;
	struct wire_msg req = make_req(1, 42);
	struct wire_msg hb = make_heartbeat(1, HEARTBEAT_SUSPECTS_MAX);
	/* One sender, one life: an earlier life's frame behind a later
	 * life's datagram would be dropped as that. */
	req.incarnation = hb.incarnation;
	send_to(a, 2, &req);
	send_to(a, 2, &req);
	WAIT_UNTIL(fx, b->msgs_count == 2);
	send_to(a, 2, &hb);
	WAIT_UNTIL(fx, b->msgs_count == 3);
	assert_int_equal(b->msgs[0].request_id, 42);
	assert_int_equal(b->msgs[1].request_id, 42);
	assert_int_equal(b->msgs[2].type, WIRE_HEARTBEAT);
	assert_true(peerset_equal(&b->msgs[2].suspects, &hb.suspects));
	memset(&big, 0, sizeof(big));
	big.incarnation = 1;
	big.type = WIRE_NEWVIEW;
	big.from = 2;
	big.view_id = 12;
	big.leader = 2;
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		peerset_add(&big.members, id);
	send_to(b, 1, &big);
	WAIT_UNTIL(fx, a->msgs_count == 1);
	assert_true(peerset_equal(&a->msgs[0].members, &big.members));
	assert_int_equal(stats(b)->dropped_unopened +
				 stats(b)->dropped_replayed +
				 stats(b)->dropped_unsealed, 0);
	close_all_and_check(fx);
}

/* One heartbeat to several peers goes out in one system call, keyed
 * with an envelope for each, and every peer gets its own. */
static void one_send_for_all(struct fixture *fx, const struct keyring *k)
{
	struct wire_msg hb = make_heartbeat(1, HEARTBEAT_SUSPECTS_MAX);
	struct peerset to;
	struct node *a, *b, *c;

	next_keyring = k;
	a = node_start_ready(fx, 1);
	b = node_start_ready(fx, 2);
	c = node_start_ready(fx, 3);
	next_keyring = NULL;
	peerset_clear(&to);
	peerset_add(&to, 1);
	peerset_add(&to, 2);
	peerset_add(&to, 3);
	transport_send_datagram(a->t, &to, &hb);
	WAIT_UNTIL(fx, b->msgs_count == 1 && c->msgs_count == 1);
	assert_int_equal(b->msgs[0].type, WIRE_HEARTBEAT);
	assert_int_equal(c->msgs[0].type, WIRE_HEARTBEAT);
	assert_true(peerset_equal(&c->msgs[0].suspects, &hb.suspects));
	assert_int_equal(stats(a)->datagrams_out, 2);
	assert_int_equal(stats(a)->datagram_sends, 1);
	assert_int_equal(stats(b)->dropped_unopened + stats(c)->dropped_unopened +
				 stats(b)->dropped_replayed +
				 stats(c)->dropped_replayed, 0);
	close_all_and_check(fx);
}

static void test_one_send_for_all(void **state)
{
	one_send_for_all(*state, NULL);
}

static void test_one_send_for_all_keyed(void **state)
{
	struct keyring k = ring_of(KEY_A);
	one_send_for_all(*state, &k);
}

/*
 * Batched reading: datagrams wait in the socket until
 * transport_udp_read_all takes every one, in order, while TCP is read as
 * it comes; back to unbatched, libuv reads each as it comes again.
 */
static void test_batched_reading(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_ready(fx, 1);
	struct node *b = node_start_ready(fx, 2);
	struct wire_msg req = make_req(1, 42);

	transport_udp_batch(b->t, true);
	for (uint32_t view = 1; view <= 3; view++) {
		struct wire_msg hb = make_heartbeat(1, 0);
		hb.view_id = view;
		send_to(a, 2, &hb);
	}
	send_to(a, 2, &req);
	WAIT_UNTIL(fx, b->msgs_count == 1);
	run_for(fx, 100);
	assert_int_equal(b->msgs_count, 1);
	assert_int_equal(b->msgs[0].type, WIRE_REQ);
	assert_int_equal(stats(b)->datagrams_in, 0);
	transport_udp_read_all(b->t);
	assert_int_equal(b->msgs_count, 4);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(b->msgs[i].type, WIRE_HEARTBEAT);
		assert_int_equal(b->msgs[i].view_id, i);
	}
	assert_int_equal(stats(b)->datagrams_in, 3);
	/* Nothing left: a second read takes nothing. */
	transport_udp_read_all(b->t);
	assert_int_equal(b->msgs_count, 4);

	transport_udp_batch(b->t, false);
	struct wire_msg hb = make_heartbeat(1, 0);
	send_to(a, 2, &hb);
	WAIT_UNTIL(fx, b->msgs_count == 5);
	assert_int_equal(stats(b)->datagrams_in, 4);
	close_all_and_check(fx);
}

/* Keyed, unkeyed and wrong-keyed peers never deliver to each other, and
 * each drop is counted as what it is. */
static void test_keyed_apart(void **state)
{
	struct fixture *fx = *state;
	struct keyring ka = ring_of(KEY_A), kb = ring_of(KEY_B);
	struct wire_msg hb = make_heartbeat(0, 0);
	struct wire_msg req;
	struct node *a, *b, *c;

	next_keyring = &ka;
	a = node_start_ready(fx, 1);
	next_keyring = NULL;
	b = node_start_ready(fx, 2);
	next_keyring = &kb;
	c = node_start_ready(fx, 3);
	next_keyring = NULL;
	for (unsigned from = 1; from <= 3; from++) {
		struct node *n = &fx->nodes[from];
		req = make_req(from, 7);
		hb.from = (uint16_t)from;
		for (unsigned to = 1; to <= 3; to++) {
			if (to == from)
				continue;
			send_to(n, to, &req);
			send_to(n, to, &hb);
		}
	}
	WAIT_UNTIL(fx, stats(a)->dropped_unsealed == 2 &&
			       stats(a)->dropped_unopened == 2 &&
			       stats(b)->dropped_sealed == 4 &&
			       stats(c)->dropped_unsealed == 2 &&
			       stats(c)->dropped_unopened == 2);
	assert_int_equal(a->msgs_count + b->msgs_count + c->msgs_count, 0);
	close_all_and_check(fx);
}

/* Rotation's step 1 against step 2: A,B and B,A open each other. */
static void test_keyed_rotation_step(void **state)
{
	struct fixture *fx = *state;
	struct keyring k1 = ring_of(KEY_A "\n" KEY_B),
		       k2 = ring_of(KEY_B "\n" KEY_A);
	struct wire_msg hb = make_heartbeat(1, 3);
	struct node *a, *b;

	next_keyring = &k1;
	a = node_start_ready(fx, 1);
	next_keyring = &k2;
	b = node_start_ready(fx, 2);
	next_keyring = NULL;
	send_to(a, 2, &hb);
	hb.from = 2;
	send_to(b, 1, &hb);
	WAIT_UNTIL(fx, a->msgs_count == 1 && b->msgs_count == 1);
	close_all_and_check(fx);
}

/* A datagram captured and sent again, from the sender's own address,
 * opens and is dropped as a replay; so is one of an earlier life. */
static void test_keyed_replay(void **state)
{
	struct fixture *fx = *state;
	struct keyring k = ring_of(KEY_A);
	struct wire_msg hb = make_heartbeat(1, 0);
	struct seal_header h = { .channel = SEAL_DATAGRAM, .from = 1, .to = 2,
				 .incarnation = 5, .counter = 10 };
	char body[DATAGRAM_BYTES_MAX], env[DATAGRAM_BYTES_MAX];
	size_t body_len, env_len;
	struct sockaddr_in src, dst;
	uv_udp_t u;
	struct node *b;

	next_keyring = &k;
	b = node_start_ready(fx, 2);
	next_keyring = NULL;
	hb.incarnation = 5;
	assert_int_equal(wire_encode(&hb, body, sizeof(body), &body_len), 0);
	assert_int_equal(seal_box(&k, &h, NULL, body, body_len, env,
				  sizeof(env), &env_len), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &src), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.2", fx->port, &dst), 0);
	assert_int_equal(uv_udp_init(&fx->loop, &u), 0);
	assert_int_equal(uv_udp_bind(&u, (const struct sockaddr *)&src, 0), 0);
	for (unsigned i = 0; i < 3; i++) {
		uv_buf_t buf = uv_buf_init(env, (unsigned)env_len);
		assert_true(uv_udp_try_send(&u, &buf, 1,
					    (const struct sockaddr *)&dst) > 0);
		WAIT_UNTIL(fx, stats(b)->datagrams_in == i + 1);
	}
	assert_int_equal(b->msgs_count, 1);
	assert_int_equal(stats(b)->dropped_replayed, 2);
	/* A later life, then the earlier one with a higher counter. */
	h.incarnation = 6;
	hb.incarnation = 6;
	assert_int_equal(wire_encode(&hb, body, sizeof(body), &body_len), 0);
	assert_int_equal(seal_box(&k, &h, NULL, body, body_len, env,
				  sizeof(env), &env_len), 0);
	uv_buf_t buf = uv_buf_init(env, (unsigned)env_len);
	assert_true(uv_udp_try_send(&u, &buf, 1,
				    (const struct sockaddr *)&dst) > 0);
	WAIT_UNTIL(fx, b->msgs_count == 2);
	h.incarnation = 5;
	h.counter = 99;
	hb.incarnation = 5;
	assert_int_equal(wire_encode(&hb, body, sizeof(body), &body_len), 0);
	assert_int_equal(seal_box(&k, &h, NULL, body, body_len, env,
				  sizeof(env), &env_len), 0);
	buf = uv_buf_init(env, (unsigned)env_len);
	assert_true(uv_udp_try_send(&u, &buf, 1,
				    (const struct sockaddr *)&dst) > 0);
	WAIT_UNTIL(fx, stats(b)->dropped_replayed == 3);
	/* Sealed for peer 3, sent to 2: spoofed. */
	h.incarnation = 6;
	h.counter = 100;
	h.to = 3;
	hb.incarnation = 6;
	assert_int_equal(wire_encode(&hb, body, sizeof(body), &body_len), 0);
	assert_int_equal(seal_box(&k, &h, NULL, body, body_len, env,
				  sizeof(env), &env_len), 0);
	buf = uv_buf_init(env, (unsigned)env_len);
	assert_true(uv_udp_try_send(&u, &buf, 1,
				    (const struct sockaddr *)&dst) > 0);
	WAIT_UNTIL(fx, stats(b)->dropped_spoofed == 1);
	assert_int_equal(b->msgs_count, 2);
	uv_close((uv_handle_t *)&u, NULL);
	close_all_and_check(fx);
}

static void test_sent_before_receiver_listens(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_ready(fx, 1);
	struct node *b;
	struct wire_msg m1 = make_req(1, 1), m2 = make_req(1, 2);

	send_to(a, 2, &m1);
	run_for(fx, 300);	/* refused at least once, now backing off */
	send_to(a, 2, &m2);
	b = node_start(fx, 2);
	WAIT_UNTIL(fx, b->msgs_count == 2);
	assert_int_equal(b->ready, 1);
	assert_int_equal(b->msgs[0].request_id, 1);
	assert_int_equal(b->msgs[1].request_id, 2);
	assert_int_equal(stats(b)->dropped_spoofed, 0);
	close_all_and_check(fx);
}

/*
 * A connection's state lives only while it is used: the sender's link to
 * a peer whose connection closed is freed once its backoff is over with
 * nothing queued, and made again by the next send. An address in the
 * hostsfile is never looked up, failure or not.
 */
static void test_link_freed_and_remade(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_ready(fx, 1);
	struct node *b = node_start_ready(fx, 2);
	struct wire_msg m = make_req(1, 1);

	assert_int_equal(stats(a)->links_made, 0);
	send_to(a, 2, &m);
	WAIT_UNTIL(fx, b->msgs_count == 1);
	assert_int_equal(stats(a)->links_made, 1);
	assert_int_equal(stats(a)->links_freed, 0);

	node_close(b);
	WAIT_UNTIL(fx, b->closed);
	WAIT_UNTIL(fx, stats(a)->links_freed == 1);
	assert_false(transport_backlogged(a->t, 2));

	b = node_start_ready(fx, 2);
	m = make_req(1, 2);
	send_to(a, 2, &m);
	WAIT_UNTIL(fx, b->msgs_count == 1);
	assert_int_equal(b->msgs[0].request_id, 2);
	assert_int_equal(stats(a)->links_made, 2);
	assert_int_equal(stats(a)->links_freed, 1);
	assert_int_equal(stats(a)->lookups_started, 0);
	assert_int_equal(stats(b)->lookups_started, 0);
	close_all_and_check(fx);
}

/*
 * A name is looked up (once, when it resolves), an address never; the
 * link that held the lookup goes back once it is done.
 */
static void test_only_names_looked_up(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "localhost\n127.0.0.2\n127.0.0.3\n";
	char err[256];
	struct node *a, *b;
	struct wire_msg m = make_req(2, 5);

	hosts_destroy(&fx->hosts);
	assert_int_equal(hosts_parse(&fx->hosts, text, strlen(text), "test",
				     err, sizeof(err)), 0);
	a = node_start_ready(fx, 1);
	b = node_start_ready(fx, 2);
	assert_int_equal(stats(a)->lookups_started, 1);	/* its own name */
	assert_int_equal(stats(b)->lookups_started, 1);	/* peer 1's */
	WAIT_UNTIL(fx, stats(a)->links_freed == 1 &&
			       stats(b)->links_freed == 1);
	send_to(b, 1, &m);
	WAIT_UNTIL(fx, a->msgs_count == 1);
	m = make_req(1, 6);
	send_to(a, 2, &m);
	WAIT_UNTIL(fx, b->msgs_count == 1);
	assert_int_equal(stats(a)->lookups_started, 1);
	assert_int_equal(stats(b)->lookups_started, 1);
	assert_int_equal(stats(a)->dropped_spoofed, 0);
	assert_int_equal(stats(b)->dropped_spoofed, 0);
	close_all_and_check(fx);
}

static void test_spoofed_and_stranger(void **state)
{
	struct fixture *fx = *state;
	struct node *b = node_start_ready(fx, 2);
	struct raw_tcp *r = calloc(1, sizeof(*r));
	struct wire_msg m = make_req(1, 5);
	size_t len;

	assert_non_null(r);
	/* A well-formed frame claiming to be peer 1, from 127.0.0.9... */
	assert_int_equal(wire_encode_frame(&m, r->bytes, sizeof(r->bytes),
					   &len), 0);
	r->len = len;
	/* ...and one from an id that is not in the hostsfile. */
	m.from = 50;
	assert_int_equal(wire_encode_frame(&m, r->bytes + r->len,
					   sizeof(r->bytes) - r->len, &len), 0);
	r->len += len;
	raw_tcp_send(fx, r, 2);
	WAIT_UNTIL(fx, stats(b)->dropped_spoofed == 1 &&
			       stats(b)->dropped_stranger == 1);
	assert_int_equal(stats(b)->frames_in, 2);
	assert_int_equal(b->msgs_count, 0);
	raw_tcp_close(fx, r);
	free(r);
	close_all_and_check(fx);
}

static void test_malformed_datagram(void **state)
{
	struct fixture *fx = *state;
	struct node *b = node_start_ready(fx, 2);
	uv_udp_t u;
	struct sockaddr_in src, dst;
	char garbage[] = "\x93\xff\x00garbage";
	uv_buf_t buf = uv_buf_init(garbage, sizeof(garbage) - 1);

	assert_int_equal(uv_ip4_addr(STRANGER_IP, 0, &src), 0);
	assert_int_equal(uv_ip4_addr("127.0.0.2", fx->port, &dst), 0);
	assert_int_equal(uv_udp_init(&fx->loop, &u), 0);
	assert_int_equal(uv_udp_bind(&u, (const struct sockaddr *)&src, 0), 0);
	assert_true(uv_udp_try_send(&u, &buf, 1,
				    (const struct sockaddr *)&dst) > 0);
	WAIT_UNTIL(fx, stats(b)->dropped_malformed == 1);
	assert_int_equal(stats(b)->datagrams_in, 1);
	assert_int_equal(b->msgs_count, 0);
	uv_close((uv_handle_t *)&u, NULL);
	close_all_and_check(fx);
}

static void test_oversize_frame_closes(void **state)
{
	struct fixture *fx = *state;
	struct node *b = node_start_ready(fx, 2);
	struct raw_tcp *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	memset(r->bytes, 0xff, 4);	/* a body of 4 GiB - 1 bytes */
	r->len = 4;
	raw_tcp_send(fx, r, 2);
	WAIT_UNTIL(fx, stats(b)->conns_oversize == 1 && r->ended);
	assert_int_equal(stats(b)->frames_in, 0);
	assert_int_equal(b->msgs_count, 0);
	raw_tcp_close(fx, r);
	free(r);
	close_all_and_check(fx);
}

static bool raw_all(const struct raw_tcp *r, unsigned n, bool connected)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].connected != connected)
			return false;
	return true;
}

static bool raw_closed_all(const struct raw_tcp *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!r[i].closed)
			return false;
	return true;
}

static unsigned raw_ended(const struct raw_tcp *r, unsigned n)
{
	unsigned ended = 0;
	for (unsigned i = 0; i < n; i++)
		ended += r[i].ended;
	return ended;
}

/*
 * INBOUND_CONNS_MAX strangers' connections are open, each from its own
 * address: each new connection replaces the oldest of them, and a peer
 * still gets through.
 */
static void test_inbound_cap_evicts_strangers(void **state)
{
	struct fixture *fx = *state;
	struct node *b = node_start_ready(fx, 2);
	unsigned n = INBOUND_CONNS_MAX + 3;
	struct raw_tcp *r = calloc(n, sizeof(*r));
	struct wire_msg m = make_req(1, 1);
	char ip[32];

	assert_non_null(r);
	/* In batches well under the listen backlog, so that no SYN is
	 * dropped and retried a second later. */
	for (unsigned i = 0; i < n; i += RAW_BATCH) {
		unsigned end = i + RAW_BATCH < n ? i + RAW_BATCH : n;
		for (unsigned k = i; k < end; k++) {
			snprintf(ip, sizeof(ip), "127.0.%u.%u", 1 + k / 200,
				 1 + k % 200);
			raw_tcp_send_from(fx, &r[k], 2, ip);
		}
		WAIT_UNTIL(fx, raw_all(r, end, true));
	}
	WAIT_UNTIL(fx, stats(b)->conns_evicted == 3 && raw_ended(r, n) == 3);
	/* The three evicted are the oldest three. */
	for (unsigned i = 0; i < 3; i++)
		assert_true(r[i].ended);
	/* The table is still full of strangers: peer 1 evicts one more. */
	node_start_ready(fx, 1);
	send_to(&fx->nodes[1], 2, &m);
	WAIT_UNTIL(fx, b->msgs_count == 1);
	assert_int_equal(stats(b)->conns_evicted, 4);
	assert_int_equal(stats(b)->conns_refused, 0);
	for (unsigned i = 0; i < n; i++)
		if (!uv_is_closing((uv_handle_t *)&r[i].tcp))
			uv_close((uv_handle_t *)&r[i].tcp, on_raw_close);
	WAIT_UNTIL(fx, raw_closed_all(r, n));
	free(r);
	close_all_and_check(fx);
}

/*
 * One address holds at most INBOUND_PER_SOURCE_MAX connections: each one
 * more closes that address's oldest, and the table never fills.
 */
static void test_inbound_cap_per_source(void **state)
{
	struct fixture *fx = *state;
	struct node *b = node_start_ready(fx, 2);
	unsigned n = INBOUND_PER_SOURCE_MAX + 3;
	struct raw_tcp r[INBOUND_PER_SOURCE_MAX + 3];

	memset(r, 0, sizeof(r));
	for (unsigned k = 0; k < n; k++) {
		raw_tcp_send(fx, &r[k], 2);
		/* One at a time, so that "oldest" is well defined. */
		WAIT_UNTIL(fx, raw_all(r, k + 1, true) &&
				       stats(b)->conns_source_capped ==
					       (k < INBOUND_PER_SOURCE_MAX
							? 0
							: k + 1 -
								  INBOUND_PER_SOURCE_MAX));
	}
	WAIT_UNTIL(fx, raw_ended(r, n) == 3);
	for (unsigned i = 0; i < 3; i++)
		assert_true(r[i].ended);
	assert_int_equal(stats(b)->conns_evicted, 0);
	assert_int_equal(stats(b)->conns_refused, 0);
	for (unsigned i = 0; i < n; i++)
		if (!uv_is_closing((uv_handle_t *)&r[i].tcp))
			uv_close((uv_handle_t *)&r[i].tcp, on_raw_close);
	WAIT_UNTIL(fx, raw_closed_all(r, n));
	close_all_and_check(fx);
}

static void test_queue_full_drops(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_ready(fx, 1);
	struct wire_msg m;
	char frame[FRAME_BYTES_MAX];
	size_t len;
	unsigned sends;

	memset(&m, 0, sizeof(m));
	m.incarnation = 1;
	m.type = WIRE_NEWVIEW;
	m.from = 1;
	m.leader = 1;
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		peerset_add(&m.members, id);
	assert_int_equal(wire_encode_frame(&m, frame, sizeof(frame), &len), 0);
	/* Nobody listens at peer 3: everything stays queued. */
	sends = SEND_QUEUE_BYTES_MAX / (unsigned)len + 10;
	for (unsigned i = 0; i < sends; i++)
		send_to(a, 3, &m);
	assert_int_equal(stats(a)->dropped_queue_full,
			 sends - SEND_QUEUE_BYTES_MAX / (unsigned)len);
	run_for(fx, 150);
	/* Closing frees what is still queued (valgrind checks). */
	close_all_and_check(fx);
}

static void test_bind_conflict_is_fatal(void **state)
{
	struct fixture *fx = *state;
	struct node *twin;
	char want[128];

	node_start_ready(fx, 1);
	twin = node_start_in(fx, 4, 1);
	WAIT_UNTIL(fx, twin->fatal == 1);
	assert_int_equal(twin->ready, 0);
	snprintf(want, sizeof(want), "bind 127.0.0.1:%u: %s",
		 (unsigned)fx->port, uv_strerror(UV_EADDRINUSE));
	assert_string_equal(twin->fatal_reason, want);
	close_all_and_check(fx);
}

static void test_close_from_on_message(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_ready(fx, 1);
	struct node *b = node_start_ready(fx, 2);
	struct wire_msg m1 = make_req(1, 1), m2 = make_req(1, 2);

	b->close_on_message = true;
	send_to(a, 2, &m1);
	send_to(a, 2, &m2);
	WAIT_UNTIL(fx, b->closed);
	assert_int_equal(b->msgs_count, 1);
	/* a notices b went away and keeps working. */
	send_to(a, 2, &m1);
	run_for(fx, 200);
	close_all_and_check(fx);
}

static void test_close_drains_queued(void **state)
{
	struct fixture *fx = *state;
	struct node *b = node_start_ready(fx, 2);
	struct node *a = node_start_ready(fx, 1);
	struct wire_msg m = make_req(1, 77);

	/* Queued while the connection is still being made, then closed:
	 * the frame still goes out within the drain. */
	send_to(a, 2, &m);
	node_close(a);
	WAIT_UNTIL(fx, a->closed && b->msgs_count == 1);
	assert_int_equal(b->msgs[0].request_id, 77);
	close_all_and_check(fx);
}

static void test_close_before_ready(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start(fx, 1);
	struct wire_msg m = make_req(1, 1);

	/* Lookups still in flight, nothing bound; a frame queued. */
	send_to(a, 2, &m);
	close_all_and_check(fx);
	assert_int_equal(a->ready, 0);
}

/* Peer 1's ACCEPT of 'X' at ballot (1, 1), as a frame of the paxos codec. */
static void accept_frame(struct paxos_msg *p, char *frame, size_t cap,
			 size_t *len)
{
	memset(p, 0, sizeof(*p));
	p->type = PAXOS_ACCEPT;
	p->from = 1;
	p->ballot = paxos_ballot(1, 1);
	p->value.len = 1;
	p->value.bytes[0] = 'X';
	assert_int_equal(wire_paxos_encode_frame(p, frame, cap, len), 0);
}

/*
 * Keyed, a program's frames are sealed too: they arrive decoded between
 * peers with the same keys, twice when sent twice (each its own
 * envelope), and a peer with other keys opens none of them.
 */
static void test_codec_keyed(void **state)
{
	struct fixture *fx = *state;
	struct keyring ka = ring_of(KEY_A), kb = ring_of(KEY_B);
	static struct paxos_msg p;
	char frame[256];
	struct peerset to;
	size_t len;

	next_keyring = &ka;
	struct node *a = node_start_codec(fx, 1, 1, &paxos_codec);
	struct node *b = node_start_codec(fx, 2, 2, &paxos_codec);
	next_keyring = &kb;
	struct node *c = node_start_codec(fx, 3, 3, &paxos_codec);
	next_keyring = NULL;
	WAIT_UNTIL(fx, a->ready == 1 && b->ready == 1 && c->ready == 1);
	accept_frame(&p, frame, sizeof(frame), &len);
	peerset_clear(&to);
	peerset_add(&to, 2);
	peerset_add(&to, 3);
	transport_send_frame(a->t, &to, frame, len);
	transport_send_frame(a->t, &to, frame, len);
	WAIT_UNTIL(fx, b->decoded_count == 2 &&
			       stats(c)->dropped_unopened == 2);
	assert_int_equal(b->decoded_from, 1);
	assert_memory_equal(&b->decoded, &p, sizeof(p));
	assert_int_equal(c->decoded_count, 0);
	assert_int_equal(stats(b)->dropped_unopened +
				 stats(b)->dropped_replayed +
				 stats(b)->dropped_unsealed +
				 stats(b)->dropped_spoofed, 0);
	close_all_and_check(fx);
}

/*
 * A program with its own codec: its frames arrive decoded by it, with the
 * sender checked as for membership messages; a membership frame, a
 * stranger's and a spoofed one are dropped and counted.
 */
static void test_codec(void **state)
{
	struct fixture *fx = *state;
	struct node *a = node_start_codec(fx, 1, 1, &paxos_codec);
	struct node *b = node_start_codec(fx, 2, 2, &paxos_codec);
	static struct paxos_msg p;
	struct raw_tcp *r = calloc(1, sizeof(*r));
	struct wire_msg w = make_req(1, 5);
	char frame[256];
	struct peerset to;
	size_t len;

	WAIT_UNTIL(fx, a->ready == 1 && b->ready == 1);
	accept_frame(&p, frame, sizeof(frame), &len);
	peerset_clear(&to);
	peerset_add(&to, 1);
	peerset_add(&to, 2);
	transport_send_frame(a->t, &to, frame, len);
	WAIT_UNTIL(fx, b->decoded_count == 1);
	assert_int_equal(b->decoded_from, 1);
	assert_memory_equal(&b->decoded, &p, sizeof(p));
	assert_int_equal(b->msgs_count, 0);
	assert_int_equal(a->decoded_count, 0);

	/* A membership frame means nothing here; a stranger's Paxos frame
	 * claiming peer 1, and one from an id outside the file, are
	 * dropped. */
	assert_non_null(r);
	assert_int_equal(wire_encode_frame(&w, r->bytes, sizeof(r->bytes),
					   &len), 0);
	r->len = len;
	assert_int_equal(wire_paxos_encode_frame(&p, r->bytes + r->len,
						 sizeof(r->bytes) - r->len,
						 &len), 0);
	r->len += len;
	p.from = 50;
	assert_int_equal(wire_paxos_encode_frame(&p, r->bytes + r->len,
						 sizeof(r->bytes) - r->len,
						 &len), 0);
	r->len += len;
	raw_tcp_send(fx, r, 2);
	WAIT_UNTIL(fx, stats(b)->dropped_malformed == 1 &&
			       stats(b)->dropped_spoofed == 1 &&
			       stats(b)->dropped_stranger == 1);
	assert_int_equal(b->decoded_count, 1);
	raw_tcp_close(fx, r);
	free(r);
	close_all_and_check(fx);
}

int main(void)
{
	/* test_inbound_cap_evicts_strangers holds INBOUND_CONNS_MAX + 3
	 * connections, both ends in this process: more descriptors than a
	 * default soft limit of 1024. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	    nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (seal_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_req_by_tcp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_by_udp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_send_for_all, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_send_for_all_keyed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_reading,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_newview, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keyed_talk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keyed_apart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keyed_rotation_step,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyed_replay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_sent_before_receiver_listens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_freed_and_remade,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_names_looked_up,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_and_stranger,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_datagram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_oversize_frame_closes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_inbound_cap_evicts_strangers, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_inbound_cap_per_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full_drops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bind_conflict_is_fatal,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_from_on_message,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_drains_queued,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_before_ready, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_codec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_keyed, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
