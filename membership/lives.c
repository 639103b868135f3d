/*
 * Lives and pauses. Incarnations tell a restarted peer from its earlier
 * process; gaps in our own running tell a pause of ours from the others'
 * silence.
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
	    !peerset_has(&m->members, msg->from))
		return true;
	peerset_add(&m->replaced, msg->from);
	if (peerset_has(&m->dead, msg->from))
		return true;
	m->stats.new_lives++;
	fd_unwatch(&m->fd, msg->from);
	mship__on_dead(m, now_ms, msg->from);
	return mship__active(m);
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
