/*
 * Lives and pauses. Incarnations tell a restarted peer's messages from
 * its earlier process's; a restarted peer resumes the view its state file
 * holds; gaps in our own running tell a pause of ours from the others'
 * silence.
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
