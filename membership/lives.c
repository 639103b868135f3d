/*
 * Lives and pauses. Incarnations tell a restarted peer's messages from
 * its earlier process's; a restarted peer resumes the view its state file
 * holds; a new life (no state file) holds no vote until a view admits it;
 * gaps in our own running tell a pause of ours from the others' silence.
 */
#include "mship_int.h"

/*
 * Messages from a sender's earlier life are dropped: whatever that
 * process still had in flight is void. A newer life is the same member,
 * not a death: with its state file it kept every promise (mship__resume),
 * and without one it joins again. Returns whether to go on with msg.
 */
bool mship__same_life(struct mship *m, const struct wire_msg *msg)
{
	uint64_t *known = &m->lives[msg->from];
	if (msg->incarnation < *known) {
		m->stats.dropped_old_life++;
		return false;
	}
	if (msg->incarnation > *known) {
		if (*known != 0)
			m->stats.new_lives++;
		*known = msg->incarnation;
	}
	return true;
}

/*
 * A restarted peer whose state file holds a view resumes it as a member:
 * it is the same acceptor (its promises and acceptance were kept), so to
 * the others its restart was a pause. It prints that view, since this
 * life is in it, watches its members afresh and follows the leader of
 * the ballot it promised last. If that leader is itself, the round it led
 * died with the earlier process: it takes its view over, as any leader
 * does after a change. A group that went on without it shows it the later
 * view (mship__resend_view), which may remove it (mship__removed).
 */
void mship__resume(struct mship *m, int64_t now_ms)
{
	struct peerset members = m->members;
	peerset_clear(&m->members);
	m->role = MSHIP_MEMBER;
	m->resumed = true;
	m->follow_ballot = m->st.promised;
	m->next_beat_ms = now_ms;
	mship__install(m, now_ms, m->st.view_id, m->st.view_leader, &members);
	unsigned follow = BALLOT_LEADER(m->st.promised);
	if (peerset_has(&m->members, follow))
		m->leader = follow;
	if (m->leader == m->cfg.self || !peerset_has(&m->members, m->leader))
		mship__take_over(m, now_ms);
}

/*
 * The core runs at least every T while it has heartbeats to send. A longer
 * gap means this process itself was stopped or starved of CPU, and heard
 * nothing meanwhile: the silence is ours. Every watched peer gets a full
 * 2T again, from now, rather than the whole group being declared dead.
 * Nothing else is needed after a pause: whatever we do on waking, a
 * quorum decides, at a ballot that a group gone on without us has passed.
 */
void mship__notice_pause(struct mship *m, int64_t now_ms)
{
	int64_t gap = now_ms - m->last_run_ms;
	m->last_run_ms = now_ms;
	if (m->role == MSHIP_JOINING ||
	    gap <= (int64_t)m->cfg.heartbeat_ms * 3 / 2 || gap < 0)
		return;
	m->stats.pauses++;
	peerset_foreach(&m->fd.watched, id) fd_heard(&m->fd, id, now_ms);
}

/* Whether msg comes from a peer acting in a view: anything but a JOIN, a
 * joiner's REDIRECT (naming no leader) and a refusal (a joiner's, too). */
static bool mship__from_member(const struct wire_msg *msg)
{
	switch (msg->type) {
	case WIRE_JOIN:
		return false;
	case WIRE_REDIRECT:
		return msg->leader != 0;
	case WIRE_OK:
		return msg->op != WIRE_OP_REFUSE;
	default:
		return true;
	}
}

/*
 * A peer acting in a view later than ours: we missed the views between
 * (their NEWVIEWs lost, or we were cut off, paused or restarted). The
 * later view comes to whoever shows an older one (mship__resend_view),
 * but only from a peer that hears us, and our heartbeats go to the
 * members of the view we know, who may have left it, be dead, or not
 * list us any more. So we show the sender our view with one heartbeat,
 * at most once per T each, whoever it is; it sends us the later view.
 */
static void mship__show_behind(struct mship *m, int64_t now_ms,
			       const struct wire_msg *msg)
{
	if ((m->role != MSHIP_MEMBER && m->role != MSHIP_LEADER) ||
	    msg->type == WIRE_NEWVIEW || msg->view_id <= m->view_id ||
	    now_ms < m->view_shown_ms[msg->from])
		return;
	m->view_shown_ms[msg->from] = now_ms + m->cfg.heartbeat_ms;
	struct wire_msg hb = mship__msg(m, WIRE_HEARTBEAT);
	hb.leader = (uint16_t)(m->role == MSHIP_LEADER ? m->cfg.self
						       : m->leader);
	mship__send_one(m, msg->from, &hb);
}

/*
 * Before the handler of any message: note the sender's life acting as a
 * member (mship__life_gone tells a later life from it); a new peer 1 that
 * probes before founding hears that a group lives, and joins it; one that
 * founded alone and hears of a later view drops its founding for that
 * group (mship__found_undo); a member that hears of a later view shows
 * its sender its own (mship__show_behind).
 */
void mship__heard_group(struct mship *m, int64_t now_ms,
			const struct wire_msg *msg)
{
	if (!mship__from_member(msg))
		return;
	if (msg->incarnation > m->voter_lives[msg->from])
		m->voter_lives[msg->from] = msg->incarnation;
	if (msg->view_id >= m->member_view_seen) {
		m->member_view_seen = msg->view_id;
		m->member_seen_ms = now_ms;
	}
	if (m->found_at_ms != MSHIP_NEVER) {
		/* A joiner now: -c counts from here. */
		mship__arm_crash(m, now_ms);
		m->found_at_ms = mship__found_quiet(m, now_ms);
	}
	if (m->founded_alone && m->role == MSHIP_LEADER &&
	    msg->view_id > m->view_id)
		mship__found_undo(m, now_ms, msg->from);
	mship__show_behind(m, now_ms, msg);
}

/*
 * We founded view 0 when no host answered our probe, and now hear of a
 * later view: a group lived beyond a cut or a silence, and its view 0 was
 * an earlier life's. Nobody joined ours, so nothing was decided in it but
 * view 0, which is that group's view 0 too ([1], led by 1): no view id
 * names two lists. We leave it and join that group as a new life, holding
 * no vote (the group removes the earlier life it lists, then admits us).
 */
void mship__found_undo(struct mship *m, int64_t now_ms, unsigned ask)
{
	struct out_event e = {
		.kind = OUT_EVENT_REMOVED, .self = m->cfg.self,
		.view_id = m->view_id, .leader = m->cfg.self,
		.rejoining = true,
	};
	mship__emit_event(m, &e);
	m->founded_alone = false;
	m->round_active = false;
	m->recon.active = false;
	m->queue_count = 0;
	m->inherit_set = false;
	m->next_beat_ms = MSHIP_NEVER;
	peerset_clear(&m->fd.watched);
	peerset_clear(&m->dead);
	peerset_clear(&m->reported);
	peerset_clear(&m->members);
	m->st.acc_set = false;
	m->st.in_view = false;
	m->st.view_id = 0;
	m->st.view_leader = 0;
	peerset_clear(&m->st.members);
	m->role = MSHIP_JOINING;
	m->fresh = true;
	mship__save(m);
	m->incarnation++;
	mship__join(m, now_ms, ask);
	m->found_at_ms = mship__found_quiet(m, now_ms);
}

/*
 * A new life (mship.h, fresh) is admitted by the ADD of itself that it
 * confirmed: a view listing us above the one that ADD was asked in lists
 * us by that ADD, since the asker's view did not list us and a leader
 * asks in the latest view it knows. That holds only if the asker was not
 * behind a later view listing an earlier life of ours, whose admission
 * would come between: so we confirm no ADD asked in a view older than
 * one a member showed us, while members of that view still speak to us
 * (a group that died out, every member restarted without its state,
 * speaks no more, and a founding peer 1 may then admit us). A view at or
 * below the ADD's is an earlier life's membership: not taken.
 */
bool mship__may_confirm(const struct mship *m, int64_t now_ms,
			const struct wire_msg *msg)
{
	if (!m->fresh)
		return true;
	/* A leader finishing a predecessor's ADD of us (it names that
	 * leader) finishes the admission of the life that confirmed it,
	 * maybe an earlier one: we answer it only if it is ours. */
	if (msg->leader != msg->from &&
	    !(mship__admit_set(m) && m->st.acc_base == msg->view_id &&
	      m->st.acc_leader == msg->leader))
		return false;
	return msg->view_id >= m->member_view_seen ||
	       now_ms >= m->member_seen_ms + m->cfg.probe_ms +
				 2 * BACKOFF_MAX_MS;
}

/* Whether msg, a NEWVIEW listing us, admits this new life. */
bool mship__admits(struct mship *m, const struct wire_msg *msg)
{
	return mship__admit_set(m) && msg->view_id > m->st.acc_base;
}

/* A new life holds the ADD of itself it confirmed (its only vote). */
bool mship__admit_set(const struct mship *m)
{
	if (!m->fresh || !m->st.acc_set)
		return false;
	struct wire_changes batch;
	wire_changes_join(&batch, (enum wire_op)m->st.acc_op, m->st.acc_peer,
			  &m->st.acc_more);
	return wire_changes_has(&batch, WIRE_OP_ADD, m->cfg.self);
}
