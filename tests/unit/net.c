/*
 * The recording outbox and the synchronous test network. See net.h.
 */
#include "net.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/out.h"

/* ---- The recording outbox ---------------------------------------------- */

static void net__on_send(struct net *n, unsigned from,
			 const struct peerset *to, const struct wire_msg *m);
static void net__on_print(struct net *n, unsigned self, const char *line);
static void net__on_exit(struct net *n, unsigned self);

static void rec_record(struct rec *r, const struct peerset *to,
		       const struct wire_msg *m, bool datagram)
{
	if (peerset_empty(to)) {
		r->empty_sends++;
		return;
	}
	assert_true(r->sent_count < REC_SENT_MAX);
	struct rec_sent *s = &r->sent[r->sent_count++];
	s->at_ms = r->now_ms;
	s->seq = r->seq_next++;
	s->to = *to;
	s->msg = *m;
	s->datagram = datagram;
	if (r->net != NULL)
		net__on_send(r->net, r->self, to, m);
}

static void rec_send(struct outbox *o, const struct peerset *to,
		     const struct wire_msg *m)
{
	rec_record((struct rec *)(void *)o, to, m, false);
}

static void rec_send_datagram(struct outbox *o, const struct peerset *to,
			      const struct wire_msg *m)
{
	rec_record((struct rec *)(void *)o, to, m, true);
}

static void rec_print(struct outbox *o, const char *line, size_t len)
{
	struct rec *r = (struct rec *)(void *)o;
	assert_true(len > 0 && len < REC_LINE_BYTES);
	assert_true(r->lines_count < REC_LINES_MAX);
	struct rec_line *l = &r->lines[r->lines_count++];
	l->at_ms = r->now_ms;
	l->seq = r->seq_next++;
	memcpy(l->text, line, len);
	l->text[len] = '\0';
	/* Exactly one line, ending in its newline. */
	assert_int_equal(strlen(l->text), len);
	assert_int_equal(l->text[len - 1], '\n');
	assert_ptr_equal(strchr(l->text, '\n'), l->text + len - 1);
	if (r->net != NULL)
		net__on_print(r->net, r->self, l->text);
}

static void rec_event(struct outbox *o, const struct out_event *e)
{
	struct rec *r = (struct rec *)(void *)o;
	assert_true(r->events_count < REC_EVENTS_MAX);
	r->events_at_ms[r->events_count] = r->now_ms;
	r->events[r->events_count++] = *e;
	assert_int_equal(e->self, r->self);
}

unsigned rec_count_events(const struct rec *r, enum out_event_kind kind,
			  int64_t *last_at_ms)
{
	unsigned n = 0;
	if (last_at_ms != NULL)
		*last_at_ms = -1;
	for (unsigned i = 0; i < r->events_count; i++) {
		if (r->events[i].kind != kind)
			continue;
		n++;
		if (last_at_ms != NULL)
			*last_at_ms = r->events_at_ms[i];
	}
	return n;
}

static void rec_exit(struct outbox *o)
{
	struct rec *r = (struct rec *)(void *)o;
	r->exits++;
	if (r->net != NULL)
		net__on_exit(r->net, r->self);
}

void rec_create(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->out.send = rec_send;
	r->out.send_datagram = rec_send_datagram;
	r->out.print = rec_print;
	r->out.exit = rec_exit;
	r->out.event = rec_event;
	r->out.save = NULL;
}

void rec_expect_line(struct rec *r, int64_t at_ms, const char *text)
{
	if (r->lines_checked >= r->lines_count)
		fail_msg("peer %u printed nothing more; expected at %lld: %s",
			 r->self, (long long)at_ms, text);
	const struct rec_line *l = &r->lines[r->lines_checked++];
	assert_string_equal(l->text, text);
	assert_int_equal(l->at_ms, at_ms);
}

void rec_expect_quiet(const struct rec *r)
{
	if (r->lines_checked < r->lines_count) {
		const struct rec_line *l = &r->lines[r->lines_checked];
		fail_msg("peer %u printed at %lld: %s", r->self,
			 (long long)l->at_ms, l->text);
	}
}

const struct rec_sent *rec_next_send(struct rec *r)
{
	assert_true(r->sent_checked < r->sent_count);
	return &r->sent[r->sent_checked++];
}

const struct rec_sent *rec_next_send_not_hb(struct rec *r)
{
	while (r->sent_checked < r->sent_count &&
	       r->sent[r->sent_checked].msg.type == WIRE_HEARTBEAT)
		r->sent_checked++;
	return rec_next_send(r);
}

void rec_expect_no_send(const struct rec *r)
{
	if (r->sent_checked < r->sent_count) {
		const struct rec_sent *s = &r->sent[r->sent_checked];
		fail_msg("peer %u sent %s to [%s] at %lld", r->self,
			 wire_type_name(s->msg.type), net_set_str(&s->to),
			 (long long)s->at_ms);
	}
}

void rec_expect_only_heartbeats(struct rec *r)
{
	while (r->sent_checked < r->sent_count) {
		const struct rec_sent *s = &r->sent[r->sent_checked];
		if (s->msg.type != WIRE_HEARTBEAT)
			fail_msg("peer %u sent %s to [%s] at %lld", r->self,
				 wire_type_name(s->msg.type),
				 net_set_str(&s->to), (long long)s->at_ms);
		r->sent_checked++;
	}
}

unsigned rec_count(const struct rec *r, enum wire_type type, int64_t from_ms,
		   int64_t to_ms)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->sent_count; i++) {
		const struct rec_sent *s = &r->sent[i];
		if (s->msg.type == type && s->at_ms >= from_ms &&
		    s->at_ms <= to_ms)
			n++;
	}
	return n;
}

/* ---- Sets and lines ------------------------------------------------------ */

#define NET_BUFS 8
#define NET_BUF_BYTES 512

static char *net__buf(void)
{
	static char bufs[NET_BUFS][NET_BUF_BYTES];
	static unsigned next;
	return bufs[next++ % NET_BUFS];
}

struct peerset net_set(const char *list)
{
	struct peerset s;
	peerset_clear(&s);
	const char *p = list;
	while (*p != '\0') {
		char *end;
		unsigned long id = strtoul(p, &end, 10);
		assert_true(end != p && id >= 1 && id <= HOSTS_MAX);
		peerset_add(&s, (unsigned)id);
		p = *end == ',' ? end + 1 : end;
		assert_true(*end == ',' || *end == '\0');
	}
	return s;
}

const char *net_set_str(const struct peerset *s)
{
	char *buf = net__buf();
	size_t len = 0;
	buf[0] = '\0';
	peerset_foreach(s, id) {
		len += (size_t)snprintf(buf + len, NET_BUF_BYTES - len, "%s%u",
					len ? "," : "", id);
		assert_true(len < NET_BUF_BYTES);
	}
	return buf;
}

const char *net_line_view(unsigned self, uint32_t view_id, unsigned leader,
			  const char *members)
{
	char *buf = net__buf();
	snprintf(buf, NET_BUF_BYTES,
		 "{peer_id:%u, view_id: %u, leader: %u, memb_list: [%s]}\n",
		 self, (unsigned)view_id, leader, members);
	return buf;
}

const char *net_line_crashing(unsigned self, uint32_t view_id,
			      unsigned leader)
{
	char *buf = net__buf();
	snprintf(buf, NET_BUF_BYTES,
		 "{peer_id:%u, view_id: %u, leader: %u, message:\"crashing\"}\n",
		 self, (unsigned)view_id, leader);
	return buf;
}

const char *net_line_unreachable(unsigned self, uint32_t view_id,
				 unsigned leader, unsigned peer)
{
	char *buf = net__buf();
	snprintf(buf, NET_BUF_BYTES,
		 "{peer_id:%u, view_id: %u, leader: %u, "
		 "message:\"peer %u unreachable\"}\n",
		 self, (unsigned)view_id, leader, peer);
	return buf;
}

const char *net_line_leader_unreachable(unsigned self, uint32_t view_id,
					unsigned leader, unsigned peer)
{
	char *buf = net__buf();
	snprintf(buf, NET_BUF_BYTES,
		 "{peer_id:%u, view_id: %u, leader: %u, "
		 "message:\"peer %u (leader) unreachable\"}\n",
		 self, (unsigned)view_id, leader, peer);
	return buf;
}

/* ---- The network: invariants --------------------------------------------- */

static struct net_peer *net__peer(struct net *n, unsigned id)
{
	assert_true(id >= 1 && id <= n->hosts_count);
	return &n->peers[id];
}

/*
 * A view line: the core has just installed the view it prints. Its view
 * ids must rise, and whoever installed this view id before must have
 * installed the same members under the same leader: the one the view
 * names, as printed (view_leader), which a successor finishing its
 * predecessor's change keeps; not the one the installer follows.
 */
static void net__on_view(struct net *n, struct net_peer *p)
{
	const struct mship *m = &p->m;
	if (p->installed && m->view_id <= p->view_id)
		fail_msg("peer %u installed view %u after view %u",
			 p->rec.self, (unsigned)m->view_id,
			 (unsigned)p->view_id);
	p->installed = true;
	p->view_id = m->view_id;
	p->leader = m->view_leader;
	p->members = m->members;
	assert_true(m->view_id < NET_VIEWS_MAX);
	struct net_view *v = &n->views[m->view_id];
	if (!v->set) {
		v->set = true;
		v->leader = m->view_leader;
		v->members = m->members;
		return;
	}
	if (v->leader != m->view_leader ||
	    !peerset_equal(&v->members, &m->members))
		fail_msg("peer %u installed view %u as leader %u [%s]; "
			 "it was leader %u [%s]",
			 p->rec.self, (unsigned)m->view_id, m->view_leader,
			 net_set_str(&m->members), v->leader,
			 net_set_str(&v->members));
}

static void net__on_print(struct net *n, unsigned self, const char *line)
{
	struct net_peer *p = net__peer(n, self);
	if (n->trace)
		fprintf(stderr, "%6lld  %u prints %s", (long long)n->now_ms,
			self, line);
	assert_false(p->down);
	if (strstr(line, "memb_list") != NULL)
		net__on_view(n, p);
}

static void net__on_exit(struct net *n, unsigned self)
{
	struct net_peer *p = net__peer(n, self);
	if (n->trace)
		fprintf(stderr, "%6lld  %u exits\n", (long long)n->now_ms,
			self);
	assert_false(p->down);
	p->down = true;
}

/* After every event: each member's state is the view it printed. */
static void net__check(struct net *n)
{
	assert_true(++n->steps < NET_STEPS_MAX);
	for (unsigned id = 1; id <= n->hosts_count; id++) {
		const struct net_peer *p = &n->peers[id];
		const struct mship *m = &p->m;
		assert_int_equal(m->role == MSHIP_CRASHED, p->rec.exits > 0);
		if (m->role != MSHIP_MEMBER && m->role != MSHIP_LEADER)
			continue;
		assert_true(p->installed);
		assert_int_equal(m->view_id, p->view_id);
		if (!peerset_equal(&m->members, &p->members))
			fail_msg("peer %u holds [%s] in view %u, printed [%s]",
				 id, net_set_str(&m->members),
				 (unsigned)m->view_id, net_set_str(&p->members));
		assert_true(peerset_has(&m->members, id));
	}
}

/* ---- The network: routing ------------------------------------------------ */

static void net__on_send(struct net *n, unsigned from,
			 const struct peerset *to, const struct wire_msg *m)
{
	assert_false(net__peer(n, from)->down);
	assert_int_equal(m->from, from);
	if (n->trace && m->type != WIRE_HEARTBEAT)
		fprintf(stderr, "%6lld  %u sends %s v%u r%u %s %u to [%s]\n",
			(long long)n->now_ms, from, wire_type_name(m->type),
			(unsigned)m->view_id, (unsigned)m->request_id,
			wire_op_name(m->op), m->type == WIRE_NEWVIEW ||
			m->type == WIRE_REDIRECT ? m->leader : m->peer,
			net_set_str(to));
	peerset_foreach(to, id) {
		if (id == from || id > n->hosts_count)
			fail_msg("peer %u sent %s to peer %u", from,
				 wire_type_name(m->type), id);
		if (n->cut[from][id]) {
			n->lost++;
			continue;
		}
		assert_true(n->flight_count < NET_FLIGHT_MAX);
		struct net_flight *f =
			&n->flight[(n->flight_head + n->flight_count++) %
				   NET_FLIGHT_MAX];
		f->from = from;
		f->to = id;
		f->msg = *m;
	}
}

void net_create(struct net *n, unsigned hosts_count, uint32_t heartbeat_ms)
{
	net_create_allowance(n, hosts_count, heartbeat_ms, 0);
}

void net_create_allowance(struct net *n, unsigned hosts_count,
			  uint32_t heartbeat_ms, uint32_t allowance_ms)
{
	assert_true(hosts_count >= 1 && hosts_count <= NET_PEERS_MAX);
	memset(n, 0, sizeof(*n));
	n->hosts_count = hosts_count;
	n->quick_found = true;
	const char *trace = getenv("NET_TRACE");
	n->trace = trace != NULL && trace[0] == '1';
	for (unsigned id = 1; id <= hosts_count; id++) {
		struct net_peer *p = &n->peers[id];
		rec_create(&p->rec);
		p->rec.net = n;
		p->rec.self = id;
		struct mship_config cfg = {
			.self = id,
			.hosts_count = hosts_count,
			.heartbeat_ms = heartbeat_ms,
			.crash_ms = -1,
			.testcase4 = false,
			.allowance_ms = allowance_ms,
		};
		mship_create(&p->m, &cfg, &p->rec.out);
	}
}

struct mship_config *net_cfg(struct net *n, unsigned id)
{
	return &net__peer(n, id)->m.cfg;
}

struct mship *net_mship(struct net *n, unsigned id)
{
	return &net__peer(n, id)->m;
}

struct rec *net_rec(struct net *n, unsigned id)
{
	return &net__peer(n, id)->rec;
}

void net_start(struct net *n, unsigned id)
{
	struct net_peer *p = net__peer(n, id);
	assert_false(p->started);
	if (n->trace)
		fprintf(stderr, "%6lld  %u starts\n", (long long)n->now_ms, id);
	p->started = true;
	p->rec.now_ms = n->now_ms;
	mship_start(&p->m, n->now_ms);
	if (id == 1 && n->quick_found) {
		for (unsigned other = 2; other <= n->hosts_count; other++) {
			struct wire_msg none;
			memset(&none, 0, sizeof(none));
			none.type = WIRE_REDIRECT;
			none.from = (uint16_t)other;
			none.incarnation = 1;
			mship_on_message(&p->m, n->now_ms, &none);
		}
	}
	net__check(n);
}

void net_start_all(struct net *n, unsigned first, unsigned last)
{
	for (unsigned id = first; id <= last; id++) {
		net_start(n, id);
		net_settle(n);
	}
}

void net_deliver(struct net *n, unsigned to, const struct wire_msg *msg)
{
	struct net_peer *p = net__peer(n, to);
	if (n->trace && msg->type != WIRE_HEARTBEAT)
		fprintf(stderr, "%6lld  %u gets %s from %u\n",
			(long long)n->now_ms, to, wire_type_name(msg->type),
			msg->from);
	p->rec.now_ms = n->now_ms;
	mship_on_message(&p->m, n->now_ms, msg);
	net__check(n);
}

void net_settle(struct net *n)
{
	while (n->flight_count > 0) {
		struct net_flight f = n->flight[n->flight_head];
		n->flight_head = (n->flight_head + 1) % NET_FLIGHT_MAX;
		n->flight_count--;
		struct net_peer *p = net__peer(n, f.to);
		if (!p->started || p->down) {
			n->lost++;
			continue;
		}
		net_deliver(n, f.to, &f.msg);
	}
}

/* Tick every running core that is due now, in id order; true if any was. */
static bool net__tick_due(struct net *n)
{
	bool any = false;
	for (unsigned id = 1; id <= n->hosts_count; id++) {
		struct net_peer *p = &n->peers[id];
		if (!p->started || p->down ||
		    mship_next_deadline(&p->m) > n->now_ms)
			continue;
		p->rec.now_ms = n->now_ms;
		mship_on_tick(&p->m, n->now_ms);
		net__check(n);
		/* A deadline that does not move on would spin for ever. */
		if (!p->down)
			assert_true(mship_next_deadline(&p->m) > n->now_ms);
		any = true;
	}
	return any;
}

static int64_t net__next_deadline(const struct net *n)
{
	int64_t next = MSHIP_NEVER;
	for (unsigned id = 1; id <= n->hosts_count; id++) {
		const struct net_peer *p = &n->peers[id];
		if (!p->started || p->down)
			continue;
		int64_t d = mship_next_deadline(&p->m);
		if (d < next)
			next = d;
	}
	return next;
}

void net_run_until(struct net *n, int64_t end_ms)
{
	assert_true(end_ms >= n->now_ms);
	for (;;) {
		net_settle(n);
		if (net__tick_due(n))
			continue;
		int64_t next = net__next_deadline(n);
		if (next > end_ms) {
			n->now_ms = end_ms;
			return;
		}
		n->now_ms = next;
	}
}

void net_crash(struct net *n, unsigned id)
{
	if (n->trace)
		fprintf(stderr, "%6lld  %u is killed\n", (long long)n->now_ms,
			id);
	net__peer(n, id)->down = true;
}

void net_cut(struct net *n, unsigned from, unsigned to, bool cut)
{
	net__peer(n, from);
	net__peer(n, to);
	n->cut[from][to] = cut;
}

void net_expect_quiet(const struct net *n)
{
	for (unsigned id = 1; id <= n->hosts_count; id++)
		rec_expect_quiet(&n->peers[id].rec);
}
