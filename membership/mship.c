/*
 * The membership state machine. Read mship.h first for the roles; the
 * functions below go in the order a peer meets them: start, joining,
 * answering as a member, leading a view change, detecting failures, taking
 * over from a dead leader.
 */
#include "mship.h"

#include "../common/out.h"

/* ---- Small shared steps ------------------------------------------------ */

static struct wire_msg mship__msg(const struct mship *m, enum wire_type type)
{
	struct wire_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = type;
	msg.from = (uint16_t)m->cfg.self;
	msg.incarnation = m->incarnation;
	msg.view_id = m->view_id;
	/* A joiner has no view: it tells the highest id it has seen, which
	 * a founding peer 1 numbers above. */
	if (type == WIRE_JOIN && m->view_id_seen > m->view_id)
		msg.view_id = m->view_id_seen;
	return msg;
}

/* Send to a set of peers; an empty set sends nothing. */
static void mship__send(struct mship *m, const struct peerset *to,
			const struct wire_msg *msg)
{
	if (!peerset_empty(to))
		m->out->send(m->out, to, msg);
}

static void mship__print_view(struct mship *m)
{
	char line[OUT_LINE_BYTES_MAX];
	size_t len = out_view(line, m->cfg.self, m->view_id, m->leader,
			      &m->members);
	m->out->print(m->out, line, len);
}

/*
 * Print the unreachable line for peer, once per membership: whichever of
 * the detector, a leader's REQ or a NEWLEADER tells us first prints it.
 */
static void mship__report(struct mship *m, unsigned peer)
{
	if (peer == m->cfg.self || peerset_has(&m->reported, peer) ||
	    !peerset_has(&m->members, peer))
		return;
	peerset_add(&m->reported, peer);
	char line[OUT_LINE_BYTES_MAX];
	size_t len = out_unreachable(line, m->cfg.self, m->view_id, m->leader,
				     peer, peer == m->leader);
	m->out->print(m->out, line, len);
}

/* Members other than self that are not believed dead. */
static struct peerset mship__live_others(const struct mship *m)
{
	struct peerset s = m->members;
	peerset_subtract(&s, &m->dead);
	peerset_del(&s, m->cfg.self);
	return s;
}

static void mship__crash(struct mship *m)
{
	char line[OUT_LINE_BYTES_MAX];
	size_t len = out_crashing(line, m->cfg.self, m->view_id, m->leader);
	m->out->print(m->out, line, len);
	m->role = MSHIP_CRASHED;
	m->out->exit(m->out);
}

static void mship__arm_crash(struct mship *m, int64_t now_ms)
{
	if (m->cfg.crash_ms >= 0 && m->crash_at_ms == MSHIP_NEVER)
		m->crash_at_ms = now_ms + m->cfg.crash_ms;
}

/*
 * Install a view: watch the members that are new, forget the ones that
 * left (a peer that comes back later is a new membership, with its own
 * failure to report), and print the view.
 */
static void mship__install(struct mship *m, int64_t now_ms, uint32_t view_id,
			   unsigned leader, const struct peerset *members)
{
	struct peerset joined = *members, left = m->members;
	peerset_subtract(&joined, &m->members);
	peerset_subtract(&left, members);
	peerset_foreach(&joined, id) {
		peerset_del(&m->reported, id);
		peerset_del(&m->dead, id);
		/* A new membership: the leader let in the life whose JOIN
		 * it heard, perhaps one we have not heard yet (the leader
		 * itself we just heard, in its NEWVIEW). */
		if (id != leader && (leader != m->cfg.self ||
				     !peerset_has(&m->joins_heard, id)))
			peerset_add(&m->lives_new, id);
		peerset_del(&m->joins_heard, id);
		if (id != m->cfg.self)
			fd_watch(&m->fd, id, now_ms);
	}
	peerset_foreach(&left, id) {
		peerset_del(&m->reported, id);
		peerset_del(&m->dead, id);
		fd_unwatch(&m->fd, id);
	}
	m->members = *members;
	m->view_id = view_id;
	m->view_leader = leader;
	m->leader = leader;
	if (m->pending_set && m->pending_view_id < view_id)
		m->pending_set = false;
	m->newleader_deferred = false;
	mship__print_view(m);
}

void mship_create(struct mship *m, const struct mship_config *cfg,
		  struct outbox *out)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->out = out;
	m->role = MSHIP_IDLE;
	m->incarnation = cfg->incarnation > 0 ? cfg->incarnation : 1;
	m->last_run_ms = MSHIP_NEVER;
	m->unsure_until_ms = MSHIP_NEVER;
	fd_create(&m->fd, 2 * cfg->heartbeat_ms);
	m->next_beat_ms = MSHIP_NEVER;
	m->join_next_ms = MSHIP_NEVER;
	m->found_wait_ms = MSHIP_NEVER;
	m->crash_at_ms = MSHIP_NEVER;
}

static void mship__check_testcase4(struct mship *m);

/*
 * Peer 1 leads a new group, unless one already lives on without it (peer 1
 * crashed and was restarted): it asks every other host once, and a member
 * of such a group answers REDIRECT, which turns peer 1 into a joiner.
 */
static void mship__probe(struct mship *m)
{
	struct peerset others;
	peerset_clear(&others);
	for (unsigned id = 2; id <= m->cfg.hosts_count; id++)
		peerset_add(&others, id);
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	mship__send(m, &others, &join);
}

/* Peer 1 still alone in the view it founded. */
static bool mship__founding(const struct mship *m)
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
static void mship__found(struct mship *m, int64_t now_ms, uint32_t view_id)
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

static void mship__start_round(struct mship *m, int64_t now_ms);

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

/*
 * The founding wait is over: no group answered. If a message showed view
 * ids above ours (a group that may since have died), found again above
 * them, so no id names two lists; then admit the joiners.
 */
static void mship__found_wait_over(struct mship *m, int64_t now_ms)
{
	if (m->view_id_seen > m->view_id)
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
static void mship__found_heard(struct mship *m, int64_t now_ms, unsigned from)
{
	bool waiting = m->role == MSHIP_LEADER && m->found_wait_ms != MSHIP_NEVER;
	bool lost = m->role == MSHIP_JOINING && m->cfg.self == 1;
	if (!waiting && !lost)
		return;
	peerset_add(&m->found_heard, from);
	if (waiting && peerset_count(&m->found_heard) + 1 >= m->cfg.hosts_count)
		mship__found_wait_over(m, now_ms);
}

void mship_start(struct mship *m, int64_t now_ms)
{
	if (m->role != MSHIP_IDLE)
		return;
	if (m->cfg.self == 1) {
		mship__found(m, now_ms, 0);
		mship__arm_crash(m, now_ms);
		mship__check_testcase4(m);
		return;
	}
	m->role = MSHIP_JOINING;
	m->join_target = 1;
	struct wire_msg join = mship__msg(m, WIRE_JOIN);
	outbox_send_one(m->out, m->join_target, &join);
	m->join_backoff_ms = BACKOFF_MIN_MS;
	m->join_next_ms = now_ms + m->join_backoff_ms;
	mship__arm_crash(m, now_ms);
}

/* ---- Joining ------------------------------------------------------------ */

/*
 * Retry JOIN with capped backoff: to the peer we believe leads, and to up
 * to JOIN_PROBES_MAX other hosts in turn, whose REDIRECT names the leader
 * after a takeover (in a large group many of the first ids may be dead).
 */
static void mship__join_retry(struct mship *m, int64_t now_ms)
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

static void mship__revive(struct mship *m, int64_t now_ms, unsigned peer);

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

static void mship__on_redirect(struct mship *m, int64_t now_ms,
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
		m->role = MSHIP_JOINING;
		m->founding = false;
		m->found_wait_ms = MSHIP_NEVER;
		m->queue_count = 0;
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

static void mship__step_down(struct mship *m, int64_t now_ms,
			     unsigned should_lead);

/* The highest view id this peer has installed or, leading after a
 * takeover, numbers above. */
static uint32_t mship__view_bar(const struct mship *m)
{
	if (m->role == MSHIP_LEADER && m->view_id_floor > m->view_id)
		return m->view_id_floor;
	return m->view_id;
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
static void mship__removed(struct mship *m, int64_t now_ms,
			   uint32_t view_id, unsigned leader)
{
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

static void mship__on_newview(struct mship *m, int64_t now_ms,
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

/* ---- Member ------------------------------------------------------------- */

static bool mship__follow(struct mship *m, unsigned q);

static void mship__on_req(struct mship *m, const struct wire_msg *msg)
{
	if (m->role != MSHIP_MEMBER || !mship__follow(m, msg->from)) {
		m->stats.dropped_role++;
		return;
	}
	if (msg->peer > m->cfg.hosts_count) {
		m->stats.dropped_stranger++;
		return;
	}
	if (msg->view_id < m->view_id) {
		m->stats.dropped_stale++;
		return;
	}
	m->pending_set = true;
	m->pending_request_id = msg->request_id;
	m->pending_view_id = msg->view_id;
	m->pending.op = msg->op;
	m->pending.peer = msg->peer;
	if (msg->op == WIRE_OP_DEL && msg->peer != m->cfg.self) {
		/* The leader's detector spoke first; ours stays quiet. */
		mship__report(m, msg->peer);
		if (peerset_has(&m->members, msg->peer)) {
			peerset_add(&m->dead, msg->peer);
			fd_unwatch(&m->fd, msg->peer);
		}
	}
	struct wire_msg ok = mship__msg(m, WIRE_OK);
	ok.view_id = msg->view_id;
	ok.request_id = msg->request_id;
	ok.op = msg->op;
	ok.peer = msg->peer;
	outbox_send_one(m->out, msg->from, &ok);
}

/* A peer we gave up for dead spoke: watch it again, with a full 2T. */
static void mship__revive(struct mship *m, int64_t now_ms, unsigned peer)
{
	if (!peerset_has(&m->dead, peer) || !peerset_has(&m->members, peer))
		return;
	peerset_del(&m->dead, peer);
	fd_watch(&m->fd, peer, now_ms);
}

/* The lowest member not believed dead (self included). */
static unsigned mship__lowest_live(const struct mship *m)
{
	struct peerset live = m->members;
	peerset_subtract(&live, &m->dead);
	return peerset_first(&live);
}

/*
 * Whether a member takes a leader's REQ from q. Besides the leader it
 * follows, two peers may lead it, and it follows them from then on: the
 * leader of its view, heard again after it answered a takeover that was
 * then abandoned; and, when its leader is dead, the peer that should take
 * over (the lowest live member), whose NEWLEADER it may have missed.
 */
static bool mship__follow(struct mship *m, unsigned q)
{
	if (q == m->leader)
		return true;
	if (!peerset_has(&m->members, q) || peerset_has(&m->dead, q))
		return false;
	bool view_leader = q == m->view_leader;
	bool successor = peerset_has(&m->dead, m->leader) &&
			 q == mship__lowest_live(m);
	if (!view_leader && !successor)
		return false;
	m->leader = q;
	m->newleader_deferred = false;
	return true;
}

static void mship__answer_newleader(struct mship *m, unsigned to,
				    uint32_t request_id, bool refuse,
				    unsigned should_lead)
{
	struct wire_msg ok = mship__msg(m, WIRE_OK);
	ok.request_id = request_id;
	if (refuse) {
		ok.op = WIRE_OP_REFUSE;
		ok.peer = (uint16_t)should_lead;
	} else if (m->pending_set) {
		ok.op = m->pending.op;
		ok.peer = (uint16_t)m->pending.peer;
		ok.view_id = m->pending_view_id;
	} else {
		ok.op = WIRE_OP_NOTHING;
	}
	outbox_send_one(m->out, to, &ok);
}

/*
 * Decide a waiting NEWLEADER. Accept once our own detector has declared
 * the old leader dead and nobody we still hear sits below the sender;
 * refuse at once if we should lead ourselves. Otherwise keep waiting: our
 * detector fires within 2T, or a heartbeat from below refuses it.
 */
static void mship__settle_newleader(struct mship *m)
{
	if (!m->newleader_deferred)
		return;
	unsigned from = m->newleader_from;
	if (!peerset_has(&m->dead, m->leader))
		return;
	unsigned lowest = mship__lowest_live(m);
	if (lowest == m->cfg.self && lowest < from) {
		m->newleader_deferred = false;
		mship__answer_newleader(m, from, m->newleader_request_id, true,
					lowest);
		return;
	}
	if (lowest != from)
		return;
	m->newleader_deferred = false;
	m->leader = from;
	mship__answer_newleader(m, from, m->newleader_request_id, false, 0);
}

/* A heartbeat from the old leader, or from a live member below the one
 * asking to lead, proves the NEWLEADER premature: refuse it. */
static void mship__heard_while_deferred(struct mship *m, unsigned from)
{
	if (!m->newleader_deferred ||
	    (from != m->leader && from >= m->newleader_from))
		return;
	m->newleader_deferred = false;
	mship__answer_newleader(m, m->newleader_from,
				m->newleader_request_id, true, from);
}

static void mship__on_newleader(struct mship *m, int64_t now_ms,
				const struct wire_msg *msg)
{
	if (!peerset_has(&m->members, msg->from)) {
		m->stats.dropped_nonmember++;
		return;
	}
	if (m->role == MSHIP_LEADER) {
		/* We lead, or are taking over with the better claim: no. */
		if (!m->recon.active || msg->from > m->cfg.self) {
			mship__answer_newleader(m, msg->from, msg->request_id,
						true, m->cfg.self);
			return;
		}
		mship__step_down(m, now_ms, msg->from);
	}
	if (m->role != MSHIP_MEMBER) {
		m->stats.dropped_role++;
		return;
	}
	if (msg->from == m->leader) {
		/* Asked again (a retry): the answer has not changed. */
		mship__answer_newleader(m, msg->from, msg->request_id, false,
					0);
		return;
	}
	mship__revive(m, now_ms, msg->from);
	m->newleader_deferred = true;
	m->newleader_from = msg->from;
	m->newleader_request_id = msg->request_id;
	mship__settle_newleader(m);
}

/* ---- Leader: one view change at a time ---------------------------------- */

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
static void mship__enqueue(struct mship *m, enum wire_op op, unsigned peer,
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
static void mship__commit(struct mship *m, int64_t now_ms)
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
static void mship__start_round(struct mship *m, int64_t now_ms)
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
static void mship__resend_view(struct mship *m, int64_t now_ms, unsigned to)
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

static void mship__on_join(struct mship *m, int64_t now_ms,
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
	peerset_add(&m->joins_heard, msg->from);
	mship__enqueue(m, WIRE_OP_ADD, msg->from, false);
	mship__start_round(m, now_ms);
}

/*
 * -t (testcase 4): once every host has joined, ask every member except the
 * next leader to remove the highest-id member, then crash. The next leader
 * never hears of it; reconciliation must finish it.
 */
static void mship__check_testcase4(struct mship *m)
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

/* ---- Taking over -------------------------------------------------------- */

static void mship__finish_recon(struct mship *m, int64_t now_ms)
{
	m->recon.active = false;
	/* The old leader may have installed the latest pending change (it
	 * had every OK) with no one left alive to say so: number above it,
	 * so no view id can name two lists or two leaders. */
	m->view_id_floor = m->recon.view_id_max;
	if (m->recon.ops_count > 0) {
		uint32_t after = m->recon.ops[m->recon.ops_count - 1].view_id + 1;
		if (after > m->view_id_floor)
			m->view_id_floor = after;
	}
	/* We were being removed ourselves (the -t victim, or suspected):
	 * the old leader may have gone on without us, removing the others
	 * one by one in views no live peer saw. Number above all of them. */
	for (unsigned i = 0; i < m->recon.ops_count; i++) {
		const struct recon_op *op = &m->recon.ops[i];
		uint32_t chain = op->view_id + peerset_count(&m->members);
		if (op->op == WIRE_OP_DEL && op->peer == m->cfg.self &&
		    chain > m->view_id_floor)
			m->view_id_floor = chain;
	}
	/* Dead members go after the unfinished changes, the old leader among
	 * them, so the changes the old leader began are done first, in the
	 * order of the views they were asked in. */
	struct peerset dead = m->dead;
	peerset_foreach(&dead, id) {
		if (peerset_has(&m->members, id))
			mship__enqueue(m, WIRE_OP_DEL, id, true);
	}
	for (unsigned i = m->recon.ops_count; i-- > 0;)
		mship__enqueue(m, m->recon.ops[i].op, m->recon.ops[i].peer,
			       true);
	mship__start_round(m, now_ms);
}

static void mship__send_newleader(struct mship *m)
{
	struct wire_msg nl = mship__msg(m, WIRE_NEWLEADER);
	nl.request_id = m->recon.request_id;
	nl.op = WIRE_OP_PENDING;
	mship__send(m, &m->recon.waiting, &nl);
}

static void mship__take_over(struct mship *m, int64_t now_ms)
{
	if (m->newleader_deferred) {
		/* Someone above us asked first; we have the better claim. */
		m->newleader_deferred = false;
		mship__answer_newleader(m, m->newleader_from,
					m->newleader_request_id, true,
					m->cfg.self);
	}
	m->role = MSHIP_LEADER;
	m->recon_old_leader = m->leader;
	m->leader = m->cfg.self;
	m->round_active = false;
	m->queue_count = 0;
	struct recon_op own = { .op = WIRE_OP_NOTHING };
	if (m->pending_set) {
		own.op = m->pending.op;
		own.peer = m->pending.peer;
		own.view_id = m->pending_view_id;
	}
	struct peerset ask = mship__live_others(m);
	recon_begin(&m->recon, ++m->next_request_id, &ask, m->view_id, &own);
	m->round_retry_ms = now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
	mship__send_newleader(m);
	if (recon_done(&m->recon))
		mship__finish_recon(m, now_ms);
}

/*
 * Give up leading: a member refused our NEWLEADER (it still hears the old
 * leader, or someone below us), a lower peer is taking over, or a newer
 * view led by another member arrived. should_lead is alive: watch it again.
 */
static void mship__step_down(struct mship *m, int64_t now_ms,
			     unsigned should_lead)
{
	if (m->recon.active) {
		/* Those who took us as leader follow the old one again. */
		m->leader = m->recon_old_leader;
		struct peerset answered = m->recon.asked;
		peerset_subtract(&answered, &m->recon.waiting);
		struct wire_msg redirect = mship__msg(m, WIRE_REDIRECT);
		redirect.leader = (uint16_t)m->leader;
		mship__send(m, &answered, &redirect);
	}
	m->recon.active = false;
	m->round_active = false;
	m->queue_count = 0;
	m->founding = false;
	m->found_wait_ms = MSHIP_NEVER;
	m->role = MSHIP_MEMBER;
	mship__revive(m, now_ms, should_lead);
}

/*
 * The leader is dead (or the peer that should replace it is): the lowest
 * live member takes over; the others wait for its NEWLEADER.
 */
static void mship__leader_lost(struct mship *m, int64_t now_ms)
{
	if (m->unsure_until_ms != MSHIP_NEVER)
		return;		/* maybe removed: see mship__unsure_over */
	if (mship__lowest_live(m) == m->cfg.self)
		mship__take_over(m, now_ms);
	else
		mship__settle_newleader(m);
}

static void mship__on_recon_answer(struct mship *m, int64_t now_ms,
				   const struct wire_msg *msg)
{
	if (msg->request_id == m->recon.request_id &&
	    peerset_has(&m->recon.waiting, msg->from) &&
	    msg->op == WIRE_OP_REFUSE) {
		mship__step_down(m, now_ms, msg->peer);
		return;
	}
	if (msg->peer > m->cfg.hosts_count) {
		m->stats.dropped_stranger++;
		return;
	}
	if (!recon_answer(&m->recon, msg->from, msg))
		m->stats.dropped_stale++;
	else if (recon_done(&m->recon))
		mship__finish_recon(m, now_ms);
}

static void mship__on_ok(struct mship *m, int64_t now_ms,
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
static void mship__retry(struct mship *m, int64_t now_ms)
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

/* ---- Failure detection -------------------------------------------------- */

static void mship__on_dead(struct mship *m, int64_t now_ms, unsigned peer)
{
	peerset_add(&m->dead, peer);
	mship__report(m, peer);
	if (m->role == MSHIP_MEMBER) {
		if (peerset_has(&m->dead, m->leader))
			mship__leader_lost(m, now_ms);
		return;
	}
	/* Leader: drop the dead from whatever waits on them, then remove. */
	if (m->recon.active) {
		recon_drop(&m->recon, peer);
		mship__enqueue(m, WIRE_OP_DEL, peer, false);
		if (recon_done(&m->recon))
			mship__finish_recon(m, now_ms);
		return;
	}
	mship__enqueue(m, WIRE_OP_DEL, peer, false);
	if (m->round_active && peerset_has(&m->round_waiting, peer)) {
		peerset_del(&m->round_waiting, peer);
		if (peerset_empty(&m->round_waiting)) {
			mship__commit(m, now_ms);
			return;
		}
	}
	mship__start_round(m, now_ms);
}

/* ---- Events in ---------------------------------------------------------- */

static void mship__beat(struct mship *m, int64_t now_ms)
{
	struct peerset to = m->members;
	peerset_del(&to, m->cfg.self);
	struct wire_msg hb = mship__msg(m, WIRE_HEARTBEAT);
	hb.leader = (uint16_t)m->leader;
	mship__send(m, &to, &hb);
	m->next_beat_ms += m->cfg.heartbeat_ms;
	if (m->next_beat_ms <= now_ms)
		m->next_beat_ms = now_ms + m->cfg.heartbeat_ms;
}

/*
 * A member hears a peer it gave up for dead: it was wrong, watch it again
 * (its line was printed and stays printed). A leader's verdict stands: it
 * has queued the removal; it sends its view to a member whose heartbeat
 * shows an older one.
 */
static void mship__on_heartbeat(struct mship *m, int64_t now_ms,
				const struct wire_msg *msg)
{
	unsigned from = msg->from;
	if (m->role == MSHIP_MEMBER) {
		mship__revive(m, now_ms, from);
		mship__heard_while_deferred(m, from);
	} else if (msg->view_id < m->view_id && !m->recon.active &&
		   !peerset_has(&m->dead, from)) {
		/* A heartbeat carries its sender's view: this one is behind. */
		mship__resend_view(m, now_ms, from);
	} else if (msg->view_id > mship__view_bar(m) && !m->recon.active &&
		   m->unsure_until_ms == MSHIP_NEVER) {
		/* A member holds a view we never made: another leader went
		 * on while we were not heard, and is gone or it would have
		 * told us. Ask everyone again, as a new leader does, so as to
		 * finish its change and number above its views. */
		m->stats.retakes++;
		fd_heard(&m->fd, from, now_ms);
		mship__take_over(m, now_ms);
		return;
	}
	fd_heard(&m->fd, from, now_ms);
}

/* A leader with a round or a takeover waiting on answers. */
static bool mship__waiting(const struct mship *m)
{
	return m->role == MSHIP_LEADER && (m->round_active || m->recon.active);
}

static bool mship__active(const struct mship *m)
{
	return m->role == MSHIP_JOINING || m->role == MSHIP_MEMBER ||
	       m->role == MSHIP_LEADER;
}

/*
 * Messages from a sender's earlier life are dropped. The first message of
 * a newer life means the old process is gone (restarted, or removed and
 * rejoining): whatever our detector says, it is dead as a member, and its
 * new life joins as a new member. Returns whether to go on with msg.
 */
static bool mship__same_life(struct mship *m, int64_t now_ms,
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
static void mship__heard_group(struct mship *m, int64_t now_ms,
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
static void mship__notice_pause(struct mship *m, int64_t now_ms)
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
static void mship__unsure_over(struct mship *m, int64_t now_ms)
{
	m->stats.gave_up_after_pause++;
	struct peerset others = m->members;
	peerset_del(&others, m->cfg.self);
	unsigned to = m->view_leader != m->cfg.self ? m->view_leader
						    : peerset_first(&others);
	mship__removed(m, now_ms, m->view_id, to);
}

void mship_on_tick(struct mship *m, int64_t now_ms)
{
	if (!mship__active(m))
		return;
	mship__notice_pause(m, now_ms);
	if (now_ms >= m->unsure_until_ms) {
		mship__unsure_over(m, now_ms);
		return;
	}
	if (now_ms >= m->crash_at_ms) {
		mship__crash(m);
		return;
	}
	if (m->role == MSHIP_JOINING) {
		if (now_ms >= m->join_next_ms)
			mship__join_retry(m, now_ms);
		return;
	}
	if (now_ms >= m->next_beat_ms)
		mship__beat(m, now_ms);
	if (mship__founding(m) && now_ms >= m->join_next_ms) {
		mship__probe(m);
		m->join_next_ms = now_ms + BACKOFF_MAX_MS;
	}
	if (m->role == MSHIP_LEADER && now_ms >= m->found_wait_ms)
		mship__found_wait_over(m, now_ms);
	if (mship__waiting(m) && now_ms >= m->round_retry_ms)
		mship__retry(m, now_ms);
	struct peerset dead;
	peerset_clear(&dead);
	if (fd_expire(&m->fd, now_ms, &dead) == 0)
		return;
	/* The leader's death first, so each line names the right leader. */
	if (peerset_has(&dead, m->leader)) {
		peerset_del(&dead, m->leader);
		mship__on_dead(m, now_ms, m->leader);
	}
	peerset_foreach(&dead, id) {
		if (!mship__active(m))
			return;
		mship__on_dead(m, now_ms, id);
	}
}

void mship_on_message(struct mship *m, int64_t now_ms,
		      const struct wire_msg *msg)
{
	if (!mship__active(m)) {
		m->stats.dropped_role++;
		return;
	}
	mship__notice_pause(m, now_ms);
	if (msg->from == 0 || msg->from > m->cfg.hosts_count ||
	    msg->from == m->cfg.self) {
		m->stats.dropped_stranger++;
		return;
	}
	if (!mship__same_life(m, now_ms, msg))
		return;
	mship__heard_group(m, now_ms, msg);
	if (msg->view_id > m->view_id_seen)
		m->view_id_seen = msg->view_id;
	switch (msg->type) {
	case WIRE_HEARTBEAT:
		if (!peerset_has(&m->members, msg->from)) {
			/* It believes it is a member: tell it otherwise. */
			if (m->role == MSHIP_LEADER && !m->recon.active)
				mship__resend_view(m, now_ms, msg->from);
			m->stats.dropped_nonmember++;
			return;
		}
		mship__on_heartbeat(m, now_ms, msg);
		return;
	case WIRE_JOIN:
		mship__on_join(m, now_ms, msg);
		return;
	case WIRE_REDIRECT:
		mship__on_redirect(m, now_ms, msg);
		return;
	case WIRE_NEWVIEW:
		mship__on_newview(m, now_ms, msg);
		return;
	case WIRE_REQ:
		mship__on_req(m, msg);
		return;
	case WIRE_NEWLEADER:
		mship__on_newleader(m, now_ms, msg);
		return;
	case WIRE_OK:
		mship__on_ok(m, now_ms, msg);
		return;
	}
	m->stats.dropped_role++;
}

int64_t mship_next_deadline(const struct mship *m)
{
	if (!mship__active(m))
		return MSHIP_NEVER;
	int64_t next = m->crash_at_ms;
	if (m->role == MSHIP_JOINING)
		return m->join_next_ms < next ? m->join_next_ms : next;
	if (m->next_beat_ms < next)
		next = m->next_beat_ms;
	if (mship__waiting(m) && m->round_retry_ms < next)
		next = m->round_retry_ms;
	if (mship__founding(m) && m->join_next_ms < next)
		next = m->join_next_ms;
	if (m->found_wait_ms < next)
		next = m->found_wait_ms;
	if (m->unsure_until_ms < next)
		next = m->unsure_until_ms;
	int64_t fd_next = fd_next_deadline(&m->fd);
	return fd_next < next ? fd_next : next;
}
