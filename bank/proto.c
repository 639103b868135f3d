/*
 * The bank's message codec (proto.h).
 */
#include <errno.h>
#include <string.h>

#include "../common/bounds.h"
#include "mp.h"
#include "proto.h"

int bank_msg_type_of(const void *body, size_t len)
{
	struct mp_reader r;
	uint32_t n;
	uint64_t t;
	mp_reader_init(&r, body, len);
	if (!mp_get_array(&r, 1, 64, &n) || !mp_get_uint(&r, 255, &t))
		return 0;
	return (int)t;
}

static int finish(const struct mp_writer *w)
{
	return w->failed ? -ENOSPC : (int)w->len;
}

static void put_text(struct mp_writer *w, const char *s)
{
	mp_put_str(w, s, strlen(s));
}

int bank_client_encode(const struct bank_client_msg *m, void *buf,
		       size_t cap)
{
	struct mp_writer w;
	mp_writer_init(&w, buf, cap);
	switch (m->type) {
	case BANK_MSG_REQUEST:
		mp_put_array(&w, 6);
		mp_put_uint(&w, m->type);
		put_text(&w, m->cmd.client);
		mp_put_uint(&w, m->seq);
		mp_put_int(&w, m->cmd.account);
		mp_put_int(&w, m->cmd.op);
		mp_put_int(&w, m->cmd.amount);
		break;
	case BANK_MSG_RESULT:
		mp_put_array(&w, 5);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->seq);
		mp_put_int(&w, m->result.account);
		mp_put_int(&w, m->result.balance);
		put_text(&w, m->result.error);
		break;
	case BANK_MSG_REDIRECT:
		mp_put_array(&w, 4);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->seq);
		mp_put_uint(&w, m->leader);
		put_text(&w, m->text);
		break;
	case BANK_MSG_FAIL:
		mp_put_array(&w, 3);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->seq);
		put_text(&w, m->text);
		break;
	default:
		return -EINVAL;
	}
	return finish(&w);
}

/* A string field into a NUL-terminated buffer; no NUL inside. */
static bool get_text(struct mp_reader *r, char *out, size_t cap)
{
	const char *s;
	size_t len;
	if (!mp_get_str(r, cap - 1, &s, &len))
		return false;
	if (memchr(s, '\0', len) != NULL) {
		r->failed = true;
		return false;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

int bank_client_decode(const void *body, size_t len,
		       struct bank_client_msg *m)
{
	struct mp_reader r;
	uint32_t n;
	uint64_t t, leader;
	int64_t op;
	memset(m, 0, sizeof(*m));
	mp_reader_init(&r, body, len);
	if (!mp_get_array(&r, 3, 6, &n) || !mp_get_uint(&r, 255, &t))
		return -EINVAL;
	m->type = (enum bank_msg_type)t;
	switch (t) {
	case BANK_MSG_REQUEST:
		if (n != 6)
			return -EINVAL;
		get_text(&r, m->cmd.client, sizeof(m->cmd.client));
		mp_get_uint(&r, UINT64_MAX, &m->seq);
		mp_get_int(&r, &m->cmd.account);
		/* Any integer: an unknown one is answered with the
		 * course's error, not as a protocol error. */
		if (mp_get_int(&r, &op))
			m->cmd.op = op < -1000000 || op > 1000000 ? -1000000
								  : (int)op;
		mp_get_int(&r, &m->cmd.amount);
		m->cmd.seq = m->seq;
		break;
	case BANK_MSG_RESULT:
		if (n != 5)
			return -EINVAL;
		mp_get_uint(&r, UINT64_MAX, &m->seq);
		mp_get_int(&r, &m->result.account);
		mp_get_int(&r, &m->result.balance);
		get_text(&r, m->result.error, sizeof(m->result.error));
		break;
	case BANK_MSG_REDIRECT:
		if (n != 4)
			return -EINVAL;
		mp_get_uint(&r, UINT64_MAX, &m->seq);
		if (mp_get_uint(&r, HOSTS_MAX, &leader))
			m->leader = (unsigned)leader;
		get_text(&r, m->text, sizeof(m->text));
		break;
	case BANK_MSG_FAIL:
		if (n != 3)
			return -EINVAL;
		mp_get_uint(&r, UINT64_MAX, &m->seq);
		get_text(&r, m->text, sizeof(m->text));
		break;
	default:
		return -EINVAL;
	}
	return mp_done(&r) ? 0 : -EINVAL;
}

/* ---- Between replicas --------------------------------------------------- */

static void put_value(struct mp_writer *w, const struct paxos_value *v)
{
	mp_put_bool(w, v->noop);
	mp_put_bin(w, v->bytes, v->noop ? 0 : v->len);
}

static bool get_value(struct mp_reader *r, struct paxos_value *v)
{
	const uint8_t *b;
	size_t len;
	if (!mp_get_bool(r, &v->noop) ||
	    !mp_get_bin(r, PAXOS_VALUE_BYTES_MAX, &b, &len))
		return false;
	if (v->noop && len != 0) {
		r->failed = true;
		return false;
	}
	memcpy(v->bytes, b, len);
	v->len = (uint16_t)len;
	return true;
}

int bank_peer_encode(const struct bank_peer_msg *m, void *buf, size_t cap)
{
	struct mp_writer w;
	mp_writer_init(&w, buf, cap);
	switch (m->type) {
	case BANK_MSG_PAXOS: {
		const struct paxos_msg *pm = &m->pm;
		unsigned entries = pm->type == PAXOS_PROMISE ?
				   pm->entries_count : 0;
		mp_put_array(&w, 9);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->from);
		mp_put_uint(&w, pm->type);
		mp_put_uint(&w, pm->slot);
		mp_put_uint(&w, pm->ballot);
		put_value(&w, &pm->value);
		mp_put_array(&w, entries);
		for (unsigned i = 0; i < entries; i++) {
			mp_put_array(&w, 4);
			mp_put_uint(&w, pm->entries[i].slot);
			mp_put_uint(&w, pm->entries[i].vballot);
			put_value(&w, &pm->entries[i].value);
		}
		mp_put_uint(&w, pm->type == PAXOS_NACK ? pm->trimmed : 0);
		break;
	}
	case BANK_MSG_STATUS:
		mp_put_array(&w, 3);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->from);
		mp_put_uint(&w, m->applied);
		break;
	case BANK_MSG_FETCH:
		mp_put_array(&w, 3);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->from);
		mp_put_uint(&w, m->first);
		break;
	case BANK_MSG_SNAP:
		mp_put_array(&w, 6);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->from);
		mp_put_uint(&w, m->slot);
		mp_put_uint(&w, m->total);
		mp_put_uint(&w, m->offset);
		mp_put_bin(&w, m->chunk, m->chunk_len);
		break;
	case BANK_MSG_SNAPGET:
		mp_put_array(&w, 4);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->from);
		mp_put_uint(&w, m->slot);
		mp_put_uint(&w, m->offset);
		break;
	case BANK_MSG_LOG:
		mp_put_array(&w, 4);
		mp_put_uint(&w, m->type);
		mp_put_uint(&w, m->from);
		mp_put_uint(&w, m->first);
		mp_put_array(&w, m->log_count);
		for (unsigned i = 0; i < m->log_count; i++) {
			mp_put_array(&w, 2);
			put_value(&w, &m->log[i]);
		}
		break;
	default:
		return -EINVAL;
	}
	return finish(&w);
}

static int decode_paxos(struct mp_reader *r, struct paxos_msg *pm)
{
	uint64_t type;
	uint32_t count;
	if (!mp_get_uint(r, PAXOS_MSG_TYPE_MAX, &type) || type == 0)
		return -EINVAL;
	pm->type = (enum paxos_msg_type)type;
	mp_get_uint(r, UINT64_MAX, &pm->slot);
	mp_get_uint(r, UINT64_MAX, &pm->ballot);
	get_value(r, &pm->value);
	if (!mp_get_array(r, 0, PAXOS_PROMISE_ENTRIES_MAX, &count))
		return -EINVAL;
	if (count > 0 && pm->type != PAXOS_PROMISE)
		return -EINVAL;
	pm->entries_count = count;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t k;
		struct paxos_entry *e = &pm->entries[i];
		if (!mp_get_array(r, 4, 4, &k))
			return -EINVAL;
		mp_get_uint(r, UINT64_MAX, &e->slot);
		mp_get_uint(r, UINT64_MAX, &e->vballot);
		if (!get_value(r, &e->value))
			return -EINVAL;
	}
	mp_get_uint(r, UINT64_MAX, &pm->trimmed);
	if (pm->trimmed != 0 && pm->type != PAXOS_NACK)
		return -EINVAL;
	return r->failed ? -EINVAL : 0;
}

int bank_peer_decode(const void *body, size_t len, struct bank_peer_msg *m)
{
	struct mp_reader r;
	uint32_t n, count;
	uint64_t t, from;
	m->log_count = 0;
	m->chunk_len = 0;
	memset(&m->pm, 0, offsetof(struct paxos_msg, entries));
	mp_reader_init(&r, body, len);
	if (!mp_get_array(&r, 3, 9, &n) || !mp_get_uint(&r, 255, &t) ||
	    !mp_get_uint(&r, HOSTS_MAX, &from) || from == 0)
		return -EINVAL;
	m->type = (enum bank_msg_type)t;
	m->from = (unsigned)from;
	switch (t) {
	case BANK_MSG_PAXOS:
		if (n != 9 || decode_paxos(&r, &m->pm) != 0)
			return -EINVAL;
		m->pm.from = m->from;
		break;
	case BANK_MSG_STATUS:
		if (n != 3)
			return -EINVAL;
		mp_get_uint(&r, UINT64_MAX, &m->applied);
		break;
	case BANK_MSG_FETCH:
		if (n != 3)
			return -EINVAL;
		mp_get_uint(&r, UINT64_MAX, &m->first);
		break;
	case BANK_MSG_SNAP: {
		const uint8_t *b;
		if (n != 6)
			return -EINVAL;
		mp_get_uint(&r, UINT64_MAX, &m->slot);
		mp_get_uint(&r, BANK_SNAPSHOT_BYTES_MAX, &m->total);
		mp_get_uint(&r, BANK_SNAPSHOT_BYTES_MAX, &m->offset);
		if (!mp_get_bin(&r, BANK_SNAP_CHUNK_BYTES, &b, &m->chunk_len) ||
		    m->offset + m->chunk_len > m->total)
			return -EINVAL;
		memcpy(m->chunk, b, m->chunk_len);
		break;
	}
	case BANK_MSG_SNAPGET:
		if (n != 4)
			return -EINVAL;
		mp_get_uint(&r, UINT64_MAX, &m->slot);
		mp_get_uint(&r, BANK_SNAPSHOT_BYTES_MAX, &m->offset);
		break;
	case BANK_MSG_LOG:
		if (n != 4)
			return -EINVAL;
		mp_get_uint(&r, UINT64_MAX - BANK_LOG_BATCH_MAX, &m->first);
		if (!mp_get_array(&r, 0, BANK_LOG_BATCH_MAX, &count))
			return -EINVAL;
		for (uint32_t i = 0; i < count; i++) {
			uint32_t k;
			if (!mp_get_array(&r, 2, 2, &k) ||
			    !get_value(&r, &m->log[i]))
				return -EINVAL;
		}
		m->log_count = count;
		break;
	default:
		return -EINVAL;
	}
	return mp_done(&r) ? 0 : -EINVAL;
}

/* ---- A command in a value ----------------------------------------------- */

int bank_cmd_to_value(const struct bank_cmd *c, struct paxos_value *v)
{
	struct mp_writer w;
	mp_writer_init(&w, v->bytes, sizeof(v->bytes));
	mp_put_array(&w, 5);
	put_text(&w, c->client);
	mp_put_uint(&w, c->seq);
	mp_put_int(&w, c->account);
	mp_put_int(&w, c->op);
	mp_put_int(&w, c->amount);
	if (w.failed)
		return -EINVAL;
	v->noop = false;
	v->len = (uint16_t)w.len;
	return 0;
}

int bank_cmd_from_value(const struct paxos_value *v, struct bank_cmd *c)
{
	struct mp_reader r;
	uint32_t n;
	int64_t op;
	memset(c, 0, sizeof(*c));
	if (v->noop || v->len > PAXOS_VALUE_BYTES_MAX)
		return -EINVAL;
	mp_reader_init(&r, v->bytes, v->len);
	mp_get_array(&r, 5, 5, &n);
	get_text(&r, c->client, sizeof(c->client));
	mp_get_uint(&r, UINT64_MAX, &c->seq);
	mp_get_int(&r, &c->account);
	if (mp_get_int(&r, &op))
		c->op = op < -1000000 || op > 1000000 ? -1000000 : (int)op;
	mp_get_int(&r, &c->amount);
	return mp_done(&r) ? 0 : -EINVAL;
}
