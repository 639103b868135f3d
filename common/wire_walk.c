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
	if (b >= 0xe0)
		return WIRE_WALK_INT;
	if (b >= 0x90 && b <= 0x9f)
		return WIRE_WALK_ARRAY;
	if (b >= 0xa0 && b <= 0xbf)
		return WIRE_WALK_STR;
	switch (b) {
	case 0xc0: return WIRE_WALK_NIL;
	case 0xc2: return WIRE_WALK_BOOL;
	case 0xc3: return WIRE_WALK_BOOL;
	case 0xd0: *extra = 1; return WIRE_WALK_INT;
	case 0xd1: *extra = 2; return WIRE_WALK_INT;
	case 0xd2: *extra = 4; return WIRE_WALK_INT;
	case 0xd3: *extra = 8; return WIRE_WALK_INT;
	case 0xd9: *extra = 1; return WIRE_WALK_STR;
	case 0xda: *extra = 2; return WIRE_WALK_STR;
	case 0xdb: *extra = 4; return WIRE_WALK_STR;
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
	/* Maps, ext, floats. */
	return 0;
}

/* The value a header without extra bytes carries in its format byte. */
static uint64_t walk_inline(unsigned kind, unsigned char b)
{
	switch (kind) {
	case WIRE_WALK_UINT: return b;
	case WIRE_WALK_INT: return (uint64_t)(int64_t)(int8_t)b;
	case WIRE_WALK_ARRAY: return b & 0x0f;
	case WIRE_WALK_STR: return b & 0x1f;
	case WIRE_WALK_BOOL: return b == 0xc3;
	default: return 0;
	}
}

/* A signed integer of bytes bytes, sign-extended to 64 bits. */
static uint64_t sign_extend(uint64_t v, size_t bytes)
{
	if (bytes < 8 && (v >> (8 * bytes - 1)) != 0)
		v |= ~((UINT64_C(1) << (8 * bytes)) - 1);
	return v;
}

int wire_walk_int(const struct wire_walk_elem *e, int64_t *v)
{
	if (e->kind == WIRE_WALK_INT) {
		uint64_t u = e->value;
		/* Two's complement bits back to a value, portably. */
		*v = u <= (uint64_t)INT64_MAX ? (int64_t)u
		     : -(int64_t)(~u) - 1;
		return 0;
	}
	if (e->kind != WIRE_WALK_UINT)
		return WIRE_ESHAPE;
	if (e->value > (uint64_t)INT64_MAX)
		return WIRE_ERANGE;
	*v = (int64_t)e->value;
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
		e->value = walk_inline(kind, b);
	else if (left - 1 < extra)
		return WIRE_ETRUNCATED;
	else
		e->value = wire_read_be(*p + 1, extra);
	if (kind == WIRE_WALK_INT && extra != 0)
		e->value = sign_extend(e->value, extra);
	*p += 1 + extra;
	bool bytes = kind == WIRE_WALK_BIN || kind == WIRE_WALK_STR;
	if ((kind == WIRE_WALK_ARRAY || bytes) &&
	    e->value > (uint64_t)(end - *p))
		return WIRE_ETRUNCATED;
	if (bytes)
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
