/*
 * The checks every msgpack codec of rollcall's programs makes on untrusted
 * bytes, written once: the membership wire (wire.c) and the Paxos lab's
 * (wire_paxos.c) both go through them.
 *
 * msgpack-c 4.0 allocates on a container's declared size (issue #1013), so
 * no byte from the network reaches it unchecked. A codec first walks the
 * body by hand with wire_walk_head, element by element: only the formats
 * it allows, every count and length against the bytes actually present,
 * depth and caps as the codec's shape says. Only then does
 * wire_unpack_whole hand the body to msgpack-c, and it requires that the
 * one object fills the body exactly. The wire_get_* helpers then read one
 * array element as a field, type and range checked. Nothing here
 * allocates beyond what msgpack-c needs for a body already bounded, and
 * nothing keeps state.
 *
 * The encoding side shares two small pieces: the packer's sink into a
 * fixed buffer, and the frame's length prefix.
 */
#ifndef ROLLCALL_WIRE_WALK_H
#define ROLLCALL_WIRE_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "wire.h"

/* The msgpack formats a codec may allow, as a mask for wire_walk_head. */
enum wire_walk_kind {
	WIRE_WALK_UINT = 1 << 0,	/* positive fixint, uint 8..64 */
	WIRE_WALK_ARRAY = 1 << 1,	/* fixarray, array 16, array 32 */
	WIRE_WALK_BIN = 1 << 2,		/* bin 8, 16, 32 */
	WIRE_WALK_NIL = 1 << 3,		/* nil */
	WIRE_WALK_INT = 1 << 4,		/* negative fixint, int 8..64 */
	WIRE_WALK_STR = 1 << 5,		/* fixstr, str 8, 16, 32 */
	WIRE_WALK_BOOL = 1 << 6,	/* false, true */
};

/* One element's header: an unsigned value, a signed one (as its two's
 * complement bits: wire_walk_int reads it), an array's count, a bin's or
 * a string's length (its bytes already skipped), a bool (0 or 1), or
 * nil. */
struct wire_walk_elem {
	enum wire_walk_kind kind;
	uint64_t value;
};

/* A big-endian unsigned integer of bytes (at most 8) bytes. */
uint64_t wire_read_be(const unsigned char *p, size_t bytes);

/*
 * Read the header of the element at *p and advance past it (past a bin's
 * bytes too; an array's elements are the caller's to walk). A format
 * outside allowed is WIRE_ESHAPE; an array count larger than the bytes
 * left (each element takes one at least), or a bin longer than them, is
 * WIRE_ETRUNCATED.
 */
int wire_walk_head(const unsigned char **p, const unsigned char *end,
		   unsigned allowed, struct wire_walk_elem *e);

/*
 * An integer element (WIRE_WALK_UINT or WIRE_WALK_INT) as a signed
 * value: WIRE_ERANGE for an unsigned one above INT64_MAX, WIRE_ESHAPE
 * for another kind.
 */
int wire_walk_int(const struct wire_walk_elem *e, int64_t *v);

/*
 * After a walk passed: unpack the len bytes at buf (at most
 * FRAME_BYTES_MAX) into u, which the caller has initialised and destroys.
 * 0, WIRE_ESHAPE when msgpack-c does not take it, WIRE_ETRAILING when the
 * object does not fill the body.
 */
int wire_unpack_whole(const char *buf, size_t len, msgpack_unpacked *u);

/* Element i of a, an unsigned integer: WIRE_ESHAPE when it is not one. */
int wire_get_uint(const msgpack_object_array *a, unsigned i, uint64_t *v);

/* The same, at most UINT32_MAX (WIRE_ERANGE above). */
int wire_get_u32(const msgpack_object_array *a, unsigned i, uint32_t *v);

/* The same, at most max (WIRE_ERANGE above): a peer id, or 0 where the
 * codec allows it. */
int wire_get_max(const msgpack_object_array *a, unsigned i, uint64_t max,
		 uint64_t *v);

/*
 * Pack m with pack into buf, its length to *len: the one place a codec's
 * packer meets the sink. A pack that does not fit is WIRE_ENOSPACE (the
 * sink is the packer's only failure). The caller checks m first.
 */
int wire_pack(int (*pack)(msgpack_packer *pk, const void *m), const void *m,
	      char *buf, size_t cap, size_t *len);

/* The frame's length prefix for a body of len bytes (at most
 * FRAME_BYTES_MAX): WIRE_FRAME_HEADER_BYTES bytes, big-endian. Every
 * framed TCP stream of rollcall's programs writes it here. */
void wire_frame_prefix(char *out, size_t len);

/* A codec's body encoder: m into buf, its length to *len (wire.h's form). */
typedef int (*wire_body_encoder)(const void *m, char *buf, size_t cap,
				 size_t *len);

/*
 * Any codec's TCP frame: a 4-byte big-endian length, then the body that
 * encode writes. A bad message is reported as such even when buf has no
 * room for the header (encode is asked with no room: it checks the message
 * first); a body over FRAME_BYTES_MAX is WIRE_ETOOBIG.
 */
int wire_frame_encode(wire_body_encoder encode, const void *m, char *buf,
		      size_t cap, size_t *len);

#endif
