/*
 * The wire codec: struct wire_msg to msgpack bytes and back.
 *
 * Decoding runs in three passes over untrusted bytes. wire__walk checks the
 * raw msgpack structure by hand (formats, counts against the bytes present,
 * depth, nothing trailing) without allocating, element by element with
 * wire_walk.h's reader; only a body that passes is handed to msgpack-c,
 * whose unpacker allocates on declared container sizes (msgpack-c issue
 * #1013). The unpacked object is then converted field by
 * field, and msg_check applies the same semantic rules the encoder does, so
 * whatever decodes also encodes.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <msgpack.h>

#include "bounds.h"
#include "peerset.h"
#include "wire.h"
#include "wire_walk.h"

/* Element counts of each type's array, indexed by type; 0 is not a type. */
static const unsigned wire_fields[WIRE_TYPE_MAX + 1] = {
	[WIRE_JOIN] = 6,
	[WIRE_REQ] = 10,
	[WIRE_OK] = 11,
	[WIRE_NEWVIEW] = 8,
	[WIRE_NEWLEADER] = 8,
	[WIRE_HEARTBEAT] = 8,
	[WIRE_REDIRECT] = 7,
};
#define WIRE_FIELDS_MIN 6
#define WIRE_FIELDS_MAX 12
/* Where NEWVIEW carries its member array and HEARTBEAT its suspects, and
 * HEARTBEAT its heard pairs: the only nested containers. A HEARTBEAT
 * carries its suspects only when it has any or heard pairs (one element
 * more), and its heard pairs only when it has any (two more). */
#define WIRE_MEMBERS_INDEX 7
#define WIRE_SUSPECTS_INDEX 8
#define WIRE_HEARD_INDEX 9
/* REQ and OK carry a batch's further changes in one more element, last,
 * only when there are any. */
#define WIRE_MORE_REQ_INDEX 10
#define WIRE_MORE_OK_INDEX 11

/* Whether an array of count elements has type's shape. */
static bool wire__count_fits(uint64_t type, uint64_t count)
{
	return count == wire_fields[type] ||
	       (type == WIRE_HEARTBEAT && count > wire_fields[type] &&
		count <= wire_fields[type] + 2) ||
	       ((type == WIRE_REQ || type == WIRE_OK) &&
		count == wire_fields[type] + 1);
}

/* Elements REQ and OK carry beyond their fixed fields. */
static unsigned wire__more_extra(const struct wire_msg *m)
{
	return (m->type == WIRE_REQ || m->type == WIRE_OK) &&
			       m->more.count > 0
		       ? 1
		       : 0;
}

/* Elements a HEARTBEAT carries beyond its fixed fields. */
static unsigned wire__heartbeat_extra(const struct wire_msg *m)
{
	if (m->heard_count > 0)
		return 2;
	return peerset_empty(&m->suspects) ? 0 : 1;
}

static bool id_valid(uint64_t id)
{
	return id >= 1 && id <= HOSTS_MAX;
}

static bool type_valid(int type)
{
	return type >= 1 && type <= WIRE_TYPE_MAX;
}

/* A batch: (op, peer) first, then more; ADD or DEL each, of a valid id,
 * each peer once, at most CHANGES_MAX in all. */
static bool changes_valid(enum wire_op op, unsigned peer,
			  const struct wire_changes *more)
{
	struct peerset seen;

	if ((op != WIRE_OP_ADD && op != WIRE_OP_DEL) || !id_valid(peer) ||
	    more->count > CHANGES_MAX - 1)
		return false;
	peerset_clear(&seen);
	peerset_add(&seen, peer);
	for (unsigned i = 0; i < more->count; i++) {
		const struct wire_change *c = &more->at[i];
		if ((c->op != WIRE_OP_ADD && c->op != WIRE_OP_DEL) ||
		    !id_valid(c->peer) || peerset_has(&seen, c->peer))
			return false;
		peerset_add(&seen, c->peer);
	}
	return true;
}

/*
 * The rules every message obeys beyond its shape, shared by encode and
 * decode so that the two accept exactly the same set of messages.
 */
static int msg_check(const struct wire_msg *m)
{
	if (!type_valid((int)m->type))
		return WIRE_ETYPE;
	if (!id_valid(m->from) || m->incarnation == 0)
		return WIRE_ERANGE;
	switch (m->type) {
	case WIRE_REQ:
		return changes_valid(m->op, m->peer, &m->more) &&
				       id_valid(m->leader)
			       ? 0
			       : WIRE_ERANGE;
	case WIRE_OK:
		if ((m->op == WIRE_OP_NOTHING || m->op == WIRE_OP_REFUSE) &&
		    m->more.count != 0)
			return WIRE_ERANGE;
		if (m->op == WIRE_OP_NOTHING)
			return m->peer == 0 && m->leader == 0 &&
					       m->acc_ballot == 0
				       ? 0
				       : WIRE_ERANGE;
		/* REFUSE's leader means nothing, but the decoder reads it as
		 * a peer id or 0 (get_id): a larger one must not be sent. */
		if (m->op == WIRE_OP_REFUSE)
			return id_valid(m->peer) && m->leader <= HOSTS_MAX
				       ? 0
				       : WIRE_ERANGE;
		return changes_valid(m->op, m->peer, &m->more) &&
				       id_valid(m->leader)
			       ? 0
			       : WIRE_ERANGE;
	case WIRE_NEWLEADER:
		return m->op == WIRE_OP_PENDING ? 0 : WIRE_ERANGE;
	case WIRE_NEWVIEW:
		if (peerset_first(&m->members) == 0)
			return WIRE_ERANGE;
		return id_valid(m->leader) ? 0 : WIRE_ERANGE;
	case WIRE_REDIRECT:
		/* 0: the sender is joining too and knows no leader. */
		return m->leader <= HOSTS_MAX ? 0 : WIRE_ERANGE;
	case WIRE_HEARTBEAT:
		/* 0: the sender follows no leader (it is taking over). */
		if (peerset_count(&m->suspects) > HEARTBEAT_SUSPECTS_MAX ||
		    m->heard_count > HEARTBEAT_HEARD_MAX)
			return WIRE_ERANGE;
		for (unsigned i = 0; i < m->heard_count; i++)
			if (!id_valid(m->heard_peer[i]) ||
			    (i > 0 && m->heard_peer[i] <= m->heard_peer[i - 1]))
				return WIRE_ERANGE;
		return m->leader <= HOSTS_MAX ? 0 : WIRE_ERANGE;
	case WIRE_JOIN:
		return 0;
	}
	return WIRE_ETYPE;
}

/* ---- encoding ---- */

static int pack_members(msgpack_packer *pk, const struct peerset *members)
{
	size_t count = 0;

	/* Counted by iteration, as written, not by popcount. */
	peerset_foreach(members, id)
		count++;
	if (msgpack_pack_array(pk, count) != 0)
		return -1;
	peerset_foreach(members, id)
		if (msgpack_pack_uint32(pk, id) != 0)
			return -1;
	return 0;
}

static int pack_fields(msgpack_packer *pk, const void *mv)
{
	const struct wire_msg *m = mv;
	int rc = 0;

	rc |= msgpack_pack_array(pk, wire_fields[m->type] +
					     (m->type == WIRE_HEARTBEAT
						      ? wire__heartbeat_extra(m)
						      : wire__more_extra(m)));
	rc |= msgpack_pack_uint32(pk, WIRE_VERSION);
	rc |= msgpack_pack_uint32(pk, (uint32_t)m->type);
	rc |= msgpack_pack_uint32(pk, m->from);
	rc |= msgpack_pack_uint64(pk, m->incarnation);
	rc |= msgpack_pack_uint32(pk, m->view_id);
	rc |= msgpack_pack_uint64(pk, m->ballot);
	if (rc != 0)
		return -1;
	switch (m->type) {
	case WIRE_REQ:
	case WIRE_OK:
		rc |= msgpack_pack_uint32(pk, m->request_id);
		rc |= msgpack_pack_uint32(pk, (uint32_t)m->op);
		rc |= msgpack_pack_uint32(pk, m->peer);
		rc |= msgpack_pack_uint32(pk, m->leader);
		if (m->type == WIRE_OK)
			rc |= msgpack_pack_uint64(pk, m->acc_ballot);
		if (wire__more_extra(m) > 0) {
			rc |= msgpack_pack_array(pk, 2 * (size_t)m->more.count);
			for (unsigned i = 0; i < m->more.count; i++) {
				rc |= msgpack_pack_uint32(pk, m->more.at[i].op);
				rc |= msgpack_pack_uint32(pk,
							  m->more.at[i].peer);
			}
		}
		break;
	case WIRE_NEWVIEW:
		rc |= msgpack_pack_uint32(pk, m->leader);
		rc |= pack_members(pk, &m->members);
		break;
	case WIRE_NEWLEADER:
		rc |= msgpack_pack_uint32(pk, m->request_id);
		rc |= msgpack_pack_uint32(pk, (uint32_t)m->op);
		break;
	case WIRE_REDIRECT:
		rc |= msgpack_pack_uint32(pk, m->leader);
		break;
	case WIRE_HEARTBEAT:
		rc |= msgpack_pack_uint32(pk, m->leader);
		rc |= msgpack_pack_uint32(pk, m->beat);
		if (wire__heartbeat_extra(m) > 0)
			rc |= pack_members(pk, &m->suspects);
		if (m->heard_count > 0) {
			rc |= msgpack_pack_array(pk, 2 * (size_t)m->heard_count);
			for (unsigned i = 0; i < m->heard_count; i++) {
				rc |= msgpack_pack_uint32(pk, m->heard_peer[i]);
				rc |= msgpack_pack_uint32(pk, m->heard_age_ms[i]);
			}
		}
		break;
	case WIRE_JOIN:
		break;
	}
	return rc != 0 ? -1 : 0;
}

int wire_encode(const struct wire_msg *m, char *buf, size_t cap, size_t *len)
{
	int rc;

	assert(m != NULL && len != NULL && (buf != NULL || cap == 0));
	rc = msg_check(m);
	return rc != 0 ? rc : wire_pack(pack_fields, m, buf, cap, len);
}

static int encode_body(const void *m, char *buf, size_t cap, size_t *len)
{
	return wire_encode(m, buf, cap, len);
}

int wire_encode_frame(const struct wire_msg *m, char *buf, size_t cap,
		      size_t *len)
{
	return wire_frame_encode(encode_body, m, buf, cap, len);
}

/* ---- the structural walk, before msgpack-c sees anything ---- */

/* Only the formats rollcall sends: unsigned integers and arrays. */
#define WALK_ALLOWED (WIRE_WALK_UINT | WIRE_WALK_ARRAY)

/* NEWVIEW's members: at most HOSTS_MAX unsigned integers, nothing deeper. */
static int walk_members(const unsigned char **p, const unsigned char *end,
			uint64_t count)
{
	struct wire_walk_elem e;
	int rc;

	if (count > HOSTS_MAX)
		return WIRE_ESHAPE;
	for (uint64_t i = 0; i < count; i++) {
		rc = wire_walk_head(p, end, WALK_ALLOWED, &e);
		if (rc != 0)
			return rc;
		if (e.kind != WIRE_WALK_UINT)
			return WIRE_ESHAPE;
	}
	return 0;
}

static int wire__walk(const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf, *end = buf + len;
	struct wire_walk_elem top, e;
	uint64_t type = 0;
	int rc;

	rc = wire_walk_head(&p, end, WALK_ALLOWED, &top);
	if (rc != 0)
		return rc;
	if (top.kind != WIRE_WALK_ARRAY)
		return WIRE_ESHAPE;
	if (top.value < WIRE_FIELDS_MIN || top.value > WIRE_FIELDS_MAX)
		return WIRE_ESHAPE;
	for (uint64_t i = 0; i < top.value; i++) {
		rc = wire_walk_head(&p, end, WALK_ALLOWED, &e);
		if (rc != 0)
			return rc;
		if (e.kind == WIRE_WALK_UINT) {
			if (i == 1)
				type = e.value;
			continue;
		}
		if (!(i == WIRE_MEMBERS_INDEX && type == WIRE_NEWVIEW) &&
		    !((i == WIRE_SUSPECTS_INDEX || i == WIRE_HEARD_INDEX) &&
		      type == WIRE_HEARTBEAT) &&
		    !(i == WIRE_MORE_REQ_INDEX && type == WIRE_REQ) &&
		    !(i == WIRE_MORE_OK_INDEX && type == WIRE_OK))
			return WIRE_ESHAPE;
		rc = walk_members(&p, end, e.value);
		if (rc != 0)
			return rc;
	}
	return p == end ? 0 : WIRE_ETRAILING;
}

/* ---- conversion of the unpacked object ---- */

/* A peer id, or 0 where the type allows it; msg_check decides which. */
static int get_id(const msgpack_object_array *a, unsigned i, uint16_t *v)
{
	uint64_t x;
	int rc = wire_get_max(a, i, HOSTS_MAX, &x);

	if (rc == 0)
		*v = (uint16_t)x;
	return rc;
}

static int get_op(const msgpack_object_array *a, unsigned i,
		  enum wire_op *op)
{
	uint64_t x;
	int rc = wire_get_uint(a, i, &x);

	if (rc != 0)
		return rc;
	if (x < WIRE_OP_ADD || x > WIRE_OP_REFUSE)
		return WIRE_ERANGE;
	*op = (enum wire_op)x;
	return 0;
}

static int get_members(const msgpack_object_array *a, unsigned i,
		       struct peerset *members)
{
	const msgpack_object_array *ids;
	uint64_t prev = 0, id;

	if (a->ptr[i].type != MSGPACK_OBJECT_ARRAY)
		return WIRE_ESHAPE;
	ids = &a->ptr[i].via.array;
	if (ids->size > HOSTS_MAX)
		return WIRE_ESHAPE;
	for (unsigned j = 0; j < ids->size; j++) {
		if (wire_get_uint(ids, j, &id) != 0)
			return WIRE_ESHAPE;
		/* A set has no order to lose or duplicate to drop: refuse both. */
		if (!id_valid(id) || id <= prev)
			return WIRE_ERANGE;
		peerset_add(members, (unsigned)id);
		prev = id;
	}
	return 0;
}

/* HEARTBEAT's heard pairs: [peer, age_ms, ...], ids ascending, not empty
 * (msg_check checks the ids). */
static int get_heard(const msgpack_object_array *a, unsigned i,
		     struct wire_msg *m)
{
	const msgpack_object_array *v;
	uint64_t x;

	if (a->ptr[i].type != MSGPACK_OBJECT_ARRAY)
		return WIRE_ESHAPE;
	v = &a->ptr[i].via.array;
	if (v->size == 0 || v->size % 2 != 0)
		return WIRE_ESHAPE;
	if (v->size > 2 * HEARTBEAT_HEARD_MAX)
		return WIRE_ERANGE;
	for (unsigned j = 0; j < v->size; j += 2) {
		if (wire_get_uint(v, j, &x) != 0)
			return WIRE_ESHAPE;
		if (!id_valid(x))
			return WIRE_ERANGE;
		m->heard_peer[j / 2] = (uint16_t)x;
		if (wire_get_uint(v, j + 1, &x) != 0)
			return WIRE_ESHAPE;
		if (x > UINT32_MAX)
			return WIRE_ERANGE;
		m->heard_age_ms[j / 2] = (uint32_t)x;
	}
	m->heard_count = (uint16_t)(v->size / 2);
	return 0;
}

/* REQ's and OK's further changes: [op, peer, ...], not empty (msg_check
 * checks the ops, ids and that each peer comes once). */
static int get_more(const msgpack_object_array *a, unsigned i,
		    struct wire_changes *more)
{
	const msgpack_object_array *v;
	uint64_t op, peer;

	if (a->ptr[i].type != MSGPACK_OBJECT_ARRAY)
		return WIRE_ESHAPE;
	v = &a->ptr[i].via.array;
	if (v->size == 0 || v->size % 2 != 0)
		return WIRE_ESHAPE;
	if (v->size > 2 * (CHANGES_MAX - 1))
		return WIRE_ERANGE;
	for (unsigned j = 0; j < v->size; j += 2) {
		if (wire_get_uint(v, j, &op) != 0 ||
		    wire_get_uint(v, j + 1, &peer) != 0)
			return WIRE_ESHAPE;
		if ((op != WIRE_OP_ADD && op != WIRE_OP_DEL) || !id_valid(peer))
			return WIRE_ERANGE;
		more->at[j / 2].op = (uint8_t)op;
		more->at[j / 2].peer = (uint16_t)peer;
	}
	more->count = (uint16_t)(v->size / 2);
	return 0;
}

static int get_type_fields(const msgpack_object_array *a, struct wire_msg *m)
{
	int rc = 0;

	switch (m->type) {
	case WIRE_REQ:
	case WIRE_OK:
		if ((rc = wire_get_u32(a, 6, &m->request_id)) != 0 ||
		    (rc = get_op(a, 7, &m->op)) != 0 ||
		    (rc = get_id(a, 8, &m->peer)) != 0 ||
		    (rc = get_id(a, 9, &m->leader)) != 0)
			return rc;
		if (m->type == WIRE_OK)
			rc = wire_get_uint(a, 10, &m->acc_ballot);
		if (rc == 0 && a->size > wire_fields[m->type])
			rc = get_more(a, wire_fields[m->type], &m->more);
		break;
	case WIRE_NEWVIEW:
		if ((rc = get_id(a, 6, &m->leader)) != 0 ||
		    (rc = get_members(a, WIRE_MEMBERS_INDEX, &m->members)) != 0)
			return rc;
		break;
	case WIRE_NEWLEADER:
		if ((rc = wire_get_u32(a, 6, &m->request_id)) != 0 ||
		    (rc = get_op(a, 7, &m->op)) != 0)
			return rc;
		break;
	case WIRE_REDIRECT:
		rc = get_id(a, 6, &m->leader);
		break;
	case WIRE_HEARTBEAT:
		rc = get_id(a, 6, &m->leader);
		if (rc == 0)
			rc = wire_get_u32(a, 7, &m->beat);
		if (rc == 0 && a->size > wire_fields[WIRE_HEARTBEAT]) {
			rc = get_members(a, WIRE_SUSPECTS_INDEX, &m->suspects);
			/* Sent only when there are any, or heard pairs. */
			if (rc == 0 && peerset_empty(&m->suspects) &&
			    a->size == wire_fields[WIRE_HEARTBEAT] + 1)
				rc = WIRE_ESHAPE;
		}
		if (rc == 0 && a->size > wire_fields[WIRE_HEARTBEAT] + 1)
			rc = get_heard(a, WIRE_HEARD_INDEX, m);
		break;
	case WIRE_JOIN:
		break;
	}
	return rc;
}

static int from_object(const msgpack_object *o, struct wire_msg *m)
{
	const msgpack_object_array *a;
	uint64_t version, type;
	int rc;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return WIRE_ESHAPE;
	a = &o->via.array;
	if (a->size < WIRE_FIELDS_MIN)
		return WIRE_ESHAPE;
	if ((rc = wire_get_uint(a, 0, &version)) != 0)
		return rc;
	if (version != WIRE_VERSION)
		return WIRE_EVERSION;
	if ((rc = wire_get_uint(a, 1, &type)) != 0)
		return rc;
	if (type < 1 || type > WIRE_TYPE_MAX)
		return WIRE_ETYPE;
	m->type = (enum wire_type)type;
	if (!wire__count_fits(type, a->size))
		return WIRE_ESHAPE;
	if ((rc = get_id(a, 2, &m->from)) != 0 ||
	    (rc = wire_get_uint(a, 3, &m->incarnation)) != 0 ||
	    (rc = wire_get_u32(a, 4, &m->view_id)) != 0 ||
	    (rc = wire_get_uint(a, 5, &m->ballot)) != 0 ||
	    (rc = get_type_fields(a, m)) != 0)
		return rc;
	return msg_check(m);
}

int wire_decode(const char *buf, size_t len, struct wire_msg *m)
{
	msgpack_unpacked u;
	int rc;

	assert(m != NULL && (buf != NULL || len == 0));
	memset(m, 0, sizeof(*m));
	if (len > FRAME_BYTES_MAX)
		return WIRE_ETOOBIG;
	rc = wire__walk((const unsigned char *)buf, len);
	if (rc != 0)
		return rc;
	/* The walk bounded every count by the bytes present: now unpack. */
	msgpack_unpacked_init(&u);
	rc = wire_unpack_whole(buf, len, &u);
	if (rc == 0)
		rc = from_object(&u.data, m);
	msgpack_unpacked_destroy(&u);
	if (rc != 0)
		memset(m, 0, sizeof(*m));
	return rc;
}

int wire_frame_next(const char *buf, size_t len, const char **body,
		    size_t *body_len, size_t *consumed)
{
	const unsigned char *p = (const unsigned char *)buf;
	uint64_t n;

	assert(body != NULL && body_len != NULL && consumed != NULL);
	if (len < WIRE_FRAME_HEADER_BYTES)
		return 1;
	n = wire_read_be(p, WIRE_FRAME_HEADER_BYTES);
	if (n > FRAME_BYTES_MAX)
		return WIRE_ETOOBIG;
	if (len - WIRE_FRAME_HEADER_BYTES < n)
		return 1;
	*body = buf + WIRE_FRAME_HEADER_BYTES;
	*body_len = (size_t)n;
	*consumed = WIRE_FRAME_HEADER_BYTES + (size_t)n;
	return 0;
}

/* ---- batches ---- */

void wire_changes_join(struct wire_changes *all, enum wire_op op,
		       unsigned peer, const struct wire_changes *more)
{
	all->count = 0;
	if (op != WIRE_OP_ADD && op != WIRE_OP_DEL)
		return;
	all->at[0].op = (uint8_t)op;
	all->at[0].peer = (uint16_t)peer;
	all->count = 1;
	for (unsigned i = 0; i < more->count && all->count < CHANGES_MAX; i++)
		all->at[all->count++] = more->at[i];
}

void wire_changes_split(const struct wire_changes *all, enum wire_op *op,
			uint16_t *peer, struct wire_changes *more)
{
	assert(all->count >= 1);
	*op = (enum wire_op)all->at[0].op;
	*peer = all->at[0].peer;
	more->count = (uint16_t)(all->count - 1);
	memcpy(more->at, all->at + 1, more->count * sizeof(more->at[0]));
}

bool wire_changes_has(const struct wire_changes *c, int op, unsigned peer)
{
	for (unsigned i = 0; i < c->count; i++)
		if (c->at[i].peer == peer && (op == 0 || c->at[i].op == op))
			return true;
	return false;
}

void wire_changes_apply(const struct wire_changes *c,
			struct peerset *members)
{
	for (unsigned i = 0; i < c->count; i++) {
		if (c->at[i].op == WIRE_OP_ADD)
			peerset_add(members, c->at[i].peer);
		else
			peerset_del(members, c->at[i].peer);
	}
}

struct peerset wire_changes_peers(const struct wire_changes *c,
				  enum wire_op op)
{
	struct peerset s;
	peerset_clear(&s);
	for (unsigned i = 0; i < c->count; i++)
		if (c->at[i].op == op)
			peerset_add(&s, c->at[i].peer);
	return s;
}

bool wire_changes_push(struct wire_changes *c, enum wire_op op,
		       unsigned peer)
{
	if (c->count == CHANGES_MAX)
		return false;
	c->at[c->count].op = (uint8_t)op;
	c->at[c->count].peer = (uint16_t)peer;
	c->count++;
	return true;
}

/* ---- names for logs ---- */

const char *wire_type_name(int type)
{
	static const char *const names[WIRE_TYPE_MAX + 1] = {
		[WIRE_JOIN] = "JOIN",
		[WIRE_REQ] = "REQ",
		[WIRE_OK] = "OK",
		[WIRE_NEWVIEW] = "NEWVIEW",
		[WIRE_NEWLEADER] = "NEWLEADER",
		[WIRE_HEARTBEAT] = "HEARTBEAT",
		[WIRE_REDIRECT] = "REDIRECT",
	};

	return type_valid(type) ? names[type] : "?";
}

const char *wire_op_name(int op)
{
	switch (op) {
	case WIRE_OP_ADD: return "ADD";
	case WIRE_OP_DEL: return "DEL";
	case WIRE_OP_PENDING: return "PENDING";
	case WIRE_OP_NOTHING: return "NOTHING";
	case WIRE_OP_REFUSE: return "REFUSE";
	}
	return "?";
}

const char *wire_strerror(int err)
{
	switch (err) {
	case 0: return "ok";
	case WIRE_ETRUNCATED: return "truncated";
	case WIRE_ETOOBIG: return "too big";
	case WIRE_ESHAPE: return "bad shape";
	case WIRE_EVERSION: return "unknown version";
	case WIRE_ETYPE: return "unknown type";
	case WIRE_ERANGE: return "field out of range";
	case WIRE_ETRAILING: return "trailing bytes";
	case WIRE_ENOSPACE: return "no space";
	}
	return "?";
}
