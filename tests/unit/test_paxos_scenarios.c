/*
 * The Paxos core's scenarios as data. Each NAME.txt in
 * tests/unit/paxos-scenarios (its README says the same, with examples)
 * drives one role of the core (paxos/) by hand and says what must come
 * out of each event: one cmocka case per file, named by it. Run from the
 * repository root, as make check does, or name the directory as the first
 * argument. The grammar is scenfile.h's: one directive a line, '#' a
 * comment, words key=value.
 *
 * Ballots are round.id (3.1 is round 3 of proposer 1; 0 is none); id
 * lists 2,3,4; a value is a word (X), noop, - (empty) or 0x and hex;
 * entries (a promise's, a save's) are slot:ballot:value,... in order.
 *
 *   restored promised=3.1 [trimmed=0] [slots=0:2.1:X]   before acceptor
 *   acceptor self=2 [nack] [learners=5]
 *   learner self=5 acceptors=2,3,4 [trust] [decided=0]
 *   proposer self=1 acceptors=2,3,4 [learners=5] [window=1] [single]
 *            [retry=100] [retries=3] [backoff=50,200] [cap=800] [seed=1]
 *            [round=1] [decided=0]
 *
 * Events (at=T optional, never back in time; the last event's by default):
 *
 *   msg at=T TYPE from=3 slot=0 ballot=3.1 [value=X] [entries=...]
 *       [trimmed=4]                (a NACK's trim point)
 *   propose at=T value=X           prepare at=T        tick at=T
 *   stop                           (proposer) stop proposing
 *   skip upto=4                    (learner, proposer) slots below 4 learnt
 *                                  elsewhere
 *   trim upto=4                    (acceptor) drop slots below 4
 *   restart                        (acceptor) a new life from its last save
 *
 * After each, what it brought, in the order the core asked for it:
 *
 *   send to=2,3,4 PREPARE slot=0 ballot=3.1
 *       (one line for the same message to several peers in a row; ACCEPT,
 *       ACCEPTED, CHOSEN add value=, PROMISE entries=, always written; a
 *       NACK adds trimmed= when not 0)
 *   save promised=3.1 trimmed=0 slots=0:3.1:X
 *   chosen slot=0 ballot=3.1 value=X
 *   quiet                          nothing more (implied before each event
 *                                  and at the end)
 *   state [promised=3.1] [slots=...] [phase=LEADING] [ballot=3.1]
 *         [decided=1] [next=T|never] [queue=0] [behind=0]
 *
 * SCENARIO_TRACE=1 prints each event and its output as directives on
 * stderr, to write a new file from; it fails every file and judges none.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../paxos/paxos.h"
#include "scenfile.h"

#define PSCEN_DIR "tests/unit/paxos-scenarios"
#define PSCEN_OUT_MAX 128
#define PSCEN_TEXT_BYTES 1024
#define PSCEN_ID_MAX 64

enum pscen_role { ROLE_NONE, ROLE_ACCEPTOR, ROLE_LEARNER, ROLE_PROPOSER };

/* One file being run. Large (three roles, saved states): kept static. */
struct pscen {
	struct scenfile f;
	bool trace;
	enum pscen_role role;
	int64_t now_ms;
	unsigned event_line;
	struct paxos_outbox out;
	/* What came out of the current event, rendered, in order. */
	char outs[PSCEN_OUT_MAX][PSCEN_TEXT_BYTES];
	unsigned outs_count, outs_checked;
	bool outs_overflow;
	/* The last send, to merge the same message to the next peer. */
	char last_send[PSCEN_TEXT_BYTES];
	bool last_was_send;
	/* The acceptor's last save, encoded as its state file would be. */
	char saved[PAXOS_STATE_BYTES_MAX];
	int saved_len;
	bool restored_set;
	struct paxos_state restored;
	struct paxos_acceptor_config acfg;
	struct paxos_acceptor a;
	struct paxos_learner l;
	struct paxos_proposer p;
	struct paxos_msg msg;	/* the event's message */
};

static struct pscen scen;

#define pscen_fail(s, ...) scenfile_fail(&(s)->f, __VA_ARGS__)

/* ---- Rendering ---------------------------------------------------------- */

static void cat(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cat(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

static void cat_ballot(char *buf, size_t cap, uint64_t b)
{
	if (b == 0)
		cat(buf, cap, "0");
	else
		cat(buf, cap, "%" PRIu64 ".%u", paxos_ballot_round(b),
		    paxos_ballot_id(b));
}

static bool plain_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* A value as a word: noop, - (empty), the bytes when plain, else 0x hex. */
static void cat_value(char *buf, size_t cap, const struct paxos_value *v)
{
	bool plain = v->len > 0 && !(v->len >= 2 && v->bytes[0] == '0' &&
				     v->bytes[1] == 'x');
	if (v->noop) {
		cat(buf, cap, "noop");
		return;
	}
	if (v->len == 0) {
		cat(buf, cap, "-");
		return;
	}
	for (unsigned i = 0; i < v->len; i++)
		plain = plain && plain_byte(v->bytes[i]);
	if (plain && !(v->len == 4 && memcmp(v->bytes, "noop", 4) == 0)) {
		cat(buf, cap, "%.*s", (int)v->len, (const char *)v->bytes);
		return;
	}
	cat(buf, cap, "0x");
	for (unsigned i = 0; i < v->len; i++)
		cat(buf, cap, "%02x", v->bytes[i]);
}

static void cat_entries(char *buf, size_t cap, const struct paxos_entry *e,
			unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		cat(buf, cap, "%s%" PRIu64 ":", i ? "," : "", e[i].slot);
		cat_ballot(buf, cap, e[i].vballot);
		cat(buf, cap, ":");
		cat_value(buf, cap, &e[i].value);
	}
}

static const char *const type_names[] = {
	[PAXOS_PREPARE] = "PREPARE",   [PAXOS_PROMISE] = "PROMISE",
	[PAXOS_ACCEPT] = "ACCEPT",     [PAXOS_ACCEPTED] = "ACCEPTED",
	[PAXOS_NACK] = "NACK",	       [PAXOS_CHOSEN] = "CHOSEN",
};

/* A message's fields after the recipients: the fields of its type. */
static void render_msg(char *buf, size_t cap, const struct paxos_msg *m)
{
	buf[0] = '\0';
	cat(buf, cap, "%s slot=%" PRIu64 " ballot=", type_names[m->type],
	    m->slot);
	cat_ballot(buf, cap, m->ballot);
	if (m->type == PAXOS_ACCEPT || m->type == PAXOS_ACCEPTED ||
	    m->type == PAXOS_CHOSEN) {
		cat(buf, cap, " value=");
		cat_value(buf, cap, &m->value);
	}
	if (m->type == PAXOS_PROMISE) {
		cat(buf, cap, " entries=");
		cat_entries(buf, cap, m->entries, m->entries_count);
	}
	if (m->type == PAXOS_NACK && m->trimmed != 0)
		cat(buf, cap, " trimmed=%" PRIu64, m->trimmed);
}

static void render_state(char *buf, size_t cap, const struct paxos_state *st)
{
	buf[0] = '\0';
	cat(buf, cap, "promised=");
	cat_ballot(buf, cap, st->promised);
	cat(buf, cap, " trimmed=%" PRIu64 " slots=", st->trimmed);
	cat_entries(buf, cap, st->entries, st->entries_count);
}

/* ---- The recording outbox ---------------------------------------------- */

static char *out_next(struct pscen *s)
{
	if (s->outs_count == PSCEN_OUT_MAX) {
		s->outs_overflow = true;
		return NULL;
	}
	s->outs[s->outs_count][0] = '\0';
	return s->outs[s->outs_count++];
}

static void on_send(struct paxos_outbox *o, unsigned to,
		    const struct paxos_msg *m)
{
	struct pscen *s = &scen;
	char body[PSCEN_TEXT_BYTES];
	char *rec;

	(void)o;
	render_msg(body, sizeof(body), m);
	if (m->from != (s->role == ROLE_ACCEPTOR ? s->a.cfg.self :
			s->role == ROLE_LEARNER	 ? s->l.cfg.self :
						   s->p.cfg.self))
		cat(body, sizeof(body), " from=%u", m->from);
	/* The same message to the next peer: one directive, to=2,3,4. */
	if (s->last_was_send && strcmp(body, s->last_send) == 0 &&
	    s->outs_count > s->outs_checked) {
		rec = s->outs[s->outs_count - 1];
		char *sp = strchr(rec + strlen("send to="), ' ');
		char tail[PSCEN_TEXT_BYTES];
		snprintf(tail, sizeof(tail), "%s", sp);
		*sp = '\0';
		cat(rec, PSCEN_TEXT_BYTES, ",%u%s", to, tail);
		return;
	}
	if ((rec = out_next(s)) == NULL)
		return;
	snprintf(rec, PSCEN_TEXT_BYTES, "send to=%u %s", to, body);
	snprintf(s->last_send, sizeof(s->last_send), "%s", body);
	s->last_was_send = true;
}

static void on_save(struct paxos_outbox *o, const struct paxos_state *st)
{
	struct pscen *s = &scen;
	char *rec;

	(void)o;
	s->last_was_send = false;
	s->saved_len = paxos_state_encode(st, s->saved, sizeof(s->saved));
	if ((rec = out_next(s)) == NULL)
		return;
	snprintf(rec, PSCEN_TEXT_BYTES, "save ");
	render_state(rec + 5, PSCEN_TEXT_BYTES - 5, st);
}

static void on_chosen(struct paxos_outbox *o, uint64_t slot, uint64_t ballot,
		      const struct paxos_value *v)
{
	struct pscen *s = &scen;
	char *rec;

	(void)o;
	s->last_was_send = false;
	if ((rec = out_next(s)) == NULL)
		return;
	cat(rec, PSCEN_TEXT_BYTES, "chosen slot=%" PRIu64 " ballot=", slot);
	cat_ballot(rec, PSCEN_TEXT_BYTES, ballot);
	cat(rec, PSCEN_TEXT_BYTES, " value=");
	cat_value(rec, PSCEN_TEXT_BYTES, v);
}

/* ---- Parsing values ------------------------------------------------------ */

static int parse_ballot(struct pscen *s, const char *key, const char *v,
			uint64_t *out)
{
	char buf[32];
	const char *dot = strchr(v, '.');
	size_t len = dot ? (size_t)(dot - v) : 0;
	uint64_t round, id;

	if (strcmp(v, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (!dot || len == 0 || len >= sizeof(buf))
		return pscen_fail(s, "%s=%s: a ballot is round.id, as 3.1",
				  key, v);
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (scenfile_u64(&s->f, key, buf, PAXOS_ROUND_MAX, &round) < 0 ||
	    scenfile_u64(&s->f, key, dot + 1, PAXOS_ID_MAX, &id) < 0)
		return -1;
	*out = paxos_ballot(round, (unsigned)id);
	return 0;
}

static int hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A value word of length len (not NUL-terminated inside entries). */
static int parse_value(struct pscen *s, const char *v, size_t len,
		       struct paxos_value *out)
{
	if (len == 4 && memcmp(v, "noop", 4) == 0) {
		paxos_value_noop(out);
		return 0;
	}
	if (len == 1 && v[0] == '-')
		return paxos_value_set(out, "", 0);
	if (len >= 2 && v[0] == '0' && v[1] == 'x') {
		uint8_t bytes[PAXOS_VALUE_BYTES_MAX];
		size_t n = (len - 2) / 2;
		if ((len - 2) % 2 != 0 || n > PAXOS_VALUE_BYTES_MAX)
			return pscen_fail(s, "%.*s: 0x and pairs of hex digits",
					  (int)len, v);
		for (size_t i = 0; i < n; i++) {
			int hi = hex_nibble(v[2 + 2 * i]);
			int lo = hex_nibble(v[3 + 2 * i]);
			if (hi < 0 || lo < 0)
				return pscen_fail(s, "%.*s: not lowercase hex",
						  (int)len, v);
			bytes[i] = (uint8_t)(hi << 4 | lo);
		}
		return paxos_value_set(out, bytes, n);
	}
	if (paxos_value_set(out, v, len) < 0)
		return pscen_fail(s, "a value over %d bytes",
				  PAXOS_VALUE_BYTES_MAX);
	return 0;
}

/* slot:ballot:value,... in ascending slot order. */
static int parse_entries(struct pscen *s, const char *key, const char *v,
			 struct paxos_entry *out, unsigned *count)
{
	char part[PSCEN_TEXT_BYTES];
	*count = 0;
	while (*v != '\0') {
		size_t len = strcspn(v, ",");
		char *c1, *c2;
		if (*count == PAXOS_SLOTS_MAX || len >= sizeof(part))
			return pscen_fail(s, "%s: too many entries", key);
		memcpy(part, v, len);
		part[len] = '\0';
		v += len + (v[len] == ',');
		c1 = strchr(part, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			return pscen_fail(s, "%s=%s: entries are "
					  "slot:ballot:value,...", key, part);
		*c1 = *c2 = '\0';
		struct paxos_entry *e = &out[(*count)++];
		if (scenfile_u64(&s->f, key, part, UINT64_MAX / 2, &e->slot) ||
		    parse_ballot(s, key, c1 + 1, &e->vballot) ||
		    parse_value(s, c2 + 1, strlen(c2 + 1), &e->value))
			return -1;
		if (*count > 1 && e->slot <= out[*count - 2].slot)
			return pscen_fail(s, "%s: slots must ascend", key);
	}
	return 0;
}

static int parse_ids(struct pscen *s, const char *key, const char *v,
		     unsigned *ids, unsigned *count, unsigned max)
{
	*count = 0;
	while (*v != '\0') {
		char buf[16];
		size_t len = strcspn(v, ",");
		if (*count == max || len == 0 || len >= sizeof(buf))
			return pscen_fail(s, "%s: at most %u ids, as 2,3,4",
					  key, max);
		memcpy(buf, v, len);
		buf[len] = '\0';
		v += len + (v[len] == ',');
		if (scenfile_uint(&s->f, key, buf, PSCEN_ID_MAX,
				  &ids[*count]) < 0)
			return -1;
		if (ids[*count] == 0)
			return pscen_fail(s, "%s: ids start at 1", key);
		(*count)++;
	}
	return 0;
}

/* ---- Setup directives ------------------------------------------------ */

static int do_restored(struct pscen *s, const struct scenfile_words *ws)
{
	struct paxos_state *st = &s->restored;
	const char *v;
	char err[128];

	if (s->role != ROLE_NONE || s->restored_set)
		return pscen_fail(s, "restored comes once, before acceptor");
	if (scenfile_keys_check(&s->f, ws, 1, "promised trimmed slots") < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	if ((v = scenfile_value(ws, 1, "promised")) &&
	    parse_ballot(s, "promised", v, &st->promised) < 0)
		return -1;
	if ((v = scenfile_value(ws, 1, "trimmed")) &&
	    scenfile_u64(&s->f, "trimmed", v, UINT64_MAX / 2, &st->trimmed) < 0)
		return -1;
	if ((v = scenfile_value(ws, 1, "slots")) &&
	    parse_entries(s, "slots", v, st->entries, &st->entries_count) < 0)
		return -1;
	/* Through the codec, as a state file would be: the core is never
	 * handed a state no file could hold. */
	s->saved_len = paxos_state_encode(st, s->saved, sizeof(s->saved));
	if (s->saved_len < 0 ||
	    paxos_state_decode(st, s->saved, (size_t)s->saved_len, err,
			       sizeof(err)) < 0)
		return pscen_fail(s, "restored: no state file holds this (%s)",
				  err);
	s->restored_set = true;
	return 0;
}

static int do_acceptor(struct pscen *s, const struct scenfile_words *ws)
{
	struct paxos_acceptor_config *c = &s->acfg;
	const char *v;

	if (scenfile_keys_check(&s->f, ws, 1, "self nack learners") < 0)
		return -1;
	memset(c, 0, sizeof(*c));
	if (!(v = scenfile_value(ws, 1, "self")) ||
	    scenfile_uint(&s->f, "self", v, PSCEN_ID_MAX, &c->self) < 0)
		return v ? -1 : pscen_fail(s, "acceptor needs self=");
	c->nack = scenfile_flag(ws, 1, "nack");
	if ((v = scenfile_value(ws, 1, "learners")) &&
	    parse_ids(s, "learners", v, c->learners, &c->learners_count,
		      PAXOS_LEARNERS_MAX) < 0)
		return -1;
	c->restored = s->restored_set ? &s->restored : NULL;
	paxos_acceptor_create(&s->a, c, &s->out);
	s->role = ROLE_ACCEPTOR;
	return 0;
}

static int do_learner(struct pscen *s, const struct scenfile_words *ws)
{
	struct paxos_learner_config c;
	const char *v;

	if (scenfile_keys_check(&s->f, ws, 1, "self acceptors trust decided") <
	    0)
		return -1;
	memset(&c, 0, sizeof(c));
	if (!(v = scenfile_value(ws, 1, "self")) ||
	    scenfile_uint(&s->f, "self", v, PSCEN_ID_MAX, &c.self) < 0)
		return v ? -1 : pscen_fail(s, "learner needs self=");
	if (!(v = scenfile_value(ws, 1, "acceptors")) ||
	    parse_ids(s, "acceptors", v, c.acceptors, &c.acceptors_count,
		      PAXOS_ACCEPTORS_MAX) < 0)
		return v ? -1 : pscen_fail(s, "learner needs acceptors=");
	c.trust_chosen = scenfile_flag(ws, 1, "trust");
	if ((v = scenfile_value(ws, 1, "decided")) &&
	    scenfile_u64(&s->f, "decided", v, UINT64_MAX / 2,
			 &c.decided_below) < 0)
		return -1;
	paxos_learner_create(&s->l, &c, &s->out);
	s->role = ROLE_LEARNER;
	return 0;
}

static int opt_uint(struct pscen *s, const struct scenfile_words *ws,
		    const char *key, uint64_t max, unsigned dflt,
		    unsigned *out)
{
	const char *v = scenfile_value(ws, 1, key);
	*out = dflt;
	return v ? scenfile_uint(&s->f, key, v, max, out) : 0;
}

static int do_proposer(struct pscen *s, const struct scenfile_words *ws)
{
	struct paxos_proposer_config c;
	const char *v;
	unsigned x, round, decided;

	if (scenfile_keys_check(&s->f, ws, 1, "self acceptors learners window "
				"single retry retries backoff cap seed round "
				"decided") < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	if (!(v = scenfile_value(ws, 1, "self")) ||
	    scenfile_uint(&s->f, "self", v, PSCEN_ID_MAX, &c.self) < 0)
		return v ? -1 : pscen_fail(s, "proposer needs self=");
	if (!(v = scenfile_value(ws, 1, "acceptors")) ||
	    parse_ids(s, "acceptors", v, c.acceptors, &c.acceptors_count,
		      PAXOS_ACCEPTORS_MAX) < 0)
		return v ? -1 : pscen_fail(s, "proposer needs acceptors=");
	if ((v = scenfile_value(ws, 1, "learners")) &&
	    parse_ids(s, "learners", v, c.learners, &c.learners_count,
		      PAXOS_LEARNERS_MAX) < 0)
		return -1;
	c.single_decree = scenfile_flag(ws, 1, "single");
	if (opt_uint(s, ws, "window", PAXOS_WINDOW_MAX, 1, &c.window) < 0 ||
	    opt_uint(s, ws, "retry", 60000, 100, &x) < 0)
		return -1;
	c.retry_ms = x;
	if (opt_uint(s, ws, "retries", 100, 3, &c.retries_max) < 0 ||
	    opt_uint(s, ws, "cap", 60000, 800, &x) < 0)
		return -1;
	c.backoff_cap_ms = x;
	c.backoff_min_ms = 50;
	c.backoff_max_ms = 200;
	if ((v = scenfile_value(ws, 1, "backoff"))) {
		unsigned lo, hi;
		if (sscanf(v, "%u,%u", &lo, &hi) != 2 || lo > hi || hi > 60000)
			return pscen_fail(s, "backoff=%s: MIN,MAX in ms", v);
		c.backoff_min_ms = lo;
		c.backoff_max_ms = hi;
	}
	if (opt_uint(s, ws, "seed", UINT32_MAX, 1, &x) < 0 ||
	    opt_uint(s, ws, "round", UINT32_MAX, 1, &round) < 0 ||
	    opt_uint(s, ws, "decided", UINT32_MAX, 0, &decided) < 0)
		return -1;
	c.seed = x;
	c.first_round = round;
	c.decided_below = decided;
	paxos_proposer_create(&s->p, &c, &s->out);
	s->role = ROLE_PROPOSER;
	return 0;
}

/* ---- Events ------------------------------------------------------------ */

static int event_time(struct pscen *s, const struct scenfile_words *ws)
{
	const char *v = scenfile_value(ws, 1, "at");
	uint64_t at;

	if (!v)
		return 0;
	if (scenfile_u64(&s->f, "at", v, INT64_MAX / 2, &at) < 0)
		return -1;
	if ((int64_t)at < s->now_ms)
		return pscen_fail(s, "at=%s is before the last event's %lld",
				  v, (long long)s->now_ms);
	s->now_ms = (int64_t)at;
	return 0;
}

static int parse_type(struct pscen *s, const char *v,
		      enum paxos_msg_type *out)
{
	for (int t = PAXOS_PREPARE; t <= PAXOS_MSG_TYPE_MAX; t++)
		if (strcmp(v, type_names[t]) == 0) {
			*out = (enum paxos_msg_type)t;
			return 0;
		}
	return pscen_fail(s, "%s: not a message type (PREPARE, PROMISE, "
			  "ACCEPT, ACCEPTED, NACK, CHOSEN)", v);
}

/* msg [at=T] TYPE key=value...: the message in s->msg. */
static int do_msg(struct pscen *s, const struct scenfile_words *ws)
{
	struct paxos_msg *m = &s->msg;
	unsigned first = 1;
	const char *v;
	uint64_t slot = 0;

	if (ws->count > 1 && strncmp(ws->w[1], "at=", 3) == 0)
		first = 2;
	if (ws->count <= first)
		return pscen_fail(s, "msg [at=T] TYPE from=N ...");
	memset(m, 0, offsetof(struct paxos_msg, entries));
	if (parse_type(s, ws->w[first], &m->type) < 0 ||
	    scenfile_keys_check(&s->f, ws, first + 1,
				"from slot ballot value entries trimmed") < 0 ||
	    event_time(s, ws) < 0)
		return -1;
	if (!(v = scenfile_value(ws, first + 1, "from")) ||
	    scenfile_uint(&s->f, "from", v, PSCEN_ID_MAX, &m->from) < 0)
		return v ? -1 : pscen_fail(s, "msg needs from=");
	if ((v = scenfile_value(ws, first + 1, "slot")) &&
	    scenfile_u64(&s->f, "slot", v, UINT64_MAX / 2, &slot) < 0)
		return -1;
	m->slot = slot;
	if ((v = scenfile_value(ws, first + 1, "ballot")) &&
	    parse_ballot(s, "ballot", v, &m->ballot) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "value")) &&
	    parse_value(s, v, strlen(v), &m->value) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "trimmed")) &&
	    scenfile_u64(&s->f, "trimmed", v, UINT64_MAX / 2, &m->trimmed) <
		    0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "entries")) &&
	    parse_entries(s, "entries", v, m->entries, &m->entries_count) < 0)
		return -1;
	if (s->role == ROLE_ACCEPTOR)
		paxos_acceptor_step(&s->a, m);
	else if (s->role == ROLE_LEARNER)
		paxos_learner_step(&s->l, m);
	else
		paxos_proposer_step(&s->p, s->now_ms, m);
	return 0;
}

static int need(struct pscen *s, enum pscen_role role, const char *what)
{
	static const char *const names[] = { "?", "an acceptor", "a learner",
					     "a proposer" };
	return s->role == role ? 0 :
	       pscen_fail(s, "%s is for %s", what, names[role]);
}

static int do_propose(struct pscen *s, const struct scenfile_words *ws)
{
	struct paxos_value v;
	const char *w;
	int rc;

	if (need(s, ROLE_PROPOSER, "propose") < 0 ||
	    scenfile_keys_check(&s->f, ws, 1, "at value") < 0 ||
	    event_time(s, ws) < 0)
		return -1;
	if (!(w = scenfile_value(ws, 1, "value")))
		return pscen_fail(s, "propose needs value=");
	if (parse_value(s, w, strlen(w), &v) < 0)
		return -1;
	rc = paxos_proposer_propose(&s->p, s->now_ms, &v);
	if (rc < 0)
		return pscen_fail(s, "propose refused (%d)", rc);
	return 0;
}

static int do_timed(struct pscen *s, const struct scenfile_words *ws,
		    bool tick)
{
	if (need(s, ROLE_PROPOSER, tick ? "tick" : "prepare") < 0 ||
	    scenfile_keys_check(&s->f, ws, 1, "at") < 0 ||
	    event_time(s, ws) < 0)
		return -1;
	if (tick)
		paxos_proposer_tick(&s->p, s->now_ms);
	else
		paxos_proposer_prepare(&s->p, s->now_ms);
	return 0;
}

static int do_trim(struct pscen *s, const struct scenfile_words *ws)
{
	const char *v = scenfile_value(ws, 1, "upto");
	uint64_t upto;

	if (need(s, ROLE_ACCEPTOR, "trim") < 0 ||
	    scenfile_keys_check(&s->f, ws, 1, "upto") < 0)
		return -1;
	if (!v)
		return pscen_fail(s, "trim needs upto=");
	if (scenfile_u64(&s->f, "upto", v, UINT64_MAX / 2, &upto) < 0)
		return -1;
	paxos_acceptor_trim(&s->a, upto);
	return 0;
}

static int do_stop(struct pscen *s, const struct scenfile_words *ws)
{
	if (need(s, ROLE_PROPOSER, "stop") < 0 ||
	    scenfile_keys_check(&s->f, ws, 1, "") < 0)
		return -1;
	paxos_proposer_stop(&s->p);
	return 0;
}

static int do_skip(struct pscen *s, const struct scenfile_words *ws)
{
	const char *v = scenfile_value(ws, 1, "upto");
	uint64_t upto;

	if (scenfile_keys_check(&s->f, ws, 1, "upto") < 0)
		return -1;
	if (!v)
		return pscen_fail(s, "skip needs upto=");
	if (scenfile_u64(&s->f, "upto", v, UINT64_MAX / 2, &upto) < 0)
		return -1;
	if (s->role == ROLE_LEARNER) {
		paxos_learner_skip(&s->l, upto);
		return 0;
	}
	if (need(s, ROLE_PROPOSER, "skip") < 0)
		return -1;
	if (paxos_proposer_skip(&s->p, upto) < 0)
		return pscen_fail(s, "skip refused: the proposer is leading");
	return 0;
}

/* A crash and a new life: only what the last save wrote survives, read
 * back through the state file's codec. */
static int do_restart(struct pscen *s, const struct scenfile_words *ws)
{
	char err[128];

	if (need(s, ROLE_ACCEPTOR, "restart") < 0 ||
	    scenfile_keys_check(&s->f, ws, 1, "") < 0)
		return -1;
	s->acfg.restored = NULL;
	if (s->saved_len > 0) {
		if (paxos_state_decode(&s->restored, s->saved,
				       (size_t)s->saved_len, err,
				       sizeof(err)) < 0)
			return pscen_fail(s, "the last save does not decode: "
					  "%s", err);
		s->acfg.restored = &s->restored;
	}
	paxos_acceptor_create(&s->a, &s->acfg, &s->out);
	return 0;
}

/* ---- Checks ------------------------------------------------------------- */

static int expect_quiet(struct pscen *s)
{
	if (s->outs_overflow)
		return pscen_fail(s, "the event at line %u made over %d "
				  "outputs", s->event_line, PSCEN_OUT_MAX);
	if (s->outs_checked == s->outs_count)
		return 0;
	return pscen_fail(s, "unexpected output of the event at line %u: %s",
			  s->event_line, s->outs[s->outs_checked]);
}

/* The directive as written, words joined by one space, against the next
 * output. */
static int expect_output(struct pscen *s, const struct scenfile_words *ws)
{
	char want[PSCEN_TEXT_BYTES] = "";

	for (unsigned i = 0; i < ws->count; i++)
		cat(want, sizeof(want), "%s%s", i ? " " : "", ws->w[i]);
	if (s->outs_checked == s->outs_count)
		return pscen_fail(s, "expected %s; nothing more came out",
				  want);
	if (strcmp(want, s->outs[s->outs_checked]) != 0)
		return pscen_fail(s, "expected %s\n    got %s", want,
				  s->outs[s->outs_checked]);
	s->outs_checked++;
	return 0;
}

static const char *const phase_names[] = {
	[PAXOS_IDLE] = "IDLE",		 [PAXOS_BACKOFF] = "BACKOFF",
	[PAXOS_PREPARING] = "PREPARING", [PAXOS_LEADING] = "LEADING",
	[PAXOS_DONE] = "DONE",
};

/* key=want against got (rendered), when the directive has key. */
static int check_key(struct pscen *s, const struct scenfile_words *ws,
		     const char *key, const char *got)
{
	const char *want = scenfile_value(ws, 1, key);
	if (want && strcmp(want, got) != 0)
		return pscen_fail(s, "state %s=%s, expected %s", key, got,
				  want);
	return 0;
}

static int do_state(struct pscen *s, const struct scenfile_words *ws)
{
	char got[PSCEN_TEXT_BYTES] = "";
	const struct paxos_proposer *p = &s->p;

	if (s->role == ROLE_ACCEPTOR) {
		if (scenfile_keys_check(&s->f, ws, 1, "promised slots") < 0)
			return -1;
		cat_ballot(got, sizeof(got), s->a.st.promised);
		if (check_key(s, ws, "promised", got) < 0)
			return -1;
		got[0] = '\0';
		cat_entries(got, sizeof(got), s->a.st.entries,
			    s->a.st.entries_count);
		return check_key(s, ws, "slots", got);
	}
	if (s->role == ROLE_LEARNER) {
		if (scenfile_keys_check(&s->f, ws, 1, "decided") < 0)
			return -1;
		snprintf(got, sizeof(got), "%" PRIu64, s->l.decided_below);
		return check_key(s, ws, "decided", got);
	}
	if (scenfile_keys_check(&s->f, ws, 1, "phase ballot decided next "
				"queue behind") < 0 ||
	    check_key(s, ws, "phase", phase_names[p->phase]) < 0)
		return -1;
	cat_ballot(got, sizeof(got), p->ballot);
	if (check_key(s, ws, "ballot", got) < 0)
		return -1;
	snprintf(got, sizeof(got), "%" PRIu64, p->decided_below);
	if (check_key(s, ws, "decided", got) < 0)
		return -1;
	snprintf(got, sizeof(got), "%u", p->queue_count);
	if (check_key(s, ws, "queue", got) < 0)
		return -1;
	snprintf(got, sizeof(got), "%" PRIu64, p->behind_below);
	if (check_key(s, ws, "behind", got) < 0)
		return -1;
	if (paxos_proposer_next_deadline(p) == PAXOS_NEVER)
		snprintf(got, sizeof(got), "never");
	else
		snprintf(got, sizeof(got), "%lld",
			 (long long)paxos_proposer_next_deadline(p));
	return check_key(s, ws, "next", got);
}

/* ---- Directives ------------------------------------------------------- */

static bool is_event(const char *d)
{
	static const char *const events[] = { "msg", "propose", "prepare",
					      "tick", "trim", "restart", "stop",
					      "skip" };
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(d, events[i]) == 0)
			return true;
	return false;
}

static void trace_outputs(const struct pscen *s)
{
	if (!s->trace)
		return;
	for (unsigned i = 0; i < s->outs_count; i++)
		fprintf(stderr, "%s\n", s->outs[i]);
}

static int run_event(struct pscen *s, const struct scenfile_words *ws)
{
	const char *d = ws->w[0];

	if (s->role == ROLE_NONE)
		return pscen_fail(s, "%s before acceptor, learner or "
				  "proposer", d);
	if (!s->trace && expect_quiet(s) < 0)
		return -1;
	s->outs_count = s->outs_checked = 0;
	s->last_was_send = false;
	s->event_line = s->f.line_no;
	int rc = strcmp(d, "msg") == 0	   ? do_msg(s, ws) :
		 strcmp(d, "propose") == 0 ? do_propose(s, ws) :
		 strcmp(d, "prepare") == 0 ? do_timed(s, ws, false) :
		 strcmp(d, "tick") == 0	   ? do_timed(s, ws, true) :
		 strcmp(d, "trim") == 0	   ? do_trim(s, ws) :
		 strcmp(d, "stop") == 0	   ? do_stop(s, ws) :
		 strcmp(d, "skip") == 0	   ? do_skip(s, ws) :
					     do_restart(s, ws);
	trace_outputs(s);
	return rc;
}

static int directive(void *ctx, char *line)
{
	struct pscen *s = ctx;
	struct scenfile_words ws;

	if (s->trace && line[strspn(line, " \t")] != '\0')
		fprintf(stderr, "%s\n", line);
	if (scenfile_split(&s->f, line, &ws) < 0)
		return -1;
	if (ws.count == 0)
		return 0;
	const char *d = ws.w[0];
	if (is_event(d))
		return run_event(s, &ws);
	if (strcmp(d, "restored") == 0)
		return do_restored(s, &ws);
	if (strcmp(d, "acceptor") == 0 || strcmp(d, "learner") == 0 ||
	    strcmp(d, "proposer") == 0) {
		if (s->role != ROLE_NONE)
			return pscen_fail(s, "one role per file");
		return d[0] == 'a' ? do_acceptor(s, &ws) :
		       d[0] == 'l' ? do_learner(s, &ws) :
				     do_proposer(s, &ws);
	}
	if (s->role == ROLE_NONE)
		return pscen_fail(s, "%s before acceptor, learner or proposer "
				  "(or not a directive)", d);
	if (strcmp(d, "send") == 0 || strcmp(d, "save") == 0 ||
	    strcmp(d, "chosen") == 0)
		return s->trace ? 0 : expect_output(s, &ws);
	if (strcmp(d, "quiet") == 0)
		return ws.count == 1 ? expect_quiet(s) :
				       pscen_fail(s, "quiet takes nothing");
	if (strcmp(d, "state") == 0)
		return do_state(s, &ws);
	return pscen_fail(s, "%s: not a directive (restored, acceptor, "
			  "learner, proposer, msg, propose, prepare, tick, "
			  "trim, restart, send, save, chosen, quiet, state)",
			  d);
}

static int run(const char *path)
{
	struct pscen *s = &scen;
	const char *trace = getenv("SCENARIO_TRACE");

	memset(s, 0, sizeof(*s));
	s->f.path = path;
	s->trace = trace != NULL && trace[0] == '1';
	s->out.send = on_send;
	s->out.save = on_save;
	s->out.chosen = on_chosen;
	if (scenfile_each_line(&s->f, directive, s) < 0)
		return -1;
	s->f.line_no = 0;
	if (s->role == ROLE_NONE)
		return pscen_fail(s, "the file never makes a role");
	if (s->trace)
		return pscen_fail(s, "SCENARIO_TRACE=1: nothing is judged");
	return expect_quiet(s);
}

static const char *err(void)
{
	return scen.f.err;
}

int main(int argc, char **argv)
{
	return scenfile_main("test_paxos_scenarios", PSCEN_DIR, argc, argv,
			     run, err);
}
