/*
 * Unit tests for the Paxos codec (common/wire_paxos.c): every message type
 * round-trips, alone and framed; the bounds hold at their limit and fail
 * one past it; every malformed or hostile body is refused with its error
 * code; a seeded stream of mutated bodies never crashes the decoder, and
 * whatever it accepts encodes back to the same bytes.
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
#include "../../common/wire.h"
#include "../../common/wire_paxos.h"

#define BUF_BYTES (FRAME_BYTES_MAX + 64)
#define MUTATIONS 100000

static char buf[BUF_BYTES], buf2[BUF_BYTES];
static struct paxos_msg m, d;

static void set_value(struct paxos_value *v, const char *s)
{
	memset(v, 0, sizeof(*v));
	v->len = (uint16_t)strlen(s);
	memcpy(v->bytes, s, v->len);
}

static void msg(enum paxos_msg_type type, unsigned from, uint64_t slot,
		uint64_t ballot)
{
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = from;
	m.slot = slot;
	m.ballot = ballot;
}

/* m encodes, decodes back byte for byte, and frames and splits. */
static size_t round_trip(void)
{
	size_t len, flen, blen, used;
	const char *body;

	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len), 0);
	memset(&d, 0xa5, sizeof(d));
	assert_int_equal(wire_paxos_decode(buf, len, &d), 0);
	assert_memory_equal(&m, &d, sizeof(m));
	assert_int_equal(wire_paxos_encode_frame(&m, buf2, sizeof(buf2),
						 &flen), 0);
	assert_int_equal(flen, len + WIRE_FRAME_HEADER_BYTES);
	assert_int_equal(wire_frame_next(buf2, flen, &body, &blen, &used), 0);
	assert_int_equal(blen, len);
	assert_memory_equal(body, buf, len);
	return len;
}

static void test_each_type(void **state)
{
	(void)state;
	msg(PAXOS_PREPARE, 1, 0, paxos_ballot(1, 1));
	round_trip();
	msg(PAXOS_NACK, 3, 0, paxos_ballot(7, 5));
	round_trip();
	msg(PAXOS_ACCEPT, 1, 0, paxos_ballot(1, 1));
	set_value(&m.value, "X");
	assert_int_equal(round_trip(), 13);
	msg(PAXOS_ACCEPTED, 2, UINT64_MAX, UINT64_MAX);
	set_value(&m.value, "");
	round_trip();
	msg(PAXOS_CHOSEN, HOSTS_MAX, 5, 1);
	m.value.noop = true;
	round_trip();
	msg(PAXOS_PROMISE, 3, 0, paxos_ballot(1, 5));
	round_trip();
	m.entries_count = 2;
	m.entries[0].slot = 0;
	m.entries[0].vballot = paxos_ballot(1, 1);
	set_value(&m.entries[0].value, "X");
	m.entries[1].slot = 9;
	m.entries[1].vballot = 1;
	m.entries[1].value.noop = true;
	round_trip();
	assert_string_equal(wire_paxos_type_name(PAXOS_PROMISE), "PROMISE");
	assert_string_equal(wire_paxos_type_name(0), "?");
	assert_string_equal(wire_paxos_type_name(7), "?");
}

/* The largest message: a full promise of full values fits one frame. */
static void test_bounds(void **state)
{
	size_t len;

	(void)state;
	msg(PAXOS_PROMISE, 2, 0, 1);
	m.entries_count = PAXOS_PROMISE_ENTRIES_MAX;
	for (unsigned i = 0; i < m.entries_count; i++) {
		m.entries[i].slot = i;
		m.entries[i].vballot = UINT64_MAX;
		m.entries[i].value.len = PAXOS_VALUE_BYTES_MAX;
		memset(m.entries[i].value.bytes, 'v', PAXOS_VALUE_BYTES_MAX);
	}
	assert_true(round_trip() <= FRAME_BYTES_MAX);
	m.entries_count++;
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
	/* Too small a buffer is said so, and a header-only one too. */
	m.entries_count = 1;
	assert_int_equal(wire_paxos_encode(&m, buf, 10, &len), WIRE_ENOSPACE);
	assert_int_equal(wire_paxos_encode_frame(&m, buf, 3, &len),
			 WIRE_ENOSPACE);
}

/* What the encoder refuses, the decoder never produces. */
static void test_encode_refuses(void **state)
{
	size_t len;

	(void)state;
	msg(PAXOS_PREPARE, 0, 0, 1);
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
	msg(PAXOS_PREPARE, HOSTS_MAX + 1, 0, 1);
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
	msg(PAXOS_PREPARE, 1, 0, 0);
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
	msg((enum paxos_msg_type)7, 1, 0, 1);
	assert_int_equal(wire_paxos_encode_frame(&m, buf, 2, &len),
			 WIRE_ETYPE);
	msg(PAXOS_ACCEPT, 1, 0, 1);
	m.value.noop = true;
	m.value.len = 1;
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
	m.value.noop = false;
	m.value.len = PAXOS_VALUE_BYTES_MAX + 1;
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
	/* Promise entries: ascending, at or above the prepare's slot,
	 * vballot set. */
	msg(PAXOS_PROMISE, 2, 5, 1);
	m.entries_count = 2;
	m.entries[0].slot = 6;
	m.entries[0].vballot = 1;
	m.entries[1].slot = 6;
	m.entries[1].vballot = 1;
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
	m.entries_count = 1;
	m.entries[0].slot = 4;
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
	m.entries[0].slot = 5;
	m.entries[0].vballot = 0;
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len),
			 WIRE_ERANGE);
}

static int decode_hex(const unsigned char *bytes, size_t len)
{
	int rc = wire_paxos_decode((const char *)bytes, len, &d);
	static const struct paxos_msg zero;

	if (rc != 0)
		assert_memory_equal(&d, &zero, sizeof(d));
	return rc;
}

/* Hand-built bodies: [0x50, type, from, slot, ballot, ...]. */
static void test_decode_refuses(void **state)
{
	static const unsigned char ok[] = { 0x96, 0x50, 3, 1, 0, 0x01, 0xc4,
					    1, 'X' };
	static const unsigned char version[] = { 0x95, 0x03, 1, 1, 0, 1 };
	static const unsigned char type0[] = { 0x95, 0x50, 0, 1, 0, 1 };
	static const unsigned char type7[] = { 0x95, 0x50, 7, 1, 0, 1 };
	static const unsigned char from0[] = { 0x95, 0x50, 1, 0, 0, 1 };
	static const unsigned char from_big[] = { 0x95, 0x50, 1, 0xcd, 0x04,
						  0x01, 0, 1 };
	static const unsigned char ballot0[] = { 0x95, 0x50, 1, 1, 0, 0 };
	static const unsigned char short_accept[] = { 0x95, 0x50, 3, 1, 0, 1 };
	static const unsigned char long_prepare[] = { 0x96, 0x50, 1, 1, 0, 1,
						      0xc0 };
	static const unsigned char str_value[] = { 0x96, 0x50, 3, 1, 0, 1,
						   0xa1, 'X' };
	static const unsigned char trailing[] = { 0x95, 0x50, 1, 1, 0, 1, 0 };
	static const unsigned char truncated[] = { 0x96, 0x50, 3, 1, 0, 1,
						   0xc4, 2, 'X' };
	/* An array header claiming 2^32 - 1 elements: refused before
	 * msgpack-c could allocate for them. */
	static const unsigned char bomb[] = { 0xdd, 0xff, 0xff, 0xff, 0xff,
					      0x50 };
	static const unsigned char entries_bomb[] = { 0x96, 0x50, 2, 1, 0, 1,
						      0xdd, 0xff, 0xff, 0xff,
						      0xff };
	static const unsigned char entry_short[] = { 0x96, 0x50, 2, 1, 0, 1,
						     0x91, 0x92, 0, 1 };
	static const unsigned char entries_desc[] = {
		0x96, 0x50, 2, 1, 0, 1, 0x92,
		0x93, 5, 1, 0xc0, 0x93, 4, 1, 0xc0 };
	static const unsigned char negative[] = { 0x95, 0x50, 1, 1, 0, 0xff };
	static const unsigned char map[] = { 0x81, 0x50, 1 };

	(void)state;
	assert_int_equal(decode_hex(ok, sizeof(ok)), 0);
	assert_int_equal(d.type, PAXOS_ACCEPT);
	assert_int_equal(d.value.len, 1);
	assert_int_equal(d.value.bytes[0], 'X');
	assert_int_equal(decode_hex(version, sizeof(version)), WIRE_EVERSION);
	assert_int_equal(decode_hex(type0, sizeof(type0)), WIRE_ETYPE);
	assert_int_equal(decode_hex(type7, sizeof(type7)), WIRE_ETYPE);
	assert_int_equal(decode_hex(from0, sizeof(from0)), WIRE_ERANGE);
	assert_int_equal(decode_hex(from_big, sizeof(from_big)), WIRE_ERANGE);
	assert_int_equal(decode_hex(ballot0, sizeof(ballot0)), WIRE_ERANGE);
	assert_int_equal(decode_hex(short_accept, sizeof(short_accept)),
			 WIRE_ESHAPE);
	assert_int_equal(decode_hex(long_prepare, sizeof(long_prepare)),
			 WIRE_ESHAPE);
	assert_int_equal(decode_hex(str_value, sizeof(str_value)),
			 WIRE_ESHAPE);
	assert_int_equal(decode_hex(trailing, sizeof(trailing)),
			 WIRE_ETRAILING);
	assert_int_equal(decode_hex(truncated, sizeof(truncated)),
			 WIRE_ETRUNCATED);
	assert_int_equal(decode_hex(bomb, sizeof(bomb)), WIRE_ETRUNCATED);
	assert_int_equal(decode_hex(entries_bomb, sizeof(entries_bomb)),
			 WIRE_ETRUNCATED);
	assert_int_equal(decode_hex(entry_short, sizeof(entry_short)),
			 WIRE_ESHAPE);
	assert_int_equal(decode_hex(entries_desc, sizeof(entries_desc)),
			 WIRE_ERANGE);
	assert_int_equal(decode_hex(negative, sizeof(negative)), WIRE_ESHAPE);
	assert_int_equal(decode_hex(map, sizeof(map)), WIRE_ESHAPE);
	assert_int_equal(decode_hex(ok, 0), WIRE_ETRUNCATED);
	assert_int_equal(wire_paxos_decode(buf, FRAME_BYTES_MAX + 1, &d),
			 WIRE_ETOOBIG);
}

/* A value over PAXOS_VALUE_BYTES_MAX is refused by the walk. */
static void test_value_too_long(void **state)
{
	size_t n = 0;

	(void)state;
	buf[n++] = (char)0x96;
	buf[n++] = 0x50;
	buf[n++] = 3;
	buf[n++] = 1;
	buf[n++] = 0;
	buf[n++] = 1;
	buf[n++] = (char)0xc5;
	buf[n++] = (PAXOS_VALUE_BYTES_MAX + 1) >> 8;
	buf[n++] = (PAXOS_VALUE_BYTES_MAX + 1) & 0xff;
	memset(buf + n, 'v', PAXOS_VALUE_BYTES_MAX + 1);
	n += PAXOS_VALUE_BYTES_MAX + 1;
	assert_int_equal(wire_paxos_decode(buf, n, &d), WIRE_ERANGE);
	buf[8] = (char)(PAXOS_VALUE_BYTES_MAX & 0xff);
	buf[7] = (char)(PAXOS_VALUE_BYTES_MAX >> 8);
	assert_int_equal(wire_paxos_decode(buf, n - 1, &d), 0);
	assert_int_equal(d.value.len, PAXOS_VALUE_BYTES_MAX);
}

static uint64_t rng_state = UINT64_C(0x2545f4914f6cdd1d);

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Mutations of a valid promise: never a crash; what decodes re-encodes
 * to a body no longer than the one it came from, and decodes the same. */
static void test_mutations(void **state)
{
	static char body[512], enc[BUF_BYTES];
	static struct paxos_msg e;
	size_t len, n, enc_len;

	(void)state;
	msg(PAXOS_PROMISE, 3, 0, paxos_ballot(1, 5));
	m.entries_count = 1;
	m.entries[0].vballot = paxos_ballot(1, 1);
	set_value(&m.entries[0].value, "X");
	assert_int_equal(wire_paxos_encode(&m, body, sizeof(body), &len), 0);
	for (unsigned i = 0; i < MUTATIONS; i++) {
		memcpy(buf, body, len);
		n = len;
		for (unsigned k = 0; k < 1 + rng() % 3; k++) {
			switch (rng() % 3) {
			case 0: buf[rng() % n] = (char)rng(); break;
			case 1: if (n > 1) n--; break;
			default: if (n < sizeof(body)) buf[n++] = (char)rng();
			}
		}
		if (wire_paxos_decode(buf, n, &d) != 0)
			continue;
		assert_int_equal(wire_paxos_encode(&d, enc, sizeof(enc),
						   &enc_len), 0);
		assert_true(enc_len <= n);
		assert_int_equal(wire_paxos_decode(enc, enc_len, &e), 0);
		assert_memory_equal(&d, &e, sizeof(d));
	}
}

/* A membership message is not a Paxos one, and the reverse. */
static void test_not_membership(void **state)
{
	struct wire_msg w = { .type = WIRE_JOIN, .from = 1, .incarnation = 1 };
	size_t len;

	(void)state;
	assert_int_equal(wire_encode(&w, buf, sizeof(buf), &len), 0);
	assert_true(wire_paxos_decode(buf, len, &d) < 0);
	msg(PAXOS_PREPARE, 1, 0, 1);
	assert_int_equal(wire_paxos_encode(&m, buf, sizeof(buf), &len), 0);
	assert_true(wire_decode(buf, len, &w) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_type),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_value_too_long),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_not_membership),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
