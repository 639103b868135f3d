/*
 * The state file's codec: the few numbers a peer must keep across a
 * restart, as text (see state.h). Decoding trusts nothing: every number is
 * checked for its range, and a line out of place fails the whole file.
 */
#include "state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "wire.h"

/* Appends to a fixed buffer; a write that does not fit marks it full. */
struct state_sink {
	char *buf;
	size_t cap;
	size_t len;
	bool full;
};

static void sink_add(struct state_sink *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sink_add(struct state_sink *k, const char *fmt, ...)
{
	if (k->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(k->buf + k->len, k->cap - k->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= k->cap - k->len)
		k->full = true;
	else
		k->len += (size_t)n;
}

int state_encode(const struct state *s, char *buf, size_t cap, size_t *len)
{
	struct state_sink k = { .buf = buf, .cap = cap };
	if (cap == 0)
		return STATE_ENOSPACE;
	sink_add(&k, "rollcall-state %d\npromised %llu\n", STATE_VERSION,
		 (unsigned long long)s->promised);
	if (s->acc_set) {
		sink_add(&k, "accepted %llu %u %u %u %u",
			 (unsigned long long)s->acc_ballot,
			 (unsigned)s->acc_base, (unsigned)s->acc_op,
			 (unsigned)s->acc_peer, (unsigned)s->acc_leader);
		for (unsigned i = 0; i < s->acc_more.count; i++)
			sink_add(&k, "%s%u:%u", i == 0 ? " " : ",",
				 (unsigned)s->acc_more.at[i].op,
				 (unsigned)s->acc_more.at[i].peer);
		sink_add(&k, "\n");
	} else
		sink_add(&k, "accepted none\n");
	if (!s->in_view && s->view_id == 0) {
		sink_add(&k, "view none\n");
	} else {
		/* Out of every view, but one is known: the view that removed
		 * us. A later life must take no view at or below it (mship's
		 * removed_in), and relays it while it joins again. */
		if (!s->in_view)
			sink_add(&k, "view none %u", (unsigned)s->view_id);
		else
			sink_add(&k, "view %u", (unsigned)s->view_id);
		if (s->in_view || !peerset_empty(&s->members)) {
			sink_add(&k, " %u ", (unsigned)s->view_leader);
			const char *sep = "";
			peerset_foreach(&s->members, id) {
				sink_add(&k, "%s%u", sep, id);
				sep = ",";
			}
		}
		sink_add(&k, "\n");
	}
	if (k.full)
		return STATE_ENOSPACE;
	*len = k.len;
	return 0;
}

/* ---- decoding ---- */

struct state_src {
	const char *p, *end;
	unsigned line;
};

static bool src_word(struct state_src *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

/* A decimal number at most max, with no sign, spaces or leading zeros. */
static bool src_num(struct state_src *r, uint64_t max, uint64_t *v)
{
	const char *start = r->p;
	uint64_t x = 0;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		unsigned d = (unsigned)(*r->p - '0');
		/* d > max first: max - d would wrap (a max below 9). */
		if (d > max || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
		r->p++;
	}
	if (r->p == start || (r->p - start > 1 && *start == '0'))
		return false;
	*v = x;
	return true;
}

static bool src_eol(struct state_src *r)
{
	if (!src_word(r, "\n"))
		return false;
	r->line++;
	return true;
}

/* A batch's further changes: " op:peer,op:peer,...", each peer once and
 * not the first change's. */
static int decode_more(struct state_src *r, unsigned first,
		       struct wire_changes *more)
{
	struct peerset seen;
	uint64_t op, peer;
	peerset_clear(&seen);
	peerset_add(&seen, first);
	more->count = 0;
	do {
		if (!src_num(r, WIRE_OP_DEL, &op) || !src_word(r, ":") ||
		    !src_num(r, HOSTS_MAX, &peer))
			return STATE_EFORMAT;
		if (op < WIRE_OP_ADD || peer == 0 ||
		    peerset_has(&seen, (unsigned)peer) ||
		    more->count == CHANGES_MAX - 1)
			return STATE_ERANGE;
		peerset_add(&seen, (unsigned)peer);
		wire_changes_push(more, (enum wire_op)op, (unsigned)peer);
	} while (src_word(r, ","));
	return 0;
}

static int decode_accepted(struct state_src *r, struct state *s)
{
	uint64_t ballot, base, op, peer, leader;
	if (src_word(r, "none"))
		return src_eol(r) ? 0 : STATE_EFORMAT;
	if (!src_num(r, UINT64_MAX, &ballot) || !src_word(r, " ") ||
	    !src_num(r, UINT32_MAX, &base) || !src_word(r, " ") ||
	    !src_num(r, WIRE_OP_DEL, &op) || !src_word(r, " ") ||
	    !src_num(r, HOSTS_MAX, &peer) || !src_word(r, " ") ||
	    !src_num(r, HOSTS_MAX, &leader))
		return STATE_EFORMAT;
	if (ballot == 0 || op < WIRE_OP_ADD || peer == 0 || leader == 0)
		return STATE_ERANGE;
	if (src_word(r, " ")) {
		int rc = decode_more(r, (unsigned)peer, &s->acc_more);
		if (rc != 0)
			return rc;
	}
	if (!src_eol(r))
		return STATE_EFORMAT;
	s->acc_set = true;
	s->acc_ballot = ballot;
	s->acc_base = (uint32_t)base;
	s->acc_op = (uint8_t)op;
	s->acc_peer = (uint16_t)peer;
	s->acc_leader = (uint16_t)leader;
	return 0;
}

/* "ID LEADER M1,M2,...": a view, into s (not yet marked in_view). */
static int decode_list(struct state_src *r, struct state *s, uint64_t id)
{
	uint64_t leader, member, prev = 0;
	if (!src_num(r, HOSTS_MAX, &leader) || !src_word(r, " "))
		return STATE_EFORMAT;
	do {
		if (!src_num(r, HOSTS_MAX, &member))
			return STATE_EFORMAT;
		if (member <= prev)
			return STATE_ERANGE;
		peerset_add(&s->members, (unsigned)member);
		prev = member;
	} while (src_word(r, ","));
	if (r->p < r->end && *r->p != '\n')
		return STATE_EFORMAT;
	/* Before the end of the line, so that the error names this one. */
	if (leader == 0 || !peerset_has(&s->members, (unsigned)leader))
		return STATE_ERANGE;
	if (!src_eol(r))
		return STATE_EFORMAT;
	s->view_id = (uint32_t)id;
	s->view_leader = (uint16_t)leader;
	return 0;
}

static int decode_view(struct state_src *r, struct state *s)
{
	uint64_t id;
	if (src_word(r, "none")) {
		/* "none", "none ID" or "none ID LEADER MEMBERS". */
		if (!src_word(r, " "))
			return src_eol(r) ? 0 : STATE_EFORMAT;
		if (!src_num(r, UINT32_MAX, &id) || id == 0)
			return STATE_EFORMAT;
		s->view_id = (uint32_t)id;
		if (src_eol(r))
			return 0;
		if (!src_word(r, " "))
			return STATE_EFORMAT;
		return decode_list(r, s, id);
	}
	if (!src_num(r, UINT32_MAX, &id) || !src_word(r, " "))
		return STATE_EFORMAT;
	int rc = decode_list(r, s, id);
	if (rc == 0)
		s->in_view = true;
	return rc;
}

int state_decode(const char *buf, size_t len, struct state *s,
		 unsigned *line)
{
	struct state_src r = { .p = buf, .end = buf + len, .line = 1 };
	uint64_t version, promised;
	int rc = STATE_EFORMAT;
	memset(s, 0, sizeof(*s));
	if (len > STATE_BYTES_MAX)
		goto out;
	if (!src_word(&r, "rollcall-state ") ||
	    !src_num(&r, UINT32_MAX, &version) || version != STATE_VERSION ||
	    !src_eol(&r))
		goto out;
	if (!src_word(&r, "promised ") || !src_num(&r, UINT64_MAX, &promised) ||
	    !src_eol(&r))
		goto out;
	s->promised = promised;
	if (!src_word(&r, "accepted ") || (rc = decode_accepted(&r, s)) != 0)
		goto out;
	rc = STATE_EFORMAT;
	if (!src_word(&r, "view ") || (rc = decode_view(&r, s)) != 0)
		goto out;
	rc = r.p == r.end ? 0 : STATE_EFORMAT;
out:
	if (rc != 0)
		memset(s, 0, sizeof(*s));
	if (line != NULL)
		*line = r.line;
	return rc;
}

const char *state_strerror(int err)
{
	switch (err) {
	case 0: return "ok";
	case STATE_ENOSPACE: return "no space";
	case STATE_EFORMAT: return "not a rollcall state file of this version";
	case STATE_ERANGE: return "a field out of range";
	}
	return "?";
}
