/*
 * Unit tests for the wire codec (common/wire.c), version 4.
 *
 * Every message type round-trips, alone and framed; every malformed body
 * is refused with its own error code; and a seeded stream of random and
 * mutated bytes never crashes the decoder, while whatever it accepts
 * encodes and decodes back to the same message. Hostile bodies are built
 * by hand, byte by byte, since the encoder refuses to write them.
 *
 * Hand-built bodies spell version 4's layout out literally, as wire.h's
 * table gives it: [4, type, from, incarnation, view_id, ballot, ...].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/bounds.h"
#include "../../common/peerset.h"
#include "../../common/wire.h"
#include "../../common/wire_walk.h"

/* The literal layouts below are version 4's: a new version rewrites them. */
_Static_assert(WIRE_VERSION == 4, "test_wire.c pins version 4's layout");

/* Room for any body, and for a frame of the largest NEWVIEW. */
#define TEST_BUF_BYTES (FRAME_BYTES_MAX + 64)

#define FUZZ_ITERATIONS 200000
#define FUZZ_LEN_MAX 64
#define FUZZ_SEED UINT64_C(0x9e3779b97f4a7c15)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- hand-built msgpack ---- */

struct bytes {
	unsigned char b[TEST_BUF_BYTES];
	size_t n;
};

static void put(struct bytes *b, unsigned char c)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = c;
}

static void put_be(struct bytes *b, uint64_t v, unsigned width)
{
	while (width-- > 0)
		put(b, (unsigned char)(v >> (8 * width)));
}

/* The smallest unsigned encoding of v, as a msgpack packer writes it. */
static void put_uint(struct bytes *b, uint64_t v)
{
	if (v <= 0x7f) {
		put(b, (unsigned char)v);
	} else if (v <= UINT8_MAX) {
		put(b, 0xcc);
		put_be(b, v, 1);
	} else if (v <= UINT16_MAX) {
		put(b, 0xcd);
		put_be(b, v, 2);
	} else if (v <= UINT32_MAX) {
		put(b, 0xce);
		put_be(b, v, 4);
	} else {
		put(b, 0xcf);
		put_be(b, v, 8);
	}
}

static void put_array(struct bytes *b, uint32_t count)
{
	if (count <= 15) {
		put(b, (unsigned char)(0x90 | count));
	} else if (count <= UINT16_MAX) {
		put(b, 0xdc);
		put_be(b, count, 2);
	} else {
		put(b, 0xdd);
		put_be(b, count, 4);
	}
}

static void put_raw(struct bytes *b, const unsigned char *raw, size_t len)
{
	for (size_t i = 0; i < len; i++)
		put(b, raw[i]);
}

/*
 * [3, NEWVIEW, 1, 1, 0, 1, 1, ...]: a NEWVIEW from peer 1, incarnation 1,
 * view 0, ballot 1, leader 1, up to its member array, which the caller
 * writes (or whatever stands in its place).
 */
static void put_newview_head(struct bytes *b)
{
	put_array(b, 8);
	put_raw(b, (const unsigned char[]){ 4, WIRE_NEWVIEW, 1, 1, 0, 1, 1 },
		7);
}

/*
 * m as version 4 lays it out, written independently of the encoder from
 * wire.h's table, every field as it stands (out of range too), but for
 * the element at index skip (none when skip is -1): the oracle the
 * encoder's bytes and verdicts are compared with, and the source of
 * bodies a field short.
 */
static void put_msg_skip(struct bytes *b, const struct wire_msg *m, int skip)
{
	uint64_t f[11];
	unsigned n = 0;
	bool members = false;

	assert_true(m->type >= WIRE_JOIN && m->type <= WIRE_REDIRECT);
	f[n++] = 4;
	f[n++] = m->type;
	f[n++] = m->from;
	f[n++] = m->incarnation;
	f[n++] = m->view_id;
	f[n++] = m->ballot;
	switch (m->type) {
	case WIRE_REQ:
	case WIRE_OK:
		f[n++] = m->request_id;
		f[n++] = m->op;
		f[n++] = m->peer;
		f[n++] = m->leader;
		if (m->type == WIRE_OK)
			f[n++] = m->acc_ballot;
		break;
	case WIRE_NEWVIEW:
		f[n++] = m->leader;
		members = true;	/* at index 7, after the leader */
		break;
	case WIRE_NEWLEADER:
		f[n++] = m->request_id;
		f[n++] = m->op;
		break;
	case WIRE_HEARTBEAT:
		f[n++] = m->leader;
		f[n++] = m->beat;
		break;
	case WIRE_REDIRECT:
		f[n++] = m->leader;
		break;
	case WIRE_JOIN:
		break;
	}
	put_array(b, n + members - (skip >= 0));
	for (unsigned i = 0; i < n; i++)
		if ((int)i != skip)
			put_uint(b, f[i]);
	if (!members || skip == (int)n)
		return;
	put_array(b, peerset_count(&m->members));
	peerset_foreach(&m->members, id)
		put_uint(b, id);
}

static void put_msg(struct bytes *b, const struct wire_msg *m)
{
	put_msg_skip(b, m, -1);
}

static int decode_bytes(const struct bytes *b, struct wire_msg *m)
{
	return wire_decode((const char *)b->b, b->n, m);
}

/* What the last decode_fields (DECODE_U) decoded, for its fields. */
static struct wire_msg decoded;

/* Decodes an array of the given unsigned integers into decoded. */
static int decode_fields(const uint64_t *fields, size_t count)
{
	static struct bytes b;

	b.n = 0;
	put_array(&b, (uint32_t)count);
	for (size_t i = 0; i < count; i++)
		put_uint(&b, fields[i]);
	return decode_bytes(&b, &decoded);
}

#define DECODE_U(...) \
	decode_fields((const uint64_t[]){ __VA_ARGS__ }, \
		      sizeof((const uint64_t[]){ __VA_ARGS__ }) / \
			      sizeof(uint64_t))

/* Decodes the bytes given, as they are. */
static int decode_raw(const unsigned char *raw, size_t len)
{
	return wire_decode((const char *)raw, len, &decoded);
}

#define DECODE_RAW(...) \
	decode_raw((const unsigned char[]){ __VA_ARGS__ }, \
		   sizeof((const unsigned char[]){ __VA_ARGS__ }))

/* Decodes [3, NEWVIEW, from, 1, 7, 5, leader, [ids...]]. */
static int decode_newview(uint64_t from, uint64_t leader,
			  const uint64_t *ids, size_t count)
{
	static struct bytes b;
	struct wire_msg m;

	b.n = 0;
	put_array(&b, 8);
	put_uint(&b, 4);
	put_uint(&b, WIRE_NEWVIEW);
	put_uint(&b, from);
	put_uint(&b, 1);
	put_uint(&b, 7);
	put_uint(&b, 5);
	put_uint(&b, leader);
	put_array(&b, (uint32_t)count);
	for (size_t i = 0; i < count; i++)
		put_uint(&b, ids[i]);
	return decode_bytes(&b, &m);
}

#define DECODE_NEWVIEW(from, leader, ...) \
	decode_newview(from, leader, (const uint64_t[]){ __VA_ARGS__ }, \
		       sizeof((const uint64_t[]){ __VA_ARGS__ }) / \
			       sizeof(uint64_t))

/* ---- messages ---- */

static struct wire_msg msg(enum wire_type type, uint16_t from,
			   uint32_t view_id)
{
	struct wire_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = from;
	m.incarnation = 1;
	m.view_id = view_id;
	return m;
}

/* A REQ, OK or NEWLEADER from peer 3 in view 41, at ballot 0. */
static struct wire_msg msg_req(enum wire_type type, uint32_t request_id,
			       enum wire_op op, uint16_t peer, uint16_t leader)
{
	struct wire_msg m = msg(type, 3, 41);

	m.request_id = request_id;
	m.op = op;
	m.peer = peer;
	m.leader = leader;
	return m;
}

static struct wire_msg msg_newview(uint16_t leader, unsigned first,
				   unsigned last)
{
	struct wire_msg m = msg(WIRE_NEWVIEW, leader, 9);

	m.leader = leader;
	for (unsigned id = first; id <= last; id++)
		peerset_add(&m.members, id);
	return m;
}

static void assert_msg_equal(const struct wire_msg *a,
			     const struct wire_msg *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->from, b->from);
	assert_int_equal(a->incarnation, b->incarnation);
	assert_int_equal(a->view_id, b->view_id);
	assert_int_equal(a->ballot, b->ballot);
	assert_int_equal(a->request_id, b->request_id);
	assert_int_equal(a->op, b->op);
	assert_int_equal(a->peer, b->peer);
	assert_int_equal(a->leader, b->leader);
	assert_int_equal(a->beat, b->beat);
	assert_int_equal(a->acc_ballot, b->acc_ballot);
	assert_true(peerset_equal(&a->members, &b->members));
	assert_true(peerset_equal(&a->suspects, &b->suspects));
	assert_int_equal(a->heard_count, b->heard_count);
	for (unsigned i = 0; i < a->heard_count; i++) {
		assert_int_equal(a->heard_peer[i], b->heard_peer[i]);
		assert_int_equal(a->heard_age_ms[i], b->heard_age_ms[i]);
	}
}

/*
 * Incarnations for the samples, in turn: both ends of the range and each
 * msgpack width, so that every type carries a wide one somewhere.
 */
static const uint64_t sample_incarnations[] = {
	1, UINT64_MAX, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
	UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_C(0x0123456789abcdef),
	UINT64_MAX - 1, 1000, 65537,
};

/*
 * Ballots, one of each msgpack width and both ends: 0 (no ballot yet),
 * 1 (the founder's), 2^32 (past what view_id can hold) and UINT64_MAX.
 */
static const uint64_t ballots[] = {
	0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, UINT32_MAX,
	(uint64_t)UINT32_MAX + 1, UINT64_C(0xfedcba9876543210), UINT64_MAX,
};

#define SAMPLES_MAX 24

/* One of each shape the codec carries, used by several tests. */
static size_t samples(struct wire_msg *out)
{
	size_t n = 0;
	struct wire_msg m;

	out[n++] = msg(WIRE_JOIN, 1, 0);
	/* Heartbeats following either end of the id range, or no one. */
	m = msg(WIRE_HEARTBEAT, HOSTS_MAX, UINT32_MAX);
	m.leader = 1;
	m.beat = UINT32_MAX;
	out[n++] = m;
	m = msg(WIRE_HEARTBEAT, 1, 5);
	m.leader = HOSTS_MAX;
	m.beat = 1;
	out[n++] = m;
	m = msg(WIRE_HEARTBEAT, 2, 5);
	m.leader = 0;
	out[n++] = m;
	out[n++] = msg_req(WIRE_REQ, 1, WIRE_OP_ADD, 5, 1);
	out[n++] = msg_req(WIRE_REQ, UINT32_MAX, WIRE_OP_DEL, HOSTS_MAX,
			   HOSTS_MAX);
	/* Answering a REQ: its fields echoed. */
	out[n++] = msg_req(WIRE_OK, 300, WIRE_OP_ADD, 2, 1);
	/* Answering a NEWLEADER: a change accepted at some ballot. */
	m = msg_req(WIRE_OK, 70000, WIRE_OP_DEL, 1, 2);
	m.acc_ballot = UINT64_MAX;
	out[n++] = m;
	m = msg_req(WIRE_OK, 12, WIRE_OP_ADD, HOSTS_MAX, HOSTS_MAX);
	m.acc_ballot = (uint64_t)UINT32_MAX + 1;
	out[n++] = m;
	out[n++] = msg_req(WIRE_OK, 0, WIRE_OP_NOTHING, 0, 0);
	out[n++] = msg_req(WIRE_OK, 9, WIRE_OP_REFUSE, 3, 0);
	out[n++] = msg_req(WIRE_OK, 9, WIRE_OP_REFUSE, HOSTS_MAX, HOSTS_MAX);
	out[n++] = msg_req(WIRE_NEWLEADER, 12, WIRE_OP_PENDING, 0, 0);
	m = msg(WIRE_REDIRECT, 2, 128);
	m.leader = 1;
	out[n++] = m;
	/* From a peer that is joining too and knows no leader. */
	m.leader = 0;
	out[n++] = m;
	out[n++] = msg_newview(1, 1, 1);
	out[n++] = msg_newview(HOSTS_MAX, HOSTS_MAX, HOSTS_MAX);
	out[n++] = msg_newview(4, 1, 5);
	out[n++] = msg_newview(1, 1, HOSTS_MAX);
	assert_true(n <= SAMPLES_MAX);
	for (size_t i = 0; i < n; i++) {
		out[i].incarnation =
			sample_incarnations[i % COUNT(sample_incarnations)];
		out[i].ballot = ballots[(i * 5 + 3) % COUNT(ballots)];
	}
	return n;
}

/* ---- round trips ---- */

static void roundtrip(const struct wire_msg *m)
{
	static char buf[TEST_BUF_BYTES];
	struct wire_msg out;
	size_t len = 0;

	assert_int_equal(wire_encode(m, buf, sizeof(buf), &len), 0);
	assert_true(len > 0 && len <= FRAME_BYTES_MAX);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_msg_equal(m, &out);
}

static void test_roundtrip_every_type(void **state)
{
	struct wire_msg s[SAMPLES_MAX];
	size_t n = samples(s);

	(void)state;
	for (size_t i = 0; i < n; i++)
		roundtrip(&s[i]);
}

static void test_newview_full_fits_in_frame(void **state)
{
	static char buf[TEST_BUF_BYTES];
	struct wire_msg m = msg_newview(1, 1, HOSTS_MAX), out;
	size_t len = 0;

	(void)state;
	/* The widest ballot too: the largest NEWVIEW there is. */
	m.incarnation = UINT64_MAX;
	m.view_id = UINT32_MAX;
	m.ballot = UINT64_MAX;
	assert_int_equal(peerset_count(&m.members), HOSTS_MAX);
	assert_int_equal(wire_encode_frame(&m, buf, sizeof(buf), &len), 0);
	assert_true(len - WIRE_FRAME_HEADER_BYTES <= FRAME_BYTES_MAX);
	assert_int_equal(wire_decode(buf + WIRE_FRAME_HEADER_BYTES,
				     len - WIRE_FRAME_HEADER_BYTES, &out), 0);
	assert_msg_equal(&m, &out);
}

/*
 * A batch: the first change in op and peer, the rest in one trailing
 * array of op, peer pairs, sent only when there is one; a batch of one
 * is the lab's REQ and OK, byte for byte (test_encode_layout).
 */
static void test_batch(void **state)
{
	static char buf[TEST_BUF_BYTES];
	struct wire_msg m = msg_req(WIRE_REQ, 7, WIRE_OP_ADD, 5, 1);
	size_t len = 0, one_len = 0;

	(void)state;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &one_len), 0);
	assert_int_equal((unsigned char)buf[0], 0x9a);	/* ten elements */
	assert_true(wire_changes_push(&m.more, WIRE_OP_DEL, 9));
	assert_true(wire_changes_push(&m.more, WIRE_OP_ADD, HOSTS_MAX));
	roundtrip(&m);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	assert_int_equal((unsigned char)buf[0], 0x9b);	/* eleven */
	assert_int_equal(len, one_len + 1 + 1 + 1 + 1 + 3);
	/* The OK that echoes it, and one reporting it accepted. */
	m.type = WIRE_OK;
	roundtrip(&m);
	m.acc_ballot = UINT64_MAX;
	roundtrip(&m);
	/* The widest batch fits a frame. */
	m.more.count = 0;
	for (unsigned id = 1; m.more.count < CHANGES_MAX - 1; id++)
		if (id != m.peer)
			assert_true(wire_changes_push(&m.more, WIRE_OP_DEL,
						      HOSTS_MAX + 1 - id));
	roundtrip(&m);
	/* One more is too many; and a peer twice, a first change's peer
	 * again, an op that is no change, or a batch on a refusal or an
	 * OK that accepted nothing, is refused. */
	m.more.at[m.more.count].op = WIRE_OP_ADD;
	m.more.at[m.more.count].peer = 1;
	m.more.count++;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_REQ, 7, WIRE_OP_ADD, 5, 1);
	wire_changes_push(&m.more, WIRE_OP_DEL, 5);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m.more.count = 0;
	wire_changes_push(&m.more, WIRE_OP_DEL, 6);
	wire_changes_push(&m.more, WIRE_OP_ADD, 6);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m.more.count = 0;
	wire_changes_push(&m.more, WIRE_OP_PENDING, 6);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_OK, 7, WIRE_OP_NOTHING, 0, 0);
	wire_changes_push(&m.more, WIRE_OP_DEL, 6);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_OK, 7, WIRE_OP_REFUSE, 2, 0);
	wire_changes_push(&m.more, WIRE_OP_DEL, 6);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);

	/* Decoding: [3, REQ, 1, 1, 0, 0, 1, ADD, 2, 1, [...]]. */
	assert_int_equal(DECODE_RAW(0x9b, 4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1,
				    0x92, 2, 3), 0);
	assert_int_equal(DECODE_RAW(0x9c, 4, WIRE_OK, 1, 1, 0, 0, 1, 1, 2, 1,
				    0, 0x94, 2, 3, 1, 4), 0);
	/* Empty, odd, nested, or a peer or op out of range. */
	assert_int_equal(DECODE_RAW(0x9b, 4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1,
				    0x90), WIRE_ESHAPE);
	assert_int_equal(DECODE_RAW(0x9b, 4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1,
				    0x93, 2, 3, 1), WIRE_ESHAPE);
	assert_int_equal(DECODE_RAW(0x9b, 4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1,
				    0x92, 2, 0x91, 3), WIRE_ESHAPE);
	assert_int_equal(DECODE_RAW(0x9b, 4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1,
				    0x92, 2, 0), WIRE_ERANGE);
	assert_int_equal(DECODE_RAW(0x9b, 4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1,
				    0x92, 3, 4), WIRE_ERANGE);
	/* The first change's peer again. */
	assert_int_equal(DECODE_RAW(0x9b, 4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1,
				    0x92, 2, 2), WIRE_ERANGE);
	/* A trailing array where none goes: NEWLEADER, or an OK of
	 * nothing; and REQ with an OK's count. */
	assert_int_equal(DECODE_RAW(0x99, 4, WIRE_NEWLEADER, 1, 1, 0, 0, 1, 3,
				    0x92, 2, 3), WIRE_ESHAPE);
	assert_int_equal(DECODE_RAW(0x9c, 4, WIRE_OK, 1, 1, 0, 0, 1, 4, 0, 0,
				    0, 0x92, 2, 3), WIRE_ERANGE);
	assert_int_equal(DECODE_RAW(0x9c, 4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1,
				    0, 0x92, 2, 3), WIRE_ESHAPE);
}

/* The decoder zeroes every field the message's type does not carry. */
static void test_decode_zeroes_other_fields(void **state)
{
	static char buf[64];
	struct wire_msg m = msg(WIRE_JOIN, 2, 3), out;
	size_t len;

	(void)state;
	m.ballot = 8;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	memset(&out, 0xff, sizeof(out));
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_int_equal(out.ballot, 8);
	assert_int_equal(out.request_id, 0);
	assert_int_equal(out.op, 0);
	assert_int_equal(out.peer, 0);
	assert_int_equal(out.leader, 0);
	assert_int_equal(out.acc_ballot, 0);
	assert_true(peerset_empty(&out.members));
	/* A REQ has no acc_ballot and no members, whatever was there. */
	m = msg_req(WIRE_REQ, 4, WIRE_OP_ADD, 5, 6);
	m.ballot = 7;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	memset(&out, 0xff, sizeof(out));
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_int_equal(out.acc_ballot, 0);
	assert_true(peerset_empty(&out.members));
	assert_msg_equal(&m, &out);
}

/* Wider encodings than needed are still msgpack, and are accepted. */
static void test_wide_integers_accepted(void **state)
{
	static const unsigned char heartbeat[] = {
		0xdc, 0x00, 0x08,			/* array16 of 8 */
		0xcf, 0, 0, 0, 0, 0, 0, 0, 4,		/* version */
		0xce, 0, 0, 0, WIRE_HEARTBEAT,		/* type */
		0xcd, 0x04, 0x00,			/* from 1024 */
		0xcf, 0, 0, 0, 0, 0, 0, 0, 3,		/* incarnation */
		0xcc, 0x05,				/* view_id */
		0xcf, 0, 0, 0, 0, 0, 0, 0, 9,		/* ballot */
		0xce, 0, 0, 0, 0x07,			/* leader */
		0xcf, 0, 0, 0, 0, 0, 0, 0x01, 0x02,	/* beat */
	};
	static const unsigned char ok[] = {
		0xdd, 0, 0, 0, 11,			/* array32 of 11 */
		0x04, 0xcc, WIRE_OK, 0xcd, 0, 2, 0xce, 0, 0, 0, 1, 0x04,
		0xcd, 0, 6,				/* ballot */
		0xcc, 0x08, 0xcd, 0, WIRE_OP_ADD, 0xce, 0, 0, 0, 5,
		0xcf, 0, 0, 0, 0, 0, 0, 0, 1,		/* leader */
		0xce, 0, 0, 0, 0x02,			/* acc_ballot */
	};
	struct wire_msg m;

	(void)state;
	assert_int_equal(wire_decode((const char *)heartbeat,
				     sizeof(heartbeat), &m), 0);
	assert_int_equal(m.type, WIRE_HEARTBEAT);
	assert_int_equal(m.from, HOSTS_MAX);
	assert_int_equal(m.incarnation, 3);
	assert_int_equal(m.view_id, 5);
	assert_int_equal(m.ballot, 9);
	assert_int_equal(m.leader, 7);
	assert_int_equal(m.beat, 0x102);
	assert_int_equal(wire_decode((const char *)ok, sizeof(ok), &m), 0);
	assert_int_equal(m.type, WIRE_OK);
	assert_int_equal(m.from, 2);
	assert_int_equal(m.incarnation, 1);
	assert_int_equal(m.view_id, 4);
	assert_int_equal(m.ballot, 6);
	assert_int_equal(m.request_id, 8);
	assert_int_equal(m.op, WIRE_OP_ADD);
	assert_int_equal(m.peer, 5);
	assert_int_equal(m.leader, 1);
	assert_int_equal(m.acc_ballot, 2);
}

/*
 * The encoder's bytes, pinned: the field order on the wire and the
 * smallest width for each value, as a peer of another build will read it.
 */
static void test_encode_layout(void **state)
{
	static const unsigned char join[] = {
		0x96, 4, WIRE_JOIN, 3, 1, 7, 0,
	};
	static const unsigned char req[] = {
		0x9a, 4, WIRE_REQ, 0xcd, 0x04, 0x00,
		0xcf, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0xce, 0x00, 0x01, 0x00, 0x00,
		0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0xcc, 0x80, WIRE_OP_DEL, 0x09, 0xcd, 0x01, 0x2c,
	};
	static const unsigned char ok[] = {
		0x9b, 4, WIRE_OK, 3, 1, 41, 6, 8, WIRE_OP_ADD, 5, 1,
		0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	static const unsigned char newleader[] = {
		0x98, 4, WIRE_NEWLEADER, 3, 1, 41, 0xcd, 0xff, 0xff, 9,
		WIRE_OP_PENDING,
	};
	static const unsigned char newview[] = {
		0x98, 4, WIRE_NEWVIEW, 1, 1, 9, 0x7f, 1, 0x93, 1, 2, 3,
	};
	static const unsigned char redirect[] = {
		0x97, 4, WIRE_REDIRECT, 2, 0xcd, 0x01, 0x00, 0, 0xcc, 0xff, 0,
	};
	static char buf[64];
	struct {
		struct wire_msg m;
		const unsigned char *bytes;
		size_t len;
	} cases[6];
	size_t n = 0, len;

	(void)state;
	cases[n].m = msg(WIRE_JOIN, 3, 7);
	cases[n].bytes = join;
	cases[n++].len = sizeof(join);
	cases[n].m = msg_req(WIRE_REQ, 0x80, WIRE_OP_DEL, 9, 300);
	cases[n].m.from = HOSTS_MAX;
	cases[n].m.incarnation = UINT64_C(0x0123456789abcdef);
	cases[n].m.view_id = 0x10000;
	cases[n].m.ballot = UINT64_C(0x100000000);
	cases[n].bytes = req;
	cases[n++].len = sizeof(req);
	cases[n].m = msg_req(WIRE_OK, 8, WIRE_OP_ADD, 5, 1);
	cases[n].m.ballot = 6;
	cases[n].m.acc_ballot = UINT64_MAX;
	cases[n].bytes = ok;
	cases[n++].len = sizeof(ok);
	cases[n].m = msg_req(WIRE_NEWLEADER, 9, WIRE_OP_PENDING, 0, 0);
	cases[n].m.ballot = 0xffff;
	cases[n].bytes = newleader;
	cases[n++].len = sizeof(newleader);
	cases[n].m = msg_newview(1, 1, 3);
	cases[n].m.ballot = 0x7f;
	cases[n].bytes = newview;
	cases[n++].len = sizeof(newview);
	cases[n].m = msg(WIRE_REDIRECT, 2, 0);
	cases[n].m.incarnation = 0x100;
	cases[n].m.ballot = 0xff;
	cases[n].bytes = redirect;
	cases[n++].len = sizeof(redirect);
	assert_int_equal(n, COUNT(cases));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wire_encode(&cases[i].m, buf, sizeof(buf),
					     &len), 0);
		assert_int_equal(len, cases[i].len);
		assert_memory_equal(buf, cases[i].bytes, len);
	}
}

/* ---- frames ---- */

static void test_frames(void **state)
{
	static char buf[TEST_BUF_BYTES];
	struct wire_msg s[SAMPLES_MAX], out;
	size_t n = samples(s), len = 0, body_len, consumed;
	const char *body;

	(void)state;
	/* Every sample, framed back to back in one stream. */
	for (size_t i = 0; i < n; i++) {
		size_t one;

		assert_int_equal(wire_encode_frame(&s[i], buf + len,
						   sizeof(buf) - len, &one), 0);
		assert_int_equal((uint32_t)(unsigned char)buf[len] << 24 |
				 (uint32_t)(unsigned char)buf[len + 1] << 16 |
				 (uint32_t)(unsigned char)buf[len + 2] << 8 |
				 (uint32_t)(unsigned char)buf[len + 3],
				 one - WIRE_FRAME_HEADER_BYTES);
		len += one;
	}
	for (size_t i = 0, at = 0; i < n; i++) {
		assert_int_equal(wire_frame_next(buf + at, len - at, &body,
						 &body_len, &consumed), 0);
		assert_ptr_equal(body, buf + at + WIRE_FRAME_HEADER_BYTES);
		assert_int_equal(consumed, body_len + WIRE_FRAME_HEADER_BYTES);
		assert_int_equal(wire_decode(body, body_len, &out), 0);
		assert_msg_equal(&s[i], &out);
		/* Every shorter prefix of this frame asks for more bytes. */
		for (size_t cut = 0; cut < consumed; cut++)
			assert_int_equal(wire_frame_next(buf + at, cut, &body,
							 &body_len, &consumed),
					 1);
		assert_int_equal(wire_frame_next(buf + at, len - at, &body,
						 &body_len, &consumed), 0);
		at += consumed;
		if (i + 1 == n)
			assert_int_equal(at, len);
	}
}

static void test_frame_oversize_header(void **state)
{
	static const char claims_4gib[] = { '\xff', '\xff', '\xff', '\xff' };
	static const char one_over[] = { 0, 1, 0, 1 };	/* 65537 */
	static const char at_cap[] = { 0, 1, 0, 0 };	/* 65536 */
	const char *body;
	size_t body_len, consumed;

	(void)state;
	assert_int_equal(wire_frame_next(claims_4gib, 4, &body, &body_len,
					 &consumed), WIRE_ETOOBIG);
	assert_int_equal(wire_frame_next(one_over, 4, &body, &body_len,
					 &consumed), WIRE_ETOOBIG);
	/* The cap itself is allowed: the stream just waits for the body. */
	assert_int_equal(wire_frame_next(at_cap, 4, &body, &body_len,
					 &consumed), 1);
	/* A header of fewer than 4 bytes is only incomplete. */
	assert_int_equal(wire_frame_next(claims_4gib, 3, &body, &body_len,
					 &consumed), 1);
}

static void test_frame_empty_body(void **state)
{
	static const char empty[] = { 0, 0, 0, 0, 0x42 };
	const char *body = NULL;
	size_t body_len = 1, consumed = 0;
	struct wire_msg m;

	(void)state;
	assert_int_equal(wire_frame_next(empty, sizeof(empty), &body,
					 &body_len, &consumed), 0);
	assert_int_equal(body_len, 0);
	assert_int_equal(consumed, 4);
	assert_int_equal(wire_decode(body, body_len, &m), WIRE_ETRUNCATED);
	assert_int_equal(wire_decode(NULL, 0, &m), WIRE_ETRUNCATED);
}

static void test_body_too_big(void **state)
{
	static char big[FRAME_BYTES_MAX + 1];
	struct wire_msg m;

	(void)state;
	big[0] = (char)0x94;
	assert_int_equal(wire_decode(big, sizeof(big), &m), WIRE_ETOOBIG);
}

/* ---- encoding failures ---- */

static void test_encode_no_space(void **state)
{
	static char buf[TEST_BUF_BYTES];
	struct wire_msg s[SAMPLES_MAX];
	size_t n = samples(s), len, full;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wire_encode(&s[i], buf, sizeof(buf), &full),
				 0);
		for (size_t cap = 0; cap < full; cap++) {
			len = 12345;
			memset(buf, 0x5a, sizeof(buf));
			assert_int_equal(wire_encode(&s[i], buf, cap, &len),
					 WIRE_ENOSPACE);
			assert_int_equal(len, 12345);
			/* Nothing is written past the capacity. */
			assert_int_equal((unsigned char)buf[cap], 0x5a);
		}
		for (size_t cap = 0; cap < full + WIRE_FRAME_HEADER_BYTES;
		     cap++)
			assert_int_equal(wire_encode_frame(&s[i], buf, cap,
							   &len),
					 WIRE_ENOSPACE);
		assert_int_equal(wire_encode(&s[i], buf, full, &len), 0);
		assert_int_equal(len, full);
	}
}

static void test_encode_invalid(void **state)
{
	static char buf[256];
	struct wire_msg m;
	size_t len;

	(void)state;
	m = msg((enum wire_type)0, 1, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ETYPE);
	m = msg((enum wire_type)8, 1, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ETYPE);
	assert_int_equal(wire_encode_frame(&m, buf, 2, &len), WIRE_ETYPE);
	m = msg(WIRE_JOIN, 0, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg(WIRE_JOIN, HOSTS_MAX + 1, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_REQ, 1, WIRE_OP_PENDING, 2, 1);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_OK, 1, WIRE_OP_NOTHING, 2, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_OK, 1, WIRE_OP_REFUSE, 0, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_REQ, 1, WIRE_OP_REFUSE, 2, 1);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_NEWLEADER, 1, WIRE_OP_ADD, 0, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_newview(1, 1, 1);
	peerset_clear(&m.members);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg(WIRE_REDIRECT, 1, 0);
	m.leader = HOSTS_MAX + 1;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	/* REQ names the leader of the view it makes; OK ADD echoes it. */
	m = msg_req(WIRE_REQ, 1, WIRE_OP_ADD, 2, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m = msg_req(WIRE_OK, 1, WIRE_OP_ADD, 2, 0);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
}

/* Incarnation 0 is no life at all: every type refuses it, framed or not. */
static void test_encode_incarnation_zero(void **state)
{
	static char buf[TEST_BUF_BYTES];
	struct wire_msg s[SAMPLES_MAX];
	size_t n = samples(s), len;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		s[i].incarnation = 0;
		len = 12345;
		assert_int_equal(wire_encode(&s[i], buf, sizeof(buf), &len),
				 WIRE_ERANGE);
		assert_int_equal(wire_encode_frame(&s[i], buf, sizeof(buf),
						   &len), WIRE_ERANGE);
		/* Too small even for the header: still a range error. */
		assert_int_equal(wire_encode_frame(&s[i], buf, 2, &len),
				 WIRE_ERANGE);
		assert_int_equal(len, 12345);
		s[i].incarnation = 1;
		assert_int_equal(wire_encode(&s[i], buf, sizeof(buf), &len),
				 0);
	}
}

/* ---- decoding failures ---- */

/*
 * Every cut of every sample is truncated. The samples carry ballots and
 * acc_ballots of every width, so cuts fall inside those fields too.
 */
static void test_every_truncation(void **state)
{
	static char buf[TEST_BUF_BYTES];
	struct wire_msg s[SAMPLES_MAX], out;
	size_t n = samples(s), len;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wire_encode(&s[i], buf, sizeof(buf), &len),
				 0);
		for (size_t cut = 0; cut < len; cut++) {
			memset(&out, 0xa5, sizeof(out));
			assert_int_equal(wire_decode(buf, cut, &out),
					 WIRE_ETRUNCATED);
			assert_int_equal(out.type, 0);
			assert_int_equal(out.ballot, 0);
			assert_int_equal(out.acc_ballot, 0);
		}
	}
}

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 1, 1, 0, 0), 0);
	assert_int_equal(DECODE_U(0, WIRE_JOIN, 1, 1, 0, 0), WIRE_EVERSION);
	/* Versions 1 to 3 in version 4's layout are still 1 to 3. */
	assert_int_equal(DECODE_U(1, WIRE_JOIN, 1, 1, 0, 0), WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_JOIN, 1, 1, 0, 0), WIRE_EVERSION);
	assert_int_equal(DECODE_U(3, WIRE_JOIN, 1, 1, 0, 0), WIRE_EVERSION);
	assert_int_equal(DECODE_U(5, WIRE_JOIN, 1, 1, 0, 0), WIRE_EVERSION);
	assert_int_equal(DECODE_U(UINT64_MAX, WIRE_JOIN, 1, 1, 0, 0),
			 WIRE_EVERSION);
}

static void test_type(void **state)
{
	(void)state;
	assert_int_equal(DECODE_U(4, 0, 1, 1, 0, 0), WIRE_ETYPE);
	assert_int_equal(DECODE_U(4, 8, 1, 1, 0, 0), WIRE_ETYPE);
	assert_int_equal(DECODE_U(4, 0x100000000, 1, 1, 0, 0), WIRE_ETYPE);
}

static void test_element_count(void **state)
{
	static const unsigned char empty[] = { 0x90 };
	struct wire_msg m;

	(void)state;
	assert_int_equal(wire_decode((const char *)empty, 1, &m), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 1, 1, 0), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 1, 1, 0, 0, 0), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 1, 1, 0, 0, 1, 0, 0, 0),
			 WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 1, 1, 0, 0, 1, 0, 0),
			 WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 1, 1, 0, 0, 1, 0), 0);
	/* The beat number is no longer optional. */
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 1, 1, 0, 0, 1),
			 WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2),
			 WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1), 0);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1, 0),
			 WIRE_ESHAPE);
	/* An OK without its acc_ballot has a REQ's count, not an OK's. */
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 1, 2, 1),
			 WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 1, 2, 1, 0), 0);
	/* One over the largest count of any type: refused by the walk. */
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 1, 2, 1, 0, 0),
			 WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 1, 1, 0, 0), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 1, 1, 0, 0, 1, 3, 0),
			 WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 1, 1, 0, 0, 1),
			 WIRE_ESHAPE);
	/* A NEWVIEW without its member array. */
	assert_int_equal(DECODE_U(4, WIRE_NEWVIEW, 1, 1, 0, 0, 1), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_NEWVIEW, 1, 1, 0, 0, 1, 1),
			 WIRE_ESHAPE);
}

/*
 * Each kind of msgpack element that is not an unsigned integer, as
 * { length, bytes... }: none may stand where a field belongs.
 */
static const unsigned char not_uints[][10] = {
	{ 1, 0xa1, 'x' },			/* fixstr */
	{ 2, 0xd9, 0x00 },			/* str8, empty */
	{ 1, 0x80 },				/* fixmap, empty */
	{ 3, 0x81, 0x01, 0x02 },		/* fixmap {1: 2} */
	{ 1, 0xc0 },				/* nil */
	{ 1, 0xc2 },				/* false */
	{ 1, 0xc3 },				/* true */
	{ 5, 0xca, 0x3f, 0x80, 0, 0 },		/* float32 1.0 */
	{ 9, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0 }, /* float64 1.0 */
	{ 1, 0xff },				/* fixint -1 */
	{ 1, 0xe0 },				/* fixint -32 */
	{ 2, 0xd0, 0x80 },			/* int8 -128 */
	{ 3, 0xd1, 0xff, 0xff },		/* int16 -1 */
	{ 9, 0xd3, 0, 0, 0, 0, 0, 0, 0, 1 },	/* int64 1 */
	{ 3, 0xc4, 0x01, 0x01 },		/* bin8 */
	{ 3, 0xd4, 0x01, 0x00 },		/* fixext1 */
	{ 1, 0xc1 },				/* never used */
	{ 2, 0x91, 0x00 },			/* nested [0] */
	{ 3, 0x91, 0x91, 0x00 },		/* [[0]] */
};

/*
 * head, then one element, then tail: with the valid element good the
 * body decodes (so the case tests what it says), and with each of
 * not_uints in its place it is refused as the wrong shape.
 */
static void assert_not_uints_refused(const unsigned char *head,
				     size_t head_len, uint64_t good,
				     const unsigned char *tail,
				     size_t tail_len)
{
	static struct bytes b;
	struct wire_msg m;

	b.n = 0;
	put_raw(&b, head, head_len);
	put_uint(&b, good);
	put_raw(&b, tail, tail_len);
	assert_int_equal(decode_bytes(&b, &m), 0);
	for (size_t i = 0; i < COUNT(not_uints); i++) {
		b.n = 0;
		put_raw(&b, head, head_len);
		put_raw(&b, not_uints[i] + 1, not_uints[i][0]);
		put_raw(&b, tail, tail_len);
		assert_int_equal(decode_bytes(&b, &m), WIRE_ESHAPE);
	}
}

#define NOT_UINTS_REFUSED(head, good, tail) \
	assert_not_uints_refused(head, sizeof(head), good, tail, sizeof(tail))

/* [3, JOIN, 1, 1, 0, 0] with one element replaced, in each place. */
static void test_wrong_element_kinds(void **state)
{
	static const unsigned char join[] = { 0x96, 4, WIRE_JOIN, 1, 1, 0, 0 };
	static struct bytes b;
	struct wire_msg m;

	(void)state;
	/* Every element is one byte: the one at 1 + at is replaced. */
	for (size_t at = 0; at + 1 < sizeof(join); at++)
		assert_not_uints_refused(join, 1 + at, join[1 + at],
					 join + 2 + at,
					 sizeof(join) - 2 - at);
	/* Each kind as the whole body. */
	for (size_t i = 0; i < COUNT(not_uints); i++) {
		b.n = 0;
		put_raw(&b, not_uints[i] + 1, not_uints[i][0]);
		assert_int_equal(decode_bytes(&b, &m), WIRE_ESHAPE);
	}
	/* A lone integer is not a message. */
	b.n = 0;
	put_uint(&b, 1);
	assert_int_equal(decode_bytes(&b, &m), WIRE_ESHAPE);
}

/*
 * An array where an integer belongs, and nesting deeper than two, each
 * case its bytes: 0x9N is an array of N, 0x81 a map, 0xa1 a string.
 */
static void test_nesting(void **state)
{
	(void)state;
	/* REQ with an array in NEWVIEW's member slot. */
	assert_int_equal(DECODE_RAW(0x9a, 4, WIRE_REQ, 1, 1, 0, 0, 1,
				    0x91, 1, 2, 1), WIRE_ESHAPE);
	/* NEWVIEW with an integer instead of its member array. */
	assert_int_equal(DECODE_RAW(0x98, 4, WIRE_NEWVIEW, 1, 1, 0, 0, 1, 1),
			 WIRE_ESHAPE);
	/* NEWVIEW with its array in the leader slot, or in the ballot's. */
	assert_int_equal(DECODE_RAW(0x98, 4, WIRE_NEWVIEW, 1, 1, 0, 0,
				    0x91, 1, 0x91, 1), WIRE_ESHAPE);
	assert_int_equal(DECODE_RAW(0x98, 4, WIRE_NEWVIEW, 1, 1, 0,
				    0x91, 1, 1, 0x91, 1), WIRE_ESHAPE);
	/* NEWVIEW members [[1]] and [1, [2]]: depth three. */
	assert_int_equal(DECODE_RAW(0x98, 4, WIRE_NEWVIEW, 1, 1, 0, 1, 1,
				    0x91, 0x91, 1), WIRE_ESHAPE);
	assert_int_equal(DECODE_RAW(0x98, 4, WIRE_NEWVIEW, 1, 1, 0, 1, 1,
				    0x92, 1, 0x91, 2), WIRE_ESHAPE);
	/* Members as a map or a string. */
	assert_int_equal(DECODE_RAW(0x98, 4, WIRE_NEWVIEW, 1, 1, 0, 1, 1,
				    0x81, 1, 1), WIRE_ESHAPE);
	assert_int_equal(DECODE_RAW(0x98, 4, WIRE_NEWVIEW, 1, 1, 0, 1, 1,
				    0xa1, 1), WIRE_ESHAPE);
	/* The same head with a proper member array decodes. */
	assert_int_equal(DECODE_RAW(0x98, 4, WIRE_NEWVIEW, 1, 1, 0, 1, 1,
				    0x91, 1), 0);
}

/*
 * Declared counts far beyond the bytes present fail at once, before
 * msgpack-c could try to allocate for them (under ASan or valgrind a
 * 4-billion-element allocation would not pass unnoticed).
 */
static void test_huge_counts(void **state)
{
	static const unsigned char array32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char array16[] = { 0xdc, 0xff, 0xff, 1, 1 };
	static struct bytes b;
	struct wire_msg m;

	(void)state;
	assert_int_equal(wire_decode((const char *)array32, sizeof(array32),
				     &m), WIRE_ETRUNCATED);
	assert_int_equal(wire_decode((const char *)array16, sizeof(array16),
				     &m), WIRE_ETRUNCATED);
	/* Still truncated with plenty of bytes after the header. */
	b.n = 0;
	put_raw(&b, array32, sizeof(array32));
	for (unsigned i = 0; i < 1000; i++)
		put_uint(&b, 1);
	assert_int_equal(decode_bytes(&b, &m), WIRE_ETRUNCATED);
	/* A NEWVIEW whose member array32 claims 2^32 - 1 ids. */
	b.n = 0;
	put_newview_head(&b);
	put_raw(&b, array32, sizeof(array32));
	put_uint(&b, 1);
	put_uint(&b, 2);
	assert_int_equal(decode_bytes(&b, &m), WIRE_ETRUNCATED);
	/* A member array over HOSTS_MAX whose bytes are all there. */
	b.n = 0;
	put_newview_head(&b);
	put_array(&b, HOSTS_MAX + 1);
	for (unsigned id = 1; id <= HOSTS_MAX + 1; id++)
		put_uint(&b, id);
	assert_int_equal(decode_bytes(&b, &m), WIRE_ESHAPE);
	/* Exactly HOSTS_MAX, hand-built, is fine. */
	b.n = 0;
	put_newview_head(&b);
	put_array(&b, HOSTS_MAX);
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		put_uint(&b, id);
	assert_int_equal(decode_bytes(&b, &m), 0);
	assert_int_equal(peerset_count(&m.members), HOSTS_MAX);
}

static void test_trailing(void **state)
{
	static char buf[TEST_BUF_BYTES];
	struct wire_msg s[SAMPLES_MAX], out;
	size_t n = samples(s), len, two;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wire_encode(&s[i], buf, sizeof(buf), &len),
				 0);
		buf[len] = 0;
		assert_int_equal(wire_decode(buf, len + 1, &out),
				 WIRE_ETRAILING);
		/* Two whole messages in one body are one too many. */
		assert_int_equal(wire_encode(&s[i], buf + len,
					     sizeof(buf) - len, &two), 0);
		assert_int_equal(wire_decode(buf, len + two, &out),
				 WIRE_ETRAILING);
	}
}

static void test_members(void **state)
{
	(void)state;
	assert_int_equal(DECODE_NEWVIEW(1, 1, 1, 2, 3), 0);
	assert_int_equal(DECODE_NEWVIEW(1, 1, 1, 3, 2), WIRE_ERANGE);
	assert_int_equal(DECODE_NEWVIEW(1, 1, 2, 1), WIRE_ERANGE);
	assert_int_equal(DECODE_NEWVIEW(1, 1, 1, 2, 2), WIRE_ERANGE);
	assert_int_equal(DECODE_NEWVIEW(1, 1, 0), WIRE_ERANGE);
	assert_int_equal(DECODE_NEWVIEW(1, 1, 0, 1), WIRE_ERANGE);
	assert_int_equal(DECODE_NEWVIEW(1, 1, HOSTS_MAX), 0);
	assert_int_equal(DECODE_NEWVIEW(1, 1, 1, HOSTS_MAX + 1), WIRE_ERANGE);
	assert_int_equal(DECODE_NEWVIEW(1, 1, 1, UINT64_MAX), WIRE_ERANGE);
	assert_int_equal(decode_newview(1, 1, NULL, 0), WIRE_ERANGE);
	/* The leader is a peer id too. */
	assert_int_equal(DECODE_NEWVIEW(1, 0, 1), WIRE_ERANGE);
	assert_int_equal(DECODE_NEWVIEW(1, HOSTS_MAX + 1, 1), WIRE_ERANGE);
}

static void test_field_ranges(void **state)
{
	(void)state;
	/* from */
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 0, 1, 0, 0), WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_JOIN, HOSTS_MAX, 1, 0, 0), 0);
	assert_int_equal(DECODE_U(4, WIRE_JOIN, HOSTS_MAX + 1, 1, 0, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 0x10001, 1, 0, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_NEWVIEW(0, 1, 1), WIRE_ERANGE);
	/* view_id and request_id are 32 bits; ballot is 64 */
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 1, 1, UINT32_MAX, 0), 0);
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 1, 1, 0x100000000, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 1, 1, 0, 0x100000000), 0);
	assert_int_equal(decoded.ballot, UINT64_C(0x100000000));
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, UINT32_MAX, 1, 2,
				  1), 0);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 0x100000000, 1, 2,
				  1), WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 1, 1, 0, 0, UINT64_MAX,
				  3), WIRE_ERANGE);
	/* peer */
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 0, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 2, HOSTS_MAX, 1),
			 0);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 2,
				  HOSTS_MAX + 1, 1), WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 1, 0, 1, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 2, 65536 + 1, 1,
				  0), WIRE_ERANGE);
	/* leader: REQ names the one view view_id + 1 has; OK ADD echoes it */
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2,
				  HOSTS_MAX), 0);
	assert_int_equal(decoded.leader, HOSTS_MAX);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2,
				  HOSTS_MAX + 1), WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 1, 2, 0, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 2, 2,
				  HOSTS_MAX + 1, 0), WIRE_ERANGE);
	/* OK with NOTHING: peer 0, leader 0 and acc_ballot 0, all three */
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 4, 0, 0, 0), 0);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 4, 1, 0, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 4, 0, 1, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 4, 0, 0, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 4, 0, 0,
				  UINT64_MAX), WIRE_ERANGE);
	/* OK with REFUSE: a valid peer (whom the sender follows) */
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 9, 1, 5, 3, 0, 0), 0);
	assert_int_equal(decoded.peer, 3);
	assert_int_equal(decoded.ballot, 9);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 9, 1, 5, 0, 0, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 9, 1, 5, HOSTS_MAX + 1,
				  0, 0), WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 9, 1, 5, 3,
				  HOSTS_MAX + 1, 0), WIRE_ERANGE);
	/* leader: a peer id, or 0 from a peer still joining itself */
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 1, 1, 0, 0, 1), 0);
	assert_int_equal(decoded.leader, 1);
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 1, 1, 0, 0, HOSTS_MAX), 0);
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 1, 1, 0, 0, HOSTS_MAX + 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 1, 1, 0, 0, 0x10001),
			 WIRE_ERANGE);
}

/* REDIRECT's leader 0: "I am joining too and know no leader". */
static void test_redirect_no_leader(void **state)
{
	static char buf[64];
	struct wire_msg m = msg(WIRE_REDIRECT, 4, 0), out;
	size_t len;

	(void)state;
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 4, 1, 0, 0, 0), 0);
	assert_int_equal(decoded.type, WIRE_REDIRECT);
	assert_int_equal(decoded.from, 4);
	assert_int_equal(decoded.leader, 0);
	m.leader = 0;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_msg_equal(&m, &out);
	assert_int_equal(wire_encode_frame(&m, buf, sizeof(buf), &len), 0);
	/* REDIRECT's and HEARTBEAT's leader may be 0: NEWVIEW's may not. */
	assert_int_equal(DECODE_NEWVIEW(1, 0, 1), WIRE_ERANGE);
}

/*
 * HEARTBEAT carries the leader its sender follows, a peer id at either end
 * of the range or 0, in its own place after the ballot, then its beat
 * number, each at its smallest width.
 */
static void test_heartbeat_leader_roundtrip(void **state)
{
	static const unsigned char leader_1[] = {
		0x98, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 1,
	};
	static const unsigned char leader_max[] = {
		0x98, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 0xcd, 0x04, 0x00,
		0xce, 0xff, 0xff, 0xff, 0xff,
	};
	static const unsigned char leader_none[] = {
		0x98, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 0, 0,
	};
	static const struct {
		uint16_t leader;
		uint32_t beat;
		const unsigned char *bytes;
		size_t len;
	} cases[] = {
		{ 1, 1, leader_1, sizeof(leader_1) },
		{ HOSTS_MAX, UINT32_MAX, leader_max, sizeof(leader_max) },
		{ 0, 0, leader_none, sizeof(leader_none) },
	};
	static char buf[64];
	struct wire_msg m, out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		m = msg(WIRE_HEARTBEAT, 2, 9);
		m.ballot = 4;
		m.leader = cases[i].leader;
		m.beat = cases[i].beat;
		assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
		assert_int_equal(len, cases[i].len);
		assert_memory_equal(buf, cases[i].bytes, len);
		memset(&out, 0xa5, sizeof(out));
		assert_int_equal(wire_decode(buf, len, &out), 0);
		assert_msg_equal(&m, &out);
		assert_int_equal(out.leader, cases[i].leader);
		/* Nothing else of the other types' fields is set. */
		assert_int_equal(out.request_id, 0);
		assert_int_equal(out.op, 0);
		assert_int_equal(out.peer, 0);
		assert_int_equal(out.acc_ballot, 0);
		assert_true(peerset_empty(&out.members));
		assert_int_equal(wire_encode_frame(&m, buf, sizeof(buf), &len),
				 0);
		memset(&out, 0xa5, sizeof(out));
		assert_int_equal(wire_decode(buf + WIRE_FRAME_HEADER_BYTES,
					     len - WIRE_FRAME_HEADER_BYTES,
					     &out), 0);
		assert_msg_equal(&m, &out);
		/* Hand-built, every field distinct: each lands in its place. */
		assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 5, 7, 8,
					  cases[i].leader, cases[i].beat), 0);
		assert_int_equal(decoded.type, WIRE_HEARTBEAT);
		assert_int_equal(decoded.from, 3);
		assert_int_equal(decoded.incarnation, 5);
		assert_int_equal(decoded.view_id, 7);
		assert_int_equal(decoded.ballot, 8);
		assert_int_equal(decoded.leader, cases[i].leader);
		assert_int_equal(decoded.beat, cases[i].beat);
	}
	/* Over 32 bits is no beat number. */
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 5, 7, 8, 1,
				  UINT64_C(0x100000000)), WIRE_ERANGE);
}

/*
 * Like REDIRECT's, HEARTBEAT's leader may be 0 (the sender follows no
 * leader: it is taking over). Out of range is refused alike by the
 * decoder and the encoder.
 */
static void test_heartbeat_leader_range(void **state)
{
	static const uint16_t bad[] = { HOSTS_MAX + 1, UINT16_MAX };
	static char buf[64];
	struct wire_msg m;
	size_t len;

	(void)state;
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 0, 0, 1), 0);
	assert_int_equal(decoded.leader, 0);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 0,
				  HOSTS_MAX + 1, 1), WIRE_ERANGE);
	/* A refused message leaves nothing behind. */
	assert_int_equal(decoded.from, 0);
	assert_int_equal(decoded.type, 0);
	assert_int_equal(decoded.leader, 0);
	/* Over 16 bits: not cut down to leader 1. */
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 0, 0x10001, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 0, UINT64_MAX,
				  1), WIRE_ERANGE);
	for (size_t i = 0; i < COUNT(bad); i++) {
		m = msg(WIRE_HEARTBEAT, 3, 7);
		m.leader = bad[i];
		len = 12345;
		assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len),
				 WIRE_ERANGE);
		assert_int_equal(wire_encode_frame(&m, buf, sizeof(buf), &len),
				 WIRE_ERANGE);
		/* Too small even for the header: still a range error. */
		assert_int_equal(wire_encode_frame(&m, buf, 2, &len),
				 WIRE_ERANGE);
		assert_int_equal(len, 12345);
	}
}

/*
 * Version 2's HEARTBEAT, [2, 6, from, incarnation, view_id, leader], has
 * no ballot, and version 3's, [3, 6, ..., ballot, leader], no beat
 * number. As they were written, each is an unknown version; with version
 * 4's number each is refused by its count, whatever its last element
 * might pass for: a peer that was not upgraded is not misread.
 */
static void test_heartbeat_previous_layout(void **state)
{
	/* As the previous encoder wrote it: from 3, incarnation 1, view 7,
	 * leader 2. */
	static const unsigned char previous[] = {
		0x96, 2, WIRE_HEARTBEAT, 3, 1, 7, 2,
	};
	struct wire_msg m;

	(void)state;
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(wire_decode((const char *)previous, sizeof(previous),
				     &m), WIRE_EVERSION);
	assert_int_equal(m.type, 0);
	assert_int_equal(m.from, 0);
	assert_int_equal(m.leader, 0);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 2), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, HOSTS_MAX, UINT64_MAX,
				  UINT32_MAX, 1), WIRE_ESHAPE);
	/* A leader that would be a valid ballot is still not one. */
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 0), WIRE_ESHAPE);
	/* Version 3's, the ballot in its place and no beat number. */
	assert_int_equal(DECODE_U(3, WIRE_HEARTBEAT, 3, 1, 7, 5, 2),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 5, 2),
			 WIRE_ESHAPE);
	/* The same with the beat number after the leader decodes. */
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 5, 2, 6), 0);
	assert_int_equal(decoded.ballot, 5);
	assert_int_equal(decoded.leader, 2);
	assert_int_equal(decoded.beat, 6);
}

/*
 * A peer still on version 2 sends every type without the ballot, and REQ
 * and OK without the fields after peer: none of it may decode. Where the
 * old array passes the structure walk it is refused as a version the
 * codec does not speak; version 2's JOIN (5 elements, under version 4's
 * least) and NEWVIEW (its member array one place early) fail that walk
 * first, since it runs before the version is read.
 */
static void test_previous_version(void **state)
{
	static struct bytes b;
	struct wire_msg m;

	(void)state;
	assert_int_equal(DECODE_U(2, WIRE_REQ, 3, 1, 7, 11, 1, 4),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_OK, 3, 1, 7, 11, 1, 4),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_OK, 3, 1, 7, 11, 4, 0),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_OK, 3, 1, 7, 11, 5, 2),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_NEWLEADER, 3, 1, 7, 11, 3),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_HEARTBEAT, 3, 1, 7, 1),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_REDIRECT, 3, 1, 7, 1),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_REDIRECT, 3, 1, 7, 0),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_JOIN, 3, 1, 7), WIRE_ESHAPE);
	b.n = 0;
	put_array(&b, 7);
	put_raw(&b, (const unsigned char[]){ 2, WIRE_NEWVIEW, 1, 1, 7, 1 }, 6);
	put_array(&b, 2);
	put_uint(&b, 1);
	put_uint(&b, 2);
	assert_int_equal(decode_bytes(&b, &m), WIRE_ESHAPE);
	/* Even in version 4's layout, number 2 is not version 4. */
	assert_int_equal(DECODE_U(2, WIRE_REQ, 3, 1, 7, 5, 11, 1, 4, 1),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_OK, 3, 1, 7, 5, 11, 4, 0, 0, 0),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(2, WIRE_HEARTBEAT, 3, 1, 7, 5, 1),
			 WIRE_EVERSION);
}

/*
 * A peer still on version 1 sends the old layout, without incarnation:
 * [1, type, from, view_id, ...]. None of it may decode. Where the old
 * array passes the structure walk it is refused as a version the codec
 * does not speak; version 1's JOIN, HEARTBEAT and REDIRECT (4 and 5
 * elements, under version 4's least) and NEWVIEW (its member array early)
 * fail that walk first, since it runs before the version is read.
 */
static void test_old_version_layout(void **state)
{
	static struct bytes b;
	struct wire_msg m;

	(void)state;
	assert_int_equal(DECODE_U(1, WIRE_REQ, 3, 7, 11, 1, 4), WIRE_EVERSION);
	assert_int_equal(DECODE_U(1, WIRE_OK, 3, 7, 11, 4, 0), WIRE_EVERSION);
	assert_int_equal(DECODE_U(1, WIRE_NEWLEADER, 3, 7, 11, 3),
			 WIRE_EVERSION);
	assert_int_equal(DECODE_U(1, WIRE_REDIRECT, 3, 7, 1), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(1, WIRE_REDIRECT, 3, 7, 0), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(1, WIRE_JOIN, 3, 7), WIRE_ESHAPE);
	assert_int_equal(DECODE_U(1, WIRE_HEARTBEAT, 3, 7), WIRE_ESHAPE);
	b.n = 0;
	put_array(&b, 6);
	put_raw(&b, (const unsigned char[]){ 1, WIRE_NEWVIEW, 1, 7, 1 }, 5);
	put_array(&b, 2);
	put_uint(&b, 1);
	put_uint(&b, 2);
	assert_int_equal(decode_bytes(&b, &m), WIRE_ESHAPE);
}

/*
 * Every sample with the element at index missing is refused as the wrong
 * shape: by its count, whatever else the array might pass for (a
 * HEARTBEAT a field short has a JOIN's count; an OK, a REQ's), and
 * NEWVIEW also by its member array one place early.
 */
static void assert_missing_refused(int index)
{
	static struct bytes b;
	struct wire_msg s[SAMPLES_MAX], m;
	size_t n = samples(s);

	for (size_t i = 0; i < n; i++) {
		b.n = 0;
		put_msg_skip(&b, &s[i], index);
		memset(&m, 0xa5, sizeof(m));
		assert_int_equal(decode_bytes(&b, &m), WIRE_ESHAPE);
		assert_int_equal(m.type, 0);
	}
}

/* Version 3 with the incarnation left out (version 1 had none). */
static void test_missing_incarnation(void **state)
{
	(void)state;
	assert_missing_refused(3);
	/* As many elements as a JOIN, but it says REDIRECT. */
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 3, 7, 0, 1), WIRE_ESHAPE);
}

/*
 * Version 3 with the ballot left out, as a peer half upgraded from
 * version 2 would write it.
 */
static void test_missing_ballot(void **state)
{
	(void)state;
	assert_missing_refused(5);
	/* An OK without its acc_ballot: version 2's fields plus leader. */
	assert_int_equal(DECODE_U(4, WIRE_OK, 3, 1, 7, 5, 11, 1, 4, 1),
			 WIRE_ESHAPE);
}

/* Incarnation 0 is refused in every type, however it is written. */
static void test_incarnation_zero(void **state)
{
	static const unsigned char wide_zero[] = {
		0x96, 4, WIRE_JOIN, 3, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0,
	};
	static struct bytes b;
	struct wire_msg m;

	(void)state;
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 3, 0, 7, 0), WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 0, 7, 0, 1, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 3, 0, 7, 0, 11, 1, 4, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 3, 0, 7, 0, 11, 4, 0, 0, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 3, 0, 7, 0, 11, 3),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 3, 0, 7, 0, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 3, 0, 7, 0, 0),
			 WIRE_ERANGE);
	b.n = 0;
	put_array(&b, 8);
	put_raw(&b, (const unsigned char[]){ 4, WIRE_NEWVIEW, 1, 0, 7, 0, 1 },
		7);
	put_array(&b, 1);
	put_uint(&b, 1);
	assert_int_equal(decode_bytes(&b, &m), WIRE_ERANGE);
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(wire_decode((const char *)wide_zero,
				     sizeof(wide_zero), &m), WIRE_ERANGE);
	/* A refused message leaves nothing behind. */
	assert_int_equal(m.incarnation, 0);
	assert_int_equal(m.from, 0);
	/* The same bodies with incarnation 1 are fine. */
	assert_int_equal(DECODE_U(4, WIRE_JOIN, 3, 1, 7, 0), 0);
	assert_int_equal(decoded.incarnation, 1);
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 3, 1, 7, 0, 0), 0);
	assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 1, 7, 0, 1, 1), 0);
}

/*
 * Every width of incarnation decodes to exactly its value, in its own
 * place: over UINT32_MAX too, where view_id and request_id stop.
 */
static void test_incarnation_decode(void **state)
{
	static const uint64_t values[] = {
		1, 0x7f, 0x80, 0xffff, 0x10000, UINT32_MAX,
		(uint64_t)UINT32_MAX + 1, UINT64_C(0xfedcba9876543210),
		UINT64_MAX,
	};
	static struct bytes b;
	struct wire_msg m;

	(void)state;
	for (size_t i = 0; i < COUNT(values); i++) {
		assert_int_equal(DECODE_U(4, WIRE_JOIN, 3, values[i], 7, 9), 0);
		assert_int_equal(decoded.from, 3);
		assert_int_equal(decoded.incarnation, values[i]);
		assert_int_equal(decoded.view_id, 7);
		assert_int_equal(decoded.ballot, 9);
	}
	/* Each field of a REQ in its place, none equal to another. */
	assert_int_equal(DECODE_U(4, WIRE_REQ, 3, 0x100000000, 7, 13, 11, 2, 5,
				  6), 0);
	assert_int_equal(decoded.type, WIRE_REQ);
	assert_int_equal(decoded.from, 3);
	assert_int_equal(decoded.incarnation, UINT64_C(0x100000000));
	assert_int_equal(decoded.view_id, 7);
	assert_int_equal(decoded.ballot, 13);
	assert_int_equal(decoded.request_id, 11);
	assert_int_equal(decoded.op, WIRE_OP_DEL);
	assert_int_equal(decoded.peer, 5);
	assert_int_equal(decoded.leader, 6);
	/* A NEWVIEW of the last life there is. */
	b.n = 0;
	put_array(&b, 8);
	put_raw(&b, (const unsigned char[]){ 4, WIRE_NEWVIEW, 2 }, 3);
	put_uint(&b, UINT64_MAX);
	put_raw(&b, (const unsigned char[]){ 9, 10, 2 }, 3);
	put_array(&b, 2);
	put_uint(&b, 2);
	put_uint(&b, 4);
	assert_int_equal(decode_bytes(&b, &m), 0);
	assert_int_equal(m.incarnation, UINT64_MAX);
	assert_int_equal(m.view_id, 9);
	assert_int_equal(m.ballot, 10);
	assert_int_equal(m.leader, 2);
	assert_int_equal(peerset_count(&m.members), 2);
}

/* A field that is not an unsigned integer, in the incarnation's place. */
static void test_incarnation_not_integer(void **state)
{
	static const unsigned char req[] = { 0x9a, 4, WIRE_REQ, 3 };
	static const unsigned char req_tail[] = { 7, 0, 11, 2, 5, 1 };
	/* In a NEWVIEW, whose one array belongs four places on. */
	static const unsigned char newview[] = { 0x98, 4, WIRE_NEWVIEW, 1 };
	static const unsigned char newview_tail[] = { 7, 0, 1, 0x91, 1 };

	(void)state;
	NOT_UINTS_REFUSED(req, 1, req_tail);
	NOT_UINTS_REFUSED(newview, UINT64_MAX, newview_tail);
}

/*
 * Each incarnation survives the round trip exactly, in every type, and is
 * written at its smallest width: a JOIN's body is the hand-built one.
 */
static void test_incarnation_roundtrip(void **state)
{
	static char buf[TEST_BUF_BYTES];
	static struct bytes b;
	struct wire_msg s[SAMPLES_MAX], m;
	size_t n = samples(s), len;

	(void)state;
	for (size_t v = 0; v < COUNT(sample_incarnations); v++) {
		uint64_t inc = sample_incarnations[v];

		for (size_t i = 0; i < n; i++) {
			s[i].incarnation = inc;
			roundtrip(&s[i]);
		}
		m = msg(WIRE_JOIN, 1, 0);
		m.incarnation = inc;
		assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
		b.n = 0;
		put_array(&b, 6);
		put_raw(&b, (const unsigned char[]){ 4, WIRE_JOIN, 1 }, 3);
		put_uint(&b, inc);
		put_uint(&b, 0);
		put_uint(&b, 0);
		assert_int_equal(len, b.n);
		assert_memory_equal(buf, b.b, b.n);
	}
}

static void test_ops(void **state)
{
	(void)state;
	/* REQ: ADD or DEL. */
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 1, 2, 1), 0);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 2, 2, 1), 0);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 0, 2, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 3, 2, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 4, 2, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 5, 2, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_REQ, 1, 1, 0, 0, 1, 0x100000001, 2,
				  1), WIRE_ERANGE);
	/* OK: ADD, DEL, NOTHING or REFUSE. */
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 1, 2, 1, 0), 0);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 2, 2, 1, 0), 0);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 4, 0, 0, 0), 0);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 5, 2, 0, 0), 0);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 3, 2, 1, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 3, 0, 0, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 0, 0, 0, 0),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_OK, 1, 1, 0, 0, 1, 6, 2, 1, 0),
			 WIRE_ERANGE);
	/* NEWLEADER: PENDING only. */
	assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 1, 1, 0, 0, 1, 3), 0);
	assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 1, 1, 0, 0, 1, 1),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 1, 1, 0, 0, 1, 2),
			 WIRE_ERANGE);
	assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 1, 1, 0, 0, 1, 4),
			 WIRE_ERANGE);
}

/* ---- the ballots of version 4 ---- */

/* The ballot values the brief of version 4 names, at every width's edge. */
static const uint64_t edge_ballots[] = {
	0, 1, (uint64_t)UINT32_MAX + 1, UINT64_MAX,
};

/* wire_encode(m) writes exactly the oracle's bytes and decodes back. */
static void assert_encodes_as_oracle(const struct wire_msg *m)
{
	static char buf[TEST_BUF_BYTES];
	static struct bytes b;
	size_t len;

	roundtrip(m);
	assert_int_equal(wire_encode(m, buf, sizeof(buf), &len), 0);
	b.n = 0;
	put_msg(&b, m);
	assert_int_equal(len, b.n);
	assert_memory_equal(buf, b.b, b.n);
}

/*
 * ballot, in every type, and acc_ballot, in every OK that carries one,
 * survive the round trip at 0, 1, 2^32 and UINT64_MAX, each at its
 * smallest width, in its own place.
 */
static void test_ballot_roundtrip(void **state)
{
	struct wire_msg s[SAMPLES_MAX], m;
	size_t n = samples(s);
	unsigned oks = 0;

	(void)state;
	for (size_t v = 0; v < COUNT(edge_ballots); v++) {
		for (size_t i = 0; i < n; i++) {
			m = s[i];
			m.ballot = edge_ballots[v];
			assert_encodes_as_oracle(&m);
			if (m.type != WIRE_OK || m.op == WIRE_OP_NOTHING)
				continue;
			oks++;
			for (size_t a = 0; a < COUNT(edge_ballots); a++) {
				m.acc_ballot = edge_ballots[a];
				assert_encodes_as_oracle(&m);
			}
		}
	}
	/* ADD, DEL and REFUSE answers, each at every ballot. */
	assert_true(oks >= 4 * COUNT(edge_ballots));
}

/*
 * Every width of ballot and acc_ballot decodes to exactly its value, in
 * its own place, with no range below 64 bits (unlike view_id's 32), and
 * neither is mistaken for the other.
 */
static void test_ballot_decode(void **state)
{
	static struct bytes b;
	struct wire_msg m;

	(void)state;
	for (size_t i = 0; i < COUNT(ballots); i++) {
		uint64_t v = ballots[i], other = ~ballots[i];

		assert_int_equal(DECODE_U(4, WIRE_JOIN, 3, 2, 7, v), 0);
		assert_int_equal(decoded.ballot, v);
		assert_int_equal(decoded.incarnation, 2);
		assert_int_equal(decoded.view_id, 7);
		assert_int_equal(DECODE_U(4, WIRE_NEWLEADER, 3, 2, 7, v, 11, 3),
				 0);
		assert_int_equal(decoded.ballot, v);
		assert_int_equal(decoded.request_id, 11);
		assert_int_equal(DECODE_U(4, WIRE_HEARTBEAT, 3, 2, 7, v, 4, 1),
				 0);
		assert_int_equal(decoded.ballot, v);
		assert_int_equal(decoded.leader, 4);
		assert_int_equal(DECODE_U(4, WIRE_OK, 3, 2, 7, v, 11, 1, 5, 4,
					  other), 0);
		assert_int_equal(decoded.ballot, v);
		assert_int_equal(decoded.acc_ballot, other);
		assert_int_equal(decoded.peer, 5);
		assert_int_equal(decoded.leader, 4);
		assert_int_equal(DECODE_U(4, WIRE_OK, 3, 2, 7, other, 11, 2, 5,
					  4, v), 0);
		assert_int_equal(decoded.ballot, other);
		assert_int_equal(decoded.acc_ballot, v);
		b.n = 0;
		put_array(&b, 8);
		put_raw(&b, (const unsigned char[]){ 4, WIRE_NEWVIEW, 1, 1, 7 },
			5);
		put_uint(&b, v);
		put_uint(&b, 1);
		put_array(&b, 1);
		put_uint(&b, 1);
		assert_int_equal(decode_bytes(&b, &m), 0);
		assert_int_equal(m.ballot, v);
		assert_int_equal(m.leader, 1);
	}
}

/* A ballot or acc_ballot that is not an unsigned integer is refused. */
static void test_ballot_not_integer(void **state)
{
	/* The ballot of an OK, then its acc_ballot, its last element. */
	static const unsigned char ok[] = { 0x9b, 4, WIRE_OK, 3, 1, 7 };
	static const unsigned char ok_tail[] = { 11, 1, 5, 4, 0 };
	static const unsigned char ok_acc[] = { 0x9b, 4, WIRE_OK, 3, 1, 7, 0,
						11, 1, 5, 4 };
	/* NEWVIEW's ballot, just before its leader and members. */
	static const unsigned char newview[] = { 0x98, 4, WIRE_NEWVIEW, 1, 1,
						 7 };
	static const unsigned char newview_tail[] = { 1, 0x91, 1 };

	(void)state;
	NOT_UINTS_REFUSED(ok, UINT64_MAX, ok_tail);
	assert_not_uints_refused(ok_acc, sizeof(ok_acc), UINT64_MAX, NULL, 0);
	NOT_UINTS_REFUSED(newview, (uint64_t)UINT32_MAX + 1, newview_tail);
}

/*
 * The encoder and the decoder accept exactly the same messages: each
 * sample with its ids (from, peer, leader), op and acc_ballot varied over
 * both sides of every range is refused by wire_encode with the very code
 * wire_decode gives the same fields laid out by hand, and accepted by
 * both alike. OK with NOTHING must have peer 0, leader 0, acc_ballot 0;
 * REFUSE needs a valid peer; REQ needs a valid leader.
 */
static void test_encode_decode_agree(void **state)
{
	static const uint16_t ids[] = { 0, 1, HOSTS_MAX, HOSTS_MAX + 1,
					UINT16_MAX };
	static const uint64_t accs[] = { 0, 1 };
	/* from, peer, leader, op (0 to one past REFUSE), acc_ballot. */
	static const unsigned combos = 5 * 5 * 5 * 7 * 2;
	static char buf[TEST_BUF_BYTES];
	static struct bytes b;
	struct wire_msg s[SAMPLES_MAX], m, out;
	size_t n = samples(s), len;
	unsigned accepted = 0, refused = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (unsigned k = 0; k < combos; k++) {
			unsigned r = k;
			int rc;

			m = s[i];
			m.from = ids[r % COUNT(ids)];
			r /= COUNT(ids);
			/* Only the fields the type carries: the rest are
			 * neither written nor read. */
			if (m.type == WIRE_REQ || m.type == WIRE_OK)
				m.peer = ids[r % COUNT(ids)];
			r /= COUNT(ids);
			if (m.type != WIRE_JOIN && m.type != WIRE_NEWLEADER)
				m.leader = ids[r % COUNT(ids)];
			r /= COUNT(ids);
			if (m.type == WIRE_REQ || m.type == WIRE_OK ||
			    m.type == WIRE_NEWLEADER)
				m.op = (enum wire_op)(r % 7);
			r /= 7;
			if (m.type == WIRE_OK)
				m.acc_ballot = accs[r % COUNT(accs)];
			b.n = 0;
			put_msg(&b, &m);
			rc = decode_bytes(&b, &out);
			len = 12345;
			assert_int_equal(wire_encode(&m, buf, sizeof(buf),
						     &len), rc);
			if (rc != 0) {
				assert_int_equal(len, 12345);
				refused++;
				continue;
			}
			accepted++;
			assert_int_equal(len, b.n);
			assert_memory_equal(buf, b.b, b.n);
			assert_msg_equal(&m, &out);
		}
	}
	assert_true(accepted > 1000 && refused > 1000);
}

/* OK with NOTHING carries zeros only; REFUSE names whom its sender
 * follows; both answer at the ballot they speak for. */
static void test_ok_answers(void **state)
{
	static char buf[64];
	struct wire_msg m;
	size_t len;

	(void)state;
	m = msg_req(WIRE_OK, 8, WIRE_OP_NOTHING, 0, 0);
	m.ballot = UINT64_MAX;
	assert_encodes_as_oracle(&m);
	m.peer = 1;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m.peer = 0;
	m.leader = 1;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m.leader = 0;
	m.acc_ballot = 1;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m.acc_ballot = UINT64_MAX;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	assert_int_equal(wire_encode_frame(&m, buf, 2, &len), WIRE_ERANGE);
	/* REFUSE: the higher ballot answered, and a valid peer. */
	m = msg_req(WIRE_OK, 8, WIRE_OP_REFUSE, 2, 0);
	m.ballot = (uint64_t)UINT32_MAX + 1;
	assert_encodes_as_oracle(&m);
	m.peer = 0;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m.peer = HOSTS_MAX + 1;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	/* Its leader is no peer id the decoder would take: not sent either. */
	m.peer = 2;
	m.leader = HOSTS_MAX + 1;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
}
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(wire_type_name(WIRE_JOIN), "JOIN");
	assert_string_equal(wire_type_name(WIRE_NEWVIEW), "NEWVIEW");
	assert_string_equal(wire_type_name(WIRE_REDIRECT), "REDIRECT");
	assert_string_equal(wire_type_name(0), "?");
	assert_string_equal(wire_type_name(8), "?");
	assert_string_equal(wire_type_name(-1), "?");
	assert_string_equal(wire_op_name(WIRE_OP_ADD), "ADD");
	assert_string_equal(wire_op_name(WIRE_OP_NOTHING), "NOTHING");
	assert_string_equal(wire_op_name(0), "?");
	assert_string_equal(wire_op_name(5), "REFUSE");
	assert_string_equal(wire_op_name(6), "?");
	assert_string_equal(wire_strerror(WIRE_ETRUNCATED), "truncated");
	assert_string_equal(wire_strerror(WIRE_ENOSPACE), "no space");
	assert_string_equal(wire_strerror(-100), "?");
	for (int e = WIRE_ENOSPACE; e <= WIRE_ETRUNCATED; e++)
		assert_string_not_equal(wire_strerror(e), "?");
}

/* ---- seeded random and mutated bodies ---- */

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Valid bodies small enough to mutate within FUZZ_LEN_MAX bytes. */
struct fuzz_seeds {
	unsigned char body[SAMPLES_MAX][FUZZ_LEN_MAX];
	size_t len[SAMPLES_MAX];
	size_t n;
};

static void fuzz_seeds_create(struct fuzz_seeds *f)
{
	struct wire_msg s[SAMPLES_MAX];
	size_t n = samples(s);

	f->n = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = wire_encode(&s[i], (char *)f->body[f->n],
				     FUZZ_LEN_MAX, &f->len[f->n]);

		/* Only a body too long to mutate is left out, never one the
		 * encoder refuses. */
		assert_true(rc == 0 || rc == WIRE_ENOSPACE);
		if (rc == 0)
			f->n++;
	}
	assert_true(f->n >= n - 2);
}

/*
 * Half the inputs are random bytes; the other half are valid bodies with a
 * few bytes changed, cut short or extended, which reach much deeper into
 * the decoder than noise does.
 */
static size_t fuzz_input(uint64_t *seed, const struct fuzz_seeds *f,
			 unsigned char *in)
{
	size_t len, pick;

	if (xorshift64(seed) & 1) {
		len = xorshift64(seed) % (FUZZ_LEN_MAX + 1);
		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char)xorshift64(seed);
		return len;
	}
	pick = xorshift64(seed) % f->n;
	len = f->len[pick];
	memcpy(in, f->body[pick], len);
	for (unsigned flips = xorshift64(seed) % 4; flips > 0; flips--)
		in[xorshift64(seed) % len] = (unsigned char)xorshift64(seed);
	switch (xorshift64(seed) % 4) {
	case 0:
		len = xorshift64(seed) % (len + 1);
		break;
	case 1:
		while (len < FUZZ_LEN_MAX && (xorshift64(seed) & 3))
			in[len++] = (unsigned char)xorshift64(seed);
		break;
	}
	return len;
}

static void test_fuzz(void **state)
{
	static char buf[TEST_BUF_BYTES];
	static struct fuzz_seeds f;
	unsigned char in[FUZZ_LEN_MAX];
	struct wire_msg m, again;
	uint64_t seed = FUZZ_SEED;
	unsigned accepted = 0;
	size_t len;

	(void)state;
	fuzz_seeds_create(&f);
	for (unsigned i = 0; i < FUZZ_ITERATIONS; i++) {
		int rc;

		len = fuzz_input(&seed, &f, in);
		rc = wire_decode((const char *)in, len, &m);
		if (rc != 0) {
			assert_true(rc >= WIRE_ENOSPACE && rc < 0);
			continue;
		}
		accepted++;
		assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
		assert_int_equal(wire_decode(buf, len, &again), 0);
		assert_msg_equal(&m, &again);
	}
	/* The mutations must leave some bodies valid, or they test little. */
	assert_true(accepted > FUZZ_ITERATIONS / 20);
}


/*
 * A HEARTBEAT names the members its sender's detector holds dead, as an
 * ninth element, only when there are any: byte for byte, and back.
 */
static void test_heartbeat_suspects(void **state)
{
	static const unsigned char two[] = {
		0x99, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x92, 3, 0xcd, 0x04, 0x00,
	};
	static const unsigned char empty[] = {
		0x99, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x90,
	};
	static const unsigned char unsorted[] = {
		0x99, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x92, 5, 3,
	};
	static const unsigned char nested_elsewhere[] = {
		0x98, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 0x91, 3,
	};
	static char buf[DATAGRAM_BYTES_MAX];
	struct wire_msg m, out;
	size_t len;

	(void)state;
	m = msg(WIRE_HEARTBEAT, 2, 9);
	m.ballot = 4;
	m.leader = 1;
	m.beat = 7;
	peerset_add(&m.suspects, 3);
	peerset_add(&m.suspects, HOSTS_MAX);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(two));
	assert_memory_equal(buf, two, len);
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_msg_equal(&m, &out);
	/* Empty, out of order, or in the beat number's place: refused. */
	assert_int_equal(decode_raw(empty, sizeof(empty)), WIRE_ESHAPE);
	assert_int_equal(decode_raw(unsorted, sizeof(unsorted)), WIRE_ERANGE);
	assert_int_equal(decode_raw(nested_elsewhere, sizeof(nested_elsewhere)),
			 WIRE_ESHAPE);
	/* Only HEARTBEAT has the extra element. */
	assert_int_equal(DECODE_U(4, WIRE_REDIRECT, 1, 1, 0, 0, 1, 3),
			 WIRE_ESHAPE);
	/* At most HEARTBEAT_SUSPECTS_MAX, and those fit a datagram. */
	peerset_clear(&m.suspects);
	for (unsigned id = HOSTS_MAX; id > HOSTS_MAX - HEARTBEAT_SUSPECTS_MAX;
	     id--)
		peerset_add(&m.suspects, id);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	assert_true(len <= DATAGRAM_BYTES_MAX);
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_msg_equal(&m, &out);
	peerset_add(&m.suspects, 1);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	/* Every cut of the message with suspects is refused. */
	m.suspects = out.suspects;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_not_equal(wire_decode(buf, cut, &out), 0);
}

/*
 * A HEARTBEAT names the members its sender heard directly and how long
 * ago, as a tenth element of pairs, only when there are any; the suspects
 * then come before it, even empty. Byte for byte, and back.
 */
static void test_heartbeat_heard(void **state)
{
	static const unsigned char heard[] = {
		0x9a, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x90,
		0x94, 3, 0xcc, 200, 0xcd, 0x04, 0x00, 0,
	};
	static const unsigned char both[] = {
		0x9a, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x91, 5,
		0x92, 3, 17,
	};
	static const unsigned char odd[] = {
		0x9a, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x90, 0x93, 3, 17, 4,
	};
	static const unsigned char none[] = {
		0x9a, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x90, 0x90,
	};
	static const unsigned char unsorted[] = {
		0x9a, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x90,
		0x94, 4, 1, 3, 1,
	};
	static const unsigned char zero_id[] = {
		0x9a, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x90, 0x92, 0, 1,
	};
	static const unsigned char not_array[] = {
		0x9a, 4, WIRE_HEARTBEAT, 2, 1, 9, 4, 1, 7, 0x90, 3,
	};
	static char buf[DATAGRAM_BYTES_MAX];
	struct wire_msg m, out;
	size_t len;

	(void)state;
	m = msg(WIRE_HEARTBEAT, 2, 9);
	m.ballot = 4;
	m.leader = 1;
	m.beat = 7;
	m.heard_count = 2;
	m.heard_peer[0] = 3;
	m.heard_age_ms[0] = 200;
	m.heard_peer[1] = HOSTS_MAX;
	m.heard_age_ms[1] = 0;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(heard));
	assert_memory_equal(buf, heard, len);
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_msg_equal(&m, &out);
	m.heard_count = 1;
	m.heard_age_ms[0] = 17;
	peerset_add(&m.suspects, 5);
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(both));
	assert_memory_equal(buf, both, len);
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_msg_equal(&m, &out);
	/* Odd, empty, out of order, id 0, or not an array: refused. */
	assert_int_equal(decode_raw(odd, sizeof(odd)), WIRE_ESHAPE);
	assert_int_equal(decode_raw(none, sizeof(none)), WIRE_ESHAPE);
	assert_int_equal(decode_raw(unsorted, sizeof(unsorted)), WIRE_ERANGE);
	assert_int_equal(decode_raw(zero_id, sizeof(zero_id)), WIRE_ERANGE);
	assert_int_equal(decode_raw(not_array, sizeof(not_array)),
			 WIRE_ESHAPE);
	/* The most a heartbeat carries fits a datagram: the highest ids,
	 * the widest ages, and every suspect it may name. */
	peerset_clear(&m.suspects);
	for (unsigned i = 0; i < HEARTBEAT_SUSPECTS_MAX; i++)
		peerset_add(&m.suspects, HOSTS_MAX - i);
	m.heard_count = HEARTBEAT_HEARD_MAX;
	for (unsigned i = 0; i < HEARTBEAT_HEARD_MAX; i++) {
		m.heard_peer[i] = (uint16_t)(HOSTS_MAX - HEARTBEAT_HEARD_MAX +
					     1 + i);
		m.heard_age_ms[i] = UINT32_MAX;
	}
	m.incarnation = UINT64_MAX;
	m.ballot = UINT64_MAX;
	m.view_id = UINT32_MAX;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), 0);
	/* With room for the keyring's 68-byte envelope. */
	assert_true(len <= DATAGRAM_BYTES_MAX - 68);
	assert_int_equal(wire_decode(buf, len, &out), 0);
	assert_msg_equal(&m, &out);
	/* Every cut of it is refused. */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_not_equal(wire_decode(buf, cut, &out), 0);
	/* One pair more, or out of order: the encoder refuses too. */
	m.heard_count = HEARTBEAT_HEARD_MAX + 1;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
	m.heard_count = 2;
	m.heard_peer[0] = 9;
	m.heard_peer[1] = 9;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf), &len), WIRE_ERANGE);
}

/* The shared walk reads signed integers, strings and booleans (the bank's
 * formats) with the same checks as the others. */
static void walk_one(const char *bytes, size_t len, unsigned allowed,
		     int want_rc, struct wire_walk_elem *e, size_t want_used)
{
	const unsigned char *p = (const unsigned char *)bytes;
	int rc = wire_walk_head(&p, p + len, allowed, e);
	assert_int_equal(rc, want_rc);
	if (rc == 0)
		assert_int_equal((size_t)(p - (const unsigned char *)bytes),
				 want_used);
}

static void test_walk_signed_str_bool(void **state)
{
	struct wire_walk_elem e;
	int64_t v;
	unsigned ints = WIRE_WALK_UINT | WIRE_WALK_INT;
	(void)state;
	walk_one("\xff", 1, ints, 0, &e, 1);		/* -1, fixint */
	assert_int_equal(wire_walk_int(&e, &v), 0);
	assert_true(v == -1);
	walk_one("\xd0\x80", 2, ints, 0, &e, 2);	/* int 8: -128 */
	assert_int_equal(wire_walk_int(&e, &v), 0);
	assert_true(v == -128);
	walk_one("\xd1\x7f\xff", 3, ints, 0, &e, 3);	/* int 16: 32767 */
	assert_int_equal(wire_walk_int(&e, &v), 0);
	assert_true(v == 32767);
	walk_one("\xd3\x80\0\0\0\0\0\0\0", 9, ints, 0, &e, 9);
	assert_int_equal(wire_walk_int(&e, &v), 0);
	assert_true(v == INT64_MIN);
	walk_one("\xcf\x80\0\0\0\0\0\0\0", 9, ints, 0, &e, 9);
	assert_int_equal(wire_walk_int(&e, &v), WIRE_ERANGE);
	walk_one("\xd2\0\0", 3, ints, WIRE_ETRUNCATED, &e, 0);
	walk_one("\xff", 1, WIRE_WALK_UINT, WIRE_ESHAPE, &e, 0);
	/* A string: its bytes stepped over, its length against them. */
	walk_one("\xa3" "abc", 4, WIRE_WALK_STR, 0, &e, 4);
	assert_int_equal(e.value, 3);
	walk_one("\xd9\x05" "ab", 4, WIRE_WALK_STR, WIRE_ETRUNCATED, &e, 0);
	walk_one("\xdb\xff\xff\xff\xff", 5, WIRE_WALK_STR,
		 WIRE_ETRUNCATED, &e, 0);
	walk_one("\xa3" "abc", 4, WIRE_WALK_BIN, WIRE_ESHAPE, &e, 0);
	walk_one("\xc3", 1, WIRE_WALK_BOOL, 0, &e, 1);
	assert_int_equal(e.value, 1);
	walk_one("\xc2", 1, WIRE_WALK_BOOL, 0, &e, 1);
	assert_int_equal(e.value, 0);
	walk_one("\xc2", 1, WIRE_WALK_NIL, WIRE_ESHAPE, &e, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heartbeat_suspects),
		cmocka_unit_test(test_heartbeat_heard),
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_newview_full_fits_in_frame),
		cmocka_unit_test(test_decode_zeroes_other_fields),
		cmocka_unit_test(test_wide_integers_accepted),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_frame_oversize_header),
		cmocka_unit_test(test_frame_empty_body),
		cmocka_unit_test(test_body_too_big),
		cmocka_unit_test(test_encode_no_space),
		cmocka_unit_test(test_encode_invalid),
		cmocka_unit_test(test_encode_incarnation_zero),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_element_count),
		cmocka_unit_test(test_wrong_element_kinds),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_huge_counts),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_field_ranges),
		cmocka_unit_test(test_redirect_no_leader),
		cmocka_unit_test(test_heartbeat_leader_roundtrip),
		cmocka_unit_test(test_heartbeat_leader_range),
		cmocka_unit_test(test_heartbeat_previous_layout),
		cmocka_unit_test(test_previous_version),
		cmocka_unit_test(test_old_version_layout),
		cmocka_unit_test(test_missing_incarnation),
		cmocka_unit_test(test_missing_ballot),
		cmocka_unit_test(test_incarnation_zero),
		cmocka_unit_test(test_incarnation_decode),
		cmocka_unit_test(test_incarnation_not_integer),
		cmocka_unit_test(test_incarnation_roundtrip),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_ballot_roundtrip),
		cmocka_unit_test(test_ballot_decode),
		cmocka_unit_test(test_ballot_not_integer),
		cmocka_unit_test(test_encode_decode_agree),
		cmocka_unit_test(test_ok_answers),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_walk_signed_str_bool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
