/*
 * Taking over from a dead leader: a ballot above every one heard of, the
 * NEWLEADER round (reconcile/) until a quorum of our view has promised it,
 * then the change accepted at the highest ballot among the answers, which
 * a lower ballot may have decided, finished first, with the leader it
 * names; and stepping down when a higher ballot is heard of.
 */
#include "mship_int.h"

void mship__take_over(struct mship *m, int64_t now_ms)
{
	uint64_t above = m->ballot_seen > m->st.promised ? m->ballot_seen
							  : m->st.promised;
	if (!m->recon.active || m->ballot < above)
		m->ballot = BALLOT_MAKE(BALLOT_COUNTER(above) + 1, m->cfg.self);
	m->newleader_deferred = false;
	m->role = MSHIP_LEADER;
	m->leader = m->cfg.self;
	m->round_active = false;
	m->queue_count = 0;
	m->inherit_set = false;
	m->st.promised = m->ballot;
	mship__heard_ballot(m, m->ballot);
	mship__save(m);
	m->stats.takeovers++;
	struct recon_op own = { .op = WIRE_OP_NOTHING };
	if (m->st.acc_set && m->st.acc_base == m->view_id) {
		own.op = (enum wire_op)m->st.acc_op;
		own.peer = m->st.acc_peer;
		own.more = m->st.acc_more;
		own.leader = m->st.acc_leader;
		own.ballot = m->st.acc_ballot;
	}
	/* Every member, the dead too: one we gave up wrongly answers, and
	 * may be what makes the quorum. */
	struct peerset ask = m->members;
	peerset_del(&ask, m->cfg.self);
	recon_begin(&m->recon, ++m->next_request_id, m->ballot, m->view_id,
		    &m->members, &ask, m->cfg.self, &own,
		    m->void_view == m->view_id ? m->void_ballot : 0);
	m->round_retry_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	mship__send_newleader(m);
	if (recon_done(&m->recon))
		mship__on_recon_answer(m, now_ms, NULL);
}

/* NEWLEADER to every member that has not promised yet (the dead too). */
void mship__send_newleader(struct mship *m)
{
	struct peerset to = m->members;
	peerset_subtract(&to, &m->recon.answered);
	struct wire_msg nl = mship__msg(m, WIRE_NEWLEADER);
	nl.ballot = m->recon.ballot;
	nl.request_id = m->recon.request_id;
	nl.op = WIRE_OP_PENDING;
	mship__send(m, &to, &nl);
}

/*
 * A promise for our ballot (msg NULL: check only). Once a quorum of the
 * view has promised, we lead: the batch the highest ballot among them
 * accepted goes first, whole and under the leader it names, then the dead
 * are removed, the old leader among them.
 */
void mship__on_recon_answer(struct mship *m, int64_t now_ms,
			    const struct wire_msg *msg)
{
	if (msg != NULL && !recon_answer(&m->recon, msg->from, msg)) {
		m->stats.dropped_stale++;
		return;
	}
	if (!recon_done(&m->recon))
		return;
	m->recon.active = false;
	m->follow_ballot = m->ballot;
	/* Tell the view we lead it: members follow our ballot from now, so
	 * a leader we replaced, hearing them, yields. */
	struct wire_msg nv = mship__msg(m, WIRE_NEWVIEW);
	nv.leader = (uint16_t)m->view_leader;
	nv.members = m->members;
	struct peerset to = mship__live_others(m);
	mship__send(m, &to, &nv);
	/* The dead go: the old leader (every promise said so, each by its
	 * own detector) and those a leader asked to remove; those only our
	 * detector holds dead go once enough others agree
	 * (mship__recheck_suspects, after the queue). */
	struct peerset dead = m->dead;
	peerset_foreach(&dead, id) {
		struct mship_change del = { .op = WIRE_OP_DEL, .peer = id };
		if (peerset_has(&m->members, id) &&
		    (id == m->view_leader || !peerset_has(&m->suspected, id)))
			mship__enqueue(m, &del, true);
	}
	const struct recon_op *best = &m->recon.best;
	if (best->op == WIRE_OP_ADD || best->op == WIRE_OP_DEL) {
		m->inherit_set = true;
		wire_changes_join(&m->inherit, best->op, best->peer,
				  &best->more);
		m->inherit_leader = best->leader;
	}
	mship__start_round(m, now_ms);
	mship__recheck_suspects(m, now_ms);
}

/*
 * Give up leading: a member promised a higher ballot, a peer below us is
 * taking over, or a view decided at a higher ballot arrived. We follow
 * the peer named, and watch it afresh.
 */
void mship__step_down(struct mship *m, int64_t now_ms, unsigned follow)
{
	m->recon.active = false;
	m->round_active = false;
	m->queue_count = 0;
	m->inherit_set = false;
	m->role = MSHIP_MEMBER;
	if (follow != 0 && follow != m->cfg.self &&
	    peerset_has(&m->members, follow)) {
		m->leader = follow;
		mship__revive(m, now_ms, follow);
	} else {
		m->leader = m->view_leader;
	}
}

/*
 * The leader we follow is dead: the lowest live member takes over; the
 * others answer its NEWLEADER.
 */
void mship__leader_lost(struct mship *m, int64_t now_ms)
{
	unsigned next = mship__lowest_live(m);
	if (next == m->cfg.self) {
		mship__take_over(m, now_ms);
		return;
	}
	if (m->ringed && next != 0 && m->role == MSHIP_MEMBER) {
		/* A ringed view: we watch no one but our subjects and the
		 * leader, so the one we wait for may be dead unseen. We
		 * follow and watch it: if it does not take over (a candidate
		 * beats every member), our detector says so, and the next
		 * lowest is waited for. */
		m->leader = next;
		mship__revive(m, now_ms, next);
		if (!peerset_has(&m->fd.watched, next))
			fd_watch(&m->fd, next, now_ms);
	}
	mship__settle_newleader(m);
}
