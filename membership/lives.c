/*
 * Lives and pauses. Incarnations tell a restarted peer from its earlier
 * process; gaps in our own running tell a pause of ours from the others'
 * silence, and a long one from being given up.
 */
#include "mship_int.h"

/*
 * Messages from a sender's earlier life are dropped. The first message of
 * a newer life means the old process is gone (restarted, or removed and
 * rejoining): whatever our detector says, it is dead as a member, and its
 * new life joins as a new member. Returns whether to go on with msg.
 */
bool mship__same_life(struct mship *m, int64_t now_ms,
		      const struct wire_msg *msg)
{
	uint64_t *known = &m->lives[msg->from];
	if (msg->incarnation < *known) {
		m->stats.dropped_old_life++;
		return false;
	}
	bool admitted = peerset_has(&m->lives_new, msg->from);
	peerset_del(&m->lives_new, msg->from);
	if (msg->incarnation == *known)
		return true;
	bool earlier = *known != 0 && !admitted;
	*known = msg->incarnation;
	if (!earlier || m->role == MSHIP_JOINING ||
	    !peerset_has(&m->members, msg->from) ||
	    peerset_has(&m->dead, msg->from))
		return true;
	m->stats.new_lives++;
	fd_unwatch(&m->fd, msg->from);
	mship__on_dead(m, now_ms, msg->from);
	return mship__active(m);
}

/*
 * Unsure after a long pause: a member's heartbeat says our group lives (to
 * a leader, only if it still follows us: the others may have taken over
 * meanwhile); not the heartbeats that waited in our socket while we were
 * stopped, read at once. A leader then finishes the change it held back.
 */
void mship__heard_group(struct mship *m, int64_t now_ms,
			const struct wire_msg *msg)
{
	if (m->unsure_until_ms == MSHIP_NEVER ||
	    msg->type != WIRE_HEARTBEAT ||
	    (m->role == MSHIP_LEADER && msg->leader != m->cfg.self) ||
	    !peerset_has(&m->members, msg->from) ||
	    now_ms < m->unsure_since_ms + m->cfg.heartbeat_ms / 2)
		return;
	m->unsure_until_ms = MSHIP_NEVER;
	if (m->role == MSHIP_MEMBER && peerset_has(&m->dead, m->leader)) {
		/* Its death, learnt meanwhile, was held back. */
		mship__leader_lost(m, now_ms);
		return;
	}
	if (m->role != MSHIP_LEADER || m->recon.active)
		return;
	if (m->round_active && peerset_empty(&m->round_waiting))
		mship__commit(m, now_ms);
	else
		mship__start_round(m, now_ms);
}

/*
 * The core runs at least every T while it has heartbeats to send. A longer
 * gap means this process itself was stopped or starved of CPU, and heard
 * nothing meanwhile: the silence is ours. Every watched peer gets a full
 * 2T again, from now, rather than the whole group being declared dead.
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
	if (gap >= 2 * (int64_t)m->cfg.heartbeat_ms &&
	    !peerset_empty(&m->fd.watched)) {
		m->unsure_since_ms = now_ms;
		m->unsure_until_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	}
}

/*
 * Unsure after a long pause, and 2T went by with no member of our view
 * heard: they removed us and went on, or are all gone. Either way our
 * view is over, and taking over or leading in it would number views the
 * group may have used: we take ourselves for removed.
 */
void mship__unsure_over(struct mship *m, int64_t now_ms)
{
	m->stats.gave_up_after_pause++;
	struct peerset others = m->members;
	peerset_del(&others, m->cfg.self);
	unsigned to = m->view_leader != m->cfg.self ? m->view_leader
						    : peerset_first(&others);
	mship__removed(m, now_ms, m->view_id, to);
}
