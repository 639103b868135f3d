/*
 * The leader: one view change at a time. JOINs and deaths are queued; each
 * change is a round of REQ, OKs and NEWVIEW. Also the leader's repairs: a
 * round retried after 2T, a view sent again to a member that lacks it.
 */
#include "mship_int.h"

static struct mship_change *mship__queue_at(struct mship *m, unsigned i)
{
	return &m->queue[(m->queue_head + i) % OP_QUEUE_MAX];
}

/* Where (op, peer) waits in the queue, or -1. */
static int mship__queue_find(struct mship *m, enum wire_op op, unsigned peer)
{
	for (unsigned i = 0; i < m->queue_count; i++) {
		const struct mship_change *c = mship__queue_at(m, i);
		if (c->op == op && c->peer == peer)
			return (int)i;
	}
	return -1;
}

static void mship__queue_remove(struct mship *m, unsigned i)
{
	for (; i + 1 < m->queue_count; i++)
		*mship__queue_at(m, i) = *mship__queue_at(m, i + 1);
	m->queue_count--;
}

/*
 * Queue a change once. At the front, a change already waiting moves there:
 * a takeover must finish the old leader's changes first and in order.
 */
void mship__enqueue(struct mship *m, enum wire_op op, unsigned peer,
		    bool front)
{
	if (m->round_active && m->round.op == op && m->round.peer == peer)
		return;
	int at = mship__queue_find(m, op, peer);
	if (at >= 0 && !front)
		return;
	if (at >= 0)
		mship__queue_remove(m, (unsigned)at);
	if (m->queue_count == OP_QUEUE_MAX) {
		m->stats.dropped_queue_full++;
		return;
	}
	if (front)
		m->queue_head = (m->queue_head + OP_QUEUE_MAX - 1) % OP_QUEUE_MAX;
	m->queue_count++;
	struct mship_change *c = mship__queue_at(m, front ? 0
							  : m->queue_count - 1);
	c->op = op;
	c->peer = peer;
}

/*
 * Every OK is in: the change becomes the next view. The new list goes to
 * every live member and to the removed peer, so that it learns it was
 * removed and goes quiet. That includes a removed peer we believe dead: a
 * detector fed by UDP can be wrong, and a live peer never told it was
 * removed stops hearing heartbeats, takes over alone and installs views
 * whose ids the group already used. If it is dead, the message is lost.
 * The view is sent before it is installed and printed here, so a leader
 * dying between the two leaves no view that only it ever printed.
 */
void mship__commit(struct mship *m, int64_t now_ms)
{
	/* Paused long enough to have been replaced: not before the group
	 * is heard again (mship__heard_group). */
	if (m->unsure_until_ms != MSHIP_NEVER)
		return;
	struct wire_msg nv = mship__msg(m, WIRE_NEWVIEW);
	nv.view_id = m->round_view_id + 1;
	nv.leader = (uint16_t)m->cfg.self;
	nv.members = m->members;
	struct peerset to;
	peerset_clear(&to);
	if (m->round.op == WIRE_OP_ADD) {
		peerset_add(&nv.members, m->round.peer);
	} else {
		peerset_del(&nv.members, m->round.peer);
		peerset_add(&to, m->round.peer);
	}
	m->round_active = false;
	m->founding = false;
	struct peerset live = nv.members;
	peerset_subtract(&live, &m->dead);
	peerset_foreach(&live, id) peerset_add(&to, id);
	peerset_del(&to, m->cfg.self);
	mship__send(m, &to, &nv);
	mship__install(m, now_ms, nv.view_id, m->cfg.self, &nv.members);

	mship__check_testcase4(m);
	if (m->role == MSHIP_LEADER)
		mship__start_round(m, now_ms);
}

/* The REQ of the change in flight, to the members that still owe an OK. */
static void mship__send_round_req(struct mship *m)
{
	struct wire_msg req = mship__msg(m, WIRE_REQ);
	req.view_id = m->round_view_id;
	req.request_id = m->round_request_id;
	req.op = m->round.op;
	req.peer = (uint16_t)m->round.peer;
	mship__send(m, &m->round_waiting, &req);
}

/* Start the next queued change, skipping ones that change nothing. */
void mship__start_round(struct mship *m, int64_t now_ms)
{
	while (!m->round_active && !m->recon.active &&
	       m->found_wait_ms == MSHIP_NEVER &&
	       m->unsure_until_ms == MSHIP_NEVER && m->queue_count > 0) {
		struct mship_change c = m->queue[m->queue_head];
		m->queue_head = (m->queue_head + 1) % OP_QUEUE_MAX;
		m->queue_count--;
		bool member = peerset_has(&m->members, c.peer);
		if ((c.op == WIRE_OP_ADD) == member)
			continue;
		/* A change asking a leader to remove itself (the -t victim
		 * taking over, or a peer wrongly given up) is moot: it lives. */
		if (c.op == WIRE_OP_DEL && c.peer == m->cfg.self)
			continue;
		m->round_active = true;
		m->round = c;
		m->round_request_id = ++m->next_request_id;
		m->round_view_id = m->view_id > m->view_id_floor
					   ? m->view_id
					   : m->view_id_floor;
		m->round_waiting = mship__live_others(m);
		if (c.op == WIRE_OP_DEL) {
			mship__report(m, c.peer);
			peerset_del(&m->round_waiting, c.peer);
		}
		mship__send_round_req(m);
		m->round_retry_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
		if (peerset_empty(&m->round_waiting))
			mship__commit(m, now_ms);
		return;
	}
}

/*
 * Send our view again to one member that seems to lack it, at most once
 * per 2T each. Only a view we made ourselves: after a takeover, until our
 * first view, the installed one is the old leader's.
 */
void mship__resend_view(struct mship *m, int64_t now_ms, unsigned to)
{
	if (m->view_leader != m->cfg.self ||
	    now_ms < m->view_resent_ms[to])
		return;
	m->view_resent_ms[to] = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	struct wire_msg nv = mship__msg(m, WIRE_NEWVIEW);
	nv.leader = (uint16_t)m->cfg.self;
	nv.members = m->members;
	outbox_send_one(m->out, to, &nv);
}

void mship__on_join(struct mship *m, int64_t now_ms,
		    const struct wire_msg *msg)
{
	if (m->role == MSHIP_JOINING && msg->from != 1) {
		mship__found_heard(m, now_ms, msg->from);
		m->stats.dropped_role++;
		return;
	}
	if (m->role == MSHIP_MEMBER || m->role == MSHIP_JOINING) {
		/* Name the leader, or its successor if it is dead; a joiner
		 * answers peer 1's probe naming none. */
		struct wire_msg redirect = mship__msg(m, WIRE_REDIRECT);
		redirect.leader = 0;
		if (m->role == MSHIP_MEMBER)
			redirect.leader = (uint16_t)(peerset_has(&m->dead,
								m->leader)
						     ? mship__lowest_live(m)
						     : m->leader);
		outbox_send_one(m->out, msg->from, &redirect);
		return;
	}
	mship__found_heard(m, now_ms, msg->from);
	if (m->role == MSHIP_LEADER && m->recon.active) {
		/* Taking over: the joiner is to retry with us, once we lead
		 * (a restarted peer 1, probing, learns a group lives). */
		struct wire_msg redirect = mship__msg(m, WIRE_REDIRECT);
		redirect.leader = (uint16_t)m->cfg.self;
		outbox_send_one(m->out, msg->from, &redirect);
		return;
	}
	if (m->role != MSHIP_LEADER) {
		m->stats.dropped_role++;
		return;
	}
	if (peerset_has(&m->members, msg->from) &&
	    !peerset_has(&m->dead, msg->from)) {
		/* It is in; it may have missed the NEWVIEW. */
		mship__resend_view(m, now_ms, msg->from);
		return;
	}
	mship__enqueue(m, WIRE_OP_ADD, msg->from, false);
	mship__start_round(m, now_ms);
}

/*
 * -t (testcase 4): once every host has joined, ask every member except the
 * next leader to remove the highest-id member, then crash. The next leader
 * never hears of it; reconciliation must finish it.
 */
void mship__check_testcase4(struct mship *m)
{
	if (!m->cfg.testcase4 || m->role != MSHIP_LEADER ||
	    m->cfg.hosts_count < 3 ||
	    peerset_count(&m->members) != m->cfg.hosts_count)
		return;
	unsigned victim = peerset_last(&m->members);
	unsigned next_leader = peerset_next(&m->members, m->cfg.self);
	struct peerset to = m->members;
	peerset_del(&to, m->cfg.self);
	peerset_del(&to, next_leader);
	struct wire_msg req = mship__msg(m, WIRE_REQ);
	req.request_id = ++m->next_request_id;
	req.op = WIRE_OP_DEL;
	req.peer = (uint16_t)victim;
	mship__send(m, &to, &req);
	mship__crash(m);
}

void mship__on_ok(struct mship *m, int64_t now_ms,
		  const struct wire_msg *msg)
{
	if (m->role == MSHIP_MEMBER && m->recon_old_leader != 0 &&
	    msg->request_id == m->recon.request_id &&
	    msg->op != WIRE_OP_REFUSE && m->leader != m->cfg.self) {
		/* It took us as leader after we gave the takeover up: send
		 * it back to the leader we follow again. */
		struct wire_msg redirect = mship__msg(m, WIRE_REDIRECT);
		redirect.leader = (uint16_t)m->leader;
		outbox_send_one(m->out, msg->from, &redirect);
		return;
	}
	if (m->role != MSHIP_LEADER) {
		m->stats.dropped_role++;
		return;
	}
	if (m->recon.active) {
		mship__on_recon_answer(m, now_ms, msg);
		return;
	}
	if (!m->round_active || msg->request_id != m->round_request_id ||
	    msg->view_id != m->round_view_id ||
	    !peerset_has(&m->round_waiting, msg->from)) {
		m->stats.dropped_stale++;
		return;
	}
	peerset_del(&m->round_waiting, msg->from);
	if (peerset_empty(&m->round_waiting))
		mship__commit(m, now_ms);
}

/*
 * A round or a takeover that waits longer than 2T asks the silent again:
 * a message can be lost with its connection, or dropped by a peer that
 * was, for a moment, following someone else. Answers are idempotent.
 */
void mship__retry(struct mship *m, int64_t now_ms)
{
	m->round_retry_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	if (m->recon.active) {
		mship__send_newleader(m);
		return;
	}
	/* A member that missed our view would drop the REQ: view first. */
	peerset_foreach(&m->round_waiting, id) mship__resend_view(m, now_ms, id);
	mship__send_round_req(m);
}
