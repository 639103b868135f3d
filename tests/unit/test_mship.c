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

static void core_create(struct core *c, unsigned self, unsigned hosts_count)
{
	rec_create(&c->r);
	c->r.self = self;
	struct mship_config cfg = {
		.self = self,
		.hosts_count = hosts_count,
		.heartbeat_ms = T_MS,
		.crash_ms = -1,
		.testcase4 = false,
	};
	mship_create(&c->m, &cfg, &c->r.out);
}

/*
 * Start a core. Peer 1's probe of the other hosts is checked here, and
 * each of them answers at once that it is joining too, which ends peer 1's
 * founding wait (the tests of that wait start peer 1 by hand).
 */
static void core_start(struct core *c, int64_t now_ms)
{
	c->r.now_ms = now_ms;
	bool first = c->m.role == MSHIP_IDLE;
	mship_start(&c->m, now_ms);
	if (first && c->r.self == 1 && c->m.cfg.hosts_count > 1) {
		const struct rec_sent *probe = rec_next_send(&c->r);
		assert_int_equal(probe->msg.type, WIRE_JOIN);
		assert_int_equal(peerset_count(&probe->to),
				 c->m.cfg.hosts_count - 1);
		for (unsigned id = 2; id <= c->m.cfg.hosts_count; id++) {
			struct wire_msg none;
			memset(&none, 0, sizeof(none));
			none.type = WIRE_REDIRECT;
			none.from = (uint16_t)id;
			none.incarnation = 1;
			mship_on_message(&c->m, now_ms, &none);
		}
		assert_int_equal(c->m.found_wait_ms, MSHIP_NEVER);
	}
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
}

static void expect_view(const struct mship *m, uint32_t view_id,
			unsigned leader, const char *members)
{
	assert_int_equal(m->view_id, view_id);
	assert_int_equal(m->leader, leader);
	assert_string_equal(net_set_str(&m->members), members);
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
		{ 100, "1,2,4,5,6,7,8,9,10" },
		{ 300, "1,2,4,5,6,7,8,11,12" },
		{ 700, "1,2,4,5,6,9,10,11,12" },
		{ 1500, "1,2,4,7,8,9,10,11,12" },
		{ 3100, "1,5,6,7,8,9,10,11,12" },
		{ 5100, "1,2,4,5,6,7,8,9,10" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		core_tick(&core_a, want[i].at);
		expect_send(rec_next_send(&core_a.r), want[i].at, WIRE_JOIN, 3,
			    0, want[i].to);
		rec_expect_no_send(&core_a.r);
	}
}

static void test_lone_leader_answers_join(void **state)
{
	(void)state;
	core_create(&core_a, 1, 3);
	core_start(&core_a, 0);
	rec_expect_line(&core_a.r, 0, net_line_view(1, 0, 1, "1"));
	core_msg(&core_a, 50, mk(WIRE_JOIN, 2, 0));
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

/* With members, ADD runs REQ -> OK -> NEWVIEW, seen from the leader. */
static void test_leader_add_round(void **state)
{
	(void)state;
	core_create(&core_a, 1, 3);
	core_start(&core_a, 0);
	core_msg(&core_a, 0, mk(WIRE_JOIN, 2, 0));
	rec_next_send(&core_a.r);	/* NEWVIEW 1 */

	core_msg(&core_a, 60, mk(WIRE_JOIN, 3, 0));
	const struct rec_sent *req = rec_next_send(&core_a.r);
	expect_send(req, 60, WIRE_REQ, 1, 1, "2");
	assert_int_equal(req->msg.op, WIRE_OP_ADD);
	assert_int_equal(req->msg.peer, 3);
	uint32_t rid = req->msg.request_id;
	rec_expect_no_send(&core_a.r);
	/* Nothing changes until every OK is in. */
	expect_view(&core_a.m, 1, 1, "1,2");

	core_msg(&core_a, 70, mk_ok(2, 1, rid, WIRE_OP_ADD, 3));
	const struct rec_sent *nv = rec_next_send(&core_a.r);
	expect_send(nv, 70, WIRE_NEWVIEW, 1, 2, "2,3");
	assert_int_equal(nv->msg.leader, 1);
	assert_string_equal(net_set_str(&nv->msg.members), "1,2,3");
	rec_expect_no_send(&core_a.r);
	rec_expect_line(&core_a.r, 0, net_line_view(1, 0, 1, "1"));
	rec_expect_line(&core_a.r, 0, net_line_view(1, 1, 1, "1,2"));
	rec_expect_line(&core_a.r, 70, net_line_view(1, 2, 1, "1,2,3"));
	rec_expect_quiet(&core_a.r);
	assert_int_equal(core_a.m.stats.dropped_stale, 0);
}

/* The same round seen from a member: JOIN, NEWVIEW, REQ -> OK, NEWVIEW. */
static void test_member_add_round(void **state)
{
	(void)state;
	core_create(&core_a, 2, 3);
	core_start(&core_a, 0);
	expect_send(rec_next_send(&core_a.r), 0, WIRE_JOIN, 2, 0, "1");
	core_msg(&core_a, 10, mk_newview(1, 1, 1, "1,2"));
	assert_int_equal(core_a.m.role, MSHIP_MEMBER);
	rec_expect_line(&core_a.r, 10, net_line_view(2, 1, 1, "1,2"));
	/* A new member beats at once, then every T; JOIN retries stop. */
	assert_int_equal(mship_next_deadline(&core_a.m), 10);
	core_tick(&core_a, 10);
	expect_send(rec_next_send(&core_a.r), 10, WIRE_HEARTBEAT, 2, 1, "1");
	assert_int_equal(mship_next_deadline(&core_a.m), 110);

	core_msg(&core_a, 20, mk_req(1, 1, 7, WIRE_OP_ADD, 3));
	const struct rec_sent *ok = rec_next_send(&core_a.r);
	expect_send(ok, 20, WIRE_OK, 2, 1, "1");
	assert_int_equal(ok->msg.request_id, 7);
	assert_int_equal(ok->msg.op, WIRE_OP_ADD);
	assert_int_equal(ok->msg.peer, 3);
	assert_true(core_a.m.pending_set);
	/* Saved, not applied. */
	expect_view(&core_a.m, 1, 1, "1,2");
	rec_expect_quiet(&core_a.r);

	core_msg(&core_a, 30, mk_newview(1, 2, 1, "1,2,3"));
	rec_expect_line(&core_a.r, 30, net_line_view(2, 2, 1, "1,2,3"));
	assert_false(core_a.m.pending_set);
	assert_int_equal(core_a.m.fd.deadline_ms[3], 230);
	rec_expect_no_send(&core_a.r);
	rec_expect_quiet(&core_a.r);
}

static void test_second_join_queued(void **state)
{
	(void)state;
	core_create(&core_a, 1, 4);
	core_start(&core_a, 0);
	core_msg(&core_a, 0, mk(WIRE_JOIN, 2, 0));
	rec_next_send(&core_a.r);	/* NEWVIEW 1 */
	core_msg(&core_a, 10, mk(WIRE_JOIN, 3, 0));
	const struct rec_sent *s = rec_next_send(&core_a.r);
	expect_send(s, 10, WIRE_REQ, 1, 1, "2");
	assert_int_equal(s->msg.peer, 3);
	uint32_t r3 = s->msg.request_id;

	/* One change at a time: 4 waits. */
	core_msg(&core_a, 20, mk(WIRE_JOIN, 4, 0));
	rec_expect_no_send(&core_a.r);

	core_msg(&core_a, 30, mk_ok(2, 1, r3, WIRE_OP_ADD, 3));
	s = rec_next_send(&core_a.r);
	expect_send(s, 30, WIRE_NEWVIEW, 1, 2, "2,3");
	assert_string_equal(net_set_str(&s->msg.members), "1,2,3");
	s = rec_next_send(&core_a.r);
	expect_send(s, 30, WIRE_REQ, 1, 2, "2,3");
	assert_int_equal(s->msg.op, WIRE_OP_ADD);
	assert_int_equal(s->msg.peer, 4);
	uint32_t r4 = s->msg.request_id;
	assert_int_not_equal(r4, r3);
	rec_expect_no_send(&core_a.r);

	core_msg(&core_a, 40, mk_ok(2, 2, r4, WIRE_OP_ADD, 4));
	rec_expect_no_send(&core_a.r);
	core_msg(&core_a, 50, mk_ok(3, 2, r4, WIRE_OP_ADD, 4));
	s = rec_next_send(&core_a.r);
	expect_send(s, 50, WIRE_NEWVIEW, 1, 3, "2,3,4");
	assert_string_equal(net_set_str(&s->msg.members), "1,2,3,4");
	rec_expect_no_send(&core_a.r);

	rec_expect_line(&core_a.r, 0, net_line_view(1, 0, 1, "1"));
	rec_expect_line(&core_a.r, 0, net_line_view(1, 1, 1, "1,2"));
	rec_expect_line(&core_a.r, 30, net_line_view(1, 2, 1, "1,2,3"));
	rec_expect_line(&core_a.r, 50, net_line_view(1, 3, 1, "1,2,3,4"));
	rec_expect_quiet(&core_a.r);
}

static void test_duplicate_join_ignored(void **state)
{
	(void)state;
	core_create(&core_a, 1, 4);
	core_start(&core_a, 0);
	core_msg(&core_a, 0, mk(WIRE_JOIN, 2, 0));
	rec_next_send(&core_a.r);	/* NEWVIEW 1 */
	core_msg(&core_a, 10, mk(WIRE_JOIN, 3, 0));
	uint32_t r3 = rec_next_send(&core_a.r)->msg.request_id;
	core_msg(&core_a, 11, mk(WIRE_JOIN, 4, 0));
	/* Retries of a JOIN in flight and of a queued JOIN. */
	core_msg(&core_a, 12, mk(WIRE_JOIN, 3, 0));
	core_msg(&core_a, 13, mk(WIRE_JOIN, 4, 0));
	core_msg(&core_a, 14, mk(WIRE_JOIN, 3, 0));
	rec_expect_no_send(&core_a.r);
	assert_int_equal(core_a.m.queue_count, 1);

	core_msg(&core_a, 20, mk_ok(2, 1, r3, WIRE_OP_ADD, 3));
	expect_send(rec_next_send(&core_a.r), 20, WIRE_NEWVIEW, 1, 2, "2,3");
	const struct rec_sent *s = rec_next_send(&core_a.r);
	expect_send(s, 20, WIRE_REQ, 1, 2, "2,3");
	uint32_t r4 = s->msg.request_id;
	core_msg(&core_a, 30, mk_ok(2, 2, r4, WIRE_OP_ADD, 4));
	core_msg(&core_a, 30, mk_ok(3, 2, r4, WIRE_OP_ADD, 4));
	expect_send(rec_next_send(&core_a.r), 30, WIRE_NEWVIEW, 1, 3,
		    "2,3,4");
	rec_expect_no_send(&core_a.r);
	assert_int_equal(core_a.m.queue_count, 0);

	/* A member that JOINs again missed its NEWVIEW: it gets the view
	 * again, alone, and nothing changes. */
	core_msg(&core_a, 40, mk(WIRE_JOIN, 3, 0));
	s = rec_next_send(&core_a.r);
	expect_send(s, 40, WIRE_NEWVIEW, 1, 3, "3");
	assert_string_equal(net_set_str(&s->msg.members), "1,2,3,4");
	rec_expect_no_send(&core_a.r);
	expect_view(&core_a.m, 3, 1, "1,2,3,4");
	assert_false(core_a.m.round_active);

	rec_expect_line(&core_a.r, 0, net_line_view(1, 0, 1, "1"));
	rec_expect_line(&core_a.r, 0, net_line_view(1, 1, 1, "1,2"));
	rec_expect_line(&core_a.r, 20, net_line_view(1, 2, 1, "1,2,3"));
	rec_expect_line(&core_a.r, 30, net_line_view(1, 3, 1, "1,2,3,4"));
	rec_expect_quiet(&core_a.r);
}

/* A member asked to let someone in names the leader instead. */
static void test_member_redirects_join(void **state)
{
	(void)state;
	core_create(&core_a, 3, 4);
	core_start(&core_a, 0);
	rec_next_send(&core_a.r);	/* JOIN */
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
	expect_send(rec_next_send(&core_a.r), 100, WIRE_JOIN, 4, 0, "1,2,3");
	assert_int_equal(mship_next_deadline(&core_a.m), 300);

	core_msg(&core_a, 150, mk_redirect(3, 5, 2));
	/* A joiner's JOIN carries the highest view id it has seen. */
	expect_send(rec_next_send(&core_a.r), 150, WIRE_JOIN, 4, 5, "2");
	rec_expect_no_send(&core_a.r);
	/* The backoff starts over. */
	assert_int_equal(mship_next_deadline(&core_a.m), 250);
	core_tick(&core_a, 250);
	expect_send(rec_next_send(&core_a.r), 250, WIRE_JOIN, 4, 5, "1,2,3");
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

/*
 * A NEWLEADER that arrives while the old leader is still heard waits for
 * this peer's own detector. The new leader's own heartbeats do not refuse
 * it (only the old leader's, or a lower member's, do); the detector
 * accepts it, answering with the pending change.
 */
static void test_member_defers_newleader(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 3, 3);
	core_start(c, 0);
	core_msg(c, 10, mk_newview(1, 2, 1, "1,2,3"));
	rec_expect_line(&c->r, 10, net_line_view(3, 2, 1, "1,2,3"));
	core_msg(c, 20, mk_req(1, 2, 7, WIRE_OP_ADD, 2));
	c->r.sent_checked = c->r.sent_count;
	/* 1 last heard at 10 (the view): dead at 210. 2 asks at 150. */
	struct wire_msg nl = mk(WIRE_NEWLEADER, 2, 2);
	nl.request_id = 5;
	nl.op = WIRE_OP_PENDING;
	core_msg(c, 150, nl);
	core_msg(c, 160, mk(WIRE_HEARTBEAT, 2, 2));
	rec_expect_only_heartbeats(&c->r);
	core_tick(c, 210);
	rec_expect_line(&c->r, 210,
			net_line_leader_unreachable(3, 2, 1, 1));
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 210, WIRE_OK, 3, 2, "2");
	assert_int_equal(s->msg.request_id, 5);
	assert_int_equal(s->msg.op, WIRE_OP_ADD);
	assert_int_equal(s->msg.peer, 2);
	assert_int_equal(c->m.leader, 2);
}

/* The same NEWLEADER is refused when the old leader speaks again. */
static void test_member_refuses_newleader(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 3, 3);
	core_start(c, 0);
	core_msg(c, 10, mk_newview(1, 2, 1, "1,2,3"));
	c->r.sent_checked = c->r.sent_count;
	struct wire_msg nl = mk(WIRE_NEWLEADER, 2, 2);
	nl.request_id = 5;
	nl.op = WIRE_OP_PENDING;
	core_msg(c, 150, nl);
	core_msg(c, 160, mk(WIRE_HEARTBEAT, 1, 2));
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 160, WIRE_OK, 3, 2, "2");
	assert_int_equal(s->msg.op, WIRE_OP_REFUSE);
	assert_int_equal(s->msg.peer, 1);
	assert_int_equal(c->m.leader, 1);
	assert_false(c->m.newleader_deferred);
}

/* Nothing a stranger or a stale message says changes a member. */
static void test_member_drops_bad_messages(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 2, 3);
	core_start(c, 0);
	core_msg(c, 10, mk_newview(1, 2, 1, "1,2,3"));
	rec_expect_line(&c->r, 10, net_line_view(2, 2, 1, "1,2,3"));
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
		{ mk_req(0, 2, 9, WIRE_OP_DEL, 3),
		  &c->m.stats.dropped_stranger },
		/* A REQ from an older view. */
		{ mk_req(1, 1, 9, WIRE_OP_DEL, 3), &c->m.stats.dropped_stale },
		/* A NEWVIEW older than, or as old as, the one installed. */
		{ mk_newview(1, 1, 1, "1,2"), &c->m.stats.dropped_stale },
		{ mk_newview(1, 2, 1, "1,2"), &c->m.stats.dropped_stale },
		/* A REQ from a member that does not lead. */
		{ mk_req(3, 2, 9, WIRE_OP_DEL, 1), &c->m.stats.dropped_role },
		/* A NEWVIEW whose sender is not the leader it names. */
		{ mk_newview(3, 3, 1, "1,2,3"), &c->m.stats.dropped_role },
		/* An OK to a member. */
		{ mk_ok(1, 2, 9, WIRE_OP_ADD, 3), &c->m.stats.dropped_role },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = *bad[i].counter;
		struct mship_stats stats = c->m.stats;
		core_msg(c, 20 + (int64_t)i, bad[i].msg);
		assert_int_equal(*bad[i].counter, before + 1);
		/* Only that counter moved. */
		uint64_t sum_before = stats.dropped_stranger +
				      stats.dropped_nonmember +
				      stats.dropped_stale + stats.dropped_role +
				      stats.dropped_queue_full;
		uint64_t sum_after = c->m.stats.dropped_stranger +
				     c->m.stats.dropped_nonmember +
				     c->m.stats.dropped_stale +
				     c->m.stats.dropped_role +
				     c->m.stats.dropped_queue_full;
		assert_int_equal(sum_after, sum_before + 1);
		rec_expect_no_send(&c->r);
		rec_expect_quiet(&c->r);
		expect_view(&c->m, 2, 1, "1,2,3");
		assert_int_equal(c->m.role, MSHIP_MEMBER);
		assert_false(c->m.pending_set);
		assert_true(peerset_empty(&c->m.dead));
		assert_true(peerset_empty(&c->m.reported));
		/* Not even a stranger's heartbeat keeps anyone alive. */
		assert_int_equal(c->m.fd.deadline_ms[1], deadline1);
	}
	assert_int_equal(c->m.stats.dropped_stranger, 5);
	assert_int_equal(c->m.stats.dropped_stale, 3);
	assert_int_equal(c->m.stats.dropped_role, 3);
}

/* The leader drops OKs that do not answer the round in flight. */
static void test_leader_drops_bad_oks(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 4);
	core_start(c, 0);
	core_msg(c, 0, mk(WIRE_JOIN, 2, 0));
	core_msg(c, 0, mk(WIRE_JOIN, 3, 0));
	/* sent[0] is the probe, sent[1] NEWVIEW 1. */
	uint32_t r3 = c->r.sent[2].msg.request_id;
	assert_int_equal(c->r.sent[2].msg.type, WIRE_REQ);
	core_msg(c, 0, mk_ok(2, 1, r3, WIRE_OP_ADD, 3));
	/* View 2 [1,2,3]; now ADD 4 waits on 2 and 3. */
	core_msg(c, 10, mk(WIRE_JOIN, 4, 0));
	const struct rec_sent *req = &c->r.sent[c->r.sent_count - 1];
	expect_send(req, 10, WIRE_REQ, 1, 2, "2,3");
	uint32_t r4 = req->msg.request_id;
	c->r.sent_checked = c->r.sent_count;
	c->r.lines_checked = c->r.lines_count;

	const struct wire_msg bad[] = {
		mk_ok(2, 2, r4 + 1, WIRE_OP_ADD, 4),	/* wrong request id */
		mk_ok(2, 2, r3, WIRE_OP_ADD, 4),	/* an older round's */
		mk_ok(2, 1, r4, WIRE_OP_ADD, 4),	/* wrong view id */
		mk_ok(4, 2, r4, WIRE_OP_ADD, 4),	/* not asked */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		core_msg(c, 20, bad[i]);
		assert_int_equal(c->m.stats.dropped_stale, i + 1);
		assert_string_equal(net_set_str(&c->m.round_waiting), "2,3");
	}
	core_msg(c, 30, mk_ok(2, 2, r4, WIRE_OP_ADD, 4));
	core_msg(c, 30, mk_ok(2, 2, r4, WIRE_OP_ADD, 4));	/* twice */
	assert_int_equal(c->m.stats.dropped_stale, 5);
	core_msg(c, 30, mk(WIRE_JOIN, 0, 0));
	core_msg(c, 30, mk(WIRE_HEARTBEAT, 5, 2));
	core_msg(c, 30, mk(WIRE_JOIN, 1, 0));
	assert_int_equal(c->m.stats.dropped_stranger, 3);
	/* A heartbeat from a peer not in the view, which believes it is a
	 * member: it is sent the view, once per 2T. */
	core_msg(c, 30, mk(WIRE_HEARTBEAT, 4, 0));
	core_msg(c, 31, mk(WIRE_HEARTBEAT, 4, 0));
	assert_int_equal(c->m.stats.dropped_nonmember, 2);
	const struct rec_sent *told = rec_next_send(&c->r);
	expect_send(told, 30, WIRE_NEWVIEW, 1, 2, "4");
	assert_string_equal(net_set_str(&told->msg.members), "1,2,3");
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 2, 1, "1,2,3");

	core_msg(c, 40, mk_ok(3, 2, r4, WIRE_OP_ADD, 4));
	expect_send(rec_next_send(&c->r), 40, WIRE_NEWVIEW, 1, 3, "2,3,4");
	rec_expect_line(&c->r, 40, net_line_view(1, 3, 1, "1,2,3,4"));
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
 * A member of view view_id [members] led by 1, joined at 10: every other
 * member is watched from 10, so is dead at 210 unless heard again.
 */
static void core_member(struct core *c, unsigned self, unsigned hosts_count,
			uint32_t view_id, const char *members)
{
	core_create(c, self, hosts_count);
	core_start(c, 0);
	expect_send(rec_next_send(&c->r), 0, WIRE_JOIN, self, 0, "1");
	core_msg(c, 10, mk_newview(1, view_id, 1, members));
	rec_expect_line(&c->r, 10, net_line_view(self, view_id, 1, members));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
}

/*
 * Regressions H, B and B2, from the new leader. 1 led view 4 [1..5] of 6
 * hosts: it asked DEL 3 in view 4 (2 saved it and gave 3 up), made view 5
 * [1,2,4,5] with every OK but only 4 got that NEWVIEW, asked ADD 6 in
 * view 5 and died. 2 takes over and hears both changes. It finishes them
 * in the order of their views, DEL 3 then ADD 6, and only then removes 1,
 * the dead; its first view is 7, v + 2 for the latest pending change's v
 * = 5, since 1 may have made view 6 of ADD 6 before it died. (DEL 3 is
 * both pending and a dead member's removal: it must still go first.)
 */
static void test_takeover_finishes_pending_in_view_order(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 6, 4, "1,2,3,4,5");
	core_msg(c, 20, mk_req(1, 4, 7, WIRE_OP_DEL, 3));
	rec_expect_line(&c->r, 20, net_line_unreachable(2, 4, 1, 3));
	expect_send(rec_next_send(&c->r), 20, WIRE_OK, 2, 4, "1");
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 4, 5));
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 5, 4));
	core_tick(c, 209);
	rec_expect_only_heartbeats(&c->r);
	rec_expect_quiet(&c->r);

	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(2, 4, 1, 1));
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 210, WIRE_NEWLEADER, 2, 4, "4,5");
	expect_change(s, 1, WIRE_OP_PENDING, 0);
	rec_expect_no_send(&c->r);

	/* 4 installed view 5 and was asked ADD 6 there; 5 has view 4's. */
	core_msg(c, 220, mk_ok(4, 5, 1, WIRE_OP_ADD, 6));
	rec_expect_no_send(&c->r);
	core_msg(c, 230, mk_ok(5, 4, 1, WIRE_OP_DEL, 3));
	s = rec_next_send(&c->r);
	expect_send(s, 230, WIRE_REQ, 2, 6, "4,5");
	expect_change(s, 2, WIRE_OP_DEL, 3);
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);

	core_msg(c, 240, mk_ok(4, 6, 2, WIRE_OP_DEL, 3));
	core_msg(c, 240, mk_ok(5, 6, 2, WIRE_OP_DEL, 3));
	s = rec_next_send(&c->r);
	expect_send(s, 240, WIRE_NEWVIEW, 2, 7, "3,4,5");
	expect_newview(s, 2, "1,2,4,5");
	s = rec_next_send(&c->r);
	expect_send(s, 240, WIRE_REQ, 2, 7, "4,5");
	expect_change(s, 3, WIRE_OP_ADD, 6);
	rec_expect_no_send(&c->r);
	rec_expect_line(&c->r, 240, net_line_view(2, 7, 2, "1,2,4,5"));

	core_msg(c, 250, mk_ok(4, 7, 3, WIRE_OP_ADD, 6));
	core_msg(c, 250, mk_ok(5, 7, 3, WIRE_OP_ADD, 6));
	s = rec_next_send(&c->r);
	expect_send(s, 250, WIRE_NEWVIEW, 2, 8, "4,5,6");
	expect_newview(s, 2, "1,2,4,5,6");
	s = rec_next_send(&c->r);
	expect_send(s, 250, WIRE_REQ, 2, 8, "4,5,6");
	expect_change(s, 4, WIRE_OP_DEL, 1);
	rec_expect_no_send(&c->r);
	rec_expect_line(&c->r, 250, net_line_view(2, 8, 2, "1,2,4,5,6"));

	for (unsigned id = 4; id <= 6; id++)
		core_msg(c, 260, mk_ok(id, 8, 4, WIRE_OP_DEL, 1));
	s = rec_next_send(&c->r);
	expect_send(s, 260, WIRE_NEWVIEW, 2, 9, "1,4,5,6");
	expect_newview(s, 2, "2,4,5,6");
	rec_expect_no_send(&c->r);
	rec_expect_line(&c->r, 260, net_line_view(2, 9, 2, "2,4,5,6"));
	rec_expect_quiet(&c->r);
	assert_false(c->m.round_active);
	assert_int_equal(c->m.queue_count, 0);
	assert_int_equal(c->m.stats.dropped_stale, 0);
}

/*
 * A leader sends a view before it prints it, so a leader that dies between
 * the two leaves no view that only it printed: for the lone leader's first
 * change and for a change with a round.
 */
static void test_leader_sends_newview_before_printing(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));

	core_msg(c, 10, mk(WIRE_JOIN, 2, 0));
	const struct rec_sent *nv = rec_next_send(&c->r);
	expect_send(nv, 10, WIRE_NEWVIEW, 1, 1, "2");
	rec_expect_no_send(&c->r);
	const struct rec_line *line = &c->r.lines[c->r.lines_checked];
	rec_expect_line(&c->r, 10, net_line_view(1, 1, 1, "1,2"));
	assert_true(nv->seq < line->seq);

	core_msg(c, 20, mk(WIRE_JOIN, 3, 0));
	const struct rec_sent *req = rec_next_send(&c->r);
	expect_send(req, 20, WIRE_REQ, 1, 1, "2");
	rec_expect_quiet(&c->r);
	core_msg(c, 30, mk_ok(2, 1, req->msg.request_id, WIRE_OP_ADD, 3));
	nv = rec_next_send(&c->r);
	expect_send(nv, 30, WIRE_NEWVIEW, 1, 2, "2,3");
	rec_expect_no_send(&c->r);
	line = &c->r.lines[c->r.lines_checked];
	rec_expect_line(&c->r, 30, net_line_view(1, 2, 1, "1,2,3"));
	assert_true(nv->seq < line->seq);
	rec_expect_quiet(&c->r);
}

/*
 * Regression D. 2 takes over and 3 reports DEL 2, asked in view 2 (1
 * wrongly gave 2 up, or 2 is the -t victim): a leader lives, so it skips
 * its own removal and removes only 1, the dead. Views 3 to 5 are
 * skipped: 1 may have removed 2 in view 3 without telling it, then the
 * others one by one (view 2 had 3 members), in views no live peer saw.
 */
static void test_new_leader_skips_del_of_self(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 2));
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(2, 2, 1, 1));
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 210, WIRE_NEWLEADER, 2, 2, "3");
	expect_change(s, 1, WIRE_OP_PENDING, 0);
	rec_expect_no_send(&c->r);

	core_msg(c, 220, mk_ok(3, 2, 1, WIRE_OP_DEL, 2));
	s = rec_next_send(&c->r);
	expect_send(s, 220, WIRE_REQ, 2, 5, "3");
	expect_change(s, 2, WIRE_OP_DEL, 1);
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);

	core_msg(c, 230, mk_ok(3, 5, 2, WIRE_OP_DEL, 1));
	s = rec_next_send(&c->r);
	expect_send(s, 230, WIRE_NEWVIEW, 2, 6, "1,3");
	expect_newview(s, 2, "2,3");
	rec_expect_no_send(&c->r);
	rec_expect_line(&c->r, 230, net_line_view(2, 6, 2, "2,3"));
	rec_expect_quiet(&c->r);
	assert_int_equal(c->m.role, MSHIP_LEADER);
	assert_false(c->m.round_active);
	assert_int_equal(c->m.queue_count, 0);
}

/*
 * Regression C. While 2 takes over, JOINs wait: one from a new host and
 * one from a member (a new life of it, say) are answered with a REDIRECT
 * naming 2 (so that a restarted peer 1 learns a group lives), and nothing
 * is queued. Once reconciled, until 2's first view, the installed view is
 * still 1's: a member's JOIN gets nothing. After it, 2 sends its own.
 */
static void test_join_waits_for_takeover(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 4, 2, "1,2,3");
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 2));
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(2, 2, 1, 1));
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 210, WIRE_NEWLEADER, 2, 2, "3");
	assert_true(c->m.recon.active);

	core_msg(c, 220, mk(WIRE_JOIN, 4, 0));
	core_msg(c, 221, mk(WIRE_JOIN, 3, 0));
	/* Each is told to retry with 2, which leads once reconciled. */
	for (unsigned to = 4; to >= 3; to--) {
		s = rec_next_send(&c->r);
		expect_send(s, to == 4 ? 220 : 221, WIRE_REDIRECT, 2, 2,
			    to == 4 ? "4" : "3");
		assert_int_equal(s->msg.leader, 2);
	}
	rec_expect_no_send(&c->r);
	assert_int_equal(c->m.stats.dropped_role, 0);
	assert_int_equal(c->m.queue_count, 0);
	assert_false(c->m.round_active);

	core_msg(c, 230, mk_ok(3, 2, 1, WIRE_OP_NOTHING, 0));
	s = rec_next_send(&c->r);
	expect_send(s, 230, WIRE_REQ, 2, 2, "3");
	expect_change(s, 2, WIRE_OP_DEL, 1);
	core_msg(c, 240, mk(WIRE_JOIN, 3, 0));
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);

	core_msg(c, 250, mk_ok(3, 2, 2, WIRE_OP_DEL, 1));
	s = rec_next_send(&c->r);
	expect_send(s, 250, WIRE_NEWVIEW, 2, 3, "1,3");
	expect_newview(s, 2, "2,3");
	rec_expect_line(&c->r, 250, net_line_view(2, 3, 2, "2,3"));
	core_msg(c, 260, mk(WIRE_JOIN, 3, 0));
	s = rec_next_send(&c->r);
	expect_send(s, 260, WIRE_NEWVIEW, 2, 3, "3");
	expect_newview(s, 2, "2,3");
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
}

/*
 * Regression E's cure. A heartbeat shows its sender's view: a member
 * behind is sent the leader's view, at most once per 2T each.
 */
static void test_leader_resends_view_to_lagging_member(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	core_msg(c, 0, mk(WIRE_JOIN, 2, 0));
	core_msg(c, 0, mk(WIRE_JOIN, 3, 0));
	expect_send(rec_next_send(&c->r), 0, WIRE_NEWVIEW, 1, 1, "2");
	const struct rec_sent *req = rec_next_send(&c->r);
	expect_send(req, 0, WIRE_REQ, 1, 1, "2");
	core_msg(c, 0, mk_ok(2, 1, req->msg.request_id, WIRE_OP_ADD, 3));
	expect_send(rec_next_send(&c->r), 0, WIRE_NEWVIEW, 1, 2, "2,3");
	rec_expect_no_send(&c->r);
	c->r.lines_checked = c->r.lines_count;

	/* Up to date: nothing. */
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 2));
	rec_expect_no_send(&c->r);
	/* Behind: view 2 again, to 3 alone. */
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 1));
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 100, WIRE_NEWVIEW, 1, 2, "3");
	expect_newview(s, 1, "1,2,3");
	rec_expect_no_send(&c->r);
	/* Still behind within 2T: nothing; at 2T: again. */
	core_msg(c, 299, mk(WIRE_HEARTBEAT, 3, 1));
	rec_expect_no_send(&c->r);
	core_msg(c, 300, mk(WIRE_HEARTBEAT, 3, 1));
	s = rec_next_send(&c->r);
	expect_send(s, 300, WIRE_NEWVIEW, 1, 2, "3");
	expect_newview(s, 1, "1,2,3");
	rec_expect_no_send(&c->r);
	/* The limit is each member's own. */
	core_msg(c, 300, mk(WIRE_HEARTBEAT, 2, 1));
	expect_send(rec_next_send(&c->r), 300, WIRE_NEWVIEW, 1, 2, "2");
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 2, 1, "1,2,3");
}

/*
 * Regression E. A member whose leader is dead takes a REQ from the lowest
 * live member (whose NEWLEADER it missed) and follows it; not from a
 * higher member, and not while its leader lives.
 */
static void test_member_follows_successor(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 3, 4, 2, "1,2,3,4");
	core_msg(c, 20, mk_req(2, 2, 5, WIRE_OP_DEL, 1));
	rec_expect_no_send(&c->r);
	assert_int_equal(c->m.stats.dropped_role, 1);

	core_msg(c, 100, mk(WIRE_HEARTBEAT, 2, 2));
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 4, 2));
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(3, 2, 1, 1));
	rec_expect_only_heartbeats(&c->r);
	assert_int_equal(c->m.leader, 1);

	core_msg(c, 220, mk_req(4, 2, 6, WIRE_OP_DEL, 1));
	rec_expect_no_send(&c->r);
	assert_int_equal(c->m.stats.dropped_role, 2);

	core_msg(c, 230, mk_req(2, 2, 5, WIRE_OP_DEL, 1));
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 230, WIRE_OK, 3, 2, "2");
	expect_change(s, 5, WIRE_OP_DEL, 1);
	rec_expect_no_send(&c->r);
	assert_int_equal(c->m.leader, 2);
	assert_true(c->m.pending_set);

	core_msg(c, 240, mk_req(4, 2, 7, WIRE_OP_DEL, 1));
	rec_expect_no_send(&c->r);
	assert_int_equal(c->m.stats.dropped_role, 3);
	assert_int_equal(c->m.leader, 2);
	rec_expect_quiet(&c->r);
}

/*
 * Regression K, both sides. 2 and 3 lose 1 (last heard at 10); 4 does
 * not. 2 asks to take over; 3 accepts and follows it; 4 refuses, naming
 * 1. 2 steps down and tells 3, the only one that answered, to follow 1
 * again; 3, told so by the candidate it follows, takes 1's REQ once more.
 */
static void test_refused_candidate_releases_followers(void **state)
{
	(void)state;
	struct core *a = &core_a, *b = &core_b;
	core_member(a, 2, 5, 2, "1,2,3,4");
	core_member(b, 3, 5, 2, "1,2,3,4");
	core_msg(a, 100, mk(WIRE_HEARTBEAT, 3, 2));
	core_msg(a, 100, mk(WIRE_HEARTBEAT, 4, 2));
	core_msg(b, 100, mk(WIRE_HEARTBEAT, 2, 2));
	core_msg(b, 100, mk(WIRE_HEARTBEAT, 4, 2));

	core_tick(b, 210);
	rec_expect_line(&b->r, 210, net_line_leader_unreachable(3, 2, 1, 1));
	rec_expect_only_heartbeats(&b->r);
	core_tick(a, 210);
	rec_expect_line(&a->r, 210, net_line_leader_unreachable(2, 2, 1, 1));
	const struct rec_sent *nl = rec_next_send_not_hb(&a->r);
	expect_send(nl, 210, WIRE_NEWLEADER, 2, 2, "3,4");

	core_msg(b, 220, nl->msg);
	const struct rec_sent *ok = rec_next_send(&b->r);
	expect_send(ok, 220, WIRE_OK, 3, 2, "2");
	expect_change(ok, nl->msg.request_id, WIRE_OP_NOTHING, 0);
	assert_int_equal(b->m.leader, 2);
	core_msg(a, 230, ok->msg);
	rec_expect_no_send(&a->r);
	assert_string_equal(net_set_str(&a->m.recon.waiting), "4");

	/* Following 2, 3 drops 1's REQ: 1 is dead to it. */
	core_msg(b, 235, mk_req(1, 2, 9, WIRE_OP_ADD, 5));
	rec_expect_no_send(&b->r);
	assert_int_equal(b->m.stats.dropped_role, 1);

	core_msg(a, 240, mk_ok(4, 2, nl->msg.request_id, WIRE_OP_REFUSE, 1));
	const struct rec_sent *redirect = rec_next_send(&a->r);
	expect_send(redirect, 240, WIRE_REDIRECT, 2, 2, "3");
	assert_int_equal(redirect->msg.leader, 1);
	rec_expect_no_send(&a->r);
	assert_int_equal(a->m.role, MSHIP_MEMBER);
	assert_int_equal(a->m.leader, 1);
	assert_false(peerset_has(&a->m.dead, 1));
	rec_expect_quiet(&a->r);

	/* Only the candidate it follows may release it. */
	core_msg(b, 245, mk_redirect(4, 2, 1));
	assert_int_equal(b->m.stats.dropped_role, 2);
	assert_int_equal(b->m.leader, 2);
	core_msg(b, 250, redirect->msg);
	rec_expect_no_send(&b->r);
	assert_int_equal(b->m.leader, 1);
	assert_false(peerset_has(&b->m.dead, 1));
	core_msg(b, 260, mk_req(1, 2, 9, WIRE_OP_ADD, 5));
	ok = rec_next_send(&b->r);
	expect_send(ok, 260, WIRE_OK, 3, 2, "1");
	expect_change(ok, 9, WIRE_OP_ADD, 5);
	rec_expect_no_send(&b->r);
	assert_int_equal(b->m.stats.dropped_role, 2);
	rec_expect_quiet(&b->r);
}

/*
 * Regression A. Peer 1 starts by asking every other host once; a member
 * of a group that lives on answers REDIRECT, and peer 1, still alone,
 * joins that group.
 */
static void test_peer1_redirected_while_alone_joins(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	c->r.now_ms = 0;
	mship_start(&c->m, 0);
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));
	expect_send(rec_next_send(&c->r), 0, WIRE_JOIN, 1, 0, "2,3");
	rec_expect_no_send(&c->r);

	core_msg(c, 50, mk_redirect(3, 5, 2));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	expect_send(rec_next_send(&c->r), 50, WIRE_JOIN, 1, 5, "2");
	rec_expect_no_send(&c->r);
	assert_int_equal(mship_next_deadline(&c->m), 150);
	assert_int_equal(c->m.stats.dropped_role, 0);
	rec_expect_quiet(&c->r);
}

/* Once peer 1 has let a member in, it leads a group: REDIRECT is dropped. */
static void test_peer1_redirect_dropped_once_grown(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));
	core_msg(c, 10, mk(WIRE_JOIN, 2, 0));
	expect_send(rec_next_send(&c->r), 10, WIRE_NEWVIEW, 1, 1, "2");
	rec_expect_line(&c->r, 10, net_line_view(1, 1, 1, "1,2"));

	core_msg(c, 20, mk_redirect(3, 5, 2));
	assert_int_equal(c->m.stats.dropped_role, 1);
	assert_int_equal(c->m.role, MSHIP_LEADER);
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 1, 1, "1,2");
}

/*
 * Regression A, the other half. Redirected peer 1 retries JOIN (with
 * backoff, to the leader named and to the other host); when
 * hosts_count + 2 = 5 retries go unanswered, at the sixth it founds a
 * group again, numbered above the highest view id in any message it got
 * (7, in a heartbeat it dropped), not from 0.
 */
static void test_peer1_refounds_above_views_seen(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));
	core_msg(c, 50, mk_redirect(3, 5, 2));
	expect_send(rec_next_send(&c->r), 50, WIRE_JOIN, 1, 5, "2");
	core_msg(c, 60, mk(WIRE_HEARTBEAT, 3, 7));
	assert_int_equal(c->m.stats.dropped_nonmember, 1);

	static const int64_t at[] = { 150, 350, 750, 1550, 3150 };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		assert_int_equal(mship_next_deadline(&c->m), at[i]);
		core_tick(c, at[i]);
		expect_send(rec_next_send(&c->r), at[i], WIRE_JOIN, 1, 7,
			    "2,3");
		rec_expect_no_send(&c->r);
		assert_int_equal(c->m.role, MSHIP_JOINING);
	}
	rec_expect_quiet(&c->r);
	assert_int_equal(mship_next_deadline(&c->m), 5150);
	core_tick(c, 5149);
	rec_expect_no_send(&c->r);
	core_tick(c, 5150);
	expect_send(rec_next_send(&c->r), 5150, WIRE_JOIN, 1, 7, "2,3");
	rec_expect_line(&c->r, 5150, net_line_view(1, 8, 1, "1"));
	/* And it asks the other hosts again, as at start. */
	expect_send(rec_next_send(&c->r), 5150, WIRE_JOIN, 1, 8, "2,3");
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	assert_int_equal(c->m.role, MSHIP_LEADER);
	expect_view(&c->m, 8, 1, "1");
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

/* Every line of the one-by-one joins at 0: peer k prints views k-1..n-1. */
static void expect_formed_at0(unsigned hosts_count)
{
	static const char *const lists[] = {
		"1", "1,2", "1,2,3", "1,2,3,4", "1,2,3,4,5", "1,2,3,4,5,6",
	};
	for (unsigned id = 1; id <= hosts_count; id++) {
		struct rec *r = net_rec(&net, id);
		for (unsigned v = id - 1; v < hosts_count; v++)
			rec_expect_line(r, 0, net_line_view(id, v, 1, lists[v]));
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

static void form(unsigned hosts_count)
{
	net_create(&net, hosts_count, T_MS);
	net_start_all(&net, 1, hosts_count);
	expect_formed_at0(hosts_count);
	sends_checked();
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
	/* The leader's round: REQ DEL 3 to 2 only; the NEWVIEW goes to 3
	 * too, in case it lives (here the network loses it). */
	struct rec *r = net_rec(&net, 1);
	const struct rec_sent *s = rec_next_send_not_hb(r);
	expect_send(s, 400, WIRE_REQ, 1, 2, "2");
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
 * The leader stops hearing 3 a heartbeat early, so its REQ DEL reaches 2
 * before 2's own detector fires: 2 prints at the REQ, and not again.
 */
static void test_net_req_del_before_own_detector(void **state)
{
	(void)state;
	form(3);
	net_run_until(&net, 150);
	net_cut(&net, 3, 1, true);	/* 1 last hears 3 at 100 */
	net_run_until(&net, 250);
	net_crash(&net, 3);	/* 2 last hears 3 at 200 */
	net_run_until(&net, 299);
	net_expect_quiet(&net);
	net_run_until(&net, 300);
	for (unsigned id = 1; id <= 2; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 300, net_line_unreachable(id, 2, 1, 3));
		rec_expect_line(r, 300, net_line_view(id, 3, 1, "1,2"));
	}
	/* 2's detector would have fired at 400. */
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
}

/*
 * 3 dies just as 4 joins: the ADD round waits on 3 until 3's deadline,
 * then commits without its OK; 3 is removed in the next round.
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
	net_run_until(&net, 399);
	net_expect_quiet(&net);
	assert_true(net_mship(&net, 1)->round_active);
	assert_string_equal(net_set_str(&net_mship(&net, 1)->round_waiting),
			    "3");
	net_run_until(&net, 400);
	/* Peer 1 ticks first: its detector commits the ADD, then DEL runs;
	 * peer 2's detector fires next, before any message arrives. */
	for (unsigned id = 1; id <= 2; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 400, net_line_unreachable(id, 2, 1, 3));
		rec_expect_line(r, 400, net_line_view(id, 3, 1, "1,2,3,4"));
		rec_expect_line(r, 400, net_line_view(id, 4, 1, "1,2,4"));
	}
	/* 4 joins a view with 3 in it, then hears from the leader first. */
	struct rec *r4 = net_rec(&net, 4);
	rec_expect_line(r4, 400, net_line_view(4, 3, 1, "1,2,3,4"));
	rec_expect_line(r4, 400, net_line_unreachable(4, 3, 1, 3));
	rec_expect_line(r4, 400, net_line_view(4, 4, 1, "1,2,4"));
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	for (unsigned id = 1; id <= 4; id++)
		if (id != 3)
			expect_view(net_mship(&net, id), 4, 1, "1,2,4");
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
		rec_expect_line(r, 400, net_line_view(id, 5, 1, "1,2,3,5"));
		rec_expect_line(r, 400, net_line_view(id, 6, 1, "1,2,3"));
	}
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
	/* JOINs at 0, 100, 300. */
	assert_int_equal(rec_count(net_rec(&net, 3), WIRE_JOIN, 0, 499), 3);
	net_run_until(&net, 500);
	rec_expect_line(net_rec(&net, 3), 500, net_line_crashing(3, 0, 0));
	assert_int_equal(net_rec(&net, 3)->exits, 1);
	net_run_until(&net, 5000);
	net_expect_quiet(&net);
	assert_int_equal(rec_count(net_rec(&net, 3), WIRE_JOIN, 501, 5000), 0);
}

/* Testcase 4 without the twist: the leader dies between changes. */
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
	assert_int_equal(net_mship(&net, 2)->role, MSHIP_LEADER);

	/* 2 asks for pending changes; nobody has one. */
	struct rec *r2 = net_rec(&net, 2);
	const struct rec_sent *s = rec_next_send_not_hb(r2);
	expect_send(s, 400, WIRE_NEWLEADER, 2, 4, "3,4,5");
	assert_int_equal(s->msg.op, WIRE_OP_PENDING);
	uint32_t rid = s->msg.request_id;
	for (unsigned id = 3; id <= 5; id++) {
		s = rec_next_send_not_hb(net_rec(&net, id));
		expect_send(s, 400, WIRE_OK, id, 4, "2");
		assert_int_equal(s->msg.request_id, rid);
		assert_int_equal(s->msg.op, WIRE_OP_NOTHING);
		assert_int_equal(s->msg.peer, 0);
	}
	/* Then it removes the old leader, in a view above any seen. */
	s = rec_next_send_not_hb(r2);
	expect_send(s, 400, WIRE_REQ, 2, 4, "3,4,5");
	assert_int_equal(s->msg.op, WIRE_OP_DEL);
	assert_int_equal(s->msg.peer, 1);
	uint32_t del = s->msg.request_id;
	assert_int_not_equal(del, rid);
	for (unsigned id = 3; id <= 5; id++) {
		s = rec_next_send_not_hb(net_rec(&net, id));
		expect_send(s, 400, WIRE_OK, id, 4, "2");
		assert_int_equal(s->msg.request_id, del);
		assert_int_equal(s->msg.op, WIRE_OP_DEL);
		assert_int_equal(s->msg.peer, 1);
	}
	s = rec_next_send_not_hb(r2);
	expect_send(s, 400, WIRE_NEWVIEW, 2, 5, "1,3,4,5");
	assert_int_equal(s->msg.leader, 2);

	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	for (unsigned id = 3; id <= 5; id++)
		rec_expect_only_heartbeats(net_rec(&net, id));
	rec_expect_only_heartbeats(r2);
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

/*
 * 2 alone loses the live leader's messages for a while: it suspects 1 at
 * 300 and asks to take over, but 3, 4 and 5 still hear 1 and refuse at
 * its next heartbeat. 2 steps down and the group goes on under 1 with no
 * view change; 2's false line stays its only line.
 */
static void test_net_false_leader_suspicion_refused(void **state)
{
	(void)state;
	form(5);
	net_run_until(&net, 150);
	net_cut(&net, 1, 2, true);	/* 2 last hears 1 at 100 */
	net_run_until(&net, 300);
	rec_expect_line(net_rec(&net, 2), 300,
			net_line_leader_unreachable(2, 4, 1, 1));
	/* 1 beats again at 400: each of 3, 4, 5 refuses then. */
	net_run_until(&net, 399);
	assert_int_equal(net_mship(&net, 2)->role, MSHIP_LEADER);
	net_run_until(&net, 400);
	struct mship *m2 = net_mship(&net, 2);
	assert_int_equal(m2->role, MSHIP_MEMBER);
	assert_int_equal(m2->leader, 1);
	assert_false(peerset_has(&m2->dead, 1));
	net_cut(&net, 1, 2, false);
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	for (unsigned id = 1; id <= 5; id++) {
		assert_int_equal(net_mship(&net, id)->view_id, 4);
		assert_int_equal(net_mship(&net, id)->leader, 1);
	}
	/* The group still works: 5 dies and is removed by 1. */
	net_crash(&net, 5);
	net_run_until(&net, 6000);
	for (unsigned id = 1; id <= 4; id++)
		assert_int_equal(net_mship(&net, id)->view_id, 5);
}

/*
 * The leader dies mid-ADD: 2 and 3 saved ADD 4 but their OKs were lost.
 * The new leader learns of it in reconciliation and finishes it first,
 * as view 4: the old leader might have made view 3 of it before dying.
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
	assert_true(net_mship(&net, 2)->pending_set);
	assert_true(net_mship(&net, 3)->pending_set);
	net_run_until(&net, 399);
	net_expect_quiet(&net);
	net_run_until(&net, 400);
	for (unsigned id = 2; id <= 3; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 400,
				net_line_leader_unreachable(id, 2, 1, 1));
		rec_expect_line(r, 400, net_line_view(id, 4, 2, "1,2,3,4"));
		rec_expect_line(r, 400, net_line_view(id, 5, 2, "2,3,4"));
	}
	/* 4 never saw 1 lead: to it, 1 is a member like any other. */
	struct rec *r4 = net_rec(&net, 4);
	rec_expect_line(r4, 400, net_line_view(4, 4, 2, "1,2,3,4"));
	rec_expect_line(r4, 400, net_line_unreachable(4, 4, 2, 1));
	rec_expect_line(r4, 400, net_line_view(4, 5, 2, "2,3,4"));
	net_run_until(&net, 3000);
	net_expect_quiet(&net);
	for (unsigned id = 2; id <= 4; id++)
		expect_view(net_mship(&net, id), 5, 2, "2,3,4");
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
 * Testcase 4: with -t the leader, once all five have joined, asks 3, 4
 * and 5 (not 2, the next leader) to remove 5, and crashes. 2 takes over,
 * learns of DEL 5 from the others, finishes it (as view 6: view 5 may
 * have been the old leader's), then removes 1. 5, told it was removed,
 * goes quiet for good.
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
	assert_int_equal(net_mship(&net, 1)->role, MSHIP_CRASHED);
	struct rec *r1 = net_rec(&net, 1);
	const struct rec_sent *s = &r1->sent[r1->sent_count - 1];
	expect_send(s, 0, WIRE_REQ, 1, 4, "3,4,5");
	assert_int_equal(s->msg.op, WIRE_OP_DEL);
	assert_int_equal(s->msg.peer, 5);
	/* 3 and 4 take the leader's word that 5 is gone. */
	for (unsigned id = 3; id <= 4; id++)
		rec_expect_line(net_rec(&net, id), 0,
				net_line_unreachable(id, 4, 1, 5));
	net_expect_quiet(&net);
	assert_false(net_mship(&net, 2)->pending_set);
	for (unsigned id = 3; id <= 5; id++)
		assert_true(net_mship(&net, id)->pending_set);

	/* 1 never beat: everyone watched it from 0, so it is dead at 200. */
	net_run_until(&net, 199);
	net_expect_quiet(&net);
	net_run_until(&net, 200);
	struct rec *r2 = net_rec(&net, 2);
	rec_expect_line(r2, 200, net_line_leader_unreachable(2, 4, 1, 1));
	rec_expect_line(r2, 200, net_line_unreachable(2, 4, 2, 5));
	rec_expect_line(r2, 200, net_line_view(2, 6, 2, "1,2,3,4"));
	rec_expect_line(r2, 200, net_line_view(2, 7, 2, "2,3,4"));
	for (unsigned id = 3; id <= 4; id++) {
		struct rec *r = net_rec(&net, id);
		rec_expect_line(r, 200,
				net_line_leader_unreachable(id, 4, 1, 1));
		rec_expect_line(r, 200, net_line_view(id, 6, 2, "1,2,3,4"));
		rec_expect_line(r, 200, net_line_view(id, 7, 2, "2,3,4"));
	}
	struct rec *r5 = net_rec(&net, 5);
	rec_expect_line(r5, 200, net_line_leader_unreachable(5, 4, 1, 1));
	assert_int_equal(net_mship(&net, 5)->role, MSHIP_REMOVED);

	/* The pending DEL came from the others' first answers. */
	for (unsigned id = 3; id <= 5; id++) {
		struct rec *r = net_rec(&net, id);
		const struct rec_sent *ok = NULL;
		for (unsigned i = 0; i < r->sent_count && ok == NULL; i++)
			if (r->sent[i].msg.type == WIRE_OK &&
			    r->sent[i].at_ms == 200)
				ok = &r->sent[i];
		expect_send(ok, 200, WIRE_OK, id, 4, "2");
		assert_int_equal(ok->msg.op, WIRE_OP_DEL);
		assert_int_equal(ok->msg.peer, 5);
	}

	net_run_until(&net, 5000);
	net_expect_quiet(&net);
	for (unsigned id = 2; id <= 4; id++) {
		expect_view(net_mship(&net, id), 7, 2, "2,3,4");
		assert_false(net_mship(&net, id)->pending_set);
	}
	/* 5 says nothing more: no heartbeat, no message, no line. */
	unsigned last = r5->sent_count;
	assert_true(last > 0);
	assert_true(r5->sent[last - 1].at_ms <= 200);
	assert_int_equal(net_mship(&net, 5)->role, MSHIP_REMOVED);
	assert_int_equal(mship_next_deadline(net_mship(&net, 5)), MSHIP_NEVER);
}

/*
 * A member wrongly thought dead (its messages to the leader are lost, but
 * it is alive and still hears the leader) is removed. It must learn that,
 * and go quiet, rather than go on alone: otherwise, hearing no one, it
 * takes over and installs its own view 3, which the others already hold
 * with other members.
 */
static void test_net_removed_alive_goes_quiet(void **state)
{
	(void)state;
	form(3);
	net_run_until(&net, 150);
	net_cut(&net, 3, 1, true);	/* 1 last hears 3 at 100 */
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
 * Peer 1 just started does not admit a joiner before 2T, unless every
 * other host has said first that it is in no group; a JOIN says so.
 */
static void test_founding_waits_2T(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	c->r.now_ms = 0;
	mship_start(&c->m, 0);
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));
	expect_send(rec_next_send(&c->r), 0, WIRE_JOIN, 1, 0, "2,3");
	core_msg(c, 50, mk(WIRE_JOIN, 2, 0));
	rec_expect_no_send(&c->r);
	rec_expect_quiet(&c->r);
	assert_int_equal(mship_next_deadline(&c->m), 100);
	core_tick(c, 100);	/* a heartbeat to nobody else: no send */
	assert_int_equal(mship_next_deadline(&c->m), 200);
	core_tick(c, 199);
	rec_expect_quiet(&c->r);
	core_tick(c, 200);
	expect_send(rec_next_send(&c->r), 200, WIRE_NEWVIEW, 1, 1, "2");
	rec_expect_line(&c->r, 200, net_line_view(1, 1, 1, "1,2"));
}

static void test_founding_ends_when_all_answered(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	c->r.now_ms = 0;
	mship_start(&c->m, 0);
	rec_next_send(&c->r);
	core_msg(c, 20, mk(WIRE_JOIN, 2, 0));
	rec_expect_no_send(&c->r);
	/* 3 is joining too: its REDIRECT names no leader. */
	core_msg(c, 30, mk_redirect(3, 0, 0));
	expect_send(rec_next_send(&c->r), 30, WIRE_NEWVIEW, 1, 1, "2");
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));
	rec_expect_line(&c->r, 30, net_line_view(1, 1, 1, "1,2"));
	assert_int_equal(c->m.found_wait_ms, MSHIP_NEVER);
}

/* A JOIN that shows a view id above 0 (a group lived): found above it. */
static void test_founding_numbers_above_joins(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	c->r.now_ms = 0;
	mship_start(&c->m, 0);
	rec_next_send(&c->r);
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));
	core_msg(c, 20, mk(WIRE_JOIN, 2, 6));
	core_msg(c, 30, mk(WIRE_JOIN, 3, 0));
	rec_expect_line(&c->r, 30, net_line_view(1, 7, 1, "1"));
	/* The hosts are asked again, then the first joiner goes in. */
	expect_send(rec_next_send(&c->r), 30, WIRE_JOIN, 1, 7, "2,3");
	expect_send(rec_next_send(&c->r), 30, WIRE_NEWVIEW, 1, 8, "2");
	rec_expect_line(&c->r, 30, net_line_view(1, 8, 1, "1,2"));
}

/*
 * Seed 962. The wait runs out with a view id above 0 seen and a host
 * silent: a group may live, its leader slow to answer. Peer 1 looks for
 * it as a joiner, rather than found a second group beside it.
 */
static void test_founding_wait_over_looks_for_group(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	c->r.now_ms = 0;
	mship_start(&c->m, 0);
	rec_next_send(&c->r);
	rec_expect_line(&c->r, 0, net_line_view(1, 0, 1, "1"));
	core_msg(c, 20, mk(WIRE_JOIN, 2, 6));
	core_tick(c, 100);
	core_tick(c, 200);
	assert_int_equal(c->m.role, MSHIP_JOINING);
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 200, WIRE_JOIN, 1, 6, "2,3");
	rec_expect_quiet(&c->r);
	/* 3, a member of the group, names its leader: peer 1 joins it. */
	core_msg(c, 210, mk_redirect(3, 6, 3));
	assert_int_equal(c->m.join_target, 3);
}

/* A joiner answers peer 1's probe naming no leader, and nobody else. */
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
	core_msg(c, 6, mk(WIRE_JOIN, 2, 0));
	rec_expect_no_send(&c->r);
	assert_int_equal(c->m.stats.dropped_role, 1);
}

/*
 * A message from an older life than one already heard is dropped. A newer
 * life of a member heard in its own life since it was let in means the
 * old process is gone: the leader reports it and removes it at once,
 * without waiting 2T, then admits the new life.
 */
static void test_leader_new_life_removed_then_added(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	core_msg(c, 0, mk_life(WIRE_JOIN, 2, 0, 10));
	core_msg(c, 0, mk_life(WIRE_JOIN, 3, 0, 10));
	struct wire_msg ok = mk_ok(2, 1,
				   c->r.sent[c->r.sent_count - 1].msg.request_id,
				   WIRE_OP_ADD, 3);
	ok.incarnation = 10;
	core_msg(c, 1, ok);
	expect_view(&c->m, 2, 1, "1,2,3");
	c->r.sent_checked = c->r.sent_count;
	c->r.lines_checked = c->r.lines_count;

	struct wire_msg hb = mk_life(WIRE_HEARTBEAT, 3, 2, 10);
	hb.leader = 1;
	core_msg(c, 40, hb);
	struct wire_msg old = mk_life(WIRE_HEARTBEAT, 3, 2, 9);
	old.leader = 1;
	core_msg(c, 50, old);
	assert_int_equal(c->m.stats.dropped_old_life, 1);
	assert_int_equal(c->m.fd.deadline_ms[3], 240);

	core_msg(c, 60, mk_life(WIRE_JOIN, 3, 0, 11));
	assert_int_equal(c->m.stats.new_lives, 1);
	rec_expect_line(&c->r, 60, net_line_unreachable(1, 2, 1, 3));
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 60, WIRE_REQ, 1, 2, "2");
	expect_change(s, s->msg.request_id, WIRE_OP_DEL, 3);
	/* The old life's messages are now refused. */
	core_msg(c, 61, mk_life(WIRE_OK, 3, 2, 10));
	assert_int_equal(c->m.stats.dropped_old_life, 2);

	ok = mk_ok(2, 2, s->msg.request_id, WIRE_OP_DEL, 3);
	ok.incarnation = 10;
	core_msg(c, 70, ok);
	s = rec_next_send(&c->r);
	expect_send(s, 70, WIRE_NEWVIEW, 1, 3, "2,3");
	rec_expect_line(&c->r, 70, net_line_view(1, 3, 1, "1,2"));
	s = rec_next_send(&c->r);
	expect_send(s, 70, WIRE_REQ, 1, 3, "2");
	expect_change(s, s->msg.request_id, WIRE_OP_ADD, 3);
}

/*
 * Seed 5396. The life whose JOIN the leader heard died before it was
 * heard in the view that let it in, and a new life took that view: the
 * new life is the member, not a restart of it.
 */
static void test_leader_adopts_unheard_admitted_life(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	core_msg(c, 0, mk_life(WIRE_JOIN, 2, 0, 10));
	expect_view(&c->m, 1, 1, "1,2");
	c->r.sent_checked = c->r.sent_count;
	c->r.lines_checked = c->r.lines_count;
	struct wire_msg hb = mk_life(WIRE_HEARTBEAT, 2, 1, 11);
	hb.leader = 1;
	core_msg(c, 30, hb);
	assert_int_equal(c->m.stats.new_lives, 0);
	rec_expect_quiet(&c->r);
	rec_expect_no_send(&c->r);
	/* Life 10 is now the past; a later life is a restart again. */
	core_msg(c, 40, mk_life(WIRE_HEARTBEAT, 2, 1, 10));
	assert_int_equal(c->m.stats.dropped_old_life, 1);
	core_msg(c, 50, mk_life(WIRE_JOIN, 2, 0, 12));
	assert_int_equal(c->m.stats.new_lives, 1);
	rec_expect_line(&c->r, 50, net_line_unreachable(1, 1, 1, 2));
}

/* A member that hears a new life of its leader takes over at once. */
static void test_member_new_life_of_leader(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_msg(c, 20, mk_life(WIRE_HEARTBEAT, 1, 2, 1));
	rec_expect_quiet(&c->r);
	core_msg(c, 30, mk_life(WIRE_JOIN, 1, 0, 2));
	rec_expect_line(&c->r, 30, net_line_leader_unreachable(2, 2, 1, 1));
	assert_int_equal(c->m.role, MSHIP_LEADER);
	const struct rec_sent *s = rec_next_send_not_hb(&c->r);
	expect_send(s, 30, WIRE_NEWLEADER, 2, 2, "3");
}

/*
 * A member re-added by the leader (removed, then its new life joined) may
 * first hear that new life after the view that lets it in: that is the
 * member, not a restart. A later life still is one.
 */
static void test_member_readded_new_life(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_msg(c, 20, mk_life(WIRE_HEARTBEAT, 3, 2, 1));
	core_msg(c, 30, mk_newview(1, 3, 1, "1,2"));
	core_msg(c, 40, mk_newview(1, 4, 1, "1,2,3"));
	rec_expect_line(&c->r, 30, net_line_view(2, 3, 1, "1,2"));
	rec_expect_line(&c->r, 40, net_line_view(2, 4, 1, "1,2,3"));
	core_msg(c, 50, mk_life(WIRE_HEARTBEAT, 3, 4, 2));
	rec_expect_quiet(&c->r);
	assert_int_equal(c->m.stats.new_lives, 0);
	assert_false(peerset_has(&c->m.dead, 3));
	core_msg(c, 60, mk_life(WIRE_HEARTBEAT, 3, 4, 1));
	assert_int_equal(c->m.stats.dropped_old_life, 1);
	core_msg(c, 70, mk_life(WIRE_JOIN, 3, 4, 3));
	assert_int_equal(c->m.stats.new_lives, 1);
	rec_expect_line(&c->r, 70, net_line_unreachable(2, 4, 1, 3));
}

/*
 * Seed 718. A candidate refused by one member steps down; an acceptance
 * that arrives after that is answered with a REDIRECT to the leader it
 * follows again, or that member would follow the candidate for good.
 */
static void test_late_accept_after_step_down(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 4, 2, "1,2,3,4");
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 3, 2));
	core_msg(c, 100, mk(WIRE_HEARTBEAT, 4, 2));
	core_tick(c, 210);
	rec_expect_line(&c->r, 210, net_line_leader_unreachable(2, 2, 1, 1));
	const struct rec_sent *nl = rec_next_send_not_hb(&c->r);
	expect_send(nl, 210, WIRE_NEWLEADER, 2, 2, "3,4");
	uint32_t r = nl->msg.request_id;
	struct wire_msg refuse = mk_ok(4, 2, r, WIRE_OP_REFUSE, 1);
	core_msg(c, 220, refuse);
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	rec_expect_no_send(&c->r);
	struct wire_msg accept = mk_ok(3, 2, r, WIRE_OP_NOTHING, 0);
	core_msg(c, 230, accept);
	const struct rec_sent *s = rec_next_send(&c->r);
	expect_send(s, 230, WIRE_REDIRECT, 2, 2, "3");
	assert_int_equal(s->msg.leader, 1);
	rec_expect_no_send(&c->r);
}

/*
 * A member not run for 3T (stopped, starved) does not declare everyone
 * dead when it runs again: each watched peer gets 2T from then.
 */
static void test_pause_is_not_silence(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_tick(c, 10);	/* its first heartbeat */
	assert_int_equal(mship_next_deadline(&c->m), 110);
	core_tick(c, 110);
	core_tick(c, 290);	/* 180 ms late: a pause, under 2T */
	assert_int_equal(c->m.stats.pauses, 1);
	rec_expect_quiet(&c->r);
	assert_int_equal(c->m.fd.deadline_ms[1], 490);
	assert_int_equal(c->m.fd.deadline_ms[3], 490);
	assert_int_equal(c->m.unsure_until_ms, MSHIP_NEVER);
	/* A gap of 1.5T is not a pause; the detector fires as ever. */
	core_tick(c, 440);
	core_tick(c, 489);
	rec_expect_quiet(&c->r);
	core_tick(c, 490);
	assert_int_equal(c->m.stats.pauses, 1);
	rec_expect_line(&c->r, 490, net_line_leader_unreachable(2, 2, 1, 1));
}

/*
 * After a pause of 2T or more the others have given this member up. It
 * takes over from nobody and, if no member is heard within 2T (the
 * heartbeats that waited in its socket do not count), takes itself for
 * removed. A member heard in time means the group lives on.
 */
static void test_long_pause_unsure(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_tick(c, 10);
	core_tick(c, 410);	/* 400 ms: 4T */
	assert_int_equal(c->m.unsure_until_ms, 610);
	struct wire_msg hb = mk(WIRE_HEARTBEAT, 3, 2);
	hb.leader = 1;
	core_msg(c, 410, hb);	/* waited in the socket */
	assert_int_equal(c->m.unsure_until_ms, 610);
	core_tick(c, 510);
	core_tick(c, 609);
	rec_expect_quiet(&c->r);
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	core_tick(c, 610);
	/* 1 and 3 silent since: no takeover, no view; removed, quiet. */
	assert_int_equal(c->m.role, MSHIP_REMOVED);
	assert_int_equal(c->m.stats.gave_up_after_pause, 1);
	rec_expect_quiet(&c->r);

	core_member(c, 2, 3, 2, "1,2,3");
	core_tick(c, 10);
	core_tick(c, 410);
	core_msg(c, 470, hb);	/* T/2 after: the group lives */
	assert_int_equal(c->m.unsure_until_ms, MSHIP_NEVER);
	core_tick(c, 510);
	core_tick(c, 609);
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	core_tick(c, 610);
	/* 1 stays silent: the detector, and a takeover, as ever. */
	rec_expect_line(&c->r, 610, net_line_leader_unreachable(2, 2, 1, 1));
	assert_int_equal(c->m.role, MSHIP_LEADER);
}

/*
 * Unsure after a long pause, a member that learns its leader is gone (here
 * from the leader's new life) does not take over: the others may have
 * done so meanwhile, numbering views it never saw.
 */
static void test_unsure_member_does_not_take_over(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_member(c, 2, 3, 2, "1,2,3");
	core_tick(c, 10);
	core_tick(c, 410);
	assert_int_equal(c->m.unsure_until_ms, 610);
	struct wire_msg join = mk(WIRE_JOIN, 1, 0);
	join.incarnation = 2;
	core_msg(c, 450, join);
	rec_expect_line(&c->r, 450, net_line_leader_unreachable(2, 2, 1, 1));
	assert_int_equal(c->m.role, MSHIP_MEMBER);
	assert_false(c->m.recon.active);
	c->r.sent_checked = c->r.sent_count - 1;	/* the REDIRECT */
	const struct rec_sent *s = rec_next_send(&c->r);
	assert_int_equal(s->msg.type, WIRE_REDIRECT);
	rec_expect_no_send(&c->r);
	/* 3 is heard: the group lives, and 2, lowest, takes over now. */
	struct wire_msg hb = mk(WIRE_HEARTBEAT, 3, 2);
	hb.leader = 1;
	core_msg(c, 470, hb);
	assert_int_equal(c->m.role, MSHIP_LEADER);
	assert_true(c->m.recon.active);
	s = rec_next_send_not_hb(&c->r);
	expect_send(s, 470, WIRE_NEWLEADER, 2, 2, "3");
}

/* A leader paused 2T is followed by nobody who follows another. */
static void test_leader_long_pause_needs_followers(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	core_msg(c, 0, mk(WIRE_JOIN, 2, 0));
	core_msg(c, 0, mk(WIRE_JOIN, 3, 0));
	core_msg(c, 0, mk_ok(2, 1, c->r.sent[c->r.sent_count - 1]
					  .msg.request_id, WIRE_OP_ADD, 3));
	expect_view(&c->m, 2, 1, "1,2,3");
	c->r.lines_checked = c->r.lines_count;
	core_tick(c, 100);
	core_tick(c, 400);
	assert_int_equal(c->m.unsure_until_ms, 600);
	struct wire_msg hb = mk(WIRE_HEARTBEAT, 2, 2);
	hb.leader = 3;	/* 2 follows 3, who took over meanwhile */
	core_msg(c, 460, hb);
	assert_int_equal(c->m.unsure_until_ms, 600);
	hb.leader = 1;
	hb.from = 3;
	core_msg(c, 470, hb);
	assert_int_equal(c->m.unsure_until_ms, MSHIP_NEVER);
}

/*
 * A leader stopped past 2T holds back the view it was about to commit,
 * even once every OK is in (they waited in its socket): it may have been
 * replaced. A member that still follows it, heard T/2 after waking, lets
 * it go on.
 */
static void test_leader_long_pause_holds_commit(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	core_msg(c, 0, mk(WIRE_JOIN, 2, 0));
	core_msg(c, 10, mk(WIRE_JOIN, 3, 0));
	const struct rec_sent *req = rec_next_send_not_hb(&c->r);
	req = rec_next_send_not_hb(&c->r);
	expect_send(req, 10, WIRE_REQ, 1, 1, "2");
	uint32_t r = req->msg.request_id;
	c->r.lines_checked = c->r.lines_count;
	core_tick(c, 100);
	core_tick(c, 400);	/* stopped 3T */
	assert_int_equal(c->m.unsure_until_ms, 600);
	core_msg(c, 400, mk_ok(2, 1, r, WIRE_OP_ADD, 3));
	assert_true(c->m.round_active);
	assert_true(peerset_empty(&c->m.round_waiting));
	rec_expect_quiet(&c->r);
	expect_view(&c->m, 1, 1, "1,2");
	struct wire_msg hb = mk(WIRE_HEARTBEAT, 2, 1);
	hb.leader = 1;
	core_msg(c, 460, hb);
	assert_int_equal(c->m.unsure_until_ms, MSHIP_NEVER);
	rec_expect_line(&c->r, 460, net_line_view(1, 2, 1, "1,2,3"));
}

/*
 * Peer 1 redirected to a group that has died out: when the hosts that
 * answer say they are joining too, it founds anew after
 * JOIN_ROUNDS_NO_GROUP unanswered rounds, not hosts + 2.
 */
static void test_lost_peer1_founds_sooner(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 4);
	c->r.now_ms = 0;
	mship_start(&c->m, 0);
	rec_next_send(&c->r);
	core_msg(c, 10, mk_redirect(3, 5, 2));
	assert_int_equal(c->m.role, MSHIP_JOINING);
	core_msg(c, 20, mk_redirect(3, 5, 0));	/* 3 is joining now */
	int64_t at = 10;
	for (unsigned i = 0; i < JOIN_ROUNDS_NO_GROUP; i++) {
		at = mship_next_deadline(&c->m);
		core_tick(c, at);
		assert_int_equal(c->m.role, MSHIP_JOINING);
	}
	at = mship_next_deadline(&c->m);
	core_tick(c, at);
	assert_int_equal(c->m.role, MSHIP_LEADER);
	expect_view(&c->m, 6, 1, "1");
}

/*
 * Seed 3026 with --freeze. A leader whose member shows a view it never
 * made (another leader went on while it was not heard, and died) asks
 * everyone again as a new leader would, and numbers above that view.
 */
static void test_leader_retakes_on_newer_view(void **state)
{
	(void)state;
	struct core *c = &core_a;
	core_create(c, 1, 3);
	core_start(c, 0);
	core_msg(c, 0, mk(WIRE_JOIN, 2, 0));
	core_msg(c, 0, mk(WIRE_JOIN, 3, 0));
	core_msg(c, 0, mk_ok(2, 1, c->r.sent[c->r.sent_count - 1]
					  .msg.request_id, WIRE_OP_ADD, 3));
	expect_view(&c->m, 2, 1, "1,2,3");
	c->r.sent_checked = c->r.sent_count;
	c->r.lines_checked = c->r.lines_count;
	struct wire_msg hb = mk(WIRE_HEARTBEAT, 3, 4);
	hb.leader = 2;
	core_msg(c, 50, hb);
	assert_int_equal(c->m.stats.retakes, 1);
	assert_true(c->m.recon.active);
	const struct rec_sent *nl = rec_next_send(&c->r);
	expect_send(nl, 50, WIRE_NEWLEADER, 1, 2, "2,3");
	uint32_t r = nl->msg.request_id;
	core_msg(c, 60, mk_ok(2, 2, r, WIRE_OP_NOTHING, 0));
	core_msg(c, 61, mk_ok(3, 4, r, WIRE_OP_NOTHING, 0));
	assert_false(c->m.recon.active);
	/* Nothing to finish: the next change will be numbered above 4. */
	assert_int_equal(c->m.view_id_floor, 4);
	core_msg(c, 70, mk(WIRE_JOIN, 2, 0));	/* still a member: view */
	rec_expect_quiet(&c->r);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leader_start_prints_view0),
		cmocka_unit_test(test_joiner_backoff),
		cmocka_unit_test(test_joiner_probes_rotate),
		cmocka_unit_test(test_lone_leader_answers_join),
		cmocka_unit_test(test_leader_add_round),
		cmocka_unit_test(test_member_add_round),
		cmocka_unit_test(test_second_join_queued),
		cmocka_unit_test(test_duplicate_join_ignored),
		cmocka_unit_test(test_member_redirects_join),
		cmocka_unit_test(test_joiner_follows_redirect),
		cmocka_unit_test(test_member_defers_newleader),
		cmocka_unit_test(test_member_refuses_newleader),
		cmocka_unit_test(test_member_drops_bad_messages),
		cmocka_unit_test(test_leader_drops_bad_oks),
		cmocka_unit_test(test_takeover_finishes_pending_in_view_order),
		cmocka_unit_test(test_leader_sends_newview_before_printing),
		cmocka_unit_test(test_new_leader_skips_del_of_self),
		cmocka_unit_test(test_join_waits_for_takeover),
		cmocka_unit_test(test_leader_resends_view_to_lagging_member),
		cmocka_unit_test(test_member_follows_successor),
		cmocka_unit_test(test_refused_candidate_releases_followers),
		cmocka_unit_test(test_peer1_redirected_while_alone_joins),
		cmocka_unit_test(test_peer1_redirect_dropped_once_grown),
		cmocka_unit_test(test_peer1_refounds_above_views_seen),
		cmocka_unit_test(test_member_takes_any_newer_view),
		cmocka_unit_test(test_net_join_one_by_one),
		cmocka_unit_test(test_net_heartbeats_every_T),
		cmocka_unit_test(test_net_member_dead_at_2T),
		cmocka_unit_test(test_net_req_del_before_own_detector),
		cmocka_unit_test(test_net_false_leader_suspicion_refused),
		cmocka_unit_test(test_net_member_dies_mid_round),
		cmocka_unit_test(test_net_crash_one_by_one),
		cmocka_unit_test(test_net_two_crash_together),
		cmocka_unit_test(test_net_crash_option),
		cmocka_unit_test(test_net_crash_option_while_joining),
		cmocka_unit_test(test_net_leader_dies),
		cmocka_unit_test(test_net_newleader_before_own_detector),
		cmocka_unit_test(test_net_leader_dies_mid_add),
		cmocka_unit_test(test_net_join_after_takeover),
		cmocka_unit_test(test_net_testcase4),
		cmocka_unit_test(test_net_removed_alive_goes_quiet),
		cmocka_unit_test(test_founding_waits_2T),
		cmocka_unit_test(test_founding_ends_when_all_answered),
		cmocka_unit_test(test_founding_numbers_above_joins),
		cmocka_unit_test(test_founding_wait_over_looks_for_group),
		cmocka_unit_test(test_joiner_answers_probe),
		cmocka_unit_test(test_leader_new_life_removed_then_added),
		cmocka_unit_test(test_leader_adopts_unheard_admitted_life),
		cmocka_unit_test(test_member_new_life_of_leader),
		cmocka_unit_test(test_member_readded_new_life),
		cmocka_unit_test(test_late_accept_after_step_down),
		cmocka_unit_test(test_pause_is_not_silence),
		cmocka_unit_test(test_long_pause_unsure),
		cmocka_unit_test(test_leader_long_pause_needs_followers),
		cmocka_unit_test(test_unsure_member_does_not_take_over),
		cmocka_unit_test(test_leader_long_pause_holds_commit),
		cmocka_unit_test(test_leader_retakes_on_newer_view),
		cmocka_unit_test(test_lost_peer1_founds_sooner),
		cmocka_unit_test(test_removed_quiet_or_rejoins),
		cmocka_unit_test(test_member_redirects_to_successor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
