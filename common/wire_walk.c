/*
 * The shared checks on untrusted msgpack: the structural walk's element
 * reader, the whole-body unpack, and the field readers (wire_walk.h).
 */
#include "wire_walk.h"

#include <assert.h>
#include <string.h>

#include "bounds.h"

uint64_t wire_read_be(const unsigned char *p, size_t bytes)
{
	uint64_t v = 0;

	for (size_t i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* The kind and extra header bytes of the format byte b; 0 when unknown. */
static unsigned walk_format(unsigned char b, size_t *extra)
{
	*extra = 0;
	if (b <= 0x7f)
		return WIRE_WALK_UINT;
	if (b >= 0x90 && b <= 0x9f)
		return WIRE_WALK_ARRAY;
	switch (b) {
	case 0xc0: return WIRE_WALK_NIL;
	case 0xc4: *extra = 1; return WIRE_WALK_BIN;
	case 0xc5: *extra = 2; return WIRE_WALK_BIN;
	case 0xc6: *extra = 4; return WIRE_WALK_BIN;
	case 0xcc: *extra = 1; return WIRE_WALK_UINT;
	case 0xcd: *extra = 2; return WIRE_WALK_UINT;
	case 0xce: *extra = 4; return WIRE_WALK_UINT;
	case 0xcf: *extra = 8; return WIRE_WALK_UINT;
	case 0xdc: *extra = 2; return WIRE_WALK_ARRAY;
	case 0xdd: *extra = 4; return WIRE_WALK_ARRAY;
	}
	/* Maps, strings, ext, floats, bool, negatives. */
	return 0;
}

int wire_walk_head(const unsigned char **p, const unsigned char *end,
		   unsigned allowed, struct wire_walk_elem *e)
{
	size_t left = (size_t)(end - *p);
	size_t extra;
	unsigned kind;
	unsigned char b;

	if (left == 0)
		return WIRE_ETRUNCATED;
	b = **p;
	kind = walk_format(b, &extra);
	if (kind == 0 || (kind & allowed) == 0)
		return WIRE_ESHAPE;
	e->kind = (enum wire_walk_kind)kind;
	if (extra == 0)
		e->value = kind == WIRE_WALK_UINT ? b
			   : kind == WIRE_WALK_ARRAY ? (uint64_t)(b & 0x0f)
						     : 0;
	else if (left - 1 < extra)
		return WIRE_ETRUNCATED;
	else
		e->value = wire_read_be(*p + 1, extra);
	*p += 1 + extra;
	if ((kind == WIRE_WALK_ARRAY || kind == WIRE_WALK_BIN) &&
	    e->value > (uint64_t)(end - *p))
		return WIRE_ETRUNCATED;
	if (kind == WIRE_WALK_BIN)
		*p += e->value;
	return 0;
}

int wire_unpack_whole(const char *buf, size_t len, msgpack_unpacked *u)
{
	size_t off = 0;

	assert(len <= FRAME_BYTES_MAX);
	if (msgpack_unpack_next(u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS)
		return WIRE_ESHAPE;
	return off == len ? 0 : WIRE_ETRAILING;
}

int wire_get_uint(const msgpack_object_array *a, unsigned i, uint64_t *v)
{
	if (i >= a->size || a->ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return WIRE_ESHAPE;
	*v = a->ptr[i].via.u64;
	return 0;
}

int wire_get_max(const msgpack_object_array *a, unsigned i, uint64_t max,
		 uint64_t *v)
{
	uint64_t x;
	int rc = wire_get_uint(a, i, &x);

	if (rc != 0)
		return rc;
	if (x > max)
		return WIRE_ERANGE;
	*v = x;
	return 0;
}

int wire_get_u32(const msgpack_object_array *a, unsigned i, uint32_t *v)
{
	uint64_t x;
	int rc = wire_get_max(a, i, UINT32_MAX, &x);

	if (rc == 0)
		*v = (uint32_t)x;
	return rc;
}

/* msgpack_packer's sink: the caller's fixed buffer, never grown. */
struct wire_sink {
	char *buf;
	size_t cap;
	size_t len;
	bool full;
};

/*
 * The packer's write callback on a struct wire_sink. Once a write has not
 * fitted, every later one fails too, so a message is either written whole
 * or reported as not fitting (sink.full).
 */
static int wire_sink_write(void *data, const char *bytes, size_t len)
{
	struct wire_sink *s = data;

	if (s->full || len > s->cap - s->len) {
		s->full = true;
		return -1;
	}
	memcpy(s->buf + s->len, bytes, len);
	s->len += len;
	return 0;
}

int wire_pack(int (*pack)(msgpack_packer *pk, const void *m), const void *m,
	      char *buf, size_t cap, size_t *len)
{
	struct wire_sink sink = { .buf = buf, .cap = cap };
	msgpack_packer pk;

	msgpack_packer_init(&pk, &sink, wire_sink_write);
	if (pack(&pk, m) != 0 || sink.full)
		return WIRE_ENOSPACE;
	*len = sink.len;
	return 0;
}

void wire_frame_prefix(char *out, size_t len)
{
	assert(len <= FRAME_BYTES_MAX);
	for (unsigned i = 0; i < WIRE_FRAME_HEADER_BYTES; i++)
		out[i] = (char)(len >> (8 * (WIRE_FRAME_HEADER_BYTES - 1 - i)) &
				0xff);
}

int wire_frame_encode(wire_body_encoder encode, const void *m, char *buf,
		      size_t cap, size_t *len)
{
	size_t body_len;
	int rc;

	assert(m != NULL && len != NULL && (buf != NULL || cap == 0));
	if (cap < WIRE_FRAME_HEADER_BYTES) {
		rc = encode(m, NULL, 0, &body_len);
		return rc != 0 ? rc : WIRE_ENOSPACE;
	}
	rc = encode(m, buf + WIRE_FRAME_HEADER_BYTES,
		    cap - WIRE_FRAME_HEADER_BYTES, &body_len);
	if (rc != 0)
		return rc;
	if (body_len > FRAME_BYTES_MAX)
		return WIRE_ETOOBIG;
	wire_frame_prefix(buf, body_len);
	*len = WIRE_FRAME_HEADER_BYTES + body_len;
	return 0;
}
