/*
 * Joining a group, founding one, and leaving it: JOIN with backoff and
 * probes, REDIRECT, peer 1's founding wait, taking a NEWVIEW, and what a
 * peer does once a view leaves it out.
 */
#include "mship_int.h"

/*
 * Peer 1 leads a new group, unless one already lives on without it (peer 1
 * crashed and was restarted): it asks every other host once, and a member
 * of such a group answers REDIRECT, which turns peer 1 into a joiner.
 */
void mship__probe(struct mship *m)
{
	struct peerset others;
	peerset_clear(&others);
	for (unsigned id = 2; id <= m->cfg.hosts_count; id++)
		peerset_add(&others, id);
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	mship__send(m, &others, &join);
}

/* Peer 1 still alone in the view it founded. */
bool mship__founding(const struct mship *m)
{
	return m->role == MSHIP_LEADER && m->founding && !m->round_active &&
	       m->queue_count == 0;
}

/*
 * Peer 1 founds a group: it leads view_id alone (view 0 at start) and
 * asks the other hosts, now and every BACKOFF_MAX_MS while alone, whether
 * a group lives on without it. JOINs wait for 2T, or until every other
 * host has said it knows no group (by a JOIN, or a REDIRECT naming no
 * leader): admitting a joiner first would hand out view ids that a group
 * living on without us has already used.
 */
void mship__found(struct mship *m, int64_t now_ms, uint32_t view_id)
{
	struct peerset self;
	peerset_clear(&self);
	peerset_add(&self, m->cfg.self);
	m->role = MSHIP_LEADER;
	m->founding = true;
	m->view_id_floor = 0;
	mship__install(m, now_ms, view_id, m->cfg.self, &self);
	m->next_beat_ms = now_ms + m->cfg.heartbeat_ms;
	m->join_next_ms = now_ms + BACKOFF_MAX_MS;
	m->found_wait_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	peerset_clear(&m->found_heard);
	mship__probe(m);
}

/* A view id above every one this peer has seen, installed or been
 * removed in: where peer 1 founds again. */
static uint32_t mship__id_above(const struct mship *m)
{
	uint32_t top = m->view_id_seen;
	if (m->view_id > top)
		top = m->view_id;
	if (m->removed_in > top)
		top = m->removed_in;
	return top + 1;
}

/* Peer 1 gives up the group it founded, still alone, to join another. */
static void mship__leave_founding(struct mship *m)
{
	m->role = MSHIP_JOINING;
	m->founding = false;
	m->found_wait_ms = MSHIP_NEVER;
	m->queue_count = 0;
}

/*
 * The founding wait is over and no leader answered. If a message showed
 * view ids above ours, a group lived without us. When every other host has
 * said it is joining, that group is gone: found above those ids at once.
 * Else it may live still, its leader slow to answer: look for it as a
 * joiner does, and found above them only once JOIN rounds go unanswered
 * (mship__join_retry). With no such ids, admit the joiners.
 */
void mship__found_wait_over(struct mship *m, int64_t now_ms)
{
	bool group_seen = m->view_id_seen > m->view_id;
	bool all_joining = peerset_count(&m->found_heard) + 1 >=
			   m->cfg.hosts_count;
	if (group_seen && !all_joining) {
		mship__leave_founding(m);
		m->join_target = 2;
		m->join_unanswered = 0;
		m->join_backoff_ms = BACKOFF_MIN_MS;
		mship__join_retry(m, now_ms);
		return;
	}
	if (group_seen)
		mship__found(m, now_ms, mship__id_above(m));
	m->found_wait_ms = MSHIP_NEVER;
	mship__start_round(m, now_ms);
}

/*
 * Host from says it is in no group. Peer 1 in its founding wait admits
 * joiners once every other host has said so; peer 1 redirected to a group
 * that may have died out founds anew after fewer unanswered JOIN rounds
 * (mship__join_retry) once any host has.
 */
void mship__found_heard(struct mship *m, int64_t now_ms, unsigned from)
{
	bool waiting = m->role == MSHIP_LEADER && m->found_wait_ms != MSHIP_NEVER;
	bool lost = m->role == MSHIP_JOINING && m->cfg.self == 1;
	if (!waiting && !lost)
		return;
	peerset_add(&m->found_heard, from);
	if (waiting && peerset_count(&m->found_heard) + 1 >= m->cfg.hosts_count)
		mship__found_wait_over(m, now_ms);
}

/*
 * Retry JOIN with capped backoff: to the peer we believe leads, and to up
 * to JOIN_PROBES_MAX other hosts in turn, whose REDIRECT names the leader
 * after a takeover (in a large group many of the first ids may be dead).
 */
void mship__join_retry(struct mship *m, int64_t now_ms)
{
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	struct peerset to;
	peerset_clear(&to);
	peerset_add(&to, m->join_target);
	unsigned others = m->cfg.hosts_count > 2 ? m->cfg.hosts_count - 2 : 0;
	unsigned probes = others < JOIN_PROBES_MAX ? others : JOIN_PROBES_MAX;
	for (unsigned i = 0; i < probes; i++) {
		unsigned probe = m->join_probe;
		do {
			probe = probe % m->cfg.hosts_count + 1;
		} while (probe == m->cfg.self || probe == m->join_target);
		m->join_probe = probe;
		peerset_add(&to, probe);
	}
	mship__send(m, &to, &join);
	/* Peer 1 redirected to a group that has since died out (every host
	 * asked, none named a leader): found a new one, above every view
	 * seen. Sooner when hosts answer that they are joining too. */
	unsigned rounds = peerset_empty(&m->found_heard)
				  ? m->cfg.hosts_count + 2
				  : JOIN_ROUNDS_NO_GROUP;
	if (m->cfg.self == 1 && ++m->join_unanswered > rounds) {
		mship__found(m, now_ms, mship__id_above(m));
		return;
	}
	m->join_backoff_ms *= 2;
	if (m->join_backoff_ms > BACKOFF_MAX_MS)
		m->join_backoff_ms = BACKOFF_MAX_MS;
	m->join_next_ms = now_ms + m->join_backoff_ms;
}

/*
 * The candidate we took as leader gave up its takeover and names the
 * leader to follow again (the view's, still alive).
 */
static void mship__on_abandoned(struct mship *m, int64_t now_ms,
				const struct wire_msg *msg)
{
	if (msg->from != m->leader || msg->leader != m->view_leader ||
	    msg->leader == m->cfg.self) {
		m->stats.dropped_role++;
		return;
	}
	m->leader = msg->leader;
	mship__revive(m, now_ms, msg->leader);
}

void mship__on_redirect(struct mship *m, int64_t now_ms,
			const struct wire_msg *msg)
{
	if (msg->leader == 0) {
		/* The sender is joining too: it knows no group. */
		mship__found_heard(m, now_ms, msg->from);
		return;
	}
	if (m->role == MSHIP_MEMBER) {
		mship__on_abandoned(m, now_ms, msg);
		return;
	}
	if ((m->role != MSHIP_JOINING && !mship__founding(m)) ||
	    msg->leader == 0 || msg->leader == m->cfg.self ||
	    msg->leader > m->cfg.hosts_count) {
		m->stats.dropped_role++;
		return;
	}
	m->join_unanswered = 0;
	peerset_clear(&m->found_heard);
	if (m->role == MSHIP_LEADER) {
		/* A group lives on without us: join it. */
		mship__leave_founding(m);
		m->join_target = 0;
	}
	if (msg->leader == m->join_target)
		return;
	m->join_target = msg->leader;
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	outbox_send_one(m->out, m->join_target, &join);
	m->join_backoff_ms = BACKOFF_MIN_MS;
	m->join_next_ms = now_ms + m->join_backoff_ms;
}

/*
 * Whether to take a NEWVIEW. A joiner (or peer 1 still alone, restarted
 * into a group that lives on) takes the view that admits it. Anyone else
 * takes any view newer than its own: views come only from leaders, and a
 * newer one means the group moved on, whether we missed a NEWVIEW, were
 * not asked during a takeover, or were ourselves a leader given up for
 * dead. Taking the newest view is also how a split heals.
 */
static bool mship__newview_acceptable(const struct mship *m,
				      const struct wire_msg *msg)
{
	if (m->role == MSHIP_JOINING || mship__founding(m))
		return peerset_has(&msg->members, m->cfg.self) &&
		       msg->view_id > m->view_id &&
		       msg->view_id > m->removed_in;
	return msg->view_id > mship__view_bar(m);
}

/*
 * The leader removed us: our detector missed its heartbeats, we were
 * paused, or we were the -t victim. Go quiet for good, or with --rejoin
 * join again as a new life: JOIN with a higher incarnation, so whatever
 * the old life still had in flight is ignored, and a later view than the
 * removal one.
 */
void mship__removed(struct mship *m, int64_t now_ms,
		    uint32_t view_id, unsigned leader)
{
	if (m->out->event != NULL) {
		struct out_event e = {
			.kind = OUT_EVENT_REMOVED, .self = m->cfg.self,
			.view_id = view_id, .leader = leader,
		};
		m->out->event(m->out, &e);
	}
	m->pending_set = false;
	m->round_active = false;
	m->recon.active = false;
	m->queue_count = 0;
	m->founding = false;
	m->found_wait_ms = MSHIP_NEVER;
	m->next_beat_ms = MSHIP_NEVER;
	peerset_clear(&m->fd.watched);
	peerset_clear(&m->dead);
	peerset_clear(&m->reported);
	peerset_clear(&m->members);
	m->unsure_until_ms = MSHIP_NEVER;
	m->removed_in = view_id;
	m->join_unanswered = 0;
	peerset_clear(&m->found_heard);
	if (!m->cfg.rejoin) {
		m->role = MSHIP_REMOVED;
		return;
	}
	m->incarnation++;
	m->role = MSHIP_JOINING;
	m->join_target = leader;
	m->join_unanswered = 0;
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	outbox_send_one(m->out, m->join_target, &join);
	m->join_backoff_ms = BACKOFF_MIN_MS;
	m->join_next_ms = now_ms + m->join_backoff_ms;
}

void mship__on_newview(struct mship *m, int64_t now_ms,
		       const struct wire_msg *msg)
{
	if (msg->from != msg->leader) {
		m->stats.dropped_role++;
		return;
	}
	if (!mship__newview_acceptable(m, msg)) {
		m->stats.dropped_stale++;
		return;
	}
	if (m->role == MSHIP_LEADER)
		mship__step_down(m, now_ms, msg->from);
	m->newleader_deferred = false;
	if (!peerset_has(&msg->members, m->cfg.self)) {
		mship__removed(m, now_ms, msg->view_id, msg->leader);
		return;
	}
	if (m->role == MSHIP_JOINING) {
		m->role = MSHIP_MEMBER;
		m->join_next_ms = MSHIP_NEVER;
		m->next_beat_ms = now_ms;
	}
	mship__install(m, now_ms, msg->view_id, msg->leader, &msg->members);
}
