/*
 * Unit tests for the membership core (membership/mship.c), with the real
 * failure detector and reconciliation behind it.
 *
 * Two kinds of test. The first drives one core by hand: messages built as
 * their sender would build them, ticks at literal times, and exact
 * assertions on what the core sent (type, fields, recipients) and printed.
 * The second runs three to five cores on the synchronous network of net.c
 * (no latency, deadlines fired at their exact times, T = 100 ms) and
 * asserts every line each peer prints, with its time; the network checks
 * the invariants after every event (view ids rise per peer, one view id
 * means one member list and one leader everywhere).
 *
 * Times: a peer last heard at h is alive at h + 199 and dead at h + 200.
 * Peers that start together at 0 beat at 0, 100, 200, ...; the first
 * leader beats at 100, 200, ...
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/outbox.h"
#include "../../common/peerset.h"
#include "../../common/wire.h"
#include "../../membership/mship.h"
#include "net.h"

#define T_MS 100

/* ---- One core, driven by hand --------------------------------------------- */

struct core {
	struct rec r;
	struct mship m;
};

/* Large: keep them out of the stack. */
static struct core core_a;
static struct core core_b;
static struct net net;

/* A core whose detector allows allowance_ms past 2T (fixed at creation). */
static void core_create_allowance(struct core *c, unsigned self,
				  unsigned hosts_count, uint32_t allowance_ms)
{
	rec_create(&c->r);
	c->r.self = self;
	struct mship_config cfg = {
		.self = self,
		.hosts_count = hosts_count,
		.heartbeat_ms = T_MS,
		.crash_ms = -1,
		.testcase4 = false,
		.allowance_ms = allowance_ms,
	};
	mship_create(&c->m, &cfg, &c->r.out);
}

/* No allowance: dead at 2T exactly, so the literal times below hold. */
static void core_create(struct core *c, unsigned self, unsigned hosts_count)
{
	core_create_allowance(c, self, hosts_count, 0);
}

/* Start a core: peer 1 founds at once, with no probe and no wait. */
static void core_start(struct core *c, int64_t now_ms)
{
	c->r.now_ms = now_ms;
	mship_start(&c->m, now_ms);
}

static void core_tick(struct core *c, int64_t now_ms)
{
	c->r.now_ms = now_ms;
	mship_on_tick(&c->m, now_ms);
}

static void core_msg(struct core *c, int64_t now_ms, struct wire_msg msg)
{
	c->r.now_ms = now_ms;
	mship_on_message(&c->m, now_ms, &msg);
}

static void core_confirm(struct core *c, int64_t at_ms, unsigned leader,
			 uint32_t view_id);

/* Messages, as their sender would build them. */
static struct wire_msg mk(enum wire_type type, unsigned from, uint32_t view_id)
{
	struct wire_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = (uint16_t)from;
	m.incarnation = 1;
	m.view_id = view_id;
	return m;
}

/* A member's heartbeat in view_id naming the members it suspects (issue
 * 10: what the leader counts before it removes anyone). */
static struct wire_msg mk_hb(unsigned from, uint32_t view_id,
			     const char *suspects)
{
	struct wire_msg m = mk(WIRE_HEARTBEAT, from, view_id);
	m.suspects = net_set(suspects);
	return m;
}

static struct wire_msg mk_req(unsigned from, uint32_t view_id,
			      uint32_t request_id, enum wire_op op,
			      unsigned peer)
{
	struct wire_msg m = mk(WIRE_REQ, from, view_id);
	m.request_id = request_id;
	m.op = op;
	m.peer = (uint16_t)peer;
	return m;
}

static struct wire_msg mk_ok(unsigned from, uint32_t view_id,
			     uint32_t request_id, enum wire_op op, unsigned peer)
{
	struct wire_msg m = mk(WIRE_OK, from, view_id);
	m.request_id = request_id;
	m.op = op;
	m.peer = (uint16_t)peer;
	return m;
}

static struct wire_msg mk_newview(unsigned from, uint32_t view_id,
				  unsigned leader, const char *members)
{
	struct wire_msg m = mk(WIRE_NEWVIEW, from, view_id);
	m.leader = (uint16_t)leader;
	m.members = net_set(members);
	return m;
}

static struct wire_msg mk_redirect(unsigned from, uint32_t view_id,
				   unsigned leader)
{
	struct wire_msg m = mk(WIRE_REDIRECT, from, view_id);
	m.leader = (uint16_t)leader;
	return m;
}

/* A send's time, type, recipients and common fields. */
static void expect_send(const struct rec_sent *s, int64_t at_ms,
			enum wire_type type, unsigned from, uint32_t view_id,
			const char *to)
{
	assert_string_equal(wire_type_name(s->msg.type), wire_type_name(type));
	assert_int_equal(s->at_ms, at_ms);
	assert_int_equal(s->msg.from, from);
	assert_int_equal(s->msg.view_id, view_id);
	assert_string_equal(net_set_str(&s->to), to);
	/* What is sent again when lost goes by datagram; JOIN probes
	 * too (expect_probe). */
	assert_int_equal(s->datagram, type == WIRE_HEARTBEAT ||
					      type == WIRE_REDIRECT);
}

/* A JOIN retry: JOIN to the target by TCP, then to probes (other hosts,
 * "" for none) by datagram. */
static void expect_join_retry(struct rec *r, int64_t at_ms, unsigned from,
			      uint32_t view_id, const char *target,
			      const char *probes)
{
	expect_send(rec_next_send(r), at_ms, WIRE_JOIN, from, view_id, target);
	if (probes[0] == '\0')
		return;
	const struct rec_sent *s = rec_next_send(r);
	assert_string_equal(wire_type_name(s->msg.type), "JOIN");
	assert_int_equal(s->at_ms, at_ms);
	assert_int_equal(s->msg.from, from);
	assert_int_equal(s->msg.view_id, view_id);
	assert_string_equal(net_set_str(&s->to), probes);
	assert_true(s->datagram);
}

static void expect_view(const struct mship *m, uint32_t view_id,
			unsigned leader, const char *members)
{
	assert_int_equal(m->view_id, view_id);
	assert_int_equal(m->leader, leader);
	assert_string_equal(net_set_str(&m->members), members);
}

/*
 * A leader asked by a joiner: an ADD of its own first asks the joiner
 * alone (REQ, at the leader's ballot, in its view) and accepts nothing
 * until the joiner's OK; the joiner answers at at_ms. Returns the REQ.
 */
static struct rec_sent core_admit(struct core *c, int64_t at_ms,
				  struct wire_msg join)
{
	core_msg(c, at_ms, join);
	const struct rec_sent *s = rec_next_send(&c->r);
	char who[8];
	snprintf(who, sizeof(who), "%u", (unsigned)join.from);
	expect_send(s, at_ms, WIRE_REQ, c->m.cfg.self, c->m.view_id, who);
	assert_string_equal(wire_op_name(s->msg.op), "ADD");
	assert_int_equal(s->msg.peer, join.from);
	assert_int_equal(s->msg.ballot, c->m.ballot);
	assert_true(c->m.round_confirming);
	/* Nothing accepted yet: no promise to ourselves, no saved change. */
	assert_false(c->m.st.acc_set);
	struct rec_sent req = *s;
	struct wire_msg ok = mk_ok(join.from, req.msg.view_id,
				   req.msg.request_id, WIRE_OP_ADD, join.from);
	ok.ballot = req.msg.ballot;
	ok.leader = req.msg.leader;
	ok.incarnation = join.incarnation;
	core_msg(c, at_ms, ok);
	return req;
}

static void test_leader_start_prints_view0(void **state)
{
	(void)state;
	core_create(&core_a, 1, 3);
	core_start(&core_a, 0);
	assert_int_equal(core_a.m.role, MSHIP_LEADER);
	expect_view(&core_a.m, 0, 1, "1");
	rec_expect_line(&core_a.r, 0, "{peer_id:1, view_id: 0, leader: 1, "
				      "memb_list: [1]}\n");
	rec_expect_quiet(&core_a.r);
	/* Besides the probe core_start checked, nothing is sent. */
	rec_expect_no_send(&core_a.r);
	/* Its first beat is due at T; alone, it beats to nobody. */
	assert_int_equal(mship_next_deadline(&core_a.m), 100);
	core_tick(&core_a, 100);
	rec_expect_no_send(&core_a.r);
	assert_int_equal(mship_next_deadline(&core_a.m), 200);
	/* Starting twice does nothing. */
	core_start(&core_a, 150);
	rec_expect_quiet(&core_a.r);
}

/* Two hosts: no other host to probe, so every JOIN goes to 1 alone. */
static void test_joiner_backoff(void **state)
{
	(void)state;
	core_create(&core_a, 2, 2);
	core_start(&core_a, 0);
	assert_int_equal(core_a.m.role, MSHIP_JOINING);
	expect_send(rec_next_send(&core_a.r), 0, WIRE_JOIN, 2, 0, "1");
	rec_expect_no_send(&core_a.r);

	static const int64_t at[] = { 100, 300, 700, 1500, 3100, 5100, 7100,
				      9100 };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		assert_int_equal(mship_next_deadline(&core_a.m), at[i]);
		core_tick(&core_a, at[i] - 1);
		rec_expect_no_send(&core_a.r);
		core_tick(&core_a, at[i]);
		expect_send(rec_next_send(&core_a.r), at[i], WIRE_JOIN, 2, 0,
			    "1");
		rec_expect_no_send(&core_a.r);
	}
	assert_int_equal(mship_next_deadline(&core_a.m), 11100);
	rec_expect_quiet(&core_a.r);
}

/* Each retry also asks up to JOIN_PROBES_MAX other hosts, in turn,
 * skipping self and the target. */
static void test_joiner_probes_rotate(void **state)
{
	(void)state;
	core_create(&core_a, 3, 12);
	core_start(&core_a, 0);
	expect_send(rec_next_send(&core_a.r), 0, WIRE_JOIN, 3, 0, "1");
	static const struct {
		int64_t at;
		const char *to;
	} want[] = {
		{ 100, "4,5,6,7,8,9,10,11" },
		{ 300, "2,4,5,6,7,8,9,12" },
		{ 700, "2,4,5,6,7,10,11,12" },
		{ 1500, "2,4,5,8,9,10,11,12" },
		{ 3100, "2,6,7,8,9,10,11,12" },
		{ 5100, "4,5,6,7,8,9,10,11" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		core_tick(&core_a, want[i].at);
		expect_join_retry(&core_a.r, want[i].at, 3, 0, "1",
				  want[i].to);
		rec_expect_no_send(&core_a.r);
	}
}

/*
 * A target that answered as the leader since the last JOIN leads and
 * heard us: the next retry goes to it alone; once it is silent for a
 * retry, or answers as a joiner (two joiners may name each other), the
 * probes resume.
 */
static void test_joiner_heard_target_probes_nobody(void **state)
{
	(void)state;
	core_create(&core_a, 3, 12);
	core_start(&core_a, 0);
	expect_send(rec_next_send(&core_a.r), 0, WIRE_JOIN, 3, 0, "1");
	/* The leader queues it behind a round and says so. */
	struct wire_msg ack = mk(WIRE_REDIRECT, 1, 0);
	ack.leader = 1;
	core_msg(&core_a, 50, ack);
	rec_expect_no_send(&core_a.r);
	core_tick(&core_a, 100);
	expect_send(rec_next_send(&core_a.r), 100, WIRE_JOIN, 3, 0, "1");
	/* Silent since: the next retry asks others too. */
	core_tick(&core_a, 300);
	expect_join_retry(&core_a.r, 300, 3, 0, "1", "4,5,6,7,8,9,10,11");
	/* Answering as a joiner, naming no leader, is not leading. */
	struct wire_msg none = mk(WIRE_REDIRECT, 1, 0);
	core_msg(&core_a, 350, none);
	core_tick(&core_a, 700);
	expect_join_retry(&core_a.r, 700, 3, 0, "1", "2,4,5,6,7,8,9,12");
	/* Another host naming the target is no answer from the target. */
	struct wire_msg other = mk(WIRE_REDIRECT, 4, 0);
	other.leader = 1;
	core_msg(&core_a, 800, other);
	core_tick(&core_a, 1500);
	expect_join_retry(&core_a.r, 1500, 3, 0, "1", "2,4,5,6,7,10,11,12");
	rec_expect_no_send(&core_a.r);
}

static void test_lone_leader_answers_join(void **state)
{
	(void)state;
	core_create(&core_a, 1, 3);
	core_start(&core_a, 0);
	rec_expect_line(&core_a.r, 0, net_line_view(1, 0, 1, "1"));
	core_admit(&core_a, 50, mk(WIRE_JOIN, 2, 0));
	const struct rec_sent *s = rec_next_send(&core_a.r);
	expect_send(s, 50, WIRE_NEWVIEW, 1, 1, "2");
	assert_int_equal(s->msg.leader, 1);
	assert_string_equal(net_set_str(&s->msg.members), "1,2");
	rec_expect_no_send(&core_a.r);
	rec_expect_line(&core_a.r, 50, net_line_view(1, 1, 1, "1,2"));
	rec_expect_quiet(&core_a.r);
	expect_view(&core_a.m, 1, 1, "1,2");
	/* The new member is watched from now. */
	assert_int_equal(core_a.m.fd.deadline_ms[2], 250);
}

/* A member asked to let someone in names the leader instead. */
static void test_member_redirects_join(void **state)
{
	(void)state;
	core_create(&core_a, 3, 4);
	core_start(&core_a, 0);
	rec_next_send(&core_a.r);	/* JOIN */
	core_confirm(&core_a, 10, 2, 5);
	core_msg(&core_a, 10, mk_newview(2, 5, 2, "2,3"));
	rec_expect_line(&core_a.r, 10, net_line_view(3, 5, 2, "2,3"));
	core_msg(&core_a, 20, mk(WIRE_JOIN, 4, 0));
	const struct rec_sent *s = rec_next_send(&core_a.r);
	expect_send(s, 20, WIRE_REDIRECT, 3, 5, "4");
	assert_int_equal(s->msg.leader, 2);
	rec_expect_no_send(&core_a.r);
	expect_view(&core_a.m, 5, 2, "2,3");
	assert_false(core_a.m.round_active);
	assert_int_equal(core_a.m.queue_count, 0);
	rec_expect_quiet(&core_a.r);
}

/* A joiner told who leads sends JOIN there at once, and from then on. */
static void test_joiner_follows_redirect(void **state)
{
	(void)state;
	core_create(&core_a, 4, 4);
	core_start(&core_a, 0);
	expect_send(rec_next_send(&core_a.r), 0, WIRE_JOIN, 4, 0, "1");
	core_tick(&core_a, 100);
	expect_join_retry(&core_a.r, 100, 4, 0, "1", "2,3");
	assert_int_equal(mship_next_deadline(&core_a.m), 300);

	core_msg(&core_a, 150, mk_redirect(3, 5, 2));
	/* A joiner's JOIN carries the highest view id it has seen. */
	expect_send(rec_next_send(&core_a.r), 150, WIRE_JOIN, 4, 5, "2");
	rec_expect_no_send(&core_a.r);
	/* The backoff starts over. */
	assert_int_equal(mship_next_deadline(&core_a.m), 250);
	core_tick(&core_a, 250);
	expect_join_retry(&core_a.r, 250, 4, 5, "2", "1,3");
	assert_int_equal(mship_next_deadline(&core_a.m), 450);

	/* Naming the leader already targeted changes nothing. */
	core_msg(&core_a, 260, mk_redirect(3, 5, 2));
	rec_expect_no_send(&core_a.r);
	assert_int_equal(mship_next_deadline(&core_a.m), 450);
	assert_int_equal(core_a.m.stats.dropped_role, 0);
	/* Naming self or a stranger is nonsense: dropped. */
	core_msg(&core_a, 270, mk_redirect(3, 5, 4));
	core_msg(&core_a, 280, mk_redirect(3, 5, 5));
	/* Naming nobody (the sender is joining too) changes nothing. */
	core_msg(&core_a, 290, mk_redirect(3, 5, 0));
	rec_expect_no_send(&core_a.r);
	assert_int_equal(core_a.m.stats.dropped_role, 2);
	assert_int_equal(core_a.m.join_target, 2);
	rec_expect_quiet(&core_a.r);
}

/* ---- Fixes for the simulator's findings (tests/sim/regressions.txt) ------ */

/* A REQ or OK's op and peer. */
static void expect_change(const struct rec_sent *s, uint32_t request_id,
			  enum wire_op op, unsigned peer)
{
	assert_int_equal(s->msg.request_id, request_id);
	assert_string_equal(wire_op_name(s->msg.op), wire_op_name(op));
	assert_int_equal(s->msg.peer, peer);
}

/* A NEWVIEW's leader and list. */
static void expect_newview(const struct rec_sent *s, unsigned leader,
			   const char *members)
{
	assert_int_equal(s->msg.leader, leader);
	assert_string_equal(net_set_str(&s->msg.members), members);
}

/*
 * A new life is admitted only by the view its confirmed ADD makes: at
 * at_ms, leader asks (REQ, at ballot 0) to ADD the joiner in view
 * view_id - 1, and the joiner confirms (OK, consumed here).
 */
static void core_confirm(struct core *c, int64_t at_ms, unsigned leader,
			 uint32_t view_id)
{
	struct wire_msg req = mk_req(leader, view_id - 1, 99, WIRE_OP_ADD,
				     c->m.cfg.self);
	req.leader = (uint16_t)leader;
	core_msg(c, at_ms, req);
	char to[8];
	snprintf(to, sizeof(to), "%u", leader);
	const struct rec_sent *ok = rec_next_send(&c->r);
	expect_send(ok, at_ms, WIRE_OK, c->m.cfg.self, view_id - 1, to);
	expect_change(ok, 99, WIRE_OP_ADD, c->m.cfg.self);
}

/*
 * A member of view view_id [members] led by 1, joined at 10: every other
 * member is watched from 10, so is dead at 210 unless heard again.
 */
static void core_member(struct core *c, unsigned self, unsigned hosts_count,
			uint32_t view_id, const char *members)
{
	core_create(c, self, hosts_count);
	core_start(c, 0);
	expect_send(rec_next_send(&c->r), 0, WIRE_JOIN, self, 0, "1");
	core_confirm(c, 10, 1, view_id);
	core_msg(c, 10, mk_newview(1, view_id, 1, members));
	rec_expect_line(&c->r, 10, net_line_view(self, view_id, 1, members));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
}

/* Once peer 1 has let a member in, it leads a group: REDIRECT is dropped.
 * It showed a later view, so the leader shows its own back
 * (mship__show_behind), and leads on. */
static void test_peer1_redirect_dropped_once_grown(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));
	core_admit(c, 10, mk(WIRE_JOIN, 2, 0));
	expect_send(rec_next_send(&c->r), 10, WIRE_NEWVIEW, 1, 1, "2");
	rec_expect_line(&c->r, 10, net_line_view(1, 1, 1, "1,2"));

	core_msg(c, 20, mk_redirect(3, 5, 2));
	assert_int_equal(c->m.stats.dropped_role, 1);
	assert_int_equal(c->m.role, MSHIP_LEADER);
	expect_send(rec_next_send(&c->r), 20, WIRE_HEARTBEAT, 1, 1, "3");
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 1, 1, "1,2");
}

/*
 * Regression E, the member's side. A member takes any view newer than
 * its own, even from a peer it does not follow (here 2 made view 4 and
 * this member missed view 3), and drops an older or equal one from
 * anyone.
 */
static void test_member_takes_any_newer_view(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 3, 4, 2, "1,2,3,4");
	core_msg(c, 20, mk_newview(2, 2, 2, "2,3,4"));
	core_msg(c, 21, mk_newview(4, 1, 4, "3,4"));
	assert_int_equal(c->m.stats.dropped_stale, 2);
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 2, 1, "1,2,3,4");

	core_msg(c, 30, mk_newview(2, 4, 2, "2,3,4"));
	rec_expect_line(&c->r, 30, net_line_view(3, 4, 2, "2,3,4"));
	expect_view(&c->m, 4, 2, "2,3,4");
	assert_false(peerset_has(&c->m.fd.watched, 1));
	assert_int_equal(c->m.stats.dropped_stale, 2);

	core_msg(c, 40, mk_newview(1, 3, 1, "1,2,3,4"));
	core_msg(c, 41, mk_newview(4, 4, 4, "3,4"));
	assert_int_equal(c->m.stats.dropped_stale, 4);
	assert_int_equal(c->m.stats.dropped_role, 0);
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 4, 2, "2,3,4");
}

/* ---- Networks of cores --------------------------------------------------- */

/* "1,2,...,n" */
static const char *list_upto(unsigned n)
{
	struct peerset s;
	peerset_clear(&s);
	for (unsigned id = 1; id <= n; id++)
		peerset_add(&s, id);
	return net_set_str(&s);
}

/* Every line of the one-by-one joins at 0: peer k prints views k-1..n-1. */
static void expect_formed_at0(unsigned hosts_count)
{
	for (unsigned id = 1; id <= hosts_count; id++) {
		struct rec *r = net_rec(&net, id);
		for (unsigned v = id - 1; v < hosts_count; v++)
			rec_expect_line(r, 0, net_line_view(id, v, 1,
							    list_upto(v + 1)));
		rec_expect_quiet(r);
	}
}

/* Forget the sends so far, so the next checks start from here. */
static void sends_checked(void)
{
	for (unsigned id = 1; id <= net.hosts_count; id++) {
		struct rec *r = net_rec(&net, id);
		r->sent_checked = r->sent_count;
	}
}

static void form_allowance(unsigned hosts_count, uint32_t allowance_ms)
{
	net_create_allowance(&net, hosts_count, T_MS, allowance_ms);
	net_start_all(&net, 1, hosts_count);
	expect_formed_at0(hosts_count);
	sends_checked();
}

static void form(unsigned hosts_count)
{
	form_allowance(hosts_count, 0);
}

/* Testcase 1: one by one, a second apart; every member prints each view. */
static void test_net_join_one_by_one(void **state)
{
	(void)state;
	static const char *const lists[] = {
		"1", "1,2", "1,2,3", "1,2,3,4", "1,2,3,4,5",
	};
	net_create(&net, 5, T_MS);
	for (unsigned id = 1; id <= 5; id++) {
		net_run_until(&net, (id - 1) * 1000);
		net_start(&net, id);
	}
	net_run_until(&net, 10000);
	for (unsigned id = 1; id <= 5; id++) {
		for (unsigned v = id - 1; v < 5; v++)
			rec_expect_line(net_rec(&net, id), v * 1000,
					net_line_view(id, v, 1, lists[v]));
		expect_view(net_mship(&net, id), 4, 1, "1,2,3,4,5");
	}
	net_expect_quiet(&net);
	/* Peer 5's JOIN went out once: the NEWVIEW came back at once. */
	assert_int_equal(rec_count(net_rec(&net, 5), WIRE_JOIN, 0, 10000), 1);
	/* The last round: REQ ADD 5 to 2,3,4, each OK, NEWVIEW to all. */
	struct rec *leader = net_rec(&net, 1);
	const struct rec_sent *s = NULL;
	for (unsigned i = 0; i < leader->sent_count; i++)
		if (leader->sent[i].msg.type == WIRE_REQ)
			s = &leader->sent[i];
	expect_send(s, 4000, WIRE_REQ, 1, 3, "2,3,4");
	assert_int_equal(s->msg.op, WIRE_OP_ADD);
	assert_int_equal(s->msg.peer, 5);
	expect_send(s + 1, 4000, WIRE_NEWVIEW, 1, 4, "2,3,4,5");
	for (unsigned id = 2; id <= 4; id++)
		assert_int_equal(rec_count(net_rec(&net, id), WIRE_OK, 4000,
					   4000), 1);
}

static void test_net_heartbeats_every_T(void **state)
{
	(void)state;
	form(3);
	net_run_until(&net, 1000);
	/* The leader from T on; the others from the moment they joined. */
	static const struct {
		unsigned id;
		int64_t first;
		const char *to;
	} want[] = { { 1, 100, "2,3" }, { 2, 0, "1,3" }, { 3, 0, "1,2" } };
	for (size_t i = 0; i < 3; i++) {
		struct rec *r = net_rec(&net, want[i].id);
		int64_t at = want[i].first;
		while (r->sent_checked < r->sent_count) {
			const struct rec_sent *s = rec_next_send(r);
			expect_send(s, at, WIRE_HEARTBEAT, want[i].id, 2,
				    want[i].to);
			at += T_MS;
		}
		assert_int_equal(at, 1100);
	}
	net_expect_quiet(&net);
}

/* Testcase 2 and 3: a member crashes; silent for 2T, it is dead. */
static void test_net_member_dead_at_2T(void **state)
{
	(void)state;
	form(3);
	net_run_until(&net, 250);
	net_crash(&net, 3);	/* last heartbeat at 200 */
	net_run_until(&net, 399);
	net_expect_quiet(&net);
	net_run_until(&net, 400);
	for (unsigned id = 1; id <= 2; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 400, net_line_unreachable(id, 2, 1, 3));
		rec_expect_line(r, 400, net_line_view(id, 3, 1, "1,2"));
	}
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	/* The leader's round: REQ DEL 3 to every member, the dead one
	 * too (a peer given up wrongly answers, and may make the quorum);
	 * 2's OK makes a quorum of [1,2,3] and of [1,2]. The NEWVIEW goes
	 * to 3 too, in case it lives (here the network loses both). */
	struct rec *r = net_rec(&net, 1);
	const struct rec_sent *s = rec_next_send_not_hb(r);
	expect_send(s, 400, WIRE_REQ, 1, 2, "2,3");
	assert_int_equal(s->msg.op, WIRE_OP_DEL);
	assert_int_equal(s->msg.peer, 3);
	expect_send(rec_next_send_not_hb(r), 400, WIRE_NEWVIEW, 1, 3, "2,3");
	rec_expect_only_heartbeats(r);
	s = rec_next_send_not_hb(net_rec(&net, 2));
	expect_send(s, 400, WIRE_OK, 2, 2, "1");
	assert_int_equal(s->msg.op, WIRE_OP_DEL);
	assert_int_equal(s->msg.peer, 3);
	rec_expect_only_heartbeats(net_rec(&net, 2));
}

/*
 * The leader and two members stop hearing 3 a heartbeat early: a quorum
 * of [1..5] suspects it at 300, so the leader's REQ DEL reaches 5 before
 * 5's own detector fires: 5 prints at the REQ, and not again.
 */
static void test_net_req_del_before_own_detector(void **state)
{
	(void)state;
	form(5);
	net_run_until(&net, 150);
	net_cut(&net, 3, 1, true);	/* 1, 2, 4 last hear 3 at 100 */
	net_cut(&net, 3, 2, true);
	net_cut(&net, 3, 4, true);
	net_run_until(&net, 250);
	net_crash(&net, 3);	/* 5 last hears 3 at 200 */
	net_run_until(&net, 299);
	net_expect_quiet(&net);
	net_run_until(&net, 300);
	static const unsigned survivors[] = { 1, 2, 4, 5 };
	for (unsigned i = 0; i < 4; i++) {
		unsigned id = survivors[i];
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 300, net_line_unreachable(id, 4, 1, 3));
		rec_expect_line(r, 300, net_line_view(id, 5, 1, "1,2,4,5"));
	}
	/* 5's detector would have fired at 400. */
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
}

/* Testcase 3: crash members one by one until the leader is alone. */
static void test_net_crash_one_by_one(void **state)
{
	(void)state;
	static const char *const lists[] = { "1", "1,2", "1,2,3", "1,2,3,4" };
	form(5);
	for (unsigned victim = 5; victim >= 2; victim--) {
		/* Crashed at k*400 + 250, last heard at k*400 + 200. */
		int64_t crash = (5 - victim) * 400 + 250;
		int64_t dead = crash + 150;
		uint32_t view = 4 + (5 - victim);
		net_run_until(&net, crash);
		net_crash(&net, victim);
		net_run_until(&net, dead - 1);
		net_expect_quiet(&net);
		net_run_until(&net, dead);
		for (unsigned id = 1; id < victim; id++) {
			struct rec *r = net_rec(&net, id);
			rec_expect_line(r, dead, net_line_unreachable(
							 id, view, 1, victim));
			rec_expect_line(r, dead,
					net_line_view(id, view + 1, 1,
						      lists[victim - 2]));
		}
	}
	net_run_until(&net, 5000);
	net_expect_quiet(&net);
	expect_view(net_mship(&net, 1), 8, 1, "1");
}

/* Two members crash at once: two rounds, each line once everywhere. */
/*
 * Two crash together: every survivor's detector holds both dead at one
 * tick, each member tells the leader of both in one heartbeat, and the
 * leader removes both in one view change (a batch): one view line.
 */
static void test_net_two_crash_together(void **state)
{
	(void)state;
	form(5);
	net_run_until(&net, 250);
	net_crash(&net, 4);
	net_crash(&net, 5);
	net_run_until(&net, 399);
	net_expect_quiet(&net);
	net_run_until(&net, 400);
	for (unsigned id = 1; id <= 3; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 400, net_line_unreachable(id, 4, 1, 4));
		rec_expect_line(r, 400, net_line_unreachable(id, 4, 1, 5));
		rec_expect_line(r, 400, net_line_view(id, 5, 1, "1,2,3"));
	}
	/* One REQ: DEL 4 in the lab's fields, DEL 5 in the batch's. */
	struct rec *leader = net_rec(&net, 1);
	unsigned reqs = 0;
	for (unsigned i = 0; i < leader->sent_count; i++) {
		const struct wire_msg *m = &leader->sent[i].msg;
		if (m->type != WIRE_REQ || leader->sent[i].at_ms < 250)
			continue;
		reqs++;
		assert_int_equal(m->op, WIRE_OP_DEL);
		assert_int_equal(m->peer, 4);
		assert_int_equal(m->more.count, 1);
		assert_int_equal(m->more.at[0].op, WIRE_OP_DEL);
		assert_int_equal(m->more.at[0].peer, 5);
	}
	assert_int_equal(reqs, 1);
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
}

/*
 * Joins batched: 2 joins first; 3, 4 and 5 start while its round is in
 * flight, and go in the next view change together. Every member prints
 * one view line per view installed: [1], [1,2], then [1..5].
 */
static void test_net_joins_batched(void **state)
{
	(void)state;
	net_create(&net, 5, T_MS);
	net_start(&net, 1);
	net_settle(&net);
	net_start(&net, 2);
	net_start(&net, 3);
	net_start(&net, 4);
	net_start(&net, 5);
	net_settle(&net);
	rec_expect_line(net_rec(&net, 1), 0, net_line_view(1, 0, 1, "1"));
	rec_expect_line(net_rec(&net, 1), 0, net_line_view(1, 1, 1, "1,2"));
	rec_expect_line(net_rec(&net, 2), 0, net_line_view(2, 1, 1, "1,2"));
	for (unsigned id = 1; id <= 5; id++) {
		rec_expect_line(net_rec(&net, id), 0,
				net_line_view(id, 2, 1, "1,2,3,4,5"));
		expect_view(net_mship(&net, id), 2, 1, "1,2,3,4,5");
	}
	net_expect_quiet(&net);
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
}

/* Testcase 2 with -c: the crash line exactly crash_ms after JOIN. */
static void test_net_crash_option(void **state)
{
	(void)state;
	net_create(&net, 3, T_MS);
	net_cfg(&net, 3)->crash_ms = 1000;
	net_start_all(&net, 1, 2);
	net_run_until(&net, 30);
	net_start(&net, 3);
	expect_send(rec_next_send(net_rec(&net, 3)), 30, WIRE_JOIN, 3, 0, "1");
	net_run_until(&net, 1029);
	rec_expect_line(net_rec(&net, 1), 0, net_line_view(1, 0, 1, "1"));
	rec_expect_line(net_rec(&net, 1), 0, net_line_view(1, 1, 1, "1,2"));
	rec_expect_line(net_rec(&net, 2), 0, net_line_view(2, 1, 1, "1,2"));
	for (unsigned id = 1; id <= 3; id++)
		rec_expect_line(net_rec(&net, id), 30,
				net_line_view(id, 2, 1, "1,2,3"));
	net_expect_quiet(&net);
	assert_int_equal(net_rec(&net, 3)->exits, 0);

	net_run_until(&net, 1030);
	rec_expect_line(net_rec(&net, 3), 1030, net_line_crashing(3, 2, 1));
	assert_int_equal(net_rec(&net, 3)->exits, 1);
	assert_int_equal(net_mship(&net, 3)->role, MSHIP_CRASHED);
	/* Its last beat was at 930; it did not beat at 1030. */
	assert_int_equal(rec_count(net_rec(&net, 3), WIRE_HEARTBEAT, 930, 930),
			 1);
	assert_int_equal(rec_count(net_rec(&net, 3), WIRE_HEARTBEAT, 931,
				   1030), 0);
	net_run_until(&net, 1129);
	net_expect_quiet(&net);
	net_run_until(&net, 1130);
	for (unsigned id = 1; id <= 2; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 1130, net_line_unreachable(id, 2, 1, 3));
		rec_expect_line(r, 1130, net_line_view(id, 3, 1, "1,2"));
	}
	net_run_until(&net, 5000);
	net_expect_quiet(&net);
	assert_int_equal(net_rec(&net, 3)->exits, 1);
}

/* A crash armed before joining fires even if the peer never joins. */
static void test_net_crash_option_while_joining(void **state)
{
	(void)state;
	net_create(&net, 3, T_MS);
	net_cfg(&net, 3)->crash_ms = 500;
	net_start(&net, 3);	/* 1 is not up: every JOIN is lost */
	net_run_until(&net, 499);
	assert_int_equal(net_mship(&net, 3)->role, MSHIP_JOINING);
	/* JOINs at 0, 100, 300, each retry with its probe of 2. */
	assert_int_equal(rec_count(net_rec(&net, 3), WIRE_JOIN, 0, 499), 5);
	net_run_until(&net, 500);
	rec_expect_line(net_rec(&net, 3), 500, net_line_crashing(3, 0, 0));
	assert_int_equal(net_rec(&net, 3)->exits, 1);
	net_run_until(&net, 5000);
	net_expect_quiet(&net);
	assert_int_equal(rec_count(net_rec(&net, 3), WIRE_JOIN, 501, 5000), 0);
}

/*
 * 2 stops hearing the leader a beat early, so it takes over at 300 and
 * its NEWLEADER reaches 3, 4 and 5 before their own detectors fire at
 * 400: they hold their answers until then, and print the line once.
 */
static void test_net_newleader_before_own_detector(void **state)
{
	(void)state;
	form(5);
	net_run_until(&net, 150);
	net_cut(&net, 1, 2, true);	/* 2 last hears 1 at 100 */
	net_run_until(&net, 250);
	net_crash(&net, 1);
	net_run_until(&net, 299);
	net_expect_quiet(&net);
	net_run_until(&net, 300);
	/* 2 takes over at once; the others still hear nothing wrong, so
	 * they hold their answers until their own detectors agree. */
	rec_expect_line(net_rec(&net, 2), 300,
			net_line_leader_unreachable(2, 4, 1, 1));
	net_run_until(&net, 399);
	net_expect_quiet(&net);
	net_run_until(&net, 400);
	for (unsigned id = 3; id <= 5; id++)
		rec_expect_line(net_rec(&net, id), 400,
				net_line_leader_unreachable(id, 4, 1, 1));
	for (unsigned id = 2; id <= 5; id++)
		rec_expect_line(net_rec(&net, id), 400,
				net_line_view(id, 5, 2, "2,3,4,5"));
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
}

/* After a takeover, a newcomer's JOIN to the dead leader is lost; its
 * retry also asks 2, which now leads and lets it in. */
static void test_net_join_after_takeover(void **state)
{
	(void)state;
	net_create(&net, 4, T_MS);
	net_start_all(&net, 1, 3);
	expect_formed_at0(3);
	net_run_until(&net, 250);
	net_crash(&net, 1);
	net_run_until(&net, 400);
	for (unsigned id = 2; id <= 3; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 400,
				net_line_leader_unreachable(id, 2, 1, 1));
		rec_expect_line(r, 400, net_line_view(id, 3, 2, "2,3"));
	}
	net_run_until(&net, 500);
	net_start(&net, 4);
	net_run_until(&net, 599);
	net_expect_quiet(&net);
	net_run_until(&net, 600);
	for (unsigned id = 2; id <= 4; id++) {
		rec_expect_line(net_rec(&net, id), 600,
				net_line_view(id, 4, 2, "2,3,4"));
	}
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
}

/*
 * A member wrongly thought dead (its messages to the others are lost, but
 * it is alive and still hears them) is removed: the leader and 2 both
 * suspect it, a quorum of [1,2,3]. It must learn that,
 * and go quiet, rather than go on alone: otherwise, hearing no one, it
 * takes over and installs its own view 3, which the others already hold
 * with other members.
 */
static void test_net_removed_alive_goes_quiet(void **state)
{
	(void)state;
	form(3);
	net_run_until(&net, 150);
	net_cut(&net, 3, 1, true);	/* 1 and 2 last hear 3 at 100 */
	net_cut(&net, 3, 2, true);
	net_run_until(&net, 300);
	for (unsigned id = 1; id <= 2; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 300, net_line_unreachable(id, 2, 1, 3));
		rec_expect_line(r, 300, net_line_view(id, 3, 1, "1,2"));
	}
	assert_int_equal(net_mship(&net, 3)->role, MSHIP_REMOVED);
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	struct rec *r3 = net_rec(&net, 3);
	assert_int_equal(rec_count(r3, WIRE_HEARTBEAT, 301, 3000), 0);
	assert_true(r3->sent[r3->sent_count - 1].at_ms <= 300);
	/* Whatever it is sent now, it says nothing. */
	unsigned sent = r3->sent_count;
	net_deliver(&net, 3, &(struct wire_msg){ .type = WIRE_JOIN, .from = 2 });
	assert_int_equal(r3->sent_count, sent);
	net_expect_quiet(&net);
}

/* ---- Lives, pauses, founding and rejoining ------------------------------ */

static struct wire_msg mk_life(enum wire_type type, unsigned from,
			       uint32_t view_id, uint64_t incarnation)
{
	struct wire_msg m = mk(type, from, view_id);
	m.incarnation = incarnation;
	return m;
}

/*
 * A new peer 1 founds only when no host shows it a view within its probe
 * (scenarios: found_probe_unanswered, found_probe_answered). Unanswered:
 * it founds at the probe's end, shows its view to every host on each
 * beat, and leaves it (a new life, JOINing) for a later view it hears
 * of. Answered: it founds nothing and prints the group's view that
 * admits it, never a view 0.
 */
static void test_found_probe(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	c->m.cfg.probe_ms = 225;
	core_start(c, 0);
	assert_int_equal(c->m.role, MSHIP_JOINING);
	expect_join_retry(&c->r, 0, 1, 0, "2", "3");
	struct wire_msg rd = mk(WIRE_REDIRECT, 3, 0);
	core_msg(c, 30, rd);		/* a joiner: no view */
	core_tick(c, 224);
	assert_int_equal(c->m.role, MSHIP_JOINING);
	rec_expect_quiet(&c->r);
	core_tick(c, 225);
	rec_expect_line(&c->r, 225, net_line_view(1, 0, 1, "1"));
	assert_true(c->m.founded_alone);
	c->r.sent_checked = c->r.sent_count;
	core_tick(c, 325);
	expect_send(rec_next_send(&c->r), 325, WIRE_HEARTBEAT, 1, 0, "2,3");
	core_msg(c, 400, mk_hb(3, 7, ""));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	assert_true(c->m.fresh);
	const struct rec_sent *j = rec_next_send(&c->r);
	expect_send(j, 400, WIRE_JOIN, 1, 0, "3");
	assert_int_equal(j->msg.incarnation, 2);
	assert_int_equal(j->msg.ballot, 0);

	core_create(c, 1, 3);
	c->m.cfg.probe_ms = 225;
	core_start(c, 0);
	c->r.sent_checked = c->r.sent_count;
	rd = mk(WIRE_REDIRECT, 2, 5);
	rd.leader = 3;
	core_msg(c, 20, rd);
	expect_send(rec_next_send(&c->r), 20, WIRE_JOIN, 1, 5, "3");
	core_tick(c, 225);
	assert_int_equal(c->m.role, MSHIP_JOINING);
	rec_expect_quiet(&c->r);
	c->r.sent_checked = c->r.sent_count;	/* the JOIN retry */
	core_confirm(c, 230, 3, 6);
	core_msg(c, 240, mk_newview(3, 6, 3, "1,2,3"));
	rec_expect_line(&c->r, 240, net_line_view(1, 6, 3, "1,2,3"));
	assert_false(c->m.fresh);
}

/*
 * A new life holds no vote (scenario new_life_holds_no_vote): a view
 * listing it before its ADD is not taken, NEWLEADER and REQ in it go
 * unanswered, and no ADD is confirmed in a view older than one a member
 * showed it while members speak (a leader behind may not know a later
 * view listing an earlier life). A view above its ADD's admits it.
 */
static void test_new_life_holds_no_vote(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 3, 4);
	core_start(c, 0);
	c->r.sent_checked = c->r.sent_count;
	assert_true(c->m.fresh);
	core_msg(c, 10, mk_newview(1, 4, 1, "1,2,3,4"));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	struct wire_msg nl = mk(WIRE_NEWLEADER, 2, 4);
	nl.ballot = BALLOT_MAKE(2, 2);
	core_msg(c, 20, nl);
	struct wire_msg req = mk_req(1, 4, 6, WIRE_OP_DEL, 4);
	core_msg(c, 30, req);
	rec_expect_no_send(&c->r);
	assert_int_equal(c->m.st.promised, 0);
	/* Asked in view 3, older than view 4 a member showed: dropped. */
	struct wire_msg old = mk_req(2, 3, 8, WIRE_OP_ADD, 3);
	old.leader = 2;
	core_msg(c, 35, old);
	rec_expect_no_send(&c->r);
	assert_false(c->m.st.acc_set);
	core_tick(c, 100);
	for (unsigned i = 0; i < 2; i++) {	/* to 1, then the probe */
		const struct rec_sent *j = rec_next_send(&c->r);
		assert_string_equal(wire_type_name(j->msg.type), "JOIN");
		assert_int_equal(j->msg.ballot, 0);
	}
	core_confirm(c, 140, 1, 6);
	assert_true(c->m.st.acc_set);
	/* At or below the view its ADD was asked in: an earlier life's. */
	core_msg(c, 150, mk_newview(2, 5, 2, "2,3"));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	core_msg(c, 160, mk_newview(2, 7, 2, "2,3"));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	rec_expect_line(&c->r, 160, net_line_view(3, 7, 2, "2,3"));
}

/*
 * A newer life of a member that kept its state file is the same member:
 * the leader prints nothing and removes no one; only the older life's
 * messages are dropped from then on. A JOIN from a later life that holds
 * a vote (ballot: its promise) missed the view that let it in: it gets
 * the view. A JOIN from a later life holding no vote (ballot 0: started
 * without its state file) says the member's process is gone: the leader
 * prints it unreachable and removes it, and admits the new life after.
 */
static void test_leader_new_life_is_same_member(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	core_admit(c, 0, mk_life(WIRE_JOIN, 2, 0, 10));
	expect_view(&c->m, 1, 1, "1,2");
	c->r.sent_checked = c->r.sent_count;
	c->r.lines_checked = c->r.lines_count;
	struct wire_msg hb = mk_life(WIRE_HEARTBEAT, 2, 1, 11);
	hb.leader = 1;
	core_msg(c, 30, hb);
	assert_int_equal(c->m.stats.new_lives, 1);
	core_msg(c, 40, mk_life(WIRE_HEARTBEAT, 2, 1, 10));
	assert_int_equal(c->m.stats.dropped_old_life, 1);
	struct wire_msg voter = mk_life(WIRE_JOIN, 2, 0, 12);
	voter.ballot = BALLOT_MAKE(1, 1);
	core_msg(c, 50, voter);
	assert_int_equal(c->m.stats.new_lives, 2);
	const struct rec_sent *nv = rec_next_send_not_hb(&c->r);
	expect_send(nv, 50, WIRE_NEWVIEW, 1, 1, "2");
	expect_newview(nv, 1, "1,2");
	rec_expect_quiet(&c->r);
	rec_expect_only_heartbeats(&c->r);
	assert_false(c->m.round_active);
	assert_int_equal(c->m.queue_count, 0);
	assert_false(peerset_has(&c->m.dead, 2));

	/* Life 13 holds no vote: life 12 (and any earlier) is gone. */
	core_msg(c, 55, mk_life(WIRE_JOIN, 2, 0, 13));	/* sent before view 1 */
	assert_false(peerset_has(&c->m.dead, 2));
	c->r.sent_checked = c->r.sent_count;
	core_msg(c, 60, mk_life(WIRE_JOIN, 2, 1, 13));
	rec_expect_line(&c->r, 60, net_line_unreachable(1, 1, 1, 2));
	const struct rec_sent *req = rec_next_send_not_hb(&c->r);
	expect_send(req, 60, WIRE_REQ, 1, 1, "2");
	expect_change(req, req->msg.request_id, WIRE_OP_DEL, 2);
	/* [1] of [1,2] holds the lowest id: removed at once. */
	rec_expect_line(&c->r, 60, net_line_view(1, 2, 1, "1"));
	/* The same JOIN is then a stranger's: it is asked to confirm the
	 * ADD that admits the new life. */
	const struct rec_sent *add = rec_next_send_not_hb(&c->r);
	expect_send(add, 60, WIRE_NEWVIEW, 1, 2, "2");
	add = rec_next_send_not_hb(&c->r);
	expect_send(add, 60, WIRE_REQ, 1, 2, "2");
	expect_change(add, add->msg.request_id, WIRE_OP_ADD, 2);
	assert_true(c->m.round_confirming);
}

/*
 * A member hears a newer life of another member, or of its leader: the
 * same member, alive. Nothing is printed, nobody is held dead, and the
 * older life's messages are dropped.
 */
static void test_member_new_life_is_same_member(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_msg(c, 20, mk_life(WIRE_HEARTBEAT, 3, 2, 1));
	core_msg(c, 30, mk_life(WIRE_HEARTBEAT, 3, 2, 2));
	struct wire_msg hb = mk_life(WIRE_HEARTBEAT, 1, 2, 5);
	hb.leader = 1;
	core_msg(c, 40, hb);
	assert_int_equal(c->m.stats.new_lives, 2);
	core_msg(c, 50, mk_life(WIRE_HEARTBEAT, 3, 2, 1));
	assert_int_equal(c->m.stats.dropped_old_life, 1);
	rec_expect_quiet(&c->r);
	assert_true(peerset_empty(&c->m.dead));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	assert_int_equal(c->m.leader, 1);
}

/* Removed, a peer goes quiet; with --rejoin it joins again, a new life. */
static void test_removed_quiet_or_rejoins(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 3, 3, 2, "1,2,3");
	core_msg(c, 50, mk_newview(1, 3, 1, "1,2"));
	assert_int_equal(c->m.role, MSHIP_REMOVED);
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	assert_int_equal(mship_next_deadline(&c->m), MSHIP_NEVER);

	core_create(c, 3, 3);
	c->m.cfg.rejoin = true;
	core_start(c, 0);
	rec_next_send(&c->r);
	core_confirm(c, 10, 1, 2);
	core_msg(c, 10, mk_newview(1, 2, 1, "1,2,3"));
	rec_expect_line(&c->r, 10, net_line_view(3, 2, 1, "1,2,3"));
	core_msg(c, 50, mk_newview(1, 3, 1, "1,2"));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 50, WIRE_JOIN, 3, 3, "1");
	assert_int_equal(s->msg.incarnation, 2);
	rec_expect_quiet(&c->r);
	/* An old view that still lists it is not taken; the next one is. */
	core_msg(c, 60, mk_newview(1, 2, 1, "1,2,3"));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	core_msg(c, 70, mk_newview(1, 4, 1, "1,2,3"));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	rec_expect_line(&c->r, 70, net_line_view(3, 4, 1, "1,2,3"));
}

/* A member whose leader is dead names the successor to a joiner. */
static void test_member_redirects_to_successor(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 3, 4, 2, "1,2,3");
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 2, 2));
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(3, 2, 1, 1));
	c->r.sent_checked = c->r.sent_count;
	core_msg(c, 220, mk(WIRE_JOIN, 4, 0));
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 220, WIRE_REDIRECT, 3, 2, "4");
	assert_int_equal(s->msg.leader, 2);
}

/* ---- Quorums and ballots -------------------------------------------------- */

/*
 * A member accepts a REQ at its promise or above, saved before its OK, and
 * refuses one below it, naming the ballot it answered.
 */
static void test_member_refuses_below_promise(void **state)
{
	(void)state;
	core_member(&core_a, 3, 5, 4, "1,2,3,4,5");
	uint64_t b1 = BALLOT_MAKE(1, 1), b2 = BALLOT_MAKE(2, 2);
	struct wire_msg req = mk_req(1, 4, 9, WIRE_OP_DEL, 5);
	req.ballot = b2;
	req.from = 2;
	req.leader = 2;
	core_msg(&core_a, 20, req);
	const struct rec_sent *ok = rec_next_send_not_hb(&core_a.r);
	expect_send(ok, 20, WIRE_OK, 3, 4, "2");
	expect_change(ok, 9, WIRE_OP_DEL, 5);
	assert_int_equal(ok->msg.ballot, b2);
	assert_int_equal(core_a.m.st.promised, b2);
	assert_true(core_a.m.st.acc_set);
	assert_int_equal(core_a.m.st.acc_base, 4);
	req = mk_req(1, 4, 10, WIRE_OP_ADD, 5);
	req.ballot = b1;
	req.leader = 1;
	core_msg(&core_a, 30, req);
	const struct rec_sent *no = rec_next_send_not_hb(&core_a.r);
	expect_send(no, 30, WIRE_OK, 3, 4, "1");
	assert_string_equal(wire_op_name(no->msg.op), "REFUSE");
	assert_int_equal(no->msg.ballot, b2);
	assert_int_equal(core_a.m.st.acc_op, WIRE_OP_DEL);
	assert_int_equal(core_a.m.stats.refused, 1);
}

/*
 * A leader cut off from three of five commits nothing (no quorum); the
 * other side, a quorum, removes it and goes on; after the heal the old
 * leader learns the newer view and goes quiet.
 */
static void test_net_cut_leader_commits_nothing(void **state)
{
	(void)state;
	net_create(&net, 5, T_MS);
	net_start_all(&net, 1, 5);
	for (unsigned id = 2; id <= 5; id++) {
		net_cut(&net, 1, id, true);
		net_cut(&net, id, 1, true);
	}
	net_run_until(&net, net.now_ms + 20 * T_MS);
	assert_int_equal(net.peers[1].view_id, 4);
	for (unsigned id = 2; id <= 5; id++)
		assert_string_equal(net_set_str(&net.peers[id].members),
				    "2,3,4,5");
	for (unsigned id = 2; id <= 5; id++) {
		net_cut(&net, 1, id, false);
		net_cut(&net, id, 1, false);
	}
	net_run_until(&net, net.now_ms + 10 * T_MS);
	assert_int_equal(net.peers[1].m.role, MSHIP_REMOVED);
}

/* ---- The quorum core's rules, one by one ------------------------------------ */

/* An OK at a ballot, for a hand-driven leader's round. */
static struct wire_msg mk_okb(unsigned from, uint32_t view_id,
			      uint32_t request_id, enum wire_op op,
			      unsigned peer, uint64_t ballot)
{
	struct wire_msg m = mk_ok(from, view_id, request_id, op, peer);
	m.ballot = ballot;
	m.leader = 1;
	return m;
}

/*
 * Leader 1 of hosts_count hosts admits 2..n at at_ms, each change answered
 * at once by every member: view n - 1 [1..n], every send and line checked.
 */
static void core_grow_allowance(struct core *c, unsigned hosts_count,
				unsigned n, int64_t at_ms, uint32_t allowance_ms)
{
	core_create_allowance(c, 1, hosts_count, allowance_ms);
	core_start(c, 0);
	for (unsigned j = 2; j <= n; j++) {
		c->r.sent_checked = c->r.sent_count;
		struct rec_sent req = core_admit(c, at_ms, mk(WIRE_JOIN, j, 0));
		for (unsigned k = 2; k < j && c->m.round_active; k++)
			core_msg(c, at_ms,
				 mk_okb(k, req.msg.view_id, req.msg.request_id,
					WIRE_OP_ADD, j, req.msg.ballot));
		assert_false(c->m.round_active);
		assert_int_equal(c->m.view_id, j - 1);
	}
	c->r.sent_checked = c->r.sent_count;
	c->r.lines_checked = c->r.lines_count;
}

static void core_grow(struct core *c, unsigned hosts_count, unsigned n,
		      int64_t at_ms)
{
	core_grow_allowance(c, hosts_count, n, at_ms, 0);
}

/* A leader's REQ for change (op, peer) in flight, to whom. */
static const struct rec_sent *expect_round(struct core *c, int64_t at_ms,
					   enum wire_op op, unsigned peer,
					   const char *to)
{

	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, at_ms, WIRE_REQ, c->m.cfg.self, s->msg.view_id, to);
	assert_string_equal(wire_op_name(s->msg.op), wire_op_name(op));
	assert_int_equal(s->msg.peer, peer);
	assert_int_equal(s->msg.ballot, c->m.ballot);
	return s;
}

/*
 * Restored (ADD round, leader's side), under quorums. Leader 1 of [1,2]
 * asked by 3: the REQ goes to 3 alone; 3's OK, with ours, is a quorum of
 * [1,2] (half, holding its lowest id) and of [1,2,3]: decided without 2,
 * which is asked all the same and whose late OK changes nothing.
 */
static void test_leader_add_round(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 3, 2, 0);
	struct rec_sent req = core_admit(c, 60, mk(WIRE_JOIN, 3, 0));
	expect_round(c, 60, WIRE_OP_ADD, 3, "2");
	const struct rec_sent *nv = rec_next_send(&c->r);
	expect_send(nv, 60, WIRE_NEWVIEW, 1, 2, "2,3");
	expect_newview(nv, 1, "1,2,3");
	rec_expect_no_send(&c->r);
	rec_expect_line(&c->r, 60, net_line_view(1, 2, 1, "1,2,3"));
	core_msg(c, 70, mk_okb(2, 1, req.msg.request_id, WIRE_OP_ADD, 3,
			       req.msg.ballot));
	assert_int_equal(c->m.stats.dropped_stale, 1);
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
}

/*
 * Quorum commit. Leader 1 of [1..5] asks DEL 5 at 200, once 2 and 3
 * suspect it too: nothing is decided
 * at one OK (two of five), and the view is made at the second (three of
 * five, and two of [1..4] holding 1). The dead 5 is asked too.
 */
static void test_leader_commits_at_quorum(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 5, 5, 0);
	for (unsigned id = 2; id <= 4; id++)
		core_msg(c, 100, mk(WIRE_HEARTBEAT, id, 4));
	core_tick(c, 199);
	rec_expect_only_heartbeats(&c->r);
	rec_expect_quiet(&c->r);
	core_tick(c, 200);	/* 5 last heard at 0 */
	rec_expect_line(&c->r, 200, net_line_unreachable(1, 4, 1, 5));
	/* Our suspicion and 2's are two of five: no removal yet; 3's is
	 * the third. */
	rec_expect_only_heartbeats(&c->r);
	core_msg(c, 200, mk_hb(2, 4, "5"));
	rec_expect_no_send(&c->r);
	core_msg(c, 200, mk_hb(3, 4, "5"));
	const struct rec_sent *req =
		expect_round(c, 200, WIRE_OP_DEL, 5, "2,3,4,5");
	uint32_t rid = req->msg.request_id;
	uint64_t b = req->msg.ballot;
	core_msg(c, 210, mk_okb(2, 4, rid, WIRE_OP_DEL, 5, b));
	rec_expect_only_heartbeats(&c->r);
	rec_expect_quiet(&c->r);
	assert_true(c->m.round_active);
	core_msg(c, 220, mk_okb(3, 4, rid, WIRE_OP_DEL, 5, b));
	const struct rec_sent *nv = rec_next_send_not_hb(&c->r);
	expect_send(nv, 220, WIRE_NEWVIEW, 1, 5, "2,3,4,5");
	expect_newview(nv, 1, "1,2,3,4");
	rec_expect_line(&c->r, 220, net_line_view(1, 5, 1, "1,2,3,4"));
}

/*
 * Joint quorum. Leader 1 of [1..4] asks DEL 4; 4's own OK, with ours, is
 * a quorum of [1,2,3,4] (half, holding 1) but not of [1,2,3]: the view it
 * makes must hold a quorum that promised our ballot, so that its next
 * change needs no NEWLEADER. Decided at 2's OK.
 */
static void test_leader_needs_quorum_of_next_view(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 4, 4, 0);
	/* 4 is thought dead (its heartbeats lost), but answers. */
	for (unsigned id = 2; id <= 3; id++)
		core_msg(c, 100, mk(WIRE_HEARTBEAT, id, 3));
	core_tick(c, 200);
	/* 2 suspects 4 too: {1,2} is a quorum of [1..4] (half, holding 1). */
	core_msg(c, 200, mk_hb(2, 3, "4"));
	const struct rec_sent *req =
		expect_round(c, 200, WIRE_OP_DEL, 4, "2,3,4");
	uint32_t rid = req->msg.request_id;
	uint64_t b = req->msg.ballot;
	rec_expect_line(&c->r, 200, net_line_unreachable(1, 3, 1, 4));
	core_msg(c, 205, mk_okb(4, 3, rid, WIRE_OP_DEL, 4, b));
	assert_true(quorum_holds(&c->m.members, &c->m.round_oks));
	assert_true(c->m.round_active);
	rec_expect_quiet(&c->r);
	core_msg(c, 210, mk_okb(2, 3, rid, WIRE_OP_DEL, 4, b));
	assert_false(c->m.round_active);
	rec_expect_line(&c->r, 210, net_line_view(1, 4, 1, "1,2,3"));
}

/* The quorum rule itself: more than half, or half holding the lowest id. */
static void test_quorum_sizes(void **state)
{
	(void)state;
	struct peerset v = net_set("2,4,6,8"), h;
	h = net_set("2,4");
	assert_true(quorum_holds(&v, &h));
	h = net_set("4,6");
	assert_false(quorum_holds(&v, &h));
	h = net_set("4,6,8");
	assert_true(quorum_holds(&v, &h));
	h = net_set("2,3,5,7");	/* outsiders do not count */
	assert_false(quorum_holds(&v, &h));
	v = net_set("1,2");
	h = net_set("1");
	assert_true(quorum_holds(&v, &h));
	h = net_set("2");
	assert_false(quorum_holds(&v, &h));
	v = net_set("");
	assert_false(quorum_holds(&v, &h));
}

/*
 * ADD confirmation. A joiner that does not answer the leader's REQ is
 * asked again every 2T, ADD_CONFIRMS_MAX times in all; then the ADD is
 * dropped. Nothing was accepted, printed or saved as accepted.
 */
static void test_add_unconfirmed_dropped(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	c->r.lines_checked = c->r.lines_count;
	core_msg(c, 50, mk(WIRE_JOIN, 2, 0));
	expect_round(c, 50, WIRE_OP_ADD, 2, "2");
	assert_true(c->m.round_confirming);
	assert_int_equal(mship_next_deadline(&c->m), 100);	/* a beat */
	core_tick(c, 249);
	rec_expect_no_send(&c->r);
	core_tick(c, 250);
	expect_round(c, 250, WIRE_OP_ADD, 2, "2");
	core_tick(c, 450);
	expect_round(c, 450, WIRE_OP_ADD, 2, "2");
	assert_int_equal(c->m.round_confirms, ADD_CONFIRMS_MAX);
	core_tick(c, 650);
	rec_expect_no_send(&c->r);
	assert_false(c->m.round_active);
	assert_false(c->m.st.acc_set);
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 0, 1, "1");
	/* A late OK for it changes nothing. */
	core_msg(c, 660, mk_okb(2, 0, 1, WIRE_OP_ADD, 2, c->m.ballot));
	assert_int_equal(c->m.stats.dropped_stale, 1);
	expect_view(&c->m, 0, 1, "1");
}

/*
 * Ballots and REFUSE, the leader's side. A member answers our REQ with
 * REFUSE at a higher ballot (it promised a candidate): we lead on, asking
 * again above it, with a NEWLEADER of our view.
 */
static void test_leader_refused_asks_above(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 3, 3, 0);
	uint64_t mine = c->m.ballot;
	core_msg(c, 10, mk(WIRE_HEARTBEAT, 2, 2));
	core_msg(c, 10, mk(WIRE_HEARTBEAT, 3, 2));
	core_msg(c, 150, mk(WIRE_HEARTBEAT, 2, 2));
	core_tick(c, 150);
	c->r.sent_checked = c->r.sent_count;
	core_tick(c, 210);	/* 3 dies... */
	rec_expect_only_heartbeats(&c->r);	/* we alone: no quorum */
	core_msg(c, 210, mk_hb(2, 2, "3"));	/* ... for 2 too */
	const struct rec_sent *req = expect_round(c, 210, WIRE_OP_DEL, 3,
						  "2,3");
	struct wire_msg no = mk_ok(2, 2, req->msg.request_id,
				   WIRE_OP_REFUSE, 2);
	no.ballot = BALLOT_MAKE(5, 2);
	core_msg(c, 220, no);
	assert_true(c->m.recon.active);
	assert_true(c->m.ballot > BALLOT_MAKE(5, 2));
	assert_int_equal(BALLOT_LEADER(c->m.ballot), 1);
	assert_true(c->m.ballot > mine);
	const struct rec_sent *nl = rec_next_send_not_hb(&c->r);
	expect_send(nl, 220, WIRE_NEWLEADER, 1, 2, "2,3");
	assert_int_equal(nl->msg.ballot, c->m.ballot);
	/* A refusal at or below our ballot is stale. */
	no.ballot = BALLOT_MAKE(1, 1);
	no.peer = 1;
	no.request_id = nl->msg.request_id;
	core_msg(c, 230, no);
	assert_int_equal(c->m.stats.dropped_stale, 1);
}

/*
 * Restored (deferral). A NEWLEADER that comes while this member still
 * hears the leader it follows waits for its own detector: 2 asks at 150,
 * 1 (last heard at 10) is dead at 210, and only then does 3 promise,
 * telling the change it accepted in the view.
 */
static void test_member_defers_newleader(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 3, 3, 2, "1,2,3");
	struct wire_msg req = mk_req(1, 2, 7, WIRE_OP_ADD, 4);
	req.ballot = BALLOT_MAKE(1, 1);
	req.leader = 1;
	c->m.cfg.hosts_count = 4;
	core_msg(c, 20, req);
	c->r.sent_checked = c->r.sent_count;
	struct wire_msg nl = mk(WIRE_NEWLEADER, 2, 2);
	nl.request_id = 5;
	nl.op = WIRE_OP_PENDING;
	nl.ballot = BALLOT_MAKE(2, 2);
	core_msg(c, 150, nl);
	core_msg(c, 160, mk(WIRE_HEARTBEAT, 2, 2));
	rec_expect_only_heartbeats(&c->r);
	assert_true(c->m.newleader_deferred);
	core_tick(c, 209);
	rec_expect_only_heartbeats(&c->r);
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(3, 2, 1, 1));
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 210, WIRE_OK, 3, 2, "2");
	expect_change(s, 5, WIRE_OP_ADD, 4);
	assert_int_equal(s->msg.ballot, BALLOT_MAKE(2, 2));
	assert_int_equal(s->msg.acc_ballot, BALLOT_MAKE(1, 1));
	assert_int_equal(c->m.st.promised, BALLOT_MAKE(2, 2));
	assert_int_equal(c->m.leader, 2);
}

/* Restored: a deferred NEWLEADER is dropped once the leader speaks. */
static void test_member_refuses_newleader_below_promise(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 3, 3, 2, "1,2,3");
	struct wire_msg req = mk_req(1, 2, 7, WIRE_OP_DEL, 2);
	req.ballot = BALLOT_MAKE(3, 1);
	req.leader = 1;
	core_msg(c, 20, req);
	c->r.sent_checked = c->r.sent_count;
	struct wire_msg nl = mk(WIRE_NEWLEADER, 2, 2);
	nl.request_id = 5;
	nl.op = WIRE_OP_PENDING;
	nl.ballot = BALLOT_MAKE(2, 2);
	core_msg(c, 30, nl);
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 30, WIRE_OK, 3, 2, "2");
	assert_string_equal(wire_op_name(s->msg.op), "REFUSE");
	assert_int_equal(s->msg.ballot, BALLOT_MAKE(3, 1));
	assert_int_equal(s->msg.peer, 1);
	assert_int_equal(c->m.leader, 1);
	assert_false(c->m.newleader_deferred);
}

/*
 * Highest-ballot finish. 2 takes over view 4 [1..5] at 210. 3 accepted
 * DEL 5 at (1,1), 4 ADD 6 at (1,3) naming leader 3: a quorum (2, 3, 4)
 * has promised, and the change at the highest ballot, ADD 6, is finished
 * first, under the leader it names (view 5 led by 3), asked of every
 * member and of 6; then the dead 1 is removed.
 */
static void test_takeover_finishes_highest_ballot(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 6, 4, "1,2,3,4,5");
	for (unsigned id = 3; id <= 5; id++)
		core_msg(c, 100, mk(WIRE_HEARTBEAT, id, 4));
	c->r.sent_checked = c->r.sent_count;
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(2, 4, 1, 1));
	const struct rec_sent *nl = rec_next_send_not_hb(&c->r);
	expect_send(nl, 210, WIRE_NEWLEADER, 2, 4, "1,3,4,5");
	uint64_t b = nl->msg.ballot;
	uint32_t rid = nl->msg.request_id;
	assert_int_equal(BALLOT_LEADER(b), 2);
	struct wire_msg a3 = mk_okb(3, 4, rid, WIRE_OP_DEL, 5, b);
	a3.acc_ballot = BALLOT_MAKE(1, 1);
	struct wire_msg a4 = mk_okb(4, 4, rid, WIRE_OP_ADD, 6, b);
	a4.leader = 3;
	a4.acc_ballot = BALLOT_MAKE(1, 3);
	core_msg(c, 220, a3);
	assert_true(c->m.recon.active);
	core_msg(c, 230, a4);
	assert_false(c->m.recon.active);
	const struct rec_sent *nv = rec_next_send_not_hb(&c->r);
	expect_send(nv, 230, WIRE_NEWVIEW, 2, 4, "3,4,5");
	assert_int_equal(nv->msg.ballot, b);
	const struct rec_sent *req = rec_next_send_not_hb(&c->r);
	expect_send(req, 230, WIRE_REQ, 2, 4, "1,3,4,5,6");
	expect_change(req, req->msg.request_id, WIRE_OP_ADD, 6);
	assert_int_equal(req->msg.leader, 3);
	assert_int_equal(req->msg.ballot, b);
	assert_int_equal(c->m.queue_count, 1);	/* DEL 1 */
	rec_expect_quiet(&c->r);
}

/*
 * A restarted peer self of 3 hosts whose state file holds its promise and
 * view view_id [members] led by 1; this life is incarnation.
 */
static void core_restarted(struct core *c, unsigned self, uint64_t promised,
			   uint32_t view_id, const char *members,
			   uint64_t incarnation)
{
	static struct state st;
	memset(&st, 0, sizeof(st));
	st.promised = promised;
	st.in_view = true;
	st.view_id = view_id;
	st.view_leader = 1;
	st.members = net_set(members);
	rec_create(&c->r);
	c->r.self = self;
	struct mship_config cfg = {
		.self = self, .hosts_count = 3, .heartbeat_ms = T_MS,
		.crash_ms = -1, .incarnation = incarnation, .restored = &st,
	};
	mship_create(&c->m, &cfg, &c->r.out);
}

/*
 * A restarted peer resumes the view its state file holds. Peer 3's file
 * holds its promise (1,1) and view 4 [1,2,3]: it prints that view, is a
 * member of it, follows 1, watches 1 and 2 afresh and beats to them as
 * this life. It defers a candidate's NEWLEADER while 1 may live, and
 * promises it (saving first) once its own detector holds 1 dead; it
 * refuses a lower REQ, takes no older view and any later one.
 */
static void test_restarted_peer_resumes_its_view(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_restarted(c, 3, BALLOT_MAKE(1, 1), 4, "1,2,3", 7);
	core_start(c, 0);
	rec_expect_line(&c->r, 0, net_line_view(3, 4, 1, "1,2,3"));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	assert_int_equal(c->m.leader, 1);
	assert_string_equal(net_set_str(&c->m.fd.watched), "1,2");
	core_tick(c, 0);
	const struct rec_sent *hb = rec_next_send(&c->r);
	expect_send(hb, 0, WIRE_HEARTBEAT, 3, 4, "1,2");
	assert_int_equal(hb->msg.incarnation, 7);
	assert_int_equal(hb->msg.leader, 1);

	struct wire_msg nl = mk(WIRE_NEWLEADER, 2, 4);
	nl.request_id = 9;
	nl.op = WIRE_OP_PENDING;
	nl.ballot = BALLOT_MAKE(2, 2);
	core_msg(c, 20, nl);
	rec_expect_no_send(&c->r);
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 2, 4));
	core_tick(c, 100);
	rec_next_send(&c->r);
	uint64_t saves = c->m.stats.saves;
	core_tick(c, 200);
	rec_expect_line(&c->r, 200, net_line_leader_unreachable(3, 4, 1, 1));
	const struct rec_sent *ok = rec_next_send_not_hb(&c->r);
	expect_send(ok, 200, WIRE_OK, 3, 4, "2");
	assert_string_equal(wire_op_name(ok->msg.op), "NOTHING");
	assert_int_equal(ok->msg.ballot, BALLOT_MAKE(2, 2));
	assert_int_equal(c->m.st.promised, BALLOT_MAKE(2, 2));
	assert_int_equal(c->m.stats.saves, saves + 1);

	struct wire_msg req = mk_req(1, 4, 3, WIRE_OP_DEL, 2);
	req.ballot = BALLOT_MAKE(1, 1);
	req.leader = 1;
	core_msg(c, 210, req);
	ok = rec_next_send_not_hb(&c->r);
	expect_send(ok, 210, WIRE_OK, 3, 4, "1");
	assert_string_equal(wire_op_name(ok->msg.op), "REFUSE");

	core_msg(c, 220, mk_newview(2, 3, 1, "1,2,3"));
	rec_expect_quiet(&c->r);
	core_msg(c, 230, mk_newview(2, 6, 2, "1,2,3"));
	rec_expect_line(&c->r, 230, net_line_view(3, 6, 2, "1,2,3"));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
}

/*
 * A restarted peer whose last promise was its own ballot led its view:
 * the round it led died with the earlier life, so it takes the view over
 * above that ballot (NEWLEADER to the others) once it has printed it.
 */
static void test_restarted_leader_takes_its_view_over(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_restarted(c, 3, BALLOT_MAKE(4, 3), 4, "1,2,3", 7);
	core_start(c, 0);
	rec_expect_line(&c->r, 0, net_line_view(3, 4, 1, "1,2,3"));
	assert_int_equal(c->m.role, MSHIP_LEADER);
	assert_true(c->m.recon.active);
	const struct rec_sent *nl = rec_next_send(&c->r);
	expect_send(nl, 0, WIRE_NEWLEADER, 3, 4, "1,2");
	assert_true(nl->msg.ballot > BALLOT_MAKE(4, 3));
	assert_int_equal(BALLOT_LEADER(nl->msg.ballot), 3);
	rec_expect_quiet(&c->r);
}

/*
 * A resumed peer that learns the group removed it (its earlier life)
 * joins again as a new life, without --rejoin: it was started to be a
 * member. A removal of the membership this life was let into is final.
 */
static void test_restarted_peer_removed_joins_again(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_restarted(c, 3, BALLOT_MAKE(1, 1), 4, "1,2,3", 7);
	core_start(c, 0);
	rec_expect_line(&c->r, 0, net_line_view(3, 4, 1, "1,2,3"));
	c->r.sent_checked = c->r.sent_count;
	core_msg(c, 10, mk_newview(1, 5, 1, "1,2"));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	assert_false(c->m.st.in_view);
	const struct out_event *ev = &c->r.events[c->r.events_count - 1];
	assert_int_equal(ev->kind, OUT_EVENT_REMOVED);
	assert_true(ev->rejoining);
	const struct rec_sent *j = rec_next_send(&c->r);
	expect_send(j, 10, WIRE_JOIN, 3, 5, "1");
	assert_int_equal(j->msg.incarnation, 8);
	rec_expect_quiet(&c->r);
	core_msg(c, 20, mk_newview(1, 6, 1, "1,2,3"));
	rec_expect_line(&c->r, 20, net_line_view(3, 6, 1, "1,2,3"));
	core_msg(c, 30, mk_newview(1, 7, 1, "1,2"));
	assert_int_equal(c->m.role, MSHIP_REMOVED);
	ev = &c->r.events[c->r.events_count - 1];
	assert_int_equal(ev->kind, OUT_EVENT_REMOVED);
	assert_false(ev->rejoining);
	rec_expect_quiet(&c->r);
}

/* ---- Liveness rules the simulator found (tests/sim/regressions.txt) ------ */

/* A promise for a candidate's NEWLEADER: op NOTHING, at its ballot. */
static struct wire_msg mk_promise(unsigned from, uint32_t view_id,
				  const struct rec_sent *nl)
{
	struct wire_msg m = mk_okb(from, view_id, nl->msg.request_id,
				   WIRE_OP_NOTHING, 0, nl->msg.ballot);
	m.leader = 0;
	return m;
}

/*
 * Seed 103 (U). 2 took over view 3 [1..4] and asks DEL 1; 1 was only
 * cut off, answers, and accepts its removal. Then 3 dies at 290 and 4 at
 * 300: from then the view DEL 1 makes, [2,3,4], has no quorum alive while
 * [1..4] has one ({1,2}, half with its lowest id). Only 2 decides at its
 * ballot, and DEL 1 is its own change: it gives it up, takes its view
 * over above that ballot, ignores DEL 1 in 1's answer, and removes the
 * dead instead, 3 (silent the longest: last heard at 215) first, which 1
 * suspects too (issue 10: a removal needs a quorum's suspicions).
 */
static void test_leader_gives_up_change_without_quorum(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 4, 3, "1,2,3,4");
	core_msg(c, 90, mk(WIRE_HEARTBEAT, 3, 3));
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 4, 3));
	c->r.sent_checked = c->r.sent_count;
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(2, 3, 1, 1));
	const struct rec_sent *nl = rec_next_send_not_hb(&c->r);
	expect_send(nl, 210, WIRE_NEWLEADER, 2, 3, "1,3,4");
	struct rec_sent nl1 = *nl;
	core_msg(c, 215, mk_promise(3, 3, &nl1));
	assert_true(c->m.recon.active);	/* [1..4] needs 1 or a third */
	core_msg(c, 220, mk_promise(4, 3, &nl1));
	assert_false(c->m.recon.active);
	expect_send(rec_next_send_not_hb(&c->r), 220, WIRE_NEWVIEW, 2, 3,
		    "3,4");
	const struct rec_sent *req = expect_round(c, 220, WIRE_OP_DEL, 1,
						  "1,3,4");
	struct rec_sent del1 = *req;
	core_msg(c, 230, mk(WIRE_HEARTBEAT, 1, 3));
	struct wire_msg ok1 = mk_okb(1, 3, del1.msg.request_id, WIRE_OP_DEL, 1,
				     del1.msg.ballot);
	ok1.leader = 2;
	core_msg(c, 230, ok1);
	assert_true(c->m.round_active);
	rec_expect_only_heartbeats(&c->r);
	/* 3 dies at 290: [2,3,4] still has a quorum alive ({2,4}). */
	core_tick(c, 290);
	rec_expect_line(&c->r, 290, net_line_unreachable(2, 3, 2, 3));
	assert_true(c->m.round_active);
	/* 1 suspects 3 too: {1,2} is a quorum of [1..4] (half, holding 1),
	 * so 3 may go once the takeover is done. */
	core_msg(c, 295, mk_hb(1, 3, "3"));
	core_tick(c, 299);
	assert_true(c->m.round_active);
	core_tick(c, 300);
	rec_expect_line(&c->r, 300, net_line_unreachable(2, 3, 2, 4));
	assert_true(c->m.recon.active);
	assert_int_equal(c->m.void_ballot, del1.msg.ballot);
	nl = rec_next_send_not_hb(&c->r);
	expect_send(nl, 300, WIRE_NEWLEADER, 2, 3, "1,3,4");
	assert_true(nl->msg.ballot > del1.msg.ballot);
	struct rec_sent nl2 = *nl;
	/* 1 answers that it accepted DEL 1, at the ballot given up. */
	struct wire_msg p1 = mk_promise(1, 3, &nl2);
	p1.op = WIRE_OP_DEL;
	p1.peer = 1;
	p1.leader = 2;
	p1.acc_ballot = del1.msg.ballot;
	core_msg(c, 310, p1);
	assert_false(c->m.recon.active);
	expect_send(rec_next_send_not_hb(&c->r), 310, WIRE_NEWVIEW, 2, 3, "1");
	req = expect_round(c, 310, WIRE_OP_DEL, 3, "1,3,4");
	struct wire_msg ok = mk_okb(1, 3, req->msg.request_id, WIRE_OP_DEL, 3,
				    req->msg.ballot);
	ok.leader = 2;
	core_msg(c, 320, ok);
	rec_expect_line(&c->r, 320, net_line_view(2, 4, 2, "1,2,4"));
}

/*
 * Seed 228 (W). A member that follows a peer whose heartbeat says it
 * follows this member back is in a cycle no detector sees: nobody leads.
 * The lower of the two takes over; the higher waits for it.
 */
static void test_follow_cycle_broken_by_lower(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	struct wire_msg req = mk_req(3, 2, 4, WIRE_OP_DEL, 1);
	req.ballot = BALLOT_MAKE(2, 3);
	req.leader = 3;
	core_msg(c, 20, req);
	assert_int_equal(c->m.leader, 3);
	c->r.sent_checked = c->r.sent_count;
	struct wire_msg hb = mk(WIRE_HEARTBEAT, 3, 2);
	hb.leader = 2;
	core_msg(c, 30, hb);
	assert_int_equal(c->m.role, MSHIP_LEADER);
	const struct rec_sent *nl = rec_next_send_not_hb(&c->r);
	expect_send(nl, 30, WIRE_NEWLEADER, 2, 2, "1,3");
	assert_true(nl->msg.ballot > BALLOT_MAKE(2, 3));

	/* The higher of the two, told the same, waits. */
	core_member(c, 3, 3, 2, "1,2,3");
	req = mk_req(2, 2, 4, WIRE_OP_DEL, 1);
	req.ballot = BALLOT_MAKE(2, 2);
	req.leader = 2;
	core_msg(c, 20, req);
	c->r.sent_checked = c->r.sent_count;
	hb = mk(WIRE_HEARTBEAT, 2, 2);
	hb.leader = 3;
	core_msg(c, 30, hb);
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	rec_expect_only_heartbeats(&c->r);
}

/*
 * Seed 127 (W). A candidate steps down for a lower id taking over beside
 * it only above its promise; below it, it refuses, naming its ballot, and
 * goes on: stepping down there would leave each following the other.
 */
static void test_candidate_yields_only_above_promise(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 2));
	core_tick(c, 210);
	assert_true(c->m.recon.active);
	uint64_t mine = c->m.ballot;
	c->r.sent_checked = c->r.sent_count;
	c->r.lines_checked = c->r.lines_count;
	struct wire_msg nl = mk(WIRE_NEWLEADER, 1, 2);
	nl.request_id = 3;
	nl.op = WIRE_OP_PENDING;
	nl.ballot = mine - 1;	/* same counter, lower id */
	core_msg(c, 220, nl);
	const struct rec_sent *no = rec_next_send_not_hb(&c->r);
	expect_send(no, 220, WIRE_OK, 2, 2, "1");
	assert_string_equal(wire_op_name(no->msg.op), "REFUSE");
	assert_int_equal(no->msg.ballot, mine);
	assert_true(c->m.recon.active);
	nl.ballot = BALLOT_MAKE(BALLOT_COUNTER(mine) + 1, 1);
	core_msg(c, 230, nl);
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	const struct rec_sent *ok = rec_next_send_not_hb(&c->r);
	expect_send(ok, 230, WIRE_OK, 2, 2, "1");
	assert_string_equal(wire_op_name(ok->msg.op), "NOTHING");
	assert_int_equal(c->m.leader, 1);
}

/*
 * Seed 3122 (Z). Asked by a stranger to our view in a later one (a
 * candidate of view 2 [1,2,3], to a peer still in view 1 [1,2]), a
 * member shows it its view with one heartbeat, so that it is sent the
 * later view, and drops the NEWLEADER.
 */
static void test_member_shows_stranger_its_view(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 1, "1,2");
	c->r.sent_checked = c->r.sent_count;
	struct wire_msg nl = mk(WIRE_NEWLEADER, 3, 2);
	nl.request_id = 1;
	nl.op = WIRE_OP_PENDING;
	nl.ballot = BALLOT_MAKE(1, 3);
	core_msg(c, 20, nl);
	const struct rec_sent *hb = rec_next_send(&c->r);
	expect_send(hb, 20, WIRE_HEARTBEAT, 2, 1, "3");
	assert_int_equal(hb->msg.leader, 1);
	assert_int_equal(c->m.stats.dropped_nonmember, 1);
	rec_expect_no_send(&c->r);
	/* Not for our view or an older one. */
	nl.view_id = 1;
	core_msg(c, 30, nl);
	rec_expect_only_heartbeats(&c->r);
}

/*
 * Seeds 1316, 2105 (Y). A successor finishing its dead predecessor's
 * change that removes the successor names the dead leader on the new
 * view. A member whose detector gave that leader up already acts at
 * once: here 3, the lowest live member of [1,3], takes over.
 */
static void test_member_acts_on_dead_leader_named(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 3, 3, 2, "1,2,3");
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 2, 2));
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(3, 2, 1, 1));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	c->r.sent_checked = c->r.sent_count;
	struct wire_msg nv = mk_newview(2, 3, 1, "1,3");
	nv.ballot = BALLOT_MAKE(1, 2);
	core_msg(c, 220, nv);
	rec_expect_line(&c->r, 220, net_line_view(3, 3, 1, "1,3"));
	assert_int_equal(c->m.role, MSHIP_LEADER);
	assert_true(c->m.recon.active);
	const struct rec_sent *nl = rec_next_send_not_hb(&c->r);
	expect_send(nl, 220, WIRE_NEWLEADER, 3, 3, "1");
	assert_true(nl->msg.ballot > BALLOT_MAKE(1, 2));
}

/*
 * Seeds 188, 1126 (T). A candidate relays its view to a member of it
 * that JOINs (a restart that missed the view), at the ballot the view was
 * decided under, not its own, and tells it to retry with itself.
 */
static void test_candidate_relays_view_to_joining_member(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 2));
	core_tick(c, 210);
	assert_true(c->m.recon.active);
	c->r.sent_checked = c->r.sent_count;
	core_msg(c, 220, mk_life(WIRE_JOIN, 1, 1, 5));
	const struct rec_sent *nv = rec_next_send_not_hb(&c->r);
	expect_send(nv, 220, WIRE_NEWVIEW, 2, 2, "1");
	expect_newview(nv, 1, "1,2,3");
	assert_int_equal(nv->msg.ballot, c->m.follow_ballot);
	assert_true(nv->msg.ballot != c->m.ballot);
	const struct rec_sent *rd = rec_next_send_not_hb(&c->r);
	expect_send(rd, 220, WIRE_REDIRECT, 2, 2, "1");
	assert_int_equal(rd->msg.leader, 2);
	assert_int_equal(c->m.queue_count, 0);
}

/* ---- Restored network scenarios, under quorums ------------------------------ */

/*
 * Restored (testcase 4 without the twist). The leader dies between
 * changes: 2, the lowest live id, takes over with a quorum of promises
 * (nobody accepted anything) and removes 1 in the next view id, 5.
 */
static void test_net_leader_dies(void **state)
{
	(void)state;
	form(5);
	net_run_until(&net, 250);
	net_crash(&net, 1);	/* last heartbeat at 200 */
	net_run_until(&net, 399);
	net_expect_quiet(&net);
	net_run_until(&net, 400);
	for (unsigned id = 2; id <= 5; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 400,
				net_line_leader_unreachable(id, 4, 1, 1));
		rec_expect_line(r, 400, net_line_view(id, 5, 2, "2,3,4,5"));
		expect_view(net_mship(&net, id), 5, 2, "2,3,4,5");
	}
	struct mship *m2 = net_mship(&net, 2);
	assert_int_equal(m2->role, MSHIP_LEADER);
	assert_int_equal(BALLOT_LEADER(m2->ballot), 2);
	for (unsigned id = 3; id <= 5; id++)
		assert_int_equal(net_mship(&net, id)->st.promised, m2->ballot);
	struct rec *r2 = net_rec(&net, 2);
	const struct rec_sent *s = rec_next_send_not_hb(r2);
	expect_send(s, 400, WIRE_NEWLEADER, 2, 4, "1,3,4,5");
	assert_int_equal(s->msg.op, WIRE_OP_PENDING);
	uint32_t rid = s->msg.request_id;
	for (unsigned id = 3; id <= 5; id++) {
		s = rec_next_send_not_hb(net_rec(&net, id));
		expect_send(s, 400, WIRE_OK, id, 4, "2");
		assert_int_equal(s->msg.request_id, rid);
		assert_int_equal(s->msg.op, WIRE_OP_NOTHING);
	}
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
}

/*
 * Restored, under deferral. 2 alone loses the live leader's messages: it
 * suspects 1 at 300 and asks to take over, but 3, 4 and 5 still hear 1
 * and hold their answers, so 2 gathers no quorum and nothing changes.
 * Once it hears 1 again it follows it; the group goes on under 1.
 */
static void test_net_false_leader_suspicion_deferred(void **state)
{
	(void)state;
	form(5);
	net_run_until(&net, 150);
	net_cut(&net, 1, 2, true);	/* 2 last hears 1 at 100 */
	net_run_until(&net, 300);
	rec_expect_line(net_rec(&net, 2), 300,
			net_line_leader_unreachable(2, 4, 1, 1));
	assert_true(net_mship(&net, 2)->recon.active);
	for (unsigned id = 3; id <= 5; id++)
		assert_true(net_mship(&net, id)->newleader_deferred);
	net_run_until(&net, 1000);
	net_expect_quiet(&net);
	for (unsigned id = 1; id <= 5; id++)
		assert_int_equal(net_mship(&net, id)->view_id, 4);
	net_cut(&net, 1, 2, false);
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	for (unsigned id = 1; id <= 5; id++) {
		assert_int_equal(net_mship(&net, id)->view_id, 4);
		assert_int_equal(net_mship(&net, id)->leader, 1);
	}
	assert_int_equal(net_mship(&net, 2)->role, MSHIP_MEMBER);
	/* The group still works: 5 dies and is removed by 1. */
	net_crash(&net, 5);
	net_run_until(&net, 6000);
	for (unsigned id = 1; id <= 4; id++)
		expect_view(net_mship(&net, id), 5, 1, "1,2,3,4");
}

/*
 * Restored (the leader dies mid-ADD). 2 and 3 accepted ADD 4 but their
 * OKs were lost; 4 confirmed. The new leader learns of it from the
 * promises and finishes it first, under the leader it names (view 3
 * [1..4] led by 1), then removes 1: consecutive ids, no gap.
 */
static void test_net_leader_dies_mid_add(void **state)
{
	(void)state;
	net_create(&net, 4, T_MS);
	net_start_all(&net, 1, 3);
	expect_formed_at0(3);
	net_run_until(&net, 150);
	net_cut(&net, 2, 1, true);
	net_cut(&net, 3, 1, true);
	net_start(&net, 4);
	net_run_until(&net, 250);
	net_crash(&net, 1);	/* 2 and 3 last heard it at 200 */
	assert_true(net_mship(&net, 2)->st.acc_set);
	assert_true(net_mship(&net, 3)->st.acc_set);
	net_run_until(&net, 399);
	net_expect_quiet(&net);
	net_run_until(&net, 400);
	for (unsigned id = 2; id <= 3; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 400,
				net_line_leader_unreachable(id, 2, 1, 1));
		rec_expect_line(r, 400, net_line_view(id, 3, 1, "1,2,3,4"));
		rec_expect_line(r, 400, net_line_view(id, 4, 2, "2,3,4"));
	}
	struct rec *r4 = net_rec(&net, 4);
	rec_expect_line(r4, 400, net_line_view(4, 3, 1, "1,2,3,4"));
	rec_expect_line(r4, 400, net_line_unreachable(4, 3, 2, 1));
	rec_expect_line(r4, 400, net_line_view(4, 4, 2, "2,3,4"));
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	for (unsigned id = 2; id <= 4; id++)
		expect_view(net_mship(&net, id), 4, 2, "2,3,4");
}

/*
 * Restored (testcase 4). With -t the leader, once all five have joined,
 * asks 3, 4 and 5 (not 2, the next leader) to remove 5, and crashes. 2
 * takes over at 200, learns of DEL 5 from the promises (the highest
 * ballot accepted), finishes it under the leader it names (view 5 led by
 * 1), then removes 1 (view 6 led by 2). 5, told it was removed, goes
 * quiet for good.
 */
static void test_net_testcase4(void **state)
{
	(void)state;
	net_create(&net, 5, T_MS);
	net_cfg(&net, 1)->testcase4 = true;
	net_start_all(&net, 1, 5);
	static const char *const lists[] = {
		"1", "1,2", "1,2,3", "1,2,3,4", "1,2,3,4,5",
	};
	for (unsigned id = 1; id <= 5; id++)
		for (unsigned v = id - 1; v < 5; v++)
			rec_expect_line(net_rec(&net, id), 0,
					net_line_view(id, v, 1, lists[v]));
	rec_expect_line(net_rec(&net, 1), 0, net_line_crashing(1, 4, 1));
	assert_int_equal(net_rec(&net, 1)->exits, 1);
	struct rec *r1 = net_rec(&net, 1);
	const struct rec_sent *s = &r1->sent[r1->sent_count - 1];
	expect_send(s, 0, WIRE_REQ, 1, 4, "3,4,5");
	expect_change(s, s->msg.request_id, WIRE_OP_DEL, 5);
	for (unsigned id = 3; id <= 4; id++)
		rec_expect_line(net_rec(&net, id), 0,
				net_line_unreachable(id, 4, 1, 5));
	net_expect_quiet(&net);
	assert_false(net_mship(&net, 2)->st.acc_set);
	for (unsigned id = 3; id <= 5; id++)
		assert_true(net_mship(&net, id)->st.acc_set);

	net_run_until(&net, 199);
	net_expect_quiet(&net);
	net_run_until(&net, 200);
	struct rec *r2 = net_rec(&net, 2);
	rec_expect_line(r2, 200, net_line_leader_unreachable(2, 4, 1, 1));
	rec_expect_line(r2, 200, net_line_unreachable(2, 4, 2, 5));
	rec_expect_line(r2, 200, net_line_view(2, 5, 1, "1,2,3,4"));
	rec_expect_line(r2, 200, net_line_view(2, 6, 2, "2,3,4"));
	for (unsigned id = 3; id <= 4; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 200,
				net_line_leader_unreachable(id, 4, 1, 1));
		rec_expect_line(r, 200, net_line_view(id, 5, 1, "1,2,3,4"));
		rec_expect_line(r, 200, net_line_view(id, 6, 2, "2,3,4"));
	}
	struct rec *r5 = net_rec(&net, 5);
	rec_expect_line(r5, 200, net_line_leader_unreachable(5, 4, 1, 1));
	assert_int_equal(net_mship(&net, 5)->role, MSHIP_REMOVED);
	net_run_until(&net, 5000);
	net_expect_quiet(&net);
	for (unsigned id = 2; id <= 4; id++) {
		expect_view(net_mship(&net, id), 6, 2, "2,3,4");
		assert_false(net_mship(&net, id)->st.acc_set);
	}
	unsigned last = r5->sent_count;
	assert_true(r5->sent[last - 1].at_ms <= 200);
	assert_int_equal(mship_next_deadline(net_mship(&net, 5)), MSHIP_NEVER);
}

/* ---- Restored one-core cases, under the quorum core ------------------------- */

/* Restored: the ADD round seen from a member: REQ -> accept, saved, OK. */
static void test_member_add_round(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 2, 3);
	core_start(c, 0);
	expect_send(rec_next_send(&c->r), 0, WIRE_JOIN, 2, 0, "1");
	core_confirm(c, 10, 1, 1);
	core_msg(c, 10, mk_newview(1, 1, 1, "1,2"));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	rec_expect_line(&c->r, 10, net_line_view(2, 1, 1, "1,2"));
	/* A new member beats at once, then every T; JOIN retries stop. */
	assert_int_equal(mship_next_deadline(&c->m), 10);
	core_tick(c, 10);
	expect_send(rec_next_send(&c->r), 10, WIRE_HEARTBEAT, 2, 1, "1");
	assert_int_equal(mship_next_deadline(&c->m), 110);
	uint64_t saves = c->m.stats.saves;
	struct wire_msg req = mk_req(1, 1, 7, WIRE_OP_ADD, 3);
	req.ballot = BALLOT_MAKE(1, 1);
	req.leader = 1;
	core_msg(c, 20, req);
	const struct rec_sent *ok = rec_next_send(&c->r);
	expect_send(ok, 20, WIRE_OK, 2, 1, "1");
	expect_change(ok, 7, WIRE_OP_ADD, 3);
	assert_int_equal(ok->msg.ballot, BALLOT_MAKE(1, 1));
	/* Accepted and saved before the OK left, not applied. */
	assert_true(c->m.st.acc_set);
	assert_int_equal(c->m.stats.saves, saves + 1);
	expect_view(&c->m, 1, 1, "1,2");
	rec_expect_quiet(&c->r);
	core_msg(c, 30, mk_newview(1, 2, 1, "1,2,3"));
	rec_expect_line(&c->r, 30, net_line_view(2, 2, 1, "1,2,3"));
	assert_false(c->m.st.acc_set);
	assert_int_equal(c->m.fd.deadline_ms[3], 230);
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
}

/*
 * Restored: one change at a time. Leader 1 of [1,2,3] asks ADD 4 (its OK
 * and ours are no quorum of [1,2,3]); a JOIN from 5 meanwhile waits in
 * the queue, and retries of either change nothing. At 2's OK the view is
 * made and ADD 5 starts, asked of 5 alone. A member that JOINs again
 * missed its view: it is sent it.
 */
static void test_second_join_queued(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 5, 3, 0);
	struct rec_sent req4 = core_admit(c, 10, mk(WIRE_JOIN, 4, 0));
	expect_round(c, 10, WIRE_OP_ADD, 4, "2,3");
	/* Each JOIN that finds the round in flight is acknowledged, so its
	 * sender waits for the leader instead of asking others. */
	core_msg(c, 11, mk(WIRE_JOIN, 5, 0));
	core_msg(c, 12, mk(WIRE_JOIN, 4, 0));
	core_msg(c, 13, mk(WIRE_JOIN, 5, 0));
	static const struct {
		int64_t at;
		const char *to;
	} acks[] = { { 11, "5" }, { 12, "4" }, { 13, "5" } };
	for (size_t i = 0; i < sizeof(acks) / sizeof(acks[0]); i++) {
		const struct rec_sent *a = rec_next_send_not_hb(&c->r);
		expect_send(a, acks[i].at, WIRE_REDIRECT, 1, 2, acks[i].to);
		assert_int_equal(a->msg.leader, 1);
	}
	assert_int_equal(c->m.queue_count, 1);
	core_msg(c, 14, mk(WIRE_JOIN, 3, 2));
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 14, WIRE_NEWVIEW, 1, 2, "3");
	expect_newview(s, 1, "1,2,3");
	rec_expect_only_heartbeats(&c->r);
	rec_expect_quiet(&c->r);
	core_msg(c, 20, mk_okb(2, 2, req4.msg.request_id, WIRE_OP_ADD, 4,
			       req4.msg.ballot));
	s = rec_next_send_not_hb(&c->r);
	expect_send(s, 20, WIRE_NEWVIEW, 1, 3, "2,3,4");
	rec_expect_line(&c->r, 20, net_line_view(1, 3, 1, "1,2,3,4"));
	s = expect_round(c, 20, WIRE_OP_ADD, 5, "5");
	assert_int_not_equal(s->msg.request_id, req4.msg.request_id);
	assert_int_equal(c->m.queue_count, 0);
}

/* Restored: nothing a stranger or a stale message says changes a member. */
static void test_member_drops_bad_messages(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	c->r.sent_checked = c->r.sent_count;
	const int64_t deadline1 = c->m.fd.deadline_ms[1];
	assert_int_equal(deadline1, 210);
	struct {
		struct wire_msg msg;
		const uint64_t *counter;
	} bad[] = {
		/* Strangers: from 0, beyond the hostsfile, from self. */
		{ mk(WIRE_HEARTBEAT, 0, 2), &c->m.stats.dropped_stranger },
		{ mk(WIRE_JOIN, 4, 0), &c->m.stats.dropped_stranger },
		{ mk_newview(4, 9, 4, "4"), &c->m.stats.dropped_stranger },
		{ mk_req(2, 2, 9, WIRE_OP_DEL, 3),
		  &c->m.stats.dropped_stranger },
		/* A REQ from an older view. */
		{ mk_req(1, 1, 9, WIRE_OP_DEL, 3), &c->m.stats.dropped_stale },
		/* A NEWVIEW older than, or as old as, the one installed. */
		{ mk_newview(1, 1, 1, "1,2"), &c->m.stats.dropped_stale },
		{ mk_newview(1, 2, 1, "1,2"), &c->m.stats.dropped_stale },
		/* An OK to a member. */
		{ mk_ok(1, 2, 9, WIRE_OP_ADD, 3), &c->m.stats.dropped_role },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = *bad[i].counter;
		core_msg(c, 20 + (int64_t)i, bad[i].msg);
		assert_int_equal(*bad[i].counter, before + 1);
		rec_expect_no_send(&c->r);
		rec_expect_quiet(&c->r);
		expect_view(&c->m, 2, 1, "1,2,3");
		assert_int_equal(c->m.role, MSHIP_MEMBER);
		assert_false(c->m.st.acc_set);
		assert_true(peerset_empty(&c->m.dead));
		assert_int_equal(c->m.fd.deadline_ms[1], deadline1);
	}
	assert_int_equal(c->m.stats.dropped_stranger, 4);
	assert_int_equal(c->m.stats.dropped_stale, 3);
	assert_int_equal(c->m.stats.dropped_role, 1);
}

/* Restored: the leader drops OKs that do not answer the round in flight. */
static void test_leader_drops_bad_oks(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 5, 3, 0);
	struct rec_sent req = core_admit(c, 10, mk(WIRE_JOIN, 4, 0));
	uint32_t r4 = req.msg.request_id;
	uint64_t b = req.msg.ballot;
	expect_round(c, 10, WIRE_OP_ADD, 4, "2,3");
	c->r.sent_checked = c->r.sent_count;
	const struct wire_msg bad[] = {
		mk_okb(2, 2, r4 + 1, WIRE_OP_ADD, 4, b),	/* request id */
		mk_okb(2, 1, r4, WIRE_OP_ADD, 4, b),		/* view id */
		mk_okb(2, 2, r4, WIRE_OP_ADD, 4, b + 1),	/* ballot */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		core_msg(c, 20, bad[i]);
		assert_int_equal(c->m.stats.dropped_stale, i + 1);
		assert_string_equal(net_set_str(&c->m.round_waiting), "2,3");
	}
	core_msg(c, 30, mk(WIRE_JOIN, 0, 0));
	core_msg(c, 30, mk(WIRE_HEARTBEAT, 6, 2));
	assert_int_equal(c->m.stats.dropped_stranger, 2);
	/* A heartbeat from a peer not in the view that believes it is a
	 * member: it is sent the view, once per 2T. */
	core_msg(c, 30, mk(WIRE_HEARTBEAT, 5, 0));
	core_msg(c, 31, mk(WIRE_HEARTBEAT, 5, 0));
	assert_int_equal(c->m.stats.dropped_nonmember, 2);
	const struct rec_sent *told = rec_next_send_not_hb(&c->r);
	expect_send(told, 30, WIRE_NEWVIEW, 1, 2, "5");
	expect_newview(told, 1, "1,2,3");
	rec_expect_only_heartbeats(&c->r);
	rec_expect_quiet(&c->r);
	core_msg(c, 40, mk_okb(2, 2, r4, WIRE_OP_ADD, 4, b));
	rec_expect_line(&c->r, 40, net_line_view(1, 3, 1, "1,2,3,4"));
}

/*
 * Restored: a leader sends a view before it prints it, so a leader that
 * dies between the two leaves no view that only it printed.
 */
static void test_leader_sends_newview_before_printing(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 3, 2, 0);
	core_admit(c, 20, mk(WIRE_JOIN, 3, 0));
	expect_round(c, 20, WIRE_OP_ADD, 3, "2");
	const struct rec_sent *nv = rec_next_send(&c->r);
	expect_send(nv, 20, WIRE_NEWVIEW, 1, 2, "2,3");
	const struct rec_line *line = &c->r.lines[c->r.lines_checked];
	rec_expect_line(&c->r, 20, net_line_view(1, 2, 1, "1,2,3"));
	assert_true(nv->seq < line->seq);
}

/*
 * Restored: a heartbeat shows its sender's view; a member behind is sent
 * the leader's view, at most once per 2T each.
 */
static void test_leader_resends_view_to_lagging_member(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 3, 3, 0);
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 2));
	rec_expect_no_send(&c->r);
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 1));
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 100, WIRE_NEWVIEW, 1, 2, "3");
	expect_newview(s, 1, "1,2,3");
	core_msg(c, 299, mk(WIRE_HEARTBEAT, 3, 1));
	rec_expect_no_send(&c->r);
	core_msg(c, 300, mk(WIRE_HEARTBEAT, 3, 1));
	expect_send(rec_next_send(&c->r), 300, WIRE_NEWVIEW, 1, 2, "3");
	core_msg(c, 300, mk(WIRE_HEARTBEAT, 2, 1));
	expect_send(rec_next_send(&c->r), 300, WIRE_NEWVIEW, 1, 2, "2");
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
}

/* Restored: a joiner answers peer 1's probe naming no leader. */
static void test_joiner_answers_probe(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 3, 4);
	core_start(c, 0);
	rec_next_send(&c->r);
	core_msg(c, 5, mk(WIRE_JOIN, 1, 0));
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 5, WIRE_REDIRECT, 3, 0, "1");
	assert_int_equal(s->msg.leader, 0);
}

/*
 * Restored: a pause of ours is not the others' silence. A tick 180 ms
 * late (over 1.5T) gives every watched peer a fresh 2T from then; a gap
 * of 1.5T is no pause, and the detector fires as ever.
 */
static void test_pause_is_not_silence(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_tick(c, 10);
	core_tick(c, 110);
	core_tick(c, 290);
	assert_int_equal(c->m.stats.pauses, 1);
	rec_expect_quiet(&c->r);
	assert_int_equal(c->m.fd.deadline_ms[1], 490);
	assert_int_equal(c->m.fd.deadline_ms[3], 490);
	core_tick(c, 440);
	core_tick(c, 489);
	rec_expect_quiet(&c->r);
	core_tick(c, 490);
	assert_int_equal(c->m.stats.pauses, 1);
	rec_expect_line(&c->r, 490, net_line_leader_unreachable(2, 2, 1, 1));
}

/*
 * Restored, under quorums: 3 dies just as 4 joins. The ADD needs no OK
 * from 3 (1, 2 and 4 are a quorum of [1,2,3] and of [1..4]), so view 3 is
 * made at once; 3 is removed when the detectors say it is dead, at 400.
 */
static void test_net_member_dies_mid_round(void **state)
{
	(void)state;
	net_create(&net, 4, T_MS);
	net_start_all(&net, 1, 3);
	expect_formed_at0(3);
	net_run_until(&net, 250);
	net_crash(&net, 3);
	net_start(&net, 4);
	net_run_until(&net, 250);
	for (unsigned id = 1; id <= 2; id++)
		rec_expect_line(net_rec(&net, id), 250,
				net_line_view(id, 3, 1, "1,2,3,4"));
	rec_expect_line(net_rec(&net, 4), 250,
			net_line_view(4, 3, 1, "1,2,3,4"));
	net_run_until(&net, 399);
	net_expect_quiet(&net);
	net_run_until(&net, 400);
	for (unsigned id = 1; id <= 2; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 400, net_line_unreachable(id, 3, 1, 3));
		rec_expect_line(r, 400, net_line_view(id, 4, 1, "1,2,4"));
	}
	struct rec *r4 = net_rec(&net, 4);
	rec_expect_line(r4, 400, net_line_unreachable(4, 3, 1, 3));
	rec_expect_line(r4, 400, net_line_view(4, 4, 1, "1,2,4"));
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	for (unsigned id = 1; id <= 4; id++)
		if (id != 3)
			expect_view(net_mship(&net, id), 4, 1, "1,2,4");
}

/*
 * Seeds 10398, 12579 (AI). A restarted peer holding view 4 [1,2,3] hears
 * view 5 [1,2], which leaves it out: it joins again, and keeps view 5 to
 * relay it, at no ballot, to a peer whose message shows an older view (it
 * may be the only one alive that knows it), once per 2T.
 */
static void test_joiner_relays_view_that_left_it_out(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_restarted(c, 3, 0, 4, "1,2,3", 2);
	core_start(c, 0);
	core_msg(c, 10, mk_newview(1, 5, 1, "1,2"));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	assert_false(c->m.st.in_view);
	c->r.sent_checked = c->r.sent_count;
	struct wire_msg nl = mk(WIRE_NEWLEADER, 2, 4);
	nl.request_id = 3;
	nl.op = WIRE_OP_PENDING;
	nl.ballot = BALLOT_MAKE(2, 2);
	core_msg(c, 20, nl);
	const struct rec_sent *nv = rec_next_send(&c->r);
	expect_send(nv, 20, WIRE_NEWVIEW, 3, 5, "2");
	expect_newview(nv, 1, "1,2");
	assert_int_equal(nv->msg.ballot, 0);
	rec_expect_no_send(&c->r);
	core_msg(c, 219, nl);
	rec_expect_no_send(&c->r);
	core_msg(c, 220, nl);
	expect_send(rec_next_send(&c->r), 220, WIRE_NEWVIEW, 3, 5, "2");
}

/* ---- Issue 10: the allowance, and removal by a quorum's suspicions ------- */

#define A_MS (T_MS / 4)	/* the daemon's allowance */

/*
 * The allowance. Leader 1 of [1,2] (alone a quorum of it) last heard 2 at
 * 0: with A = T/4 it is alive at 2T + A - 1 = 224 and dead at 225.
 */
static void test_allowance_dead_at_2T_plus_A(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow_allowance(c, 2, 2, 0, A_MS);
	core_tick(c, 100);
	core_tick(c, 200);
	core_tick(c, 224);
	rec_expect_only_heartbeats(&c->r);
	rec_expect_quiet(&c->r);
	assert_int_equal(mship_next_deadline(&c->m), 225);
	core_tick(c, 225);
	rec_expect_line(&c->r, 225, net_line_unreachable(1, 1, 1, 2));
	expect_round(c, 225, WIRE_OP_DEL, 2, "2");
	rec_expect_line(&c->r, 225, net_line_view(1, 2, 1, "1"));
	assert_int_equal(c->m.stats.suspicions, 1);
}

/*
 * One lost heartbeat followed by a normal one. 2 beats every T from 0 and
 * every third beat is lost; the others come up to A - 1 late. The longest
 * silence is 2T + A - 1: never dead with A = T/4, ticked every ms for 3 s.
 * The same schedule without the allowance kills 2 at its first gap.
 */
static unsigned run_lossy_schedule(struct core *c)
{
	int64_t last_ms = 0;
	for (int64_t now = 1; now <= 3000; now++) {
		int64_t k = now / T_MS, late = now % T_MS;
		/* Beat k (sent at k*T) lost if k % 3 == 1, else late by
		 * (k * 7) % A_MS < A_MS ms. */
		if (k % 3 != 1 && late == (k * 7) % A_MS) {
			core_msg(c, now, mk(WIRE_HEARTBEAT, 2, 1));
			assert_true(now - last_ms < 2 * T_MS + A_MS);
			last_ms = now;
		}
		core_tick(c, now);
		if (c->r.lines_count > c->r.lines_checked)
			return (unsigned)now;
	}
	return 0;
}

static void test_allowance_one_lost_heartbeat(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow_allowance(c, 2, 2, 0, A_MS);
	assert_int_equal(run_lossy_schedule(c), 0);
	rec_expect_only_heartbeats(&c->r);
	expect_view(&c->m, 1, 1, "1,2");
	assert_int_equal(c->m.stats.suspicions, 0);

	/* Without it: 2 heard at 0 and not again until 214 (beat 1 lost,
	 * beat 2 late by 14), dead at 200. */
	core_grow(c, 2, 2, 0);
	assert_int_equal(run_lossy_schedule(c), 200);
	rec_expect_line(&c->r, 200, net_line_unreachable(1, 1, 1, 2));
}

/*
 * The leader alone does not remove. Leader 1 of [1..5] holds 5 dead at
 * 200 (last heard at 0) and prints its line; 2, 3, 4 still beat naming
 * nobody: 5 stays, through 1000. A suspicion withdrawn does not count
 * (2 names 5, then nobody); once two members' heartbeats name 5, with
 * ours a quorum of three, the REQ DEL goes out.
 */
static void test_leader_alone_does_not_remove(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 5, 5, 0);
	for (int64_t at = 100; at <= 1000; at += T_MS) {
		for (unsigned id = 2; id <= 4; id++)
			core_msg(c, at, mk(WIRE_HEARTBEAT, id, 4));
		core_tick(c, at);
		if (at == 200)
			rec_expect_line(&c->r, 200,
					net_line_unreachable(1, 4, 1, 5));
	}
	rec_expect_only_heartbeats(&c->r);
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 4, 1, "1,2,3,4,5");
	assert_int_equal(c->m.stats.suspicions, 1);
	/* Our heartbeats name our suspect too. */
	assert_true(peerset_has(&c->r.sent[c->r.sent_count - 1].msg.suspects,
				5));

	core_msg(c, 1010, mk_hb(2, 4, "5"));
	core_msg(c, 1020, mk_hb(2, 4, ""));	/* 2 hears 5 again */
	core_msg(c, 1030, mk_hb(3, 4, "5"));
	rec_expect_no_send(&c->r);
	assert_false(c->m.round_active);
	core_msg(c, 1040, mk_hb(4, 4, "5"));
	expect_round(c, 1040, WIRE_OP_DEL, 5, "2,3,4,5");
	rec_expect_quiet(&c->r);
}

/*
 * Seeds 52322, 64000, 98532 (AM). A leader left behind with no round:
 * leader 1 of view 2 [1,2,3], of five hosts, hears 2 and 3 no more (the
 * group went on without it, and they left). It cannot remove them, as no
 * quorum agrees, so no round stalls; without a quorum alive it shows its
 * view on each beat to the hosts its view does not list. A peer of a
 * later view answers with that view, which removes it.
 */
static void test_leader_without_quorum_shows_view(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 5, 3, 0);
	core_tick(c, 100);
	rec_expect_only_heartbeats(&c->r);
	core_tick(c, 200);
	rec_expect_line(&c->r, 200, net_line_unreachable(1, 2, 1, 2));
	rec_expect_line(&c->r, 200, net_line_unreachable(1, 2, 1, 3));
	assert_false(c->m.round_active);
	unsigned shown = 0;
	for (int64_t at = 300; at <= 600; at += T_MS)
		core_tick(c, at);
	for (unsigned i = 0; i < c->r.sent_count; i++) {
		const struct rec_sent *s = &c->r.sent[i];
		if (s->msg.type != WIRE_HEARTBEAT ||
		    strcmp(net_set_str(&s->to), "4,5") != 0)
			continue;
		assert_true(s->at_ms >= 300 && s->at_ms % T_MS == 0);
		assert_int_equal(s->msg.view_id, 2);
		assert_int_equal(s->msg.leader, 0);
		shown++;
	}
	assert_int_equal(shown, 4);
	rec_expect_only_heartbeats(&c->r);
	struct wire_msg nv = mk_newview(4, 7, 4, "2,3,4");
	nv.ballot = BALLOT_MAKE(5, 4);
	core_msg(c, 610, nv);
	assert_int_equal(c->m.role, MSHIP_REMOVED);
}

/*
 * Rechecked after every committed view. Leader 1 of [1..5] holds 4 and 5
 * dead; 2 suspects both, 3 only 4: DEL 4 goes (three of five), 5 stays
 * (two of five). In the view DEL 4 makes, [1,2,3,5], the two are a quorum
 * (half, holding 1): DEL 5 is asked at the commit.
 */
static void test_leader_rechecks_after_view(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 5, 5, 0);
	for (unsigned id = 2; id <= 3; id++)
		core_msg(c, 100, mk(WIRE_HEARTBEAT, id, 4));
	core_tick(c, 200);
	rec_expect_line(&c->r, 200, net_line_unreachable(1, 4, 1, 4));
	rec_expect_line(&c->r, 200, net_line_unreachable(1, 4, 1, 5));
	core_msg(c, 200, mk_hb(2, 4, "4,5"));
	rec_expect_only_heartbeats(&c->r);
	core_msg(c, 210, mk_hb(3, 4, "4"));
	const struct rec_sent *req =
		expect_round(c, 210, WIRE_OP_DEL, 4, "2,3,4,5");
	uint32_t rid = req->msg.request_id;
	uint64_t b = req->msg.ballot;
	core_msg(c, 220, mk_okb(2, 4, rid, WIRE_OP_DEL, 4, b));
	core_msg(c, 220, mk_okb(3, 4, rid, WIRE_OP_DEL, 4, b));
	const struct rec_sent *nv = rec_next_send_not_hb(&c->r);
	expect_send(nv, 220, WIRE_NEWVIEW, 1, 5, "2,3,4,5");
	expect_newview(nv, 1, "1,2,3,5");
	rec_expect_line(&c->r, 220, net_line_view(1, 5, 1, "1,2,3,5"));
	expect_round(c, 220, WIRE_OP_DEL, 5, "2,3,5");
}

/*
 * A member's verdict goes to the leader at once. Member 3 of [1..5] (led
 * by 1, joined at 10) last hears 5 at 50: at 250 it prints its line and
 * sends one heartbeat, to 1 alone, naming 5 and its leader; its next
 * regular beat, at 310, names 5 to everyone.
 */
static void test_member_tells_leader_at_once(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 3, 5, 4, "1,2,3,4,5");
	core_msg(c, 50, mk(WIRE_HEARTBEAT, 5, 4));
	for (int64_t at = 100; at <= 300; at += T_MS) {
		struct wire_msg hb = mk(WIRE_HEARTBEAT, 1, 4);
		hb.leader = 1;
		core_msg(c, at, hb);
		core_msg(c, at, mk(WIRE_HEARTBEAT, 2, 4));
		core_msg(c, at, mk(WIRE_HEARTBEAT, 4, 4));
	}
	core_tick(c, 110);
	core_tick(c, 210);
	c->r.sent_checked = c->r.sent_count;
	core_tick(c, 249);
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	core_tick(c, 250);
	rec_expect_line(&c->r, 250, net_line_unreachable(3, 4, 1, 5));
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 250, WIRE_HEARTBEAT, 3, 4, "1");
	assert_int_equal(s->msg.leader, 1);
	assert_string_equal(net_set_str(&s->msg.suspects), "5");
	rec_expect_no_send(&c->r);
	core_tick(c, 310);
	s = rec_next_send(&c->r);
	expect_send(s, 310, WIRE_HEARTBEAT, 3, 4, "1,2,4,5");
	assert_string_equal(net_set_str(&s->msg.suspects), "5");
	rec_expect_no_send(&c->r);
	/* A member removes no one itself. */
	expect_view(&c->m, 4, 1, "1,2,3,4,5");
	assert_int_equal(c->m.stats.suspicions, 1);
}

/*
 * A lossy link. Everything 3 sends the leader is lost from 150 on. The
 * leader hears 3 no more, but 2, 4 and 5 do, and their heartbeats say so
 * (3 heard, and how long ago): indirect evidence keeps 3 alive for the
 * leader. No line anywhere, no suspicion, no removal, through 3 s; the
 * leader's detector shows the link to 3 degraded (alive through others
 * only), and no other link.
 */
static void test_net_lossy_link_removes_nobody(void **state)
{
	(void)state;
	form_allowance(5, A_MS);
	net_run_until(&net, 150);
	net_cut(&net, 3, 1, true);
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	for (unsigned id = 1; id <= 5; id++) {
		expect_view(net_mship(&net, id), 4, 1, "1,2,3,4,5");
		assert_int_equal(net_mship(&net, id)->stats.suspicions, 0);
		assert_int_equal(rec_count(net_rec(&net, id), WIRE_REQ, 1,
					   3000), 0);
	}
	const struct mship *m1 = net_mship(&net, 1);
	assert_true(peerset_empty(&m1->suspected));
	assert_true(fd_degraded(&m1->fd, 3, 3000));
	for (unsigned id = 2; id <= 5; id++) {
		if (id != 3)
			assert_false(fd_degraded(&m1->fd, id, 3000));
		assert_false(fd_degraded(&net_mship(&net, id)->fd, 1, 3000));
	}
	/* Healed, it is heard directly again: no longer degraded. */
	net_cut(&net, 3, 1, false);
	net_run_until(&net, 3200);
	assert_false(fd_degraded(&m1->fd, 3, 3200));
	net_expect_quiet(&net);
}

/*
 * The control: the same peer cut off from everyone, both ways, at 150.
 * Nobody hears it, directly or through others: every other member holds
 * it dead at 2T + A after its last heartbeat (100), prints its line, and
 * the four remove it in the same millisecond.
 */
static void test_net_cut_off_from_all_is_reported(void **state)
{
	(void)state;
	form_allowance(5, A_MS);
	net_run_until(&net, 150);
	for (unsigned id = 1; id <= 5; id++) {
		if (id == 3)
			continue;
		net_cut(&net, 3, id, true);
		net_cut(&net, id, 3, true);
	}
	net_run_until(&net, 324);
	for (unsigned id = 1; id <= 5; id++)
		if (id != 3)
			rec_expect_quiet(net_rec(&net, id));
	net_run_until(&net, 330);
	for (unsigned id = 1; id <= 5; id++) {
		if (id == 3)
			continue;
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 325, net_line_unreachable(id, 4, 1, 3));
		rec_expect_line(r, 325, net_line_view(id, 5, 1, "1,2,4,5"));
		expect_view(net_mship(&net, id), 5, 1, "1,2,4,5");
	}
}

/*
 * Heard again. The leader alone holds 3 dead at 300 (3 -> 1 cut at 150);
 * the link heals at 350 and 3's beat at 400 comes: an OUT_EVENT_HEARD,
 * no line, heard_again 1, 3 watched afresh. Cut again at 450, 3 is dead
 * again at 600 (2T after 400), and its line is printed a second time.
 */
static void test_net_heard_again(void **state)
{
	(void)state;
	form(3);
	struct rec *r1 = net_rec(&net, 1);
	const struct mship *m1 = net_mship(&net, 1);
	net_run_until(&net, 150);
	net_cut(&net, 3, 1, true);
	net_run_until(&net, 300);
	rec_expect_line(r1, 300, net_line_unreachable(1, 2, 1, 3));
	net_run_until(&net, 350);
	net_cut(&net, 3, 1, false);
	net_run_until(&net, 399);
	assert_int_equal(rec_count_events(r1, OUT_EVENT_HEARD, NULL), 0);
	net_run_until(&net, 400);
	int64_t at = 0;
	assert_int_equal(rec_count_events(r1, OUT_EVENT_HEARD, &at), 1);
	assert_int_equal(at, 400);
	const struct out_event *e = &r1->events[r1->events_count - 1];
	assert_int_equal(e->kind, OUT_EVENT_HEARD);
	assert_int_equal(e->peer, 3);
	assert_int_equal(e->view_id, 2);
	assert_int_equal(m1->stats.heard_again, 1);
	assert_false(peerset_has(&m1->suspected, 3));
	assert_false(peerset_has(&m1->reported, 3));
	assert_true(peerset_has(&m1->fd.watched, 3));
	net_expect_quiet(&net);

	net_run_until(&net, 450);
	net_cut(&net, 3, 1, true);
	net_run_until(&net, 599);
	net_expect_quiet(&net);
	net_run_until(&net, 600);
	rec_expect_line(r1, 600, net_line_unreachable(1, 2, 1, 3));
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	assert_int_equal(m1->stats.suspicions, 2);
	assert_int_equal(m1->stats.heard_again, 1);
	for (unsigned id = 1; id <= 3; id++)
		expect_view(net_mship(&net, id), 2, 1, "1,2,3");
	/* Nobody else suspected anyone, nor heard anyone again. */
	for (unsigned id = 2; id <= 3; id++)
		assert_int_equal(rec_count_events(net_rec(&net, id),
						  OUT_EVENT_HEARD, NULL), 0);
}

/*
 * A crash in a group of hosts_count, A = T/4. Every peer heard the victim
 * last at 200; the network has no latency, so the first observer and
 * every survivor hold it dead at 2T + A = 425, and the survivors' new view
 * comes in the same millisecond (the members' immediate heartbeats make
 * the quorum at once). Nothing is printed before, or after.
 */
static void crash_detected(unsigned hosts_count, unsigned victim)
{
	form_allowance(hosts_count, A_MS);
	uint32_t view = hosts_count - 1;
	net_run_until(&net, 250);
	net_crash(&net, victim);
	net_run_until(&net, 424);
	net_expect_quiet(&net);
	net_run_until(&net, 430);	/* a few ms for the round */
	struct peerset rest;
	peerset_clear(&rest);
	for (unsigned id = 1; id <= hosts_count; id++)
		if (id != victim)
			peerset_add(&rest, id);
	char members[64];
	snprintf(members, sizeof(members), "%s", net_set_str(&rest));
	for (unsigned id = 1; id <= hosts_count; id++) {
		if (id == victim)
			continue;
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 425, net_line_unreachable(id, view, 1,
							     victim));
		rec_expect_line(r, 425, net_line_view(id, view + 1, 1,
						      members));
		expect_view(net_mship(&net, id), view + 1, 1, members);
	}
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
}

static void test_net_crash_detected_5(void **state)
{
	(void)state;
	crash_detected(5, 4);
}

static void test_net_crash_detected_10(void **state)
{
	(void)state;
	crash_detected(10, 7);
}

/*
 * The leader's table of members' suspicions (SUSPICIONS_MAX = 64 slots)
 * frees a slot nobody names any more: else, in a view of more than 64
 * members, 64 brief false suspicions (each heard again) would fill it for
 * good, and a crashed member would never be removed, however many
 * members named it (as it was once). Here leader 1 of [1..70] (a ringed
 * view): 2 briefly suspects 3..66 in turn; then 70 dies, and every other
 * member names it, a majority of its observers among them: the REQ DEL 70
 * goes out, as it does in the control (transient = false) without the
 * brief suspicions. The leader prints no line of its own before that.
 */
static void suspicions_table(bool transient)
{
	struct core *c = &core_a;
	core_grow(c, 70, 70, 0);
	assert_true(c->m.ringed);
	for (unsigned id = 2; id <= 69; id++)
		core_msg(c, 100, mk(WIRE_HEARTBEAT, id, 69));
	if (transient) {
		for (unsigned p = 3; p <= 66; p++) {
			char one[8];
			snprintf(one, sizeof(one), "%u", p);
			core_msg(c, 100 + p, mk_hb(2, 69, one));
		}
		core_msg(c, 180, mk_hb(2, 69, ""));
	}
	for (unsigned id = 2; id <= 69; id++)
		core_msg(c, 200, mk(WIRE_HEARTBEAT, id, 69));
	core_tick(c, 200);	/* 70 last heard at 0 */
	rec_expect_only_heartbeats(&c->r);
	for (unsigned id = 2; id <= 69; id++)
		core_msg(c, 210, mk_hb(id, 69, "70"));
	char to[512];
	snprintf(to, sizeof(to), "%s", list_upto(70) + 2);	/* "2,...,70" */
	expect_round(c, 210, WIRE_OP_DEL, 70, to);
}

static void test_suspicions_table_control(void **state)
{
	(void)state;
	suspicions_table(false);
}

static void
test_suspicions_table_full_of_stale_slots(void **state)
{
	(void)state;
	suspicions_table(true);
}

/*
 * K rings (heartbeat/rings.h) over views of 2 to HOSTS_MAX members: each
 * member has one observer and one subject per ring (its successor and
 * predecessor), never itself, so at most RINGS_K of each, and P observes
 * Q exactly when Q is P's subject; the rings depend on the member list
 * alone (built twice, or after other views, the same).
 */
static struct rings rings_a, rings_b;

static void test_rings_balanced_and_deterministic(void **state)
{
	(void)state;
	static const unsigned sizes[] = { 2, 3, 33, 100, 1000, HOSTS_MAX };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct peerset members;
		peerset_clear(&members);
		/* Every third id from 2: not a prefix of the hostsfile. */
		for (unsigned i = 0, id = 2; i < sizes[k]; i++) {
			peerset_add(&members, id);
			if (i + 1 == sizes[k])
				break;
			id = id + 3 > HOSTS_MAX ? (id % 3) + 1 : id + 3;
			while (peerset_has(&members, id))
				id = id % HOSTS_MAX + 1;
		}
		assert_int_equal(peerset_count(&members), sizes[k]);
		rings_create(&rings_a, HOSTS_MAX);
		rings_build(&rings_a, &members);
		struct peerset other;
		peerset_clear(&other);
		peerset_add(&other, 1);
		rings_create(&rings_b, HOSTS_MAX);
		rings_build(&rings_b, &other);
		rings_build(&rings_b, &members);
		unsigned watched[HOSTS_MAX + 1] = { 0 };
		peerset_foreach(&members, p) {
			struct peerset obs = rings_observers(&rings_a, p);
			struct peerset sub = rings_subjects(&rings_a, p);
			assert_true(peerset_equal(&obs,
						  &(struct peerset){ 0 }) == false);
			assert_true(peerset_count(&obs) <= RINGS_K);
			assert_true(peerset_count(&sub) <= RINGS_K);
			assert_false(peerset_has(&obs, p));
			assert_false(peerset_has(&sub, p));
			struct peerset obs_b = rings_observers(&rings_b, p);
			assert_true(peerset_equal(&obs, &obs_b));
			peerset_foreach(&obs, o) {
				assert_true(peerset_has(&members, o));
				struct peerset osub =
					rings_subjects(&rings_a, o);
				assert_true(peerset_has(&osub, p));
			}
			peerset_foreach(&sub, q) watched[q]++;
		}
		/* Balanced: everyone is watched, by at most K. */
		peerset_foreach(&members, p) {
			assert_true(watched[p] >= 1);
			assert_true(watched[p] <= RINGS_K);
		}
		if (sizes[k] >= 100) {
			/* Independent rings: most members have K
			 * observers. */
			unsigned full = 0;
			peerset_foreach(&members, p) {
				struct peerset obs =
					rings_observers(&rings_a, p);
				full += peerset_count(&obs) == RINGS_K;
			}
			assert_true(full * 4 >= sizes[k] * 3);
		}
	}
}

/*
 * A ringed view (40 members, leader 1): the leader removes 40 only once a
 * majority of 40's observers suspect it. Every member that is not one
 * names it: nothing. Then the observers one by one: the REQ DEL 40 goes
 * out with the one that makes the majority, and not before. No line is
 * printed before the round.
 */
static void test_ring_removal_needs_majority_of_observers(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 40, 40, 0);
	assert_true(c->m.ringed);
	struct peerset obs = rings_observers(&c->m.rings, 40);
	assert_false(peerset_has(&obs, 1));	/* this list's rings */
	unsigned n = peerset_count(&obs);
	for (unsigned id = 2; id <= 39; id++)
		core_msg(c, 100, mk(WIRE_HEARTBEAT, id, 39));
	for (unsigned id = 2; id <= 39; id++)
		if (!peerset_has(&obs, id))
			core_msg(c, 300, mk_hb(id, 39, "40"));
	rec_expect_only_heartbeats(&c->r);
	unsigned k = 0;
	peerset_foreach(&obs, id) {
		k++;
		core_msg(c, 300 + k, mk_hb(id, 39, "40"));
		if (2 * k <= n) {
			rec_expect_only_heartbeats(&c->r);
			continue;
		}
		expect_round(c, 300 + k, WIRE_OP_DEL, 40, list_upto(40) + 2);
		break;
	}
	assert_true(2 * k > n);
}

/*
 * The same view, but member 2's heartbeat at 250 says it heard 40
 * directly 10 ms before: every observer of 40 suspecting it at 301 and at
 * 439 removes nothing, for 40 was heard within 2T; an observer naming it
 * at 440 does.
 */
static void test_ring_removal_waits_while_anyone_heard(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 40, 40, 0);
	struct peerset obs = rings_observers(&c->m.rings, 40);
	for (unsigned id = 2; id <= 39; id++)
		core_msg(c, 100, mk(WIRE_HEARTBEAT, id, 39));
	struct wire_msg heard = mk_hb(2, 39, "");
	heard.heard_count = 1;
	heard.heard_peer[0] = 40;
	heard.heard_age_ms[0] = 10;
	core_msg(c, 250, heard);
	peerset_foreach(&obs, id) core_msg(c, 301, mk_hb(id, 39, "40"));
	rec_expect_only_heartbeats(&c->r);
	peerset_foreach(&obs, id) core_msg(c, 439, mk_hb(id, 39, "40"));
	rec_expect_only_heartbeats(&c->r);
	core_msg(c, 440, mk_hb(peerset_first(&obs), 39, "40"));
	expect_round(c, 440, WIRE_OP_DEL, 40, list_upto(40) + 2);
}

/*
 * In a ringed view a member heartbeats its observers and the leader only,
 * and watches its subjects and the leader only.
 */
static void test_ring_member_beats_observers(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 40, 40, 0);
	struct mship *m = &c->m;
	/* Leader 1 beats every member. */
	core_tick(c, 100);
	const struct rec_sent *hb = rec_next_send(&c->r);
	assert_int_equal(hb->msg.type, WIRE_HEARTBEAT);
	assert_string_equal(net_set_str(&hb->to), list_upto(40) + 2);
	struct peerset watch = m->subjects;
	assert_true(peerset_equal(&m->fd.watched, &watch));
	assert_true(peerset_equal(&m->observers,
				  &(struct peerset){ 0 }) == false);
}

/* A heartbeat carrying beat number beat. */
static struct wire_msg mk_beat(unsigned from, uint32_t view_id,
			       uint32_t beat)
{
	struct wire_msg m = mk_hb(from, view_id, "");
	m.beat = beat;
	return m;
}

/*
 * Core c's subject beats on time (beats 2 and 4 at 50 and 150), then
 * nothing comes at 250, and at 300 (T/2 over T + A after its last) its
 * beat 8 when lost, its beat 6 late when not; every other watched peer
 * beats on time throughout. Returns the time of the last.
 */
static int64_t ring_subject_beats_late(struct core *c, uint32_t view_id,
				       bool lost)
{
	struct mship *m = &c->m;
	unsigned subject = peerset_first(&m->subjects);
	assert_true(subject != 0);
	for (int64_t t = 50; t <= 250; t += T_MS)
		peerset_foreach(&m->fd.watched, id)
			if (id != subject || t != 250)
				core_msg(c, t, mk_beat(id, view_id,
						       (uint32_t)(t / T_MS + 1) * 2));
	assert_int_equal(m->loss_seen_ms, MSHIP_NEVER);
	core_msg(c, 300, mk_beat(subject, view_id, lost ? 8 : 6));
	return 300;
}

/* No loss seen by c at, so its next beat is not followed by a second. */
static void expect_no_half_beat(struct core *c, int64_t at)
{
	assert_int_equal(c->m.loss_seen_ms, MSHIP_NEVER);
	core_tick(c, at + T_MS);
	assert_int_equal(c->m.half_beat_ms, MSHIP_NEVER);
}

/*
 * Under loss a ringed view's member beats twice per period, to its
 * observers and the leader. Its leader, which beats every member, beats
 * twice only those whose heartbeats showed one of its beats lost (a heard
 * age of it past T + A), not every member for a gap in its subjects'
 * beats: at 1024 peers on 2 cores its receive buffer overflowed, it beat
 * every member twice, and the group's load grew by half.
 */
static void test_ring_leader_half_beats_who_missed_it(void **state)
{
	(void)state;
	struct core *c = &core_a, *d = &core_b;
	core_grow(c, 40, 40, 0);
	assert_true(c->m.ringed);
	int64_t seen = ring_subject_beats_late(c, 39, true);
	expect_no_half_beat(c, seen);

	unsigned missed = peerset_first(&c->m.observers);
	struct wire_msg hb = mk_hb(missed, 39, "");
	hb.heard_count = 1;
	hb.heard_peer[0] = 1;
	hb.heard_age_ms[0] = T_MS + 1;
	core_msg(c, seen + T_MS + 10, hb);
	c->r.sent_checked = c->r.sent_count;
	int64_t beat = c->m.next_beat_ms;
	core_tick(c, beat);
	assert_string_equal(net_set_str(&rec_next_send(&c->r)->to),
			    list_upto(40) + 2);
	assert_int_equal(c->m.half_beat_ms, beat + T_MS / 2);
	core_tick(c, beat + T_MS / 2);
	char to[8];
	snprintf(to, sizeof(to), "%u", missed);
	expect_send(rec_next_send(&c->r), beat + T_MS / 2, WIRE_HEARTBEAT, 1,
		    39, to);

	core_member(d, 3, 40, 39, list_upto(40));
	assert_true(d->m.ringed);
	seen = ring_subject_beats_late(d, 39, true);
	assert_int_equal(d->m.loss_seen_ms, seen);
	core_tick(d, seen + T_MS);
	assert_int_equal(d->m.half_beat_ms, d->m.next_beat_ms - T_MS / 2);
	d->r.sent_checked = d->r.sent_count;
	core_tick(d, d->m.half_beat_ms);
	struct peerset beat_set = d->m.observers;
	peerset_add(&beat_set, 1);
	const struct rec_sent *again = rec_next_send(&d->r);
	assert_int_equal(again->msg.type, WIRE_HEARTBEAT);
	assert_true(peerset_equal(&again->to, &beat_set));
	/* The same heartbeat again: its beat's number plus one. */
	assert_int_equal(again->msg.beat % 2, 1);
	assert_int_equal(again->msg.beat, d->m.beat_no + 1);
}

/* How many of r's sends from its cursor on go to peer id alone, naming
 * it among their suspects. */
static unsigned sends_showing_suspected(struct rec *r, unsigned id)
{
	unsigned n = 0;
	while (r->sent_checked < r->sent_count) {
		const struct rec_sent *s = rec_next_send(r);
		if (s->msg.type == WIRE_HEARTBEAT &&
		    peerset_count(&s->to) == 1 && peerset_has(&s->to, id) &&
		    peerset_has(&s->msg.suspects, id))
			n++;
	}
	return n;
}

/*
 * A member whose outgoing datagrams alone are lost sees no loss in what it
 * receives. A ringed view's leader told that an observer suspects a member
 * shows it so (its heartbeat to it alone, naming it, at most once per
 * T/2), and a member named among a heartbeat's suspects beats twice.
 */
static void test_suspected_member_beats_twice(void **state)
{
	(void)state;
	struct core *c = &core_a, *d = &core_b;
	core_grow(c, 40, 40, 0);
	assert_true(c->m.ringed);
	struct peerset obs = rings_observers(&c->m.rings, 40);
	unsigned first = peerset_first(&obs);
	unsigned second = peerset_next(&obs, first);
	assert_true(second != 0);
	c->r.sent_checked = c->r.sent_count;
	core_msg(c, 300, mk_hb(first, 39, "40"));
	assert_int_equal(sends_showing_suspected(&c->r, 40), 1);
	core_msg(c, 300 + T_MS / 4, mk_hb(second, 39, "40"));
	assert_int_equal(sends_showing_suspected(&c->r, 40), 0);
	core_msg(c, 300 + T_MS / 2, mk_hb(first, 39, "40"));
	assert_int_equal(sends_showing_suspected(&c->r, 40), 1);

	core_member(d, 3, 40, 39, list_upto(40));
	assert_true(d->m.ringed);
	core_msg(d, 120, mk_hb(1, 39, "2"));
	assert_int_equal(d->m.loss_seen_ms, MSHIP_NEVER);
	struct wire_msg shown = mk_hb(1, 39, "3");
	shown.leader = 1;
	d->r.sent_checked = d->r.sent_count;
	core_msg(d, 130, shown);
	assert_int_equal(d->m.loss_seen_ms, 130);
	/* Beating once a period until now, it beats again at once: its
	 * half-beat, to its observers and the leader. */
	const struct rec_sent *now = rec_next_send(&d->r);
	struct peerset beat_to = d->m.observers;
	peerset_add(&beat_to, 1);
	expect_send(now, 130, WIRE_HEARTBEAT, 3, 39, net_set_str(&beat_to));
	assert_true(peerset_equal(&now->to, &beat_to));
	assert_int_equal(now->msg.beat, d->m.beat_no | 1);
	rec_expect_no_send(&d->r);
	/* Named again while it beats twice: nothing more at once. */
	core_msg(d, 140, shown);
	rec_expect_no_send(&d->r);
	core_tick(d, d->m.next_beat_ms);
	assert_int_equal(d->m.half_beat_ms, d->m.next_beat_ms - T_MS / 2);
}

/*
 * A beat that comes late is no loss; a beat number skipped is. On a busy
 * machine at 1024 peers, members kept from the CPU read their subjects'
 * beats over T + A apart and, taking that for loss, beat twice to every
 * observer. Beats count 2, 4, 6, ... and a half-beat is its beat plus
 * one: a half-beat not seen is no loss (it may not have been sent), a
 * half-beat whose beat was not seen is; a repeat is not, nor a new life
 * of the sender starting its count again.
 */
static void test_late_beat_is_no_loss(void **state)
{
	(void)state;
	struct core *d = &core_b;
	core_member(d, 3, 40, 39, list_upto(40));
	assert_true(d->m.ringed);
	int64_t at = ring_subject_beats_late(d, 39, false);
	expect_no_half_beat(d, at);
	unsigned subject = peerset_first(&d->m.subjects);
	/* A repeat of beat 6, beat 8 with no half-beat between, the
	 * half-beat 9 then beat 10, then a new life's beat 2. */
	static const uint32_t fine[] = { 6, 8, 9, 10 };
	for (unsigned i = 0; i < 4; i++)
		core_msg(d, at + 10 * (i + 1), mk_beat(subject, 39, fine[i]));
	struct wire_msg reborn = mk_beat(subject, 39, 2);
	reborn.incarnation++;
	core_msg(d, at + 50, reborn);
	assert_int_equal(d->m.loss_seen_ms, MSHIP_NEVER);
	/* The new life's half-beat 5 after its beat 2: its beat 4 lost. */
	reborn.beat = 5;
	core_msg(d, at + 220, reborn);
	assert_int_equal(d->m.loss_seen_ms, at + 220);
}

/*
 * In a ringed view a member hears the one it follows only through others'
 * reports unless it is that one's observer, so it would never see that
 * one's heartbeat naming whom it follows now. Member 3 of [1..40] (led by
 * 1) is followed by M, no observer of 3: 3 answers M's heartbeat with its
 * own, naming 1, and M follows 1. An observer of 3 naming it, which gets
 * 3's heartbeats anyway, and M naming 1, get nothing.
 */
static void test_ring_member_tells_its_follower(void **state)
{
	(void)state;
	char members[256];
	snprintf(members, sizeof(members), "%s", list_upto(40));
	struct core *a = &core_a, *b = &core_b;
	core_member(a, 3, 40, 1, members);
	assert_true(a->m.ringed);
	struct peerset obs = a->m.observers;
	unsigned follower = 0, observer = peerset_first(&obs);
	for (unsigned id = 4; id <= 40 && follower == 0; id++)
		if (!peerset_has(&obs, id))
			follower = id;
	assert_true(follower != 0 && observer != 0);

	/* M's view names 3 its leader: M follows 3. */
	core_create(b, follower, 40);
	core_start(b, 0);
	expect_send(rec_next_send(&b->r), 0, WIRE_JOIN, follower, 0, "1");
	core_confirm(b, 10, 1, 1);
	core_msg(b, 10, mk_newview(1, 1, 3, members));
	rec_expect_line(&b->r, 10, net_line_view(follower, 1, 3, members));
	assert_int_equal(b->m.leader, 3);
	core_tick(b, 10);
	const struct rec_sent *beat = rec_next_send(&b->r);
	assert_int_equal(beat->msg.type, WIRE_HEARTBEAT);
	assert_true(peerset_has(&beat->to, 3));
	assert_int_equal(beat->msg.leader, 3);

	struct wire_msg from_observer = mk(WIRE_HEARTBEAT, observer, 1);
	from_observer.leader = 3;
	core_msg(a, 20, from_observer);
	struct wire_msg naming_1 = mk(WIRE_HEARTBEAT, follower, 1);
	naming_1.leader = 1;
	core_msg(a, 20, naming_1);
	rec_expect_no_send(&a->r);

	core_msg(a, 30, beat->msg);
	char to[8];
	snprintf(to, sizeof(to), "%u", follower);
	const struct rec_sent *back = rec_next_send(&a->r);
	expect_send(back, 30, WIRE_HEARTBEAT, 3, 1, to);
	assert_int_equal(back->msg.leader, 1);
	rec_expect_no_send(&a->r);
	rec_expect_quiet(&a->r);

	core_msg(b, 31, back->msg);
	assert_int_equal(b->m.leader, 1);
	assert_int_equal(b->m.role, MSHIP_MEMBER);
	rec_expect_quiet(&b->r);
}

/*
 * A ringed view: the leader removes a member once a majority of its
 * observers suspect it and it has not heard the member itself for 2T. A
 * JOIN holding no vote (a later life, started without its state file) is
 * no sign of the life the view lists: it does not count as hearing it.
 * Counted, such JOINs (every BACKOFF_MAX_MS, within 2T at T = 1 s) kept a
 * dead life in the view for good (rollcall-sim --seed 3 --peers 48
 * --amnesia).
 */
static void test_ring_leader_new_life_join_no_sign_of_life(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_grow(c, 33, 33, 0);
	assert_true(c->m.ringed);
	uint32_t view = c->m.view_id;
	unsigned q = 0;
	struct peerset obs;
	for (unsigned id = 2; id <= 33 && q == 0; id++) {
		obs = rings_observers(&c->m.rings, id);
		if (!peerset_has(&obs, 1) && peerset_count(&obs) >= 3)
			q = id;
	}
	assert_true(q != 0);

	/* q's new life, showing an older view: it is sent ours. */
	struct wire_msg join = mk(WIRE_JOIN, q, view - 1);
	join.incarnation = 2;
	core_msg(c, 1000, join);
	assert_false(c->m.round_active);
	c->r.sent_checked = c->r.sent_count;

	/* A majority of q's observers suspect it, 50 ms after that JOIN. */
	char suspects[8];
	snprintf(suspects, sizeof(suspects), "%u", q);
	unsigned need = peerset_count(&obs) / 2 + 1, told = 0;
	peerset_foreach(&obs, id) {
		if (told == need)
			break;
		assert_false(c->m.round_active);
		core_msg(c, 1050, mk_hb(id, view, suspects));
		told++;
	}
	assert_true(c->m.round_active);
	assert_true(wire_changes_has(&c->m.round, WIRE_OP_DEL, q));
}

/*
 * A peer alone in its hostsfile, restarted with its state file, has
 * nobody to join: it leads the view that file holds again (it is that
 * view's quorum), and never founds view 0 a second time.
 */
static void test_lone_restarted_peer_keeps_its_view(void **state)
{
	(void)state;
	struct core *c = &core_a;
	static struct state st;
	memset(&st, 0, sizeof(st));
	st.promised = BALLOT_MAKE(3, 1);
	st.in_view = true;
	st.view_id = 7;
	st.view_leader = 1;
	st.members = net_set("1");
	rec_create(&c->r);
	c->r.self = 1;
	struct mship_config cfg = {
		.self = 1, .hosts_count = 1, .heartbeat_ms = T_MS,
		.crash_ms = -1, .incarnation = 9, .restored = &st,
	};
	mship_create(&c->m, &cfg, &c->r.out);
	core_start(c, 0);
	rec_expect_line(&c->r, 0, net_line_view(1, 7, 1, "1"));
	assert_int_equal(c->m.role, MSHIP_LEADER);
	assert_false(c->m.recon.active);
	assert_int_equal(c->m.view_id, 7);
	assert_true(c->m.ballot > st.promised);
	assert_int_equal(c->m.st.promised, c->m.ballot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lone_restarted_peer_keeps_its_view),
		cmocka_unit_test(test_allowance_dead_at_2T_plus_A),
		cmocka_unit_test(test_allowance_one_lost_heartbeat),
		cmocka_unit_test(test_leader_alone_does_not_remove),
		cmocka_unit_test(test_leader_without_quorum_shows_view),
		cmocka_unit_test(test_leader_rechecks_after_view),
		cmocka_unit_test(test_member_tells_leader_at_once),
		cmocka_unit_test(test_net_lossy_link_removes_nobody),
		cmocka_unit_test(test_net_cut_off_from_all_is_reported),
		cmocka_unit_test(test_rings_balanced_and_deterministic),
		cmocka_unit_test(test_ring_removal_needs_majority_of_observers),
		cmocka_unit_test(test_ring_removal_waits_while_anyone_heard),
		cmocka_unit_test(test_ring_member_tells_its_follower),
		cmocka_unit_test(test_ring_leader_new_life_join_no_sign_of_life),
		cmocka_unit_test(test_ring_member_beats_observers),
		cmocka_unit_test(test_ring_leader_half_beats_who_missed_it),
		cmocka_unit_test(test_late_beat_is_no_loss),
		cmocka_unit_test(test_suspected_member_beats_twice),
		cmocka_unit_test(test_net_heard_again),
		cmocka_unit_test(test_net_crash_detected_5),
		cmocka_unit_test(test_net_crash_detected_10),
		cmocka_unit_test(test_suspicions_table_control),
		cmocka_unit_test(test_suspicions_table_full_of_stale_slots),
		cmocka_unit_test(test_member_refuses_below_promise),
		cmocka_unit_test(test_net_cut_leader_commits_nothing),
		cmocka_unit_test(test_leader_start_prints_view0),
		cmocka_unit_test(test_joiner_backoff),
		cmocka_unit_test(test_joiner_probes_rotate),
		cmocka_unit_test(test_joiner_heard_target_probes_nobody),
		cmocka_unit_test(test_lone_leader_answers_join),
		cmocka_unit_test(test_member_redirects_join),
		cmocka_unit_test(test_joiner_follows_redirect),
		cmocka_unit_test(test_peer1_redirect_dropped_once_grown),
		cmocka_unit_test(test_member_takes_any_newer_view),
		cmocka_unit_test(test_net_join_one_by_one),
		cmocka_unit_test(test_net_heartbeats_every_T),
		cmocka_unit_test(test_net_member_dead_at_2T),
		cmocka_unit_test(test_net_req_del_before_own_detector),
		cmocka_unit_test(test_net_crash_one_by_one),
		cmocka_unit_test(test_net_two_crash_together),
		cmocka_unit_test(test_net_joins_batched),
		cmocka_unit_test(test_net_crash_option),
		cmocka_unit_test(test_net_crash_option_while_joining),
		cmocka_unit_test(test_net_newleader_before_own_detector),
		cmocka_unit_test(test_net_join_after_takeover),
		cmocka_unit_test(test_net_removed_alive_goes_quiet),
		cmocka_unit_test(test_leader_new_life_is_same_member),
		cmocka_unit_test(test_found_probe),
		cmocka_unit_test(test_new_life_holds_no_vote),
		cmocka_unit_test(test_member_new_life_is_same_member),
		cmocka_unit_test(test_removed_quiet_or_rejoins),
		cmocka_unit_test(test_member_redirects_to_successor),
		cmocka_unit_test(test_leader_add_round),
		cmocka_unit_test(test_leader_commits_at_quorum),
		cmocka_unit_test(test_leader_needs_quorum_of_next_view),
		cmocka_unit_test(test_quorum_sizes),
		cmocka_unit_test(test_add_unconfirmed_dropped),
		cmocka_unit_test(test_leader_refused_asks_above),
		cmocka_unit_test(test_member_defers_newleader),
		cmocka_unit_test(test_member_refuses_newleader_below_promise),
		cmocka_unit_test(test_takeover_finishes_highest_ballot),
		cmocka_unit_test(test_restarted_peer_resumes_its_view),
		cmocka_unit_test(test_restarted_leader_takes_its_view_over),
		cmocka_unit_test(test_restarted_peer_removed_joins_again),
		cmocka_unit_test(test_leader_gives_up_change_without_quorum),
		cmocka_unit_test(test_follow_cycle_broken_by_lower),
		cmocka_unit_test(test_candidate_yields_only_above_promise),
		cmocka_unit_test(test_member_shows_stranger_its_view),
		cmocka_unit_test(test_member_acts_on_dead_leader_named),
		cmocka_unit_test(test_candidate_relays_view_to_joining_member),
		cmocka_unit_test(test_net_leader_dies),
		cmocka_unit_test(test_net_false_leader_suspicion_deferred),
		cmocka_unit_test(test_net_leader_dies_mid_add),
		cmocka_unit_test(test_net_testcase4),
		cmocka_unit_test(test_member_add_round),
		cmocka_unit_test(test_second_join_queued),
		cmocka_unit_test(test_member_drops_bad_messages),
		cmocka_unit_test(test_leader_drops_bad_oks),
		cmocka_unit_test(test_leader_sends_newview_before_printing),
		cmocka_unit_test(test_leader_resends_view_to_lagging_member),
		cmocka_unit_test(test_joiner_answers_probe),
		cmocka_unit_test(test_pause_is_not_silence),
		cmocka_unit_test(test_net_member_dies_mid_round),
		cmocka_unit_test(test_joiner_relays_view_that_left_it_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
