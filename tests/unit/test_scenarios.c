/*
 * The membership core's scenarios as data. Each NAME.txt in
 * tests/unit/scenarios (its README says the same) drives one core by hand,
 * as the first kind of test in test_mship.c does, and says what must come
 * out of each event: one cmocka case per file, named by it. Run from the
 * repository root, as make check does, or name the directory as the first
 * argument. A bad file fails its case with the file, the line and what is
 * wrong; no input reaches an assert, and nothing is allocated.
 *
 * One directive a line; '#' starts a comment (no output line holds one);
 * words are key=value. Ballots are written counter.id (2.2 is
 * BALLOT_MAKE(2, 2)), lists of ids 1,2,3 (empty: nothing after '=').
 *
 *   heartbeats ignored      (before start) drop every HEARTBEAT the core
 *                           sends; expecting one is then an error
 *   core self=3 hosts=5 [allowance=0] [hb=100] [inc=1] [rejoin] [probe=0]
 *   restored promised=1.1 view=4 leader=1 members=1,2,3
 *                           (before start) what the state file holds
 *   start at=0
 *   msg at=20 TYPE from=2 view=4 [field=...]   a message arrives
 *   tick at=200                                 time passes
 *
 * start, msg and tick are the events; times never go back. After each,
 * what it must bring, in order:
 *
 *   send at=200 TYPE to=2 view=4 [field=...] [by=udp]
 *   line at=200 {peer_id:3, view_id: 4, leader: 1, memb_list: [1,2,3]}
 *   quiet                   nothing more (implied before every event and
 *                           at the end of the file; written for a reader)
 *   state role=MEMBER view=4 leader=1 members=1,2,3 promised=2.2
 *         accepted=DEL.5 next=300
 *                           the core's state, only the keys written:
 *                           leader is the one it follows, accepted the
 *                           change it accepted (op.peer, or none), next
 *                           its next deadline (or never)
 *
 * A message's fields are those its type carries on the wire
 * (docs/membership.md, Wire format): view, inc and ballot for all; req,
 * op, peer, leader for REQ; OK adds acc; NEWVIEW leader, members; NEWLEADER req, op; HEARTBEAT
 * leader, beat, suspects, heard (peer@age_ms pairs: heard=2@10,5@60); REDIRECT
 * leader. A field not written is zero (inc:
 * 1), so an expected send is checked whole: every field of its type, its
 * time, its recipients (from is the core's own id) and its way (by=udp: a
 * datagram, as HEARTBEAT, REDIRECT and JOIN probes go; else TCP). Every send and
 * line the core makes must be expected, in the order it made them (sends
 * and lines share one sequence); a send to nobody is no output.
 *
 * SCENARIO_TRACE=1 prints each event and what came out of it as
 * directives, on stderr, to write a new file from: it checks what the
 * file expects but lets unexpected output pass, so it fails every file
 * at its end, and judges none.
 */
#include <errno.h>
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

#include "../../common/peerset.h"
#include "../../common/state.h"
#include "../../common/wire.h"
#include "../../membership/mship.h"
#include "net.h"
#include "scenfile.h"

#define SCEN_DIR "tests/unit/scenarios"
#define SCEN_LINE_BYTES SCENFILE_LINE_BYTES
#define SCEN_TEXT_BYTES 512
/* Small enough that every line the core can print fits a rec line (a view
 * of 48 is under 200 bytes), large enough for a ringed view. */
#define SCEN_HOSTS_MAX 48
_Static_assert(SCEN_HOSTS_MAX > MSHIP_ALL_TO_ALL_MAX,
	       "a scenario can show a ringed view");
#define SCEN_BALLOT_COUNTER_MAX (UINT64_C(1) << 47)

/* What a message type carries besides view, inc and ballot. */
enum {
	F_REQ = 1 << 0,
	F_OP = 1 << 1,
	F_PEER = 1 << 2,
	F_LEADER = 1 << 3,
	F_ACC = 1 << 4,
	F_SUSPECTS = 1 << 5,	/* and the heard pairs */
	F_MEMBERS = 1 << 6,
};

static unsigned scen_fields(enum wire_type type)
{
	switch (type) {
	case WIRE_REQ:
		return F_REQ | F_OP | F_PEER | F_LEADER;
	case WIRE_OK:
		return F_REQ | F_OP | F_PEER | F_LEADER | F_ACC;
	case WIRE_NEWVIEW:
		return F_LEADER | F_MEMBERS;
	case WIRE_NEWLEADER:
		return F_REQ | F_OP;
	case WIRE_HEARTBEAT:
		return F_LEADER | F_SUSPECTS;
	case WIRE_REDIRECT:
		return F_LEADER;
	case WIRE_JOIN:
	default:
		return 0;
	}
}

/* One file being run. Large (the recording outbox): kept static. */
struct scen {
	struct scenfile f;	/* the file, its line, the first error */
	bool trace;
	bool ignore_hb;
	bool created;
	bool started;
	struct mship_config cfg;
	bool restored_set;
	struct state restored;
	int64_t now_ms;
	unsigned event_line;	/* the event whose output is being checked */
	struct rec r;
	struct mship m;
};

static struct scen scen;

/* Record the first error, naming the file and line; returns -1. */
#define scen_fail(s, ...) scenfile_fail(&(s)->f, __VA_ARGS__)

/* ---- Values ----------------------------------------------------------- */

/* "counter.id", or 0 for none. */
static int scen_ballot(struct scen *s, const char *key, const char *v,
		       uint64_t *out)
{
	if (strcmp(v, "0") == 0) {
		*out = 0;
		return 0;
	}
	char buf[64];
	const char *dot = strchr(v, '.');
	size_t len = dot != NULL ? (size_t)(dot - v) : 0;
	if (dot == NULL || len == 0 || len >= sizeof(buf))
		return scen_fail(s, "%s=%s: a ballot is counter.id, as 2.2",
				 key, v);
	memcpy(buf, v, len);
	buf[len] = '\0';
	uint64_t counter, id;
	if (scenfile_u64(&s->f, key, buf, SCEN_BALLOT_COUNTER_MAX,
			 &counter) < 0 ||
	    scenfile_u64(&s->f, key, dot + 1, 0xffff, &id) < 0)
		return -1;
	*out = BALLOT_MAKE(counter, id);
	return 0;
}

static int scen_list(struct scen *s, const char *key, const char *v,
		     struct peerset *out)
{
	peerset_clear(out);
	const char *p = v;
	while (*p != '\0') {
		char *end;
		if (*p < '0' || *p > '9')
			return scen_fail(s, "%s=%s: ids are 1,2,3", key, v);
		unsigned long id = strtoul(p, &end, 10);
		if (id < 1 || id > SCEN_HOSTS_MAX)
			return scen_fail(s, "%s=%s: ids run from 1 to %d", key,
					 v, SCEN_HOSTS_MAX);
		if (*end != ',' && *end != '\0')
			return scen_fail(s, "%s=%s: ids are 1,2,3", key, v);
		peerset_add(out, (unsigned)id);
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* heard=2@10,5@60: HEARTBEAT's heard pairs, peer@age_ms, ids ascending. */
static int scen_heard(struct scen *s, const char *v, struct wire_msg *m)
{
	const char *p = v;
	m->heard_count = 0;
	while (*p != '\0') {
		char *end;
		if (m->heard_count == HEARTBEAT_HEARD_MAX)
			return scen_fail(s, "heard=%s: at most %d pairs", v,
					 HEARTBEAT_HEARD_MAX);
		if (*p < '0' || *p > '9')
			return scen_fail(s, "heard=%s: pairs are 2@10,5@60", v);
		unsigned long id = strtoul(p, &end, 10);
		if (id < 1 || id > SCEN_HOSTS_MAX || *end != '@' ||
		    end[1] < '0' || end[1] > '9' ||
		    (m->heard_count > 0 &&
		     id <= m->heard_peer[m->heard_count - 1]))
			return scen_fail(s, "heard=%s: pairs are 2@10,5@60, "
					 "ids ascending", v);
		unsigned long age = strtoul(end + 1, &end, 10);
		if (age > UINT32_MAX || (*end != ',' && *end != '\0'))
			return scen_fail(s, "heard=%s: pairs are 2@10,5@60", v);
		m->heard_peer[m->heard_count] = (uint16_t)id;
		m->heard_age_ms[m->heard_count] = (uint32_t)age;
		m->heard_count++;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static int scen_type(struct scen *s, const char *v, enum wire_type *out)
{
	for (int t = 1; t <= WIRE_TYPE_MAX; t++) {
		if (strcmp(v, wire_type_name(t)) == 0) {
			*out = (enum wire_type)t;
			return 0;
		}
	}
	return scen_fail(s, "%s: not a message type (JOIN, REQ, OK, NEWVIEW, "
			 "NEWLEADER, HEARTBEAT, REDIRECT)", v);
}

static int scen_op(struct scen *s, const char *v, enum wire_op *out)
{
	for (int op = WIRE_OP_ADD; op <= WIRE_OP_REFUSE; op++) {
		if (strcmp(v, wire_op_name(op)) == 0) {
			*out = (enum wire_op)op;
			return 0;
		}
	}
	return scen_fail(s, "op=%s: not an op (ADD, DEL, PENDING, NOTHING, "
			 "REFUSE)", v);
}

/* A batch's further changes: more=ADD.5,DEL.6 (op.peer, comma between). */
static int scen_more(struct scen *s, const char *v, struct wire_changes *out)
{
	out->count = 0;
	while (*v != '\0') {
		char op_name[16];
		size_t n = strcspn(v, ".");
		if (n == 0 || n >= sizeof(op_name) || v[n] != '.')
			return scen_fail(s, "more=%s: not op.peer,...", v);
		memcpy(op_name, v, n);
		op_name[n] = '\0';
		enum wire_op op = WIRE_OP_ADD;
		if (scen_op(s, op_name, &op) < 0)
			return -1;
		char *end;
		unsigned long peer = strtoul(v + n + 1, &end, 10);
		if (end == v + n + 1 || peer == 0 || peer > HOSTS_MAX ||
		    (*end != ',' && *end != '\0') ||
		    !wire_changes_push(out, op, (unsigned)peer))
			return scen_fail(s, "more=%s: not op.peer,...", v);
		v = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static const char *const scen_roles[] = {
	[MSHIP_IDLE] = "IDLE",       [MSHIP_JOINING] = "JOINING",
	[MSHIP_MEMBER] = "MEMBER",   [MSHIP_LEADER] = "LEADER",
	[MSHIP_REMOVED] = "REMOVED", [MSHIP_CRASHED] = "CRASHED",
};

/* ---- Rendering, for comparison and for messages ----------------------- */

static void scen_cat(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void scen_cat(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

static void scen_cat_ballot(char *buf, size_t cap, const char *key,
			    uint64_t b)
{
	if (b != 0)
		scen_cat(buf, cap, " %s=%" PRIu64 ".%u", key,
			 (uint64_t)BALLOT_COUNTER(b), BALLOT_LEADER(b));
}

static void scen_cat_list(char *buf, size_t cap, const char *key,
			  const struct peerset *l)
{
	if (!peerset_empty(l))
		scen_cat(buf, cap, " %s=%s", key, net_set_str(l));
}

/*
 * A send as its directive: the fields of its type only, each omitted when
 * zero (inc when 1), in one fixed order. Two sends are equal when their
 * renderings are, so the expected and the actual compare as a reader
 * sees them.
 */
static void scen_render_send(char *buf, size_t cap, unsigned self,
			     int64_t at_ms, const struct peerset *to,
			     const struct wire_msg *m, bool datagram)
{
	unsigned f = scen_fields(m->type);
	buf[0] = '\0';
	scen_cat(buf, cap, "send at=%lld %s to=%s view=%u", (long long)at_ms,
		 wire_type_name(m->type), net_set_str(to),
		 (unsigned)m->view_id);
	if (m->from != self)
		scen_cat(buf, cap, " from=%u", (unsigned)m->from);
	if (m->incarnation != 1)
		scen_cat(buf, cap, " inc=%" PRIu64, m->incarnation);
	scen_cat_ballot(buf, cap, "ballot", m->ballot);
	if ((f & F_REQ) && m->request_id != 0)
		scen_cat(buf, cap, " req=%u", (unsigned)m->request_id);
	if ((f & F_OP) && m->op != 0)
		scen_cat(buf, cap, " op=%s", wire_op_name(m->op));
	if ((f & F_PEER) && m->peer != 0)
		scen_cat(buf, cap, " peer=%u", (unsigned)m->peer);
	for (unsigned i = 0; (f & F_PEER) && i < m->more.count; i++)
		scen_cat(buf, cap, "%s%s.%u", i == 0 ? " more=" : ",",
			 wire_op_name(m->more.at[i].op),
			 (unsigned)m->more.at[i].peer);
	if ((f & F_LEADER) && m->leader != 0)
		scen_cat(buf, cap, " leader=%u", (unsigned)m->leader);
	if ((f & F_SUSPECTS) && m->beat != 0)
		scen_cat(buf, cap, " beat=%u", (unsigned)m->beat);
	if (f & F_ACC)
		scen_cat_ballot(buf, cap, "acc", m->acc_ballot);
	if (f & F_SUSPECTS)
		scen_cat_list(buf, cap, "suspects", &m->suspects);
	for (unsigned i = 0; (f & F_SUSPECTS) && i < m->heard_count; i++)
		scen_cat(buf, cap, "%s%u@%u", i == 0 ? " heard=" : ",",
			 (unsigned)m->heard_peer[i],
			 (unsigned)m->heard_age_ms[i]);
	if (f & F_MEMBERS)
		scen_cat_list(buf, cap, "members", &m->members);
	if (datagram)
		scen_cat(buf, cap, " by=udp");
}

/* ---- The core's output, in the order it came -------------------------- */

static bool scen_skipped(const struct scen *s, const struct rec_sent *sent)
{
	return s->ignore_hb && sent->msg.type == WIRE_HEARTBEAT;
}

/* The next unchecked output: a send (*sent) or a line (*line), or none. */
static bool scen_peek(struct scen *s, const struct rec_sent **sent,
		      const struct rec_line **line)
{
	struct rec *r = &s->r;
	while (r->sent_checked < r->sent_count &&
	       scen_skipped(s, &r->sent[r->sent_checked]))
		r->sent_checked++;
	*sent = r->sent_checked < r->sent_count ? &r->sent[r->sent_checked]
						: NULL;
	*line = r->lines_checked < r->lines_count ?
			&r->lines[r->lines_checked] : NULL;
	if (*sent != NULL && *line != NULL) {
		if ((*sent)->seq < (*line)->seq)
			*line = NULL;
		else
			*sent = NULL;
	}
	return *sent != NULL || *line != NULL;
}

/* An output as its directive, for a message; the line without newline. */
static void scen_render_output(const struct scen *s, char *buf, size_t cap,
			       const struct rec_sent *sent,
			       const struct rec_line *line)
{
	if (sent != NULL) {
		scen_render_send(buf, cap, s->cfg.self, sent->at_ms, &sent->to,
				 &sent->msg, sent->datagram);
		return;
	}
	snprintf(buf, cap, "line at=%lld %.*s", (long long)line->at_ms,
		 (int)strcspn(line->text, "\n"), line->text);
}

/* Nothing unchecked is left: else the first of it fails the file. */
static int scen_expect_quiet(struct scen *s)
{
	const struct rec_sent *sent;
	const struct rec_line *line;
	if (!scen_peek(s, &sent, &line))
		return 0;
	char got[SCEN_TEXT_BYTES];
	scen_render_output(s, got, sizeof(got), sent, line);
	return scen_fail(s, "unexpected output of the event at line %u: %s",
			 s->event_line, got);
}

/* Before an event: everything so far was checked; start the records
 * afresh, so that a file of any length fits them. */
static void scen_records_reset(struct scen *s)
{
	s->r.sent_count = s->r.sent_checked = 0;
	s->r.lines_count = s->r.lines_checked = 0;
	s->r.events_count = 0;
}

static void scen_trace_outputs(struct scen *s)
{
	if (!s->trace)
		return;
	char buf[SCEN_TEXT_BYTES];
	unsigned si = 0, li = 0;
	while (si < s->r.sent_count || li < s->r.lines_count) {
		const struct rec_sent *sent =
			si < s->r.sent_count ? &s->r.sent[si] : NULL;
		const struct rec_line *line =
			li < s->r.lines_count ? &s->r.lines[li] : NULL;
		if (sent != NULL && line != NULL) {
			if (sent->seq < line->seq)
				line = NULL;
			else
				sent = NULL;
		}
		if (sent != NULL)
			si++;
		else
			li++;
		if (sent != NULL && scen_skipped(s, sent))
			continue;
		scen_render_output(s, buf, sizeof(buf), sent, line);
		fprintf(stderr, "%s\n", buf);
	}
}

/* ---- Directives ------------------------------------------------------- */

/* at=T: required, and never before the last event. */
static int scen_at(struct scen *s, const struct scenfile_words *ws,
		   unsigned from, int64_t *at_ms)
{
	const char *v = scenfile_value(ws, from, "at");
	uint64_t x;
	if (v == NULL)
		return scen_fail(s, "at=MS is required");
	if (scenfile_u64(&s->f, "at", v, INT64_MAX / 2, &x) < 0)
		return -1;
	*at_ms = (int64_t)x;
	return 0;
}

static int scen_event_time(struct scen *s, const struct scenfile_words *ws,
			   int64_t *at_ms)
{
	if (scen_at(s, ws, 1, at_ms) < 0)
		return -1;
	if (*at_ms < s->now_ms)
		return scen_fail(s, "at=%lld is before the last event's %lld",
				 (long long)*at_ms, (long long)s->now_ms);
	s->now_ms = *at_ms;
	s->r.now_ms = *at_ms;
	return 0;
}

static int scen_do_core(struct scen *s, const struct scenfile_words *ws)
{
	if (s->created)
		return scen_fail(s, "one core per file");
	if (scenfile_keys_check(&s->f, ws, 1,
				"self hosts allowance hb inc rejoin probe") < 0)
		return -1;
	const char *self = scenfile_value(ws, 1, "self");
	const char *hosts = scenfile_value(ws, 1, "hosts");
	if (self == NULL || hosts == NULL)
		return scen_fail(s, "core needs self= and hosts=");
	unsigned hosts_count, self_id, allowance = 0, hb = 100, probe = 0;
	uint64_t inc = 1;
	const char *v;
	if (scenfile_uint(&s->f, "hosts", hosts, SCEN_HOSTS_MAX,
			  &hosts_count) < 0 ||
	    scenfile_uint(&s->f, "self", self, hosts_count, &self_id) < 0)
		return -1;
	if (self_id < 1)
		return scen_fail(s, "self=0: ids start at 1");
	if ((v = scenfile_value(ws, 1, "allowance")) != NULL &&
	    scenfile_uint(&s->f, "allowance", v, 60000, &allowance) < 0)
		return -1;
	if ((v = scenfile_value(ws, 1, "hb")) != NULL &&
	    scenfile_uint(&s->f, "hb", v, 60000, &hb) < 0)
		return -1;
	if (hb < 1)
		return scen_fail(s, "hb=0: T must be at least 1 ms");
	if ((v = scenfile_value(ws, 1, "probe")) != NULL &&
	    scenfile_uint(&s->f, "probe", v, 600000, &probe) < 0)
		return -1;
	if ((v = scenfile_value(ws, 1, "inc")) != NULL &&
	    scenfile_u64(&s->f, "inc", v, UINT64_MAX / 2, &inc) < 0)
		return -1;
	s->cfg = (struct mship_config){
		.self = self_id,
		.hosts_count = hosts_count,
		.heartbeat_ms = hb,
		.crash_ms = -1,
		.incarnation = inc,
		.rejoin = scenfile_flag(ws, 1, "rejoin"),
		.allowance_ms = allowance,
		.probe_ms = probe,
	};
	rec_create(&s->r);
	s->r.self = self_id;
	s->created = true;
	return 0;
}

/*
 * The state file an earlier life left, checked as the daemon would read
 * it: encoded and decoded by its codec, so the core is never handed a
 * state no file could hold.
 */
static int scen_do_restored(struct scen *s, const struct scenfile_words *ws)
{
	if (!s->created || s->started || s->restored_set)
		return scen_fail(s, "restored comes once, after core and "
				 "before start");
	if (scenfile_keys_check(&s->f, ws, 1,
				"promised view leader members") < 0)
		return -1;
	struct state *st = &s->restored;
	memset(st, 0, sizeof(*st));
	const char *v;
	unsigned view_id = 0, leader = 0;
	if ((v = scenfile_value(ws, 1, "promised")) != NULL &&
	    scen_ballot(s, "promised", v, &st->promised) < 0)
		return -1;
	if ((v = scenfile_value(ws, 1, "view")) != NULL &&
	    scenfile_uint(&s->f, "view", v, UINT32_MAX, &view_id) < 0)
		return -1;
	if ((v = scenfile_value(ws, 1, "leader")) != NULL &&
	    scenfile_uint(&s->f, "leader", v, SCEN_HOSTS_MAX, &leader) < 0)
		return -1;
	if ((v = scenfile_value(ws, 1, "members")) != NULL &&
	    scen_list(s, "members", v, &st->members) < 0)
		return -1;
	st->in_view = !peerset_empty(&st->members);
	st->view_id = view_id;
	st->view_leader = (uint16_t)leader;
	if (st->in_view && (!peerset_has(&st->members, s->cfg.self) ||
			    !peerset_has(&st->members, leader)))
		return scen_fail(s, "restored members= must hold self and "
				 "leader=");
	static char buf[STATE_BYTES_MAX];
	size_t len;
	unsigned bad_line;
	struct state back;
	if (state_encode(st, buf, sizeof(buf), &len) < 0 ||
	    state_decode(buf, len, &back, &bad_line) < 0)
		return scen_fail(s, "restored: no state file could hold this");
	*st = back;
	s->cfg.restored = st;
	s->restored_set = true;
	return 0;
}

static int scen_do_start(struct scen *s, const struct scenfile_words *ws)
{
	if (!s->created || s->started)
		return scen_fail(s, "start comes once, after core");
	if (scenfile_keys_check(&s->f, ws, 1, "at") < 0)
		return -1;
	int64_t at_ms;
	if (scen_event_time(s, ws, &at_ms) < 0)
		return -1;
	mship_create(&s->m, &s->cfg, &s->r.out);
	s->started = true;
	mship_start(&s->m, at_ms);
	return 0;
}

static int scen_do_tick(struct scen *s, const struct scenfile_words *ws)
{
	if (!s->started)
		return scen_fail(s, "tick before start");
	if (scenfile_keys_check(&s->f, ws, 1, "at") < 0)
		return -1;
	int64_t at_ms;
	if (scen_event_time(s, ws, &at_ms) < 0)
		return -1;
	mship_on_tick(&s->m, at_ms);
	return 0;
}

/*
 * msg or send: at=MS TYPE key=value..., the fields of TYPE only, and the
 * keys in extra.
 */
static int scen_parse_msg(struct scen *s, const struct scenfile_words *ws,
			  const char *extra, struct wire_msg *m)
{
	const unsigned first = 2;
	if (ws->count <= first || strncmp(ws->w[1], "at=", 3) != 0)
		return scen_fail(s, "%s at=MS TYPE key=value...", ws->w[0]);
	memset(m, 0, sizeof(*m));
	m->incarnation = 1;
	if (scen_type(s, ws->w[first], &m->type) < 0)
		return -1;
	unsigned f = scen_fields(m->type);
	char keys[160];
	snprintf(keys, sizeof(keys), "%s view inc ballot%s%s%s%s%s%s%s", extra,
		 f & F_REQ ? " req" : "", f & F_OP ? " op" : "",
		 f & F_PEER ? " peer more" : "", f & F_LEADER ? " leader" : "",
		 f & F_ACC ? " acc" : "",
		 f & F_SUSPECTS ? " beat suspects heard" : "",
		 f & F_MEMBERS ? " members" : "");
	if (scenfile_keys_check(&s->f, ws, first + 1, keys) < 0)
		return -1;
	const char *v;
	unsigned x;
	if ((v = scenfile_value(ws, first + 1, "view")) != NULL) {
		if (scenfile_uint(&s->f, "view", v, UINT32_MAX, &x) < 0)
			return -1;
		m->view_id = x;
	}
	if ((v = scenfile_value(ws, first + 1, "inc")) != NULL &&
	    scenfile_u64(&s->f, "inc", v, UINT64_MAX / 2, &m->incarnation) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "ballot")) != NULL &&
	    scen_ballot(s, "ballot", v, &m->ballot) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "acc")) != NULL &&
	    scen_ballot(s, "acc", v, &m->acc_ballot) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "req")) != NULL) {
		if (scenfile_uint(&s->f, "req", v, UINT32_MAX, &x) < 0)
			return -1;
		m->request_id = x;
	}
	if ((v = scenfile_value(ws, first + 1, "op")) != NULL &&
	    scen_op(s, v, &m->op) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "peer")) != NULL) {
		if (scenfile_uint(&s->f, "peer", v, 0xffff, &x) < 0)
			return -1;
		m->peer = (uint16_t)x;
	}
	if ((v = scenfile_value(ws, first + 1, "more")) != NULL &&
	    scen_more(s, v, &m->more) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "leader")) != NULL) {
		if (scenfile_uint(&s->f, "leader", v, 0xffff, &x) < 0)
			return -1;
		m->leader = (uint16_t)x;
	}
	if ((v = scenfile_value(ws, first + 1, "beat")) != NULL) {
		if (scenfile_uint(&s->f, "beat", v, UINT32_MAX, &x) < 0)
			return -1;
		m->beat = x;
	}
	if ((v = scenfile_value(ws, first + 1, "suspects")) != NULL &&
	    scen_list(s, "suspects", v, &m->suspects) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "heard")) != NULL &&
	    scen_heard(s, v, m) < 0)
		return -1;
	if ((v = scenfile_value(ws, first + 1, "members")) != NULL &&
	    scen_list(s, "members", v, &m->members) < 0)
		return -1;
	return 0;
}

static int scen_do_msg(struct scen *s, const struct scenfile_words *ws)
{
	if (!s->started)
		return scen_fail(s, "msg before start");
	struct wire_msg m;
	int64_t at_ms;
	if (scen_parse_msg(s, ws, "from", &m) < 0)
		return -1;
	const char *from = scenfile_value(ws, 2, "from");
	unsigned x;
	if (from == NULL)
		return scen_fail(s, "msg needs from=");
	if (scenfile_uint(&s->f, "from", from, 0xffff, &x) < 0)
		return -1;
	m.from = (uint16_t)x;
	if (scen_event_time(s, ws, &at_ms) < 0)
		return -1;
	mship_on_message(&s->m, at_ms, &m);
	return 0;
}

/* The next output, rendered, must be want; the caller counts it checked. */
static int scen_match_next(struct scen *s, const char *want)
{
	const struct rec_sent *sent;
	const struct rec_line *line;
	char got[SCEN_TEXT_BYTES];
	if (!scen_peek(s, &sent, &line))
		return scen_fail(s, "expected %s; nothing more came out", want);
	scen_render_output(s, got, sizeof(got), sent, line);
	if (strcmp(want, got) != 0)
		return scen_fail(s, "expected %s\n    got %s", want, got);
	return 0;
}

static int scen_do_send(struct scen *s, const struct scenfile_words *ws)
{
	struct wire_msg m;
	int64_t at_ms;
	if (scen_parse_msg(s, ws, "to by", &m) < 0 ||
	    scen_at(s, ws, 1, &at_ms) < 0)
		return -1;
	const char *to_v = scenfile_value(ws, 2, "to");
	struct peerset to;
	if (to_v == NULL)
		return scen_fail(s, "send needs to=");
	if (scen_list(s, "to", to_v, &to) < 0)
		return -1;
	const char *by = scenfile_value(ws, 2, "by");
	if (by != NULL && strcmp(by, "udp") != 0)
		return scen_fail(s, "by=%s: a send is by TCP (no by=) or by=udp",
				 by);
	if (s->ignore_hb && m.type == WIRE_HEARTBEAT)
		return scen_fail(s, "heartbeats are ignored in this file: "
				 "none can be expected");
	m.from = (uint16_t)s->cfg.self;
	char want[SCEN_TEXT_BYTES];
	scen_render_send(want, sizeof(want), s->cfg.self, at_ms, &to, &m,
			 by != NULL);
	if (scen_match_next(s, want) < 0)
		return -1;
	s->r.sent_checked++;
	return 0;
}

/* line at=T TEXT: the rest of the directive, after at=T, is the line. */
static int scen_do_line(struct scen *s, const struct scenfile_words *ws,
			const char *text)
{
	int64_t at_ms;
	if (ws->count < 3 || strncmp(ws->w[1], "at=", 3) != 0)
		return scen_fail(s, "line at=MS TEXT");
	struct scenfile_words at = { .w = { ws->w[0], ws->w[1] }, .count = 2 };
	if (scen_at(s, &at, 1, &at_ms) < 0)
		return -1;
	char want[SCEN_TEXT_BYTES + SCEN_LINE_BYTES];
	snprintf(want, sizeof(want), "line at=%lld %s", (long long)at_ms,
		 text);
	if (scen_match_next(s, want) < 0)
		return -1;
	s->r.lines_checked++;
	return 0;
}

static int scen_state_uint(struct scen *s, const struct scenfile_words *ws,
			   const char *key, uint64_t got)
{
	const char *v = scenfile_value(ws, 1, key);
	uint64_t want;
	if (v == NULL)
		return 0;
	if (scenfile_u64(&s->f, key, v, UINT64_MAX / 2, &want) < 0)
		return -1;
	if (want != got)
		return scen_fail(s, "state %s=%" PRIu64 ", expected %" PRIu64,
				 key, got, want);
	return 0;
}

static int scen_do_state(struct scen *s, const struct scenfile_words *ws)
{
	if (!s->started)
		return scen_fail(s, "state before start");
	if (scenfile_keys_check(&s->f, ws, 1, "role view leader members "
				"promised accepted next") < 0)
		return -1;
	const struct mship *m = &s->m;
	const char *v;
	if ((v = scenfile_value(ws, 1, "role")) != NULL) {
		bool known = false;
		for (size_t i = 0; i < sizeof(scen_roles) / sizeof(scen_roles[0]);
		     i++)
			known = known || strcmp(v, scen_roles[i]) == 0;
		if (!known)
			return scen_fail(s, "role=%s: not a role (IDLE, JOINING, "
					 "MEMBER, LEADER, REMOVED, CRASHED)", v);
		if (strcmp(v, scen_roles[m->role]) != 0)
			return scen_fail(s, "state role=%s, expected %s",
					 scen_roles[m->role], v);
	}
	if (scen_state_uint(s, ws, "view", m->view_id) < 0 ||
	    scen_state_uint(s, ws, "leader", m->leader) < 0)
		return -1;
	if ((v = scenfile_value(ws, 1, "members")) != NULL) {
		struct peerset want;
		if (scen_list(s, "members", v, &want) < 0)
			return -1;
		if (!peerset_equal(&want, &m->members))
			return scen_fail(s, "state members=%s, expected %s",
					 net_set_str(&m->members), v);
	}
	if ((v = scenfile_value(ws, 1, "promised")) != NULL) {
		uint64_t want;
		if (scen_ballot(s, "promised", v, &want) < 0)
			return -1;
		if (want != m->st.promised)
			return scen_fail(s, "state promised=%" PRIu64 ".%u, "
					 "expected %s",
					 (uint64_t)BALLOT_COUNTER(m->st.promised),
					 BALLOT_LEADER(m->st.promised), v);
	}
	if ((v = scenfile_value(ws, 1, "accepted")) != NULL) {
		char got[256] = "none";
		if (m->st.acc_set) {
			snprintf(got, sizeof(got), "%s.%u",
				 wire_op_name(m->st.acc_op),
				 (unsigned)m->st.acc_peer);
			for (unsigned i = 0; i < m->st.acc_more.count; i++)
				scen_cat(got, sizeof(got), ",%s.%u",
					 wire_op_name(m->st.acc_more.at[i].op),
					 (unsigned)m->st.acc_more.at[i].peer);
		}
		if (strcmp(got, v) != 0)
			return scen_fail(s, "state accepted=%s, expected %s",
					 got, v);
	}
	if ((v = scenfile_value(ws, 1, "next")) != NULL) {
		int64_t next = mship_next_deadline(m);
		if (strcmp(v, "never") == 0)
			return next == MSHIP_NEVER ? 0 :
			       scen_fail(s, "state next=%lld, expected never",
					 (long long)next);
		if (next == MSHIP_NEVER)
			return scen_fail(s, "state next=never, expected %s", v);
		return scen_state_uint(s, ws, "next", (uint64_t)next);
	}
	return 0;
}

/* start, msg, tick: the directive d, or a line that begins with one. */
static bool scen_is_event(const char *d)
{
	static const char *const events[] = { "start", "msg", "tick" };
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		size_t len = strlen(events[i]);
		if (strncmp(d, events[i], len) == 0 &&
		    (d[len] == '\0' || d[len] == ' ' || d[len] == '\t'))
			return true;
	}
	return false;
}

static int scen_directive(struct scen *s, char *line)
{
	/* The text of a line directive, before splitting cuts it up. */
	char text[SCEN_LINE_BYTES];
	const char *rest = line + strspn(line, " \t");
	rest += strcspn(rest, " \t");
	rest += strspn(rest, " \t");
	rest += strcspn(rest, " \t");
	rest += strspn(rest, " \t");
	snprintf(text, sizeof(text), "%s", rest);

	if (s->trace && scen_is_event(line + strspn(line, " \t")))
		fprintf(stderr, "%s\n", line);
	struct scenfile_words ws;
	if (scenfile_split(&s->f, line, &ws) < 0)
		return -1;
	if (ws.count == 0)
		return 0;
	const char *d = ws.w[0];
	if (scen_is_event(d)) {
		if (!s->trace && scen_expect_quiet(s) < 0)
			return -1;
		scen_records_reset(s);
		s->event_line = s->f.line_no;
		int rc = strcmp(d, "start") == 0 ? scen_do_start(s, &ws) :
			 strcmp(d, "msg") == 0	 ? scen_do_msg(s, &ws) :
						   scen_do_tick(s, &ws);
		scen_trace_outputs(s);
		return rc;
	}
	if (strcmp(d, "core") == 0)
		return scen_do_core(s, &ws);
	if (strcmp(d, "restored") == 0)
		return scen_do_restored(s, &ws);
	if (strcmp(d, "heartbeats") == 0) {
		if (ws.count != 2 || strcmp(ws.w[1], "ignored") != 0)
			return scen_fail(s, "heartbeats ignored");
		if (s->started)
			return scen_fail(s, "heartbeats ignored comes before "
					 "start");
		s->ignore_hb = true;
		return 0;
	}
	if (!s->started)
		return scen_fail(s, "%s before start (or not a directive: "
				 "heartbeats, core, restored, start, msg, tick, "
				 "send, line, quiet, state)", d);
	if (strcmp(d, "send") == 0)
		return scen_do_send(s, &ws);
	if (strcmp(d, "line") == 0)
		return scen_do_line(s, &ws, text);
	if (strcmp(d, "quiet") == 0)
		return ws.count == 1 ? scen_expect_quiet(s) :
				       scen_fail(s, "quiet takes nothing");
	if (strcmp(d, "state") == 0)
		return scen_do_state(s, &ws);
	return scen_fail(s, "%s: not a directive (heartbeats, core, restored, "
			 "start, msg, tick, send, line, quiet, state)", d);
}

static int scen_line(void *ctx, char *line)
{
	return scen_directive(ctx, line);
}

/* Run one file; 0, or -1 with scen.f.err naming the file and line. */
static int scen_run(const char *path)
{
	struct scen *s = &scen;
	memset(s, 0, sizeof(*s));
	s->f.path = path;
	const char *trace = getenv("SCENARIO_TRACE");
	s->trace = trace != NULL && trace[0] == '1';
	if (scenfile_each_line(&s->f, scen_line, s) < 0)
		return -1;
	s->f.line_no = 0;
	if (!s->started)
		return scen_fail(s, "the file never starts its core");
	if (s->trace)
		return scen_fail(s, "SCENARIO_TRACE=1: unexpected output let "
				 "pass, so nothing is judged");
	return scen_expect_quiet(s);
}

static const char *scen_err(void)
{
	return scen.f.err;
}

int main(int argc, char **argv)
{
	return scenfile_main("test_scenarios", SCEN_DIR, argc, argv, scen_run,
			     scen_err);
}
