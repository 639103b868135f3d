/*
 * The msgpack cursor (mp.h). Formats from the msgpack specification:
 * positive and negative fixint, uint 8..64, int 8..64, nil, true/false,
 * fixstr, str 8/16/32, bin 8/16/32, fixarray, array 16/32.
 */
#include <string.h>

#include "../common/wire_walk.h"
#include "mp.h"

void mp_writer_init(struct mp_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->failed = false;
}

static void put(struct mp_writer *w, const void *b, size_t n)
{
	if (w->failed || w->cap - w->len < n) {
		w->failed = true;
		return;
	}
	memcpy(w->buf + w->len, b, n);
	w->len += n;
}

static void put_be(struct mp_writer *w, uint8_t tag, uint64_t v, unsigned n)
{
	uint8_t b[9];
	b[0] = tag;
	for (unsigned i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	put(w, b, 1 + n);
}

void mp_put_array(struct mp_writer *w, uint32_t count)
{
	if (count < 16)
		put_be(w, (uint8_t)(0x90 | count), 0, 0);
	else if (count <= 0xffff)
		put_be(w, 0xdc, count, 2);
	else
		put_be(w, 0xdd, count, 4);
}

void mp_put_uint(struct mp_writer *w, uint64_t v)
{
	if (v < 128)
		put_be(w, (uint8_t)v, 0, 0);
	else if (v <= 0xff)
		put_be(w, 0xcc, v, 1);
	else if (v <= 0xffff)
		put_be(w, 0xcd, v, 2);
	else if (v <= 0xffffffffu)
		put_be(w, 0xce, v, 4);
	else
		put_be(w, 0xcf, v, 8);
}

void mp_put_int(struct mp_writer *w, int64_t v)
{
	if (v >= 0)
		mp_put_uint(w, (uint64_t)v);
	else if (v >= -32)
		put_be(w, (uint8_t)(int8_t)v, 0, 0);
	else if (v >= INT8_MIN)
		put_be(w, 0xd0, (uint64_t)v & 0xff, 1);
	else if (v >= INT16_MIN)
		put_be(w, 0xd1, (uint64_t)v & 0xffff, 2);
	else if (v >= INT32_MIN)
		put_be(w, 0xd2, (uint64_t)v & 0xffffffffu, 4);
	else
		put_be(w, 0xd3, (uint64_t)v, 8);
}

void mp_put_bool(struct mp_writer *w, bool v)
{
	put_be(w, v ? 0xc3 : 0xc2, 0, 0);
}

static void put_raw(struct mp_writer *w, uint8_t fix, uint8_t t8, size_t len,
		    const void *b)
{
	if (fix != 0 && len < 32)
		put_be(w, (uint8_t)(fix | len), 0, 0);
	else if (len <= 0xff)
		put_be(w, t8, len, 1);
	else if (len <= 0xffff)
		put_be(w, (uint8_t)(t8 + 1), len, 2);
	else
		put_be(w, (uint8_t)(t8 + 2), len, 4);
	put(w, b, len);
}

void mp_put_str(struct mp_writer *w, const char *s, size_t len)
{
	put_raw(w, 0xa0, 0xd9, len, s);
}

void mp_put_bin(struct mp_writer *w, const void *b, size_t len)
{
	put_raw(w, 0, 0xc4, len, b);
}

/* ---- Reading ------------------------------------------------------------ */

void mp_reader_init(struct mp_reader *r, const void *buf, size_t len)
{
	r->p = buf;
	r->end = r->p + len;
	r->failed = false;
}

static bool fail(struct mp_reader *r)
{
	r->failed = true;
	return false;
}

/* One element's header, walked by the checks every codec shares
 * (common/wire_walk.h): the format allowed, a count or length against
 * the bytes present (a string's or a bin's bytes are stepped over). */
static bool walk_head(struct mp_reader *r, unsigned allowed,
		      struct wire_walk_elem *e)
{
	if (r->failed)
		return false;
	if (wire_walk_head(&r->p, r->end, allowed, e) != 0)
		return fail(r);
	return true;
}

bool mp_get_array(struct mp_reader *r, uint32_t min, uint32_t max,
		  uint32_t *count)
{
	struct wire_walk_elem e;
	if (!walk_head(r, WIRE_WALK_ARRAY, &e))
		return false;
	if (e.value < min || e.value > max)
		return fail(r);
	*count = (uint32_t)e.value;
	return true;
}

/* Any integer format; a signed one must not be negative. */
bool mp_get_uint(struct mp_reader *r, uint64_t max, uint64_t *v)
{
	struct wire_walk_elem e;
	int64_t s;
	if (!walk_head(r, WIRE_WALK_UINT | WIRE_WALK_INT, &e))
		return false;
	if (e.kind == WIRE_WALK_INT) {
		if (wire_walk_int(&e, &s) != 0 || s < 0)
			return fail(r);
		e.value = (uint64_t)s;
	}
	if (e.value > max)
		return fail(r);
	*v = e.value;
	return true;
}

bool mp_get_int(struct mp_reader *r, int64_t *v)
{
	struct wire_walk_elem e;
	if (!walk_head(r, WIRE_WALK_UINT | WIRE_WALK_INT, &e))
		return false;
	if (wire_walk_int(&e, v) != 0)
		return fail(r);
	return true;
}

bool mp_get_bool(struct mp_reader *r, bool *v)
{
	struct wire_walk_elem e;
	if (!walk_head(r, WIRE_WALK_BOOL, &e))
		return false;
	*v = e.value != 0;
	return true;
}

/* A string or a bin: the walk stepped past the bytes, so they end where
 * it stopped. */
static bool get_bytes(struct mp_reader *r, unsigned kind, size_t max,
		      const uint8_t **b, size_t *len)
{
	struct wire_walk_elem e;
	if (!walk_head(r, kind, &e))
		return false;
	if (e.value > max)
		return fail(r);
	*len = (size_t)e.value;
	*b = r->p - *len;
	return true;
}

bool mp_get_str(struct mp_reader *r, size_t max, const char **s, size_t *len)
{
	const uint8_t *b;
	if (!get_bytes(r, WIRE_WALK_STR, max, &b, len))
		return false;
	*s = (const char *)b;
	return true;
}

bool mp_get_bin(struct mp_reader *r, size_t max, const uint8_t **b,
		size_t *len)
{
	return get_bytes(r, WIRE_WALK_BIN, max, b, len);
}

bool mp_done(const struct mp_reader *r)
{
	return !r->failed && r->p == r->end;
}
