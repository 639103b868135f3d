/*
 * A member answering: a leader's REQ (phase 2: accept the change, unless
 * it promised a higher ballot), and a candidate's NEWLEADER (phase 1:
 * promise its ballot and tell what it accepted), which it answers only
 * once its own detector agrees the leader it follows is dead.
 */
#include "mship_int.h"

/* Tell the sender of a REQ or NEWLEADER below our promise which ballot we
 * answered, and whom we follow; it answers nothing. */
void mship__refuse(struct mship *m, const struct wire_msg *msg)
{
	m->stats.refused++;
	struct wire_msg no = mship__msg(m, WIRE_OK);
	no.ballot = m->st.promised;
	no.request_id = msg->request_id;
	no.op = WIRE_OP_REFUSE;
	/* A joiner follows nobody yet: it names the asker, who then asks
	 * again above our promise. */
	unsigned follow = m->role == MSHIP_LEADER    ? m->cfg.self
			  : m->role == MSHIP_JOINING ? msg->from
						     : m->leader;
	if (follow == 0 || follow > m->cfg.hosts_count)
		follow = m->cfg.self;
	no.peer = (uint16_t)follow;
	mship__send_one(m, msg->from, &no);
}

/* OK to a REQ: its fields echoed, at its ballot. */
static void mship__ok_req(struct mship *m, const struct wire_msg *msg)
{
	struct wire_msg ok = mship__msg(m, WIRE_OK);
	ok.view_id = msg->view_id;
	ok.ballot = msg->ballot;
	ok.request_id = msg->request_id;
	ok.op = msg->op;
	ok.peer = msg->peer;
	ok.more = msg->more;
	ok.leader = msg->leader;
	mship__send_one(m, msg->from, &ok);
}

/* Keep a REQ's batch as our accepted one (saved by the caller). */
static void mship__accept(struct mship *m, const struct wire_msg *msg)
{
	m->st.acc_set = true;
	m->st.acc_ballot = msg->ballot;
	m->st.acc_base = msg->view_id;
	m->st.acc_op = (uint8_t)msg->op;
	m->st.acc_peer = msg->peer;
	m->st.acc_more = msg->more;
	m->st.acc_leader = msg->leader;
}

/* Whether a REQ's batch names only hosts of our hostsfile. */
static bool mship__req_known(const struct mship *m,
			     const struct wire_msg *msg)
{
	if (msg->peer > m->cfg.hosts_count || msg->leader > m->cfg.hosts_count)
		return false;
	for (unsigned i = 0; i < msg->more.count; i++)
		if (msg->more.at[i].peer > m->cfg.hosts_count)
			return false;
	return true;
}

/*
 * Accept a REQ: the batch that makes view view_id + 1. Only in the view
 * it is asked in (a member behind is sent the view by the leader first),
 * and only at our promise or above it; the acceptance is saved before the
 * OK leaves.
 */
void mship__on_req(struct mship *m, int64_t now_ms,
		   const struct wire_msg *msg)
{
	/* A higher ballot leads our view (or a later one): yield, and
	 * follow it. One asking in an older view, held up in the network,
	 * was overtaken by a view we have: it says nothing about who leads
	 * ours. One our view does not list asks in a later view we lack:
	 * we could not follow it, and following our view's leader instead
	 * (dead, maybe, or ourselves) nobody would lead us on. We go on
	 * with our round, which shows our view to every host while it
	 * stalls, and the later view comes back (mship__show_behind). */
	if (m->role == MSHIP_LEADER && msg->ballot > m->ballot &&
	    msg->view_id >= m->view_id && peerset_has(&m->members, msg->from))
		mship__step_down(m, now_ms, msg->from);
	struct wire_changes batch;
	wire_changes_join(&batch, msg->op, msg->peer, &msg->more);
	if (m->role == MSHIP_JOINING &&
	    wire_changes_has(&batch, WIRE_OP_ADD, m->cfg.self) &&
	    msg->view_id >= m->removed_in && mship__req_known(m, msg)) {
		/* The leader asks whether we are here to be let in: yes, and
		 * we promise its ballot for the view that admits us. */
		if (msg->ballot < m->st.promised) {
			mship__refuse(m, msg);
			return;
		}
		if (!mship__may_confirm(m, now_ms, msg)) {
			m->stats.dropped_stale++;
			return;
		}
		m->st.promised = msg->ballot;
		if (m->fresh) {
			/* Our only vote, kept across a restart: the view
			 * this batch makes admits us (mship__admits). */
			mship__accept(m, msg);
		}
		mship__save(m);
		mship__ok_req(m, msg);
		return;
	}
	if (m->role != MSHIP_MEMBER || !peerset_has(&m->members, msg->from)) {
		m->stats.dropped_role++;
		return;
	}
	if (msg->ballot < m->st.promised) {
		mship__refuse(m, msg);
		return;
	}
	if (!mship__req_known(m, msg)) {
		m->stats.dropped_stranger++;
		return;
	}
	if (msg->view_id != m->view_id) {
		m->stats.dropped_stale++;
		return;
	}
	m->st.promised = msg->ballot;
	mship__accept(m, msg);
	m->follow_ballot = msg->ballot;
	m->leader = msg->from;
	m->newleader_deferred = false;
	mship__revive(m, now_ms, msg->from);
	mship__save(m);
	for (unsigned i = 0; i < batch.count; i++) {
		unsigned peer = batch.at[i].peer;
		if (batch.at[i].op != WIRE_OP_DEL || peer == m->cfg.self ||
		    peer == msg->from)
			continue;
		/* The leader's detector spoke first; ours stays quiet. (A
		 * leader finishing its predecessor's removal of itself is
		 * alive: we keep watching it, or its death would go unseen
		 * if it dies before the view is decided.) */
		mship__report(m, peer);
		if (peerset_has(&m->members, peer)) {
			peerset_add(&m->dead, peer);
			fd_unwatch(&m->fd, peer);
		}
	}
	mship__ok_req(m, msg);
}

/* Promise a candidate's ballot, saved first, and tell it what we accepted
 * in our view (and send it our view if it is behind us). */
static void mship__promise(struct mship *m, unsigned to, uint32_t request_id,
			   uint64_t ballot, uint32_t their_view)
{
	m->newleader_deferred = false;
	m->st.promised = ballot;
	m->leader = to;
	mship__save(m);
	struct wire_msg ok = mship__msg(m, WIRE_OK);
	ok.ballot = ballot;
	ok.request_id = request_id;
	ok.op = WIRE_OP_NOTHING;
	if (m->st.acc_set && m->st.acc_base == m->view_id) {
		ok.op = (enum wire_op)m->st.acc_op;
		ok.peer = m->st.acc_peer;
		ok.more = m->st.acc_more;
		ok.leader = m->st.acc_leader;
		ok.acc_ballot = m->st.acc_ballot;
	}
	if (their_view < m->view_id) {
		struct wire_msg nv = mship__msg(m, WIRE_NEWVIEW);
		nv.leader = (uint16_t)m->view_leader;
		nv.members = m->members;
		mship__send_one(m, to, &nv);
	}
	mship__send_one(m, to, &ok);
}

/*
 * Decide a waiting NEWLEADER once our detector says the leader we follow
 * is dead (it may have been answered by a higher ballot meanwhile).
 */
void mship__settle_newleader(struct mship *m)
{
	if (!m->newleader_deferred || !peerset_has(&m->dead, m->leader))
		return;
	m->newleader_deferred = false;
	if (m->newleader_ballot <= m->st.promised ||
	    peerset_has(&m->dead, m->newleader_from))
		return;
	mship__promise(m, m->newleader_from, m->newleader_request_id,
		       m->newleader_ballot, m->view_id);
}

void mship__on_newleader(struct mship *m, int64_t now_ms,
			 const struct wire_msg *msg)
{
	if (!peerset_has(&m->members, msg->from)) {
		m->stats.dropped_nonmember++;
		return;
	}
	if (m->role == MSHIP_LEADER) {
		/* We lead, alive, or take over with the better claim. A lower
		 * id taking over beside us wins only above our ballot: we
		 * would refuse it as an acceptor anyway, and stepping down
		 * for it would leave each following the other. Refused, it
		 * asks again above us. */
		if (!m->recon.active || msg->from > m->cfg.self ||
		    msg->ballot <= m->st.promised) {
			mship__refuse(m, msg);
			return;
		}
		mship__step_down(m, now_ms, msg->from);
	}
	if (m->role != MSHIP_MEMBER) {
		m->stats.dropped_role++;
		return;
	}
	/* A ballot is its leader's alone: the one we promised, asked
	 * again (by that leader, maybe of a life we never heard), gets the
	 * same answer. */
	if (msg->ballot < m->st.promised ||
	    BALLOT_LEADER(msg->ballot) != msg->from) {
		mship__refuse(m, msg);
		return;
	}
	mship__revive(m, now_ms, msg->from);
	if (msg->ballot == m->st.promised || peerset_has(&m->dead, m->leader) ||
	    m->leader == msg->from) {
		/* Asked again, or our leader is gone: promise. */
		mship__promise(m, msg->from, msg->request_id, msg->ballot,
			       msg->view_id);
		return;
	}
	m->newleader_deferred = true;
	m->newleader_from = msg->from;
	m->newleader_request_id = msg->request_id;
	m->newleader_ballot = msg->ballot;
}
