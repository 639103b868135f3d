/*
 * The Paxos codec: struct paxos_msg to msgpack and back (wire_paxos.h).
 * Decoding is wire.c's three passes: walk (wire_walk.h), unpack, convert
 * and check with the rules the encoder applies (msg_check), so the two
 * accept exactly the same messages.
 */
#include "wire_paxos.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include <msgpack.h>

#include "bounds.h"
#include "wire_walk.h"

#define FIELDS_COMMON 5
#define FIELD_REST 5		/* the value, or the promise's entries */
#define ENTRY_FIELDS 3

static bool type_valid(int type)
{
	return type >= PAXOS_PREPARE && type <= PAXOS_MSG_TYPE_MAX;
}

/* Whether type carries a value, or entries, after the common fields. */
static bool has_value(int type)
{
	return type == PAXOS_ACCEPT || type == PAXOS_ACCEPTED ||
	       type == PAXOS_CHOSEN;
}

static unsigned fields_of(int type)
{
	return FIELDS_COMMON + (has_value(type) || type == PAXOS_PROMISE);
}

static bool value_valid(const struct paxos_value *v)
{
	return v->len <= PAXOS_VALUE_BYTES_MAX && (!v->noop || v->len == 0);
}

/* The rules beyond the shape, shared by encode and decode. */
static int msg_check(const struct paxos_msg *m)
{
	if (!type_valid((int)m->type))
		return WIRE_ETYPE;
	if (m->from < 1 || m->from > HOSTS_MAX || m->ballot == 0)
		return WIRE_ERANGE;
	if (has_value((int)m->type) && !value_valid(&m->value))
		return WIRE_ERANGE;
	if (m->type != PAXOS_PROMISE)
		return 0;
	if (m->entries_count > PAXOS_PROMISE_ENTRIES_MAX)
		return WIRE_ERANGE;
	for (unsigned i = 0; i < m->entries_count; i++) {
		const struct paxos_entry *e = &m->entries[i];

		if (e->slot < m->slot || e->vballot == 0 ||
		    !value_valid(&e->value))
			return WIRE_ERANGE;
		if (i > 0 && e->slot <= m->entries[i - 1].slot)
			return WIRE_ERANGE;
	}
	return 0;
}

/* ---- encoding ---- */

static int pack_value(msgpack_packer *pk, const struct paxos_value *v)
{
	if (v->noop)
		return msgpack_pack_nil(pk);
	if (msgpack_pack_bin(pk, v->len) != 0)
		return -1;
	return msgpack_pack_bin_body(pk, v->bytes, v->len);
}

static int pack_fields(msgpack_packer *pk, const void *mv)
{
	const struct paxos_msg *m = mv;
	int rc = 0;

	rc |= msgpack_pack_array(pk, fields_of((int)m->type));
	rc |= msgpack_pack_uint32(pk, WIRE_PAXOS_VERSION);
	rc |= msgpack_pack_uint32(pk, (uint32_t)m->type);
	rc |= msgpack_pack_uint32(pk, m->from);
	rc |= msgpack_pack_uint64(pk, m->slot);
	rc |= msgpack_pack_uint64(pk, m->ballot);
	if (has_value((int)m->type))
		rc |= pack_value(pk, &m->value);
	if (m->type != PAXOS_PROMISE)
		return rc != 0 ? -1 : 0;
	rc |= msgpack_pack_array(pk, m->entries_count);
	for (unsigned i = 0; i < m->entries_count && rc == 0; i++) {
		rc |= msgpack_pack_array(pk, ENTRY_FIELDS);
		rc |= msgpack_pack_uint64(pk, m->entries[i].slot);
		rc |= msgpack_pack_uint64(pk, m->entries[i].vballot);
		rc |= pack_value(pk, &m->entries[i].value);
	}
	return rc != 0 ? -1 : 0;
}

int wire_paxos_encode(const struct paxos_msg *m, char *buf, size_t cap,
		      size_t *len)
{
	int rc;

	assert(m != NULL && len != NULL && (buf != NULL || cap == 0));
	rc = msg_check(m);
	return rc != 0 ? rc : wire_pack(pack_fields, m, buf, cap, len);
}

static int encode_body(const void *m, char *buf, size_t cap, size_t *len)
{
	return wire_paxos_encode(m, buf, cap, len);
}

int wire_paxos_encode_frame(const struct paxos_msg *m, char *buf, size_t cap,
			    size_t *len)
{
	return wire_frame_encode(encode_body, m, buf, cap, len);
}

/* ---- the structural walk ---- */

#define VALUE_KINDS (WIRE_WALK_BIN | WIRE_WALK_NIL)

static int walk_value(const unsigned char **p, const unsigned char *end)
{
	struct wire_walk_elem e;
	int rc = wire_walk_head(p, end, VALUE_KINDS, &e);

	if (rc != 0)
		return rc;
	return e.kind == WIRE_WALK_BIN && e.value > PAXOS_VALUE_BYTES_MAX
		       ? WIRE_ERANGE
		       : 0;
}

static int walk_entries(const unsigned char **p, const unsigned char *end,
			uint64_t count)
{
	struct wire_walk_elem e;
	int rc;

	if (count > PAXOS_PROMISE_ENTRIES_MAX)
		return WIRE_ESHAPE;
	for (uint64_t i = 0; i < count; i++) {
		rc = wire_walk_head(p, end, WIRE_WALK_ARRAY, &e);
		if (rc != 0)
			return rc;
		if (e.value != ENTRY_FIELDS)
			return WIRE_ESHAPE;
		for (unsigned f = 0; f < 2; f++) {
			rc = wire_walk_head(p, end, WIRE_WALK_UINT, &e);
			if (rc != 0)
				return rc;
		}
		rc = walk_value(p, end);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int walk(const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf, *end = buf + len;
	struct wire_walk_elem top, e;
	uint64_t type = 0;
	int rc;

	rc = wire_walk_head(&p, end, WIRE_WALK_ARRAY, &top);
	if (rc != 0)
		return rc;
	if (top.value < FIELDS_COMMON || top.value > FIELDS_COMMON + 1)
		return WIRE_ESHAPE;
	for (unsigned i = 0; i < FIELDS_COMMON; i++) {
		rc = wire_walk_head(&p, end, WIRE_WALK_UINT, &e);
		if (rc != 0)
			return rc;
		if (i == 1)
			type = e.value;
	}
	if (top.value > FIELDS_COMMON) {
		if (type == PAXOS_PROMISE) {
			rc = wire_walk_head(&p, end, WIRE_WALK_ARRAY, &e);
			if (rc == 0)
				rc = walk_entries(&p, end, e.value);
		} else if (has_value((int)type)) {
			rc = walk_value(&p, end);
		} else {
			rc = WIRE_ESHAPE;
		}
		if (rc != 0)
			return rc;
	}
	return p == end ? 0 : WIRE_ETRAILING;
}

/* ---- conversion of the unpacked object ---- */

static int get_value(const msgpack_object *o, struct paxos_value *v)
{
	if (o->type == MSGPACK_OBJECT_NIL) {
		v->noop = true;
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_BIN)
		return WIRE_ESHAPE;
	if (o->via.bin.size > PAXOS_VALUE_BYTES_MAX)
		return WIRE_ERANGE;
	v->len = (uint16_t)o->via.bin.size;
	if (v->len > 0)
		memcpy(v->bytes, o->via.bin.ptr, v->len);
	return 0;
}

static int get_entries(const msgpack_object *o, struct paxos_msg *m)
{
	const msgpack_object_array *a;
	int rc;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return WIRE_ESHAPE;
	a = &o->via.array;
	if (a->size > PAXOS_PROMISE_ENTRIES_MAX)
		return WIRE_ESHAPE;
	for (unsigned i = 0; i < a->size; i++) {
		struct paxos_entry *e = &m->entries[i];
		const msgpack_object_array *f;

		if (a->ptr[i].type != MSGPACK_OBJECT_ARRAY ||
		    a->ptr[i].via.array.size != ENTRY_FIELDS)
			return WIRE_ESHAPE;
		f = &a->ptr[i].via.array;
		if ((rc = wire_get_uint(f, 0, &e->slot)) != 0 ||
		    (rc = wire_get_uint(f, 1, &e->vballot)) != 0 ||
		    (rc = get_value(&f->ptr[2], &e->value)) != 0)
			return rc;
	}
	m->entries_count = a->size;
	return 0;
}

static int from_object(const msgpack_object *o, struct paxos_msg *m)
{
	const msgpack_object_array *a;
	uint64_t version, type, from;
	int rc;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return WIRE_ESHAPE;
	a = &o->via.array;
	if (a->size < FIELDS_COMMON)
		return WIRE_ESHAPE;
	if ((rc = wire_get_uint(a, 0, &version)) != 0)
		return rc;
	if (version != WIRE_PAXOS_VERSION)
		return WIRE_EVERSION;
	if ((rc = wire_get_uint(a, 1, &type)) != 0)
		return rc;
	if (!type_valid(type > INT32_MAX ? 0 : (int)type))
		return WIRE_ETYPE;
	m->type = (enum paxos_msg_type)type;
	if (a->size != fields_of((int)type))
		return WIRE_ESHAPE;
	if ((rc = wire_get_max(a, 2, HOSTS_MAX, &from)) != 0 ||
	    (rc = wire_get_uint(a, 3, &m->slot)) != 0 ||
	    (rc = wire_get_uint(a, 4, &m->ballot)) != 0)
		return rc;
	m->from = (unsigned)from;
	if (has_value((int)type))
		rc = get_value(&a->ptr[FIELD_REST], &m->value);
	else if (type == PAXOS_PROMISE)
		rc = get_entries(&a->ptr[FIELD_REST], m);
	if (rc != 0)
		return rc;
	return msg_check(m);
}

int wire_paxos_decode(const char *buf, size_t len, struct paxos_msg *m)
{
	msgpack_unpacked u;
	int rc;

	assert(m != NULL && (buf != NULL || len == 0));
	memset(m, 0, sizeof(*m));
	if (len > FRAME_BYTES_MAX)
		return WIRE_ETOOBIG;
	rc = walk((const unsigned char *)buf, len);
	if (rc != 0)
		return rc;
	msgpack_unpacked_init(&u);
	rc = wire_unpack_whole(buf, len, &u);
	if (rc == 0)
		rc = from_object(&u.data, m);
	msgpack_unpacked_destroy(&u);
	if (rc != 0)
		memset(m, 0, sizeof(*m));
	return rc;
}

const char *wire_paxos_type_name(int type)
{
	static const char *const names[PAXOS_MSG_TYPE_MAX + 1] = {
		[PAXOS_PREPARE] = "PREPARE",
		[PAXOS_PROMISE] = "PROMISE",
		[PAXOS_ACCEPT] = "ACCEPT",
		[PAXOS_ACCEPTED] = "ACCEPTED",
		[PAXOS_NACK] = "NACK",
		[PAXOS_CHOSEN] = "CHOSEN",
	};

	return type_valid(type) ? names[type] : "?";
}
