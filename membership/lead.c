/*
 * The leader: one view change at a time. JOINs and deaths are queued; each
 * view change is a round of REQ, OKs and NEWVIEW that decides a batch, the
 * changes that queued while the last round was in flight, once the OKs
 * (ours included) make a quorum both of the view it is asked in and of the
 * view it makes. Also the leader's repairs: a round retried after 2T, a
 * view sent again to a member that lacks it.
 */
#include "mship_int.h"

static struct mship_change *mship__queue_at(struct mship *m, unsigned i)
{
	return &m->queue[(m->queue_head + i) % OP_QUEUE_MAX];
}

/* Where (op, peer) waits in the queue, or -1. */
static int mship__queue_find(struct mship *m, const struct mship_change *c)
{
	for (unsigned i = 0; i < m->queue_count; i++) {
		const struct mship_change *q = mship__queue_at(m, i);
		if (q->op == c->op && q->peer == c->peer)
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
 * a takeover must finish the change its predecessor left first.
 */
void mship__enqueue(struct mship *m, const struct mship_change *c,
		    bool front)
{
	if (m->round_active && wire_changes_has(&m->round, c->op, c->peer))
		return;
	int at = mship__queue_find(m, c);
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
	*mship__queue_at(m, front ? 0 : m->queue_count - 1) = *c;
}

/* Drop a queued change (not the one in flight), if it waits. */
void mship__dequeue(struct mship *m, const struct mship_change *c)
{
	int at = mship__queue_find(m, c);
	if (at >= 0)
		mship__queue_remove(m, (unsigned)at);
}

/* The members of the view the batch in flight makes. */
static struct peerset mship__round_members(const struct mship *m)
{
	struct peerset next = m->members;
	wire_changes_apply(&m->round, &next);
	return next;
}

/* The peers the batch in flight adds. */
static struct peerset mship__round_joiners(const struct mship *m)
{
	return wire_changes_peers(&m->round, WIRE_OP_ADD);
}

/*
 * The OKs make a quorum of both views: the change is decided and becomes
 * the next view. Both, because the next view's quorum decides the change
 * after it without a NEWLEADER round of its own: every peer of it that
 * accepted this change has promised our ballot. The view goes to every
 * live member, and to a removed peer, so that it learns it was removed
 * (a detector fed by UDP can be wrong). It is sent before it is installed
 * and printed, so a leader dying between the two leaves no view that only
 * it printed.
 */
static void mship__try_commit(struct mship *m, int64_t now_ms)
{
	struct peerset next = mship__round_members(m);
	if (!m->round_active || m->round_confirming ||
	    !quorum_holds(&m->members, &m->round_oks) ||
	    !quorum_holds(&next, &m->round_oks))
		return;
	struct wire_msg nv = mship__msg(m, WIRE_NEWVIEW);
	nv.view_id = m->round_view_id + 1;
	nv.leader = (uint16_t)m->round_leader;
	nv.members = next;
	struct peerset to = wire_changes_peers(&m->round, WIRE_OP_DEL);
	peerset_union(&to, &next);
	peerset_del(&to, m->cfg.self);
	m->round_active = false;
	mship__send(m, &to, &nv);
	if (!peerset_has(&next, m->cfg.self)) {
		/* We finished a predecessor's change removing us. */
		mship__removed(m, now_ms, nv.view_id, m->round_leader, &next,
			       m->round_leader);
		return;
	}
	mship__install(m, now_ms, nv.view_id, m->round_leader, &next);

	mship__check_testcase4(m);
	if (m->role == MSHIP_LEADER)
		mship__recheck_suspects(m, now_ms);
	if (m->role == MSHIP_LEADER)
		mship__start_round(m, now_ms);
}

/* The REQ of the batch in flight, to the members that still owe an OK. */
static void mship__send_round_req(struct mship *m)
{
	struct wire_msg req = mship__msg(m, WIRE_REQ);
	req.view_id = m->round_view_id;
	req.request_id = m->round_request_id;
	wire_changes_split(&m->round, &req.op, &req.peer, &req.more);
	req.leader = (uint16_t)m->round_leader;
	mship__send(m, &m->round_waiting, &req);
}

/* Who still owes the round an OK: every member, and the joiners the
 * batch adds, but us and those that answered. */
static void mship__round_unanswered(struct mship *m)
{
	m->round_waiting = m->members;
	struct peerset joiners = mship__round_joiners(m);
	peerset_union(&m->round_waiting, &joiners);
	peerset_del(&m->round_waiting, m->cfg.self);
	peerset_subtract(&m->round_waiting, &m->round_oks);
}

static void mship__round_accept(struct mship *m, int64_t now_ms);

/*
 * Our next batch: every queued change, in order, that changes something
 * (a change of our own that changes nothing, or asks us to remove
 * ourselves, a peer wrongly given up, is moot and dropped), each peer
 * once (a second change of a peer waits for the next batch), at most
 * CHANGES_MAX.
 */
static void mship__take_batch(struct mship *m, struct wire_changes *batch)
{
	batch->count = 0;
	unsigned i = 0;
	while (i < m->queue_count && batch->count < CHANGES_MAX) {
		struct mship_change c = *mship__queue_at(m, i);
		bool member = peerset_has(&m->members, c.peer);
		if ((c.op == WIRE_OP_ADD) == member ||
		    (c.op == WIRE_OP_DEL && c.peer == m->cfg.self)) {
			mship__queue_remove(m, i);
			continue;
		}
		if (wire_changes_has(batch, 0, c.peer)) {
			i++;
			continue;
		}
		wire_changes_push(batch, c.op, c.peer);
		mship__queue_remove(m, i);
	}
}

/*
 * Start the next view change: a predecessor's batch first, exactly as it
 * was accepted, under the leader it names; else a batch of what queued.
 * A batch of ours that adds peers waits for the joiners' OKs first; then
 * (or at once) we accept it and ask the members.
 */
void mship__start_round(struct mship *m, int64_t now_ms)
{
	if (m->role != MSHIP_LEADER || m->round_active || m->recon.active ||
	    m->round_hold > 0)
		return;
	bool fresh = !m->inherit_set;
	if (fresh) {
		mship__take_batch(m, &m->round);
		m->round_leader = m->cfg.self;
	} else {
		m->round = m->inherit;
		m->round_leader = m->inherit_leader;
		m->inherit_set = false;
	}
	if (m->round.count == 0)
		return;
	m->round_active = true;
	m->round_request_id = ++m->next_request_id;
	m->round_view_id = m->view_id;
	peerset_clear(&m->round_oks);
	peerset_add(&m->round_oks, m->cfg.self);
	m->round_retry_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	m->round_fresh = fresh;
	m->round_waiting = mship__round_joiners(m);
	m->round_confirming = fresh && !peerset_empty(&m->round_waiting);
	m->round_confirms = 1;
	if (m->round_confirming) {
		mship__send_round_req(m);
		return;
	}
	mship__round_accept(m, now_ms);
}

/*
 * Confirming: a batch goes on without the joiners that did not answer in
 * 2T, once it holds anything else (a joiner that did, or a removal):
 * nothing was accepted yet, so it may still change. Their JOINs, retried,
 * queue them again. Returns whether it went on.
 */
static bool mship__drop_silent_joiners(struct mship *m, int64_t now_ms)
{
	struct wire_changes kept;
	kept.count = 0;
	for (unsigned i = 0; i < m->round.count; i++) {
		const struct wire_change *c = &m->round.at[i];
		if (c->op == WIRE_OP_ADD && !peerset_has(&m->round_oks, c->peer))
			continue;
		kept.at[kept.count++] = *c;
	}
	if (kept.count == 0)
		return false;
	m->round = kept;
	mship__round_accept(m, now_ms);
	return true;
}

/*
 * Accept our own change, saved like any member's, and ask every member
 * (for an ADD, the joiner too: its promise counts in the next view's
 * quorum). The dead and the one removed are asked too: a message to a
 * dead peer is lost, but one we gave up wrongly answers, and may be what
 * makes the quorum.
 */
static void mship__round_accept(struct mship *m, int64_t now_ms)
{
	m->round_confirming = false;
	m->st.promised = m->ballot;
	m->st.acc_set = true;
	m->st.acc_ballot = m->ballot;
	m->st.acc_base = m->view_id;
	enum wire_op op;
	wire_changes_split(&m->round, &op, &m->st.acc_peer, &m->st.acc_more);
	m->st.acc_op = (uint8_t)op;
	m->st.acc_leader = (uint16_t)m->round_leader;
	mship__save(m);
	mship__round_unanswered(m);
	for (unsigned i = 0; i < m->round.count; i++)	/* in batch order */
		if (m->round.at[i].op == WIRE_OP_DEL)
			mship__report(m, m->round.at[i].peer);
	mship__send_round_req(m);
	m->round_retry_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	mship__try_commit(m, now_ms);
}

/*
 * Send our view to one peer whose heartbeat shows an older one, at most
 * once per 2T each: a member behind, or a peer that no longer is one and
 * does not know it. Any member may: the view was decided, and the peer
 * left behind may hear none of its leaders (a minority cut off, whose
 * heartbeats go only to the members of its old view).
 */
void mship__resend_view(struct mship *m, int64_t now_ms, unsigned to)
{
	if ((m->role != MSHIP_MEMBER && m->role != MSHIP_LEADER) ||
	    now_ms < m->view_resent_ms[to])
		return;
	m->view_resent_ms[to] = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	struct wire_msg nv = mship__msg(m, WIRE_NEWVIEW);
	/* A candidate relays the view at the ballot it was decided under,
	 * not its own: no quorum has promised that one yet. */
	if (m->recon.active)
		nv.ballot = m->follow_ballot;
	nv.leader = (uint16_t)m->view_leader;
	nv.members = m->members;
	mship__send_one(m, to, &nv);
}

/*
 * A JOIN holding no vote (ballot 0) from a member of our view, from a
 * later life than any we heard act as one, and showing our view (so sent
 * after it: a JOIN the admitted life sent before its ADD, held up in the
 * network, shows an older one): the process our view lists is gone, and
 * this is a new life (mship.h, fresh). That is a death as certain as a
 * crash's: the leader removes it (and admits the new life after), a
 * member that followed it takes over or answers who does. A new life
 * showing an older view is sent ours (mship__on_join), and shows it in
 * its next JOIN. Returns whether it was.
 */
bool mship__life_gone(struct mship *m, int64_t now_ms,
		      const struct wire_msg *msg)
{
	unsigned p = msg->from;
	if (msg->ballot != 0 || !peerset_has(&m->members, p) ||
	    msg->view_id < m->view_id ||
	    msg->incarnation <= m->voter_lives[p] ||
	    peerset_has(&m->dead, p) ||
	    (m->role != MSHIP_LEADER && p != m->leader))
		return false;
	mship__on_dead(m, now_ms, p);
	return true;
}

/* REDIRECT to a joiner, naming leader (0: none we know). */
static void mship__redirect(struct mship *m, unsigned to, unsigned leader)
{
	struct wire_msg redirect = mship__msg(m, WIRE_REDIRECT);
	redirect.leader = (uint16_t)leader;
	mship__send_one(m, to, &redirect);
}

void mship__on_join(struct mship *m, int64_t now_ms,
		    const struct wire_msg *msg)
{
	mship__life_gone(m, now_ms, msg);
	if (m->role == MSHIP_MEMBER || m->role == MSHIP_JOINING) {
		/* Name the leader, or its successor if it is dead; a joiner
		 * answers naming none. */
		unsigned leader = 0;
		if (m->role == MSHIP_MEMBER)
			leader = peerset_has(&m->dead, m->leader)
				 ? mship__lowest_live(m) : m->leader;
		mship__redirect(m, msg->from,
				leader == msg->from ? 0 : leader);
		return;
	}
	if (m->role != MSHIP_LEADER) {
		m->stats.dropped_role++;
		return;
	}
	/* A member that JOINs holding a vote missed the NEWVIEW that let
	 * it in: it is sent the view, which it takes and answers in; its
	 * answer may be what our round lacks. */
	bool member = peerset_has(&m->members, msg->from);
	if (member)
		mship__resend_view(m, now_ms, msg->from);
	if (m->recon.active) {
		/* Taking over: the joiner is to retry with us, once we lead. */
		mship__redirect(m, msg->from, m->cfg.self);
		return;
	}
	if (member)
		return;
	struct mship_change add = { .op = WIRE_OP_ADD, .peer = msg->from };
	mship__enqueue(m, &add, false);
	if (m->round_active) {
		/* It waits behind the round in flight: say we heard it (a
		 * REDIRECT to ourselves), so that it waits for its view from
		 * us and asks no other host where the leader is. */
		mship__redirect(m, msg->from, m->cfg.self);
	}
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
	req.leader = (uint16_t)m->cfg.self;
	mship__send(m, &to, &req);
	mship__crash(m);
}

/*
 * An OK for our round, or a refusal: a member promised a higher ballot, so
 * a candidate went past us. We follow the leader it names, watched afresh:
 * if that one is dead too our detector says so and we take over again,
 * above the ballot we just heard of.
 */
void mship__on_ok(struct mship *m, int64_t now_ms,
		  const struct wire_msg *msg)
{
	if (m->role != MSHIP_LEADER) {
		m->stats.dropped_role++;
		return;
	}
	if (msg->op == WIRE_OP_REFUSE) {
		bool ours = m->recon.active
				    ? msg->request_id == m->recon.request_id
				    : msg->request_id == m->round_request_id;
		if (ours && m->recon.active && msg->peer == msg->from &&
		    msg->peer != m->cfg.self) {
			/* A leader we took for dead answers our NEWLEADER:
			 * it lives; follow it again, whatever the ballots. */
			mship__step_down(m, now_ms, msg->peer);
			return;
		}
		if (!ours || msg->ballot <= m->ballot) {
			m->stats.dropped_stale++;
			return;
		}
		/*
		 * A member promised a higher ballot. Leading (not taking
		 * over), we ask again above it: if the one that ballot is
		 * for leads, alive, its followers defer our NEWLEADER and
		 * their heartbeats make us yield (mship__on_heartbeat); if
		 * it gave up or died, we lead on. Taking over, we follow the
		 * peer the member names, unless that is us or gone.
		 */
		if (!m->recon.active || msg->peer == m->cfg.self ||
		    !peerset_has(&m->members, msg->peer) ||
		    peerset_has(&m->dead, msg->peer))
			mship__take_over(m, now_ms);
		else
			mship__step_down(m, now_ms, msg->peer);
		return;
	}
	if (m->recon.active) {
		mship__on_recon_answer(m, now_ms, msg);
		return;
	}
	if (!m->round_active || msg->request_id != m->round_request_id ||
	    msg->view_id != m->round_view_id || msg->ballot != m->ballot) {
		m->stats.dropped_stale++;
		return;
	}
	peerset_add(&m->round_oks, msg->from);
	peerset_del(&m->round_waiting, msg->from);
	if (m->round_confirming) {
		/* Every joiner the batch adds confirmed: accept it. */
		if (peerset_empty(&m->round_waiting))
			mship__round_accept(m, now_ms);
		return;
	}
	mship__try_commit(m, now_ms);
}

/*
 * Give up a fresh change of ours that can no longer be decided: the
 * members of the view it makes that are alive, with the OKs we have, hold
 * no quorum of it, while our view's live members still hold one of ours.
 * Waiting would stall the group for good (the dead one may never come
 * back), and finishing it would make a view that could never change again.
 * Only we decide at our ballot, and a fresh change has no predecessor, so
 * nothing accepted for it was decided: we take our view over at a higher
 * ballot and ignore it there (void_ballot); the dead are removed first.
 */
bool mship__check_hopeless(struct mship *m, int64_t now_ms)
{
	if (m->role != MSHIP_LEADER || !m->round_active || m->recon.active ||
	    !m->round_fresh || m->round_confirming)
		return false;
	struct peerset next = mship__round_members(m);
	struct peerset have = next, live = m->members;
	peerset_subtract(&have, &m->dead);
	peerset_subtract(&live, &m->dead);
	/* Whoever answered lives, as far as a quorum goes. */
	peerset_foreach(&m->round_oks, id) {
		peerset_add(&have, id);
		peerset_add(&live, id);
	}
	if (quorum_holds(&next, &have) || !quorum_holds(&m->members, &live))
		return false;
	m->void_ballot = m->ballot;
	m->void_view = m->round_view_id;
	mship__take_over(m, now_ms);
	return true;
}

/*
 * A takeover or a round that stalls may be a peer left behind: the group
 * went on in views it never saw, among peers its view does not list, so
 * none of them hears its heartbeats and tells it (mship__resend_view).
 * Every 2T while it stalls, it shows its view to every other host with
 * one heartbeat; a peer of a later view answers with that view.
 */
void mship__show_view_to_all(struct mship *m)
{
	struct peerset to;
	peerset_clear(&to);
	for (unsigned id = 1; id <= m->cfg.hosts_count; id++) {
		if (id != m->cfg.self && !peerset_has(&m->members, id))
			peerset_add(&to, id);
	}
	struct wire_msg hb = mship__msg(m, WIRE_HEARTBEAT);
	hb.leader = 0;
	mship__send(m, &to, &hb);
}

/*
 * A round or a takeover that waits longer than 2T asks the silent again:
 * a message can be lost with its connection, or the peer be cut off for a
 * while. Answers are idempotent. Without a quorum a leader goes on asking
 * and decides nothing.
 */
void mship__retry(struct mship *m, int64_t now_ms)
{
	m->round_retry_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	/* The dead may have been dead before the round began. */
	if (mship__check_hopeless(m, now_ms))
		return;
	if (m->recon.active) {
		mship__send_newleader(m);
		mship__show_view_to_all(m);
		return;
	}
	if (m->round_confirming) {
		if (mship__drop_silent_joiners(m, now_ms))
			return;
		if (++m->round_confirms > ADD_CONFIRMS_MAX) {
			/* The joiners are gone: nothing was accepted, drop
			 * them. */
			m->round_active = false;
			m->round_confirming = false;
			mship__start_round(m, now_ms);
			return;
		}
		mship__send_round_req(m);
		return;
	}
	/* Ask again every member that has not answered; one that missed
	 * our view would drop the REQ, so the view first. */
	mship__round_unanswered(m);
	peerset_foreach(&m->round_waiting, id) mship__resend_view(m, now_ms, id);
	mship__send_round_req(m);
	mship__show_view_to_all(m);
}
