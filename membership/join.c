/*
 * Joining a group, founding one, and leaving it: JOIN with backoff and
 * probes, REDIRECT, taking a NEWVIEW, and what a peer does once a view
 * leaves it out.
 */
#include "mship_int.h"

/*
 * Peer 1, as a new life (mship.h, fresh) that no host showed a view,
 * founds the group: it leads view 0 alone, above any ballot it heard of.
 */
void mship__found(struct mship *m, int64_t now_ms)
{
	struct peerset self;
	peerset_clear(&self);
	peerset_add(&self, m->cfg.self);
	m->role = MSHIP_LEADER;
	m->ballot = BALLOT_MAKE(BALLOT_COUNTER(m->ballot_seen) + 1,
				m->cfg.self);
	m->st.promised = m->ballot;
	m->follow_ballot = m->ballot;
	m->leader = m->cfg.self;
	m->join_next_ms = MSHIP_NEVER;
	mship__install(m, now_ms, 0, m->cfg.self, &self);
	m->next_beat_ms = now_ms + m->cfg.heartbeat_ms;
}

/*
 * A probe: JOIN to hosts other than the one we join through, asking who
 * leads. It goes by datagram: a joiner asks again at every retry, and at
 * a simultaneous start of hundreds a TCP connection per probe (and per
 * answer, a REDIRECT, also a datagram) is what kept the machine busy.
 */
static void mship__send_probe(struct mship *m, const struct peerset *to)
{
	if (peerset_empty(to))
		return;
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	m->out->send_datagram(m->out, to, &join);
}

/*
 * A new peer 1 founds only if no other host shows it a view: it sends
 * JOIN to every other host (host 2 by TCP, the rest a probe), and founds
 * probe_ms later (the daemon: 2T + A, a detector's time) unless one
 * answers as a member of a view first (mship__heard_group); then it goes
 * on joining that group, as any new life. Alone in the hostsfile (or with
 * no probe), it founds at once.
 */
void mship__probe(struct mship *m, int64_t now_ms)
{
	if (m->cfg.hosts_count < 2 || m->cfg.probe_ms == 0) {
		mship__arm_crash(m, now_ms);
		mship__found(m, now_ms);
		mship__check_testcase4(m);
		return;
	}
	mship__join(m, now_ms, 2);
	struct peerset to;
	peerset_clear(&to);
	for (unsigned id = 3; id <= m->cfg.hosts_count; id++)
		peerset_add(&to, id);
	mship__send_probe(m, &to);
	m->found_at_ms = now_ms + m->cfg.probe_ms;
}

/*
 * A new peer 1 that heard a member goes on joining; it founds only if no
 * member speaks to it for this long (the probe, then two JOIN retries at
 * the longest backoff unanswered by any member): the group it heard died
 * out, every member restarted without its state.
 */
int64_t mship__found_quiet(const struct mship *m, int64_t now_ms)
{
	return now_ms + m->cfg.probe_ms + 2 * BACKOFF_MAX_MS;
}

/* Nobody showed us a view in time: we found the group. If one lived
 * beyond a cut, we hear of it later and join it (mship__found_undo). */
void mship__found_unanswered(struct mship *m, int64_t now_ms)
{
	m->found_at_ms = MSHIP_NEVER;
	mship__arm_crash(m, now_ms);
	mship__found(m, now_ms);
	m->founded_alone = true;
	mship__check_testcase4(m);
}

/* Start joining, JOIN first to target. */
void mship__join(struct mship *m, int64_t now_ms, unsigned target)
{
	m->role = MSHIP_JOINING;
	m->join_target = target;
	m->join_heard = false;
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	mship__send_one(m, m->join_target, &join);
	m->join_backoff_ms = BACKOFF_MIN_MS;
	m->join_next_ms = now_ms + m->join_backoff_ms;
}

/*
 * Retry JOIN with capped backoff: to the peer we believe leads and,
 * unless it answered as the leader since the last JOIN (a leader
 * acknowledges a JOIN it queues behind a round), to up to JOIN_PROBES_MAX
 * other hosts in turn, whose REDIRECT names the leader after a takeover
 * (in a large group many of the first ids may be dead). A target that
 * answers as a joiner is no sign of a leader: two joiners may name each
 * other. Each peer asks the hosts after its own id first, so that at a
 * simultaneous start no few hosts answer everyone. mship__join_probe
 * sends one such round: JOIN to the target by TCP, the probes by
 * datagram (mship__send_probe).
 */
static void mship__join_probe(struct mship *m)
{
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	mship__send_one(m, m->join_target, &join);
	struct peerset to;
	peerset_clear(&to);
	unsigned others = m->cfg.hosts_count > 2 ? m->cfg.hosts_count - 2 : 0;
	unsigned probes = others < JOIN_PROBES_MAX ? others : JOIN_PROBES_MAX;
	if (m->join_heard)
		probes = 0;
	m->join_heard = false;
	for (unsigned i = 0; i < probes; i++) {
		unsigned probe = m->join_probe;
		do {
			probe = probe % m->cfg.hosts_count + 1;
		} while (probe == m->cfg.self || probe == m->join_target);
		m->join_probe = probe;
		peerset_add(&to, probe);
	}
	mship__send_probe(m, &to);
}

void mship__join_retry(struct mship *m, int64_t now_ms)
{
	mship__join_probe(m);
	m->join_backoff_ms *= 2;
	if (m->join_backoff_ms > BACKOFF_MAX_MS)
		m->join_backoff_ms = BACKOFF_MAX_MS;
	m->join_next_ms = now_ms + m->join_backoff_ms;
}

void mship__on_redirect(struct mship *m, int64_t now_ms,
			const struct wire_msg *msg)
{
	if (m->role != MSHIP_JOINING) {
		m->stats.dropped_role++;
		return;
	}
	if (msg->leader == 0)
		return;		/* the sender is joining too */
	if (msg->leader == m->cfg.self || msg->leader > m->cfg.hosts_count) {
		m->stats.dropped_role++;
		return;
	}
	if (msg->leader == m->join_target) {
		if (msg->from == m->join_target)
			m->join_heard = true;	/* it leads, and heard us */
		return;
	}
	m->join_target = msg->leader;
	m->join_heard = false;
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	mship__send_one(m, m->join_target, &join);
	m->join_backoff_ms = BACKOFF_MIN_MS;
	m->join_next_ms = now_ms + m->join_backoff_ms;
}

/*
 * The leader removed us (view view_id [members] led by leader; ask is
 * whom to JOIN if we join again): our detector missed its
 * heartbeats, we were paused or cut off, or we were the -t victim. Go
 * quiet for good, or with --rejoin join again as a new life: JOIN with a
 * higher incarnation, so whatever the old life still had in flight is
 * ignored, and a later view than the removal one. A life that resumed its
 * view and learns first of a removal joins again too: the group removed
 * the earlier process, and this one was started to be a member. The
 * promise stays: it binds every life. The state keeps the removal view,
 * which we show whoever lacks it while we join again: we may be the only
 * one alive that knows it.
 */
void mship__removed(struct mship *m, int64_t now_ms, uint32_t view_id,
		    unsigned leader, const struct peerset *members,
		    unsigned ask)
{
	struct out_event e = {
		.kind = OUT_EVENT_REMOVED, .self = m->cfg.self,
		.view_id = view_id, .leader = leader,
		.rejoining = m->cfg.rejoin || m->resumed,
	};
	mship__emit_event(m, &e);
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
	/* Never again a view at or below this one, in any life: we may
	 * have answered for them, and forgotten how. */
	m->st.view_id = view_id;
	m->st.view_leader = (uint16_t)leader;
	m->st.members = *members;
	m->removed_in = view_id;
	m->role = MSHIP_REMOVED;
	mship__save(m);
	if (!e.rejoining)
		return;
	m->resumed = false;
	m->incarnation++;
	mship__join(m, now_ms, ask);
}

/*
 * Whether to take a NEWVIEW. A view is sent only once a quorum decided
 * it, so any newer view is ours to take, whoever sends it: the leader that
 * decided it, or one that tells a peer it seems to lack it. A joiner takes
 * the view that admits it.
 */
static bool mship__newview_acceptable(struct mship *m, int64_t now_ms,
				      const struct wire_msg *msg)
{
	if (!peerset_has(&msg->members, msg->leader))
		return false;
	if (m->role == MSHIP_JOINING) {
		if (!peerset_has(&msg->members, m->cfg.self))
			return false;
		if (m->fresh)
			return mship__admits(m, msg);
		return msg->view_id > m->view_id &&
		       msg->view_id > m->removed_in;
	}
	if (msg->view_id == m->view_id && m->role == MSHIP_MEMBER &&
	    msg->ballot > m->follow_ballot && msg->ballot >= m->st.promised &&
	    BALLOT_LEADER(msg->ballot) == msg->from &&
	    peerset_equal(&msg->members, &m->members)) {
		/* Our view, from a leader that just took it over: the one
		 * we followed is gone, and this tells us first. */
		if (m->leader != msg->from)
			mship__report(m, m->leader);
		m->follow_ballot = msg->ballot;
		m->leader = msg->from;
		mship__revive(m, now_ms, msg->from);
		return false;
	}
	return msg->view_id > m->view_id;
}

void mship__on_newview(struct mship *m, int64_t now_ms,
		       const struct wire_msg *msg)
{
	if (!mship__newview_acceptable(m, now_ms, msg)) {
		m->stats.dropped_stale++;
		return;
	}
	if (m->role == MSHIP_LEADER && msg->ballot < m->ballot &&
	    peerset_has(&msg->members, m->cfg.self)) {
		/* A view decided at a lower ballot that we lacked: take it,
		 * and lead on from it. Our ballot was promised by a quorum
		 * of an older view, which says nothing of what this view's
		 * members accepted since: we ask them first (phase 1 again,
		 * in this view), or we could undo a change they decided. */
		mship__install(m, now_ms, msg->view_id, msg->leader,
			       &msg->members);
		m->round_active = false;
		mship__take_over(m, now_ms);
		return;
	}
	if (m->role == MSHIP_LEADER) {
		/* A higher ballot decided past our view: another leader
		 * went on. A decided view stands; we follow its sender. */
		mship__step_down(m, now_ms, msg->from);
	}
	m->newleader_deferred = false;
	if (!peerset_has(&msg->members, m->cfg.self)) {
		mship__removed(m, now_ms, msg->view_id, msg->leader,
			       &msg->members, msg->from);
		return;
	}
	if (m->role == MSHIP_JOINING) {
		/* A new membership: every member is new to it, and watched
		 * from now. */
		m->role = MSHIP_MEMBER;
		m->join_next_ms = MSHIP_NEVER;
		m->next_beat_ms = now_ms;
	}
	if (msg->ballot > m->follow_ballot)
		m->follow_ballot = msg->ballot;
	mship__install(m, now_ms, msg->view_id, msg->leader, &msg->members);
	/* We follow the leader of the ballot we know last, which may not be
	 * the leader this view names (one finishing its predecessor's
	 * change keeps its predecessor's name on that view). */
	unsigned follow = BALLOT_LEADER(m->follow_ballot);
	if (peerset_has(&m->members, follow) && follow != m->cfg.self)
		m->leader = follow;
	else if (m->view_leader == m->cfg.self)
		/* Another finished a change of ours naming us: lead. */
		mship__take_over(m, now_ms);
	/* The view names a leader our detector already gave up (a
	 * successor finishing a dead leader's change names that leader, and
	 * may itself leave the view): its death was seen before this view,
	 * and nothing else will act on it. */
	if (m->role == MSHIP_MEMBER && peerset_has(&m->dead, m->leader))
		mship__leader_lost(m, now_ms);
}
