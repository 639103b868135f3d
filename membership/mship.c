/*
 * The membership state machine: the steps every role shares, and the
 * events in (start, a message, time passing, a death). Read mship.h first
 * for the roles. The rest of the core is split by concept, in the order a
 * peer meets them: join.c (joining, founding, being removed), member.c
 * (answering a leader or a candidate), lead.c (one view change at a time),
 * takeover.c (a leader's death), lives.c (restarts and pauses);
 * mship_int.h declares what they share.
 */
#include <string.h>

#include "mship_int.h"

struct wire_msg mship__msg(const struct mship *m, enum wire_type type)
{
	struct wire_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = type;
	msg.from = (uint16_t)m->cfg.self;
	msg.incarnation = m->incarnation;
	msg.view_id = m->view_id;
	msg.ballot = m->role == MSHIP_LEADER ? m->ballot : m->follow_ballot;
	/* A joiner has no view: it tells the highest id it has seen, and
	 * the ballot of the admission it holds: 0 from a new life that
	 * confirmed none, which holds no vote (mship__on_join). */
	if (type == WIRE_JOIN && m->view_id_seen > m->view_id)
		msg.view_id = m->view_id_seen;
	if (type == WIRE_JOIN)
		msg.ballot = !m->fresh		 ? m->st.promised
			     : mship__admit_set(m) ? m->st.acc_ballot
						 : 0;
	return msg;
}

/*
 * Send to a set of peers; an empty set sends nothing. What is sent again
 * when lost goes by datagram: HEARTBEAT, and REDIRECT, a hint to a joiner
 * that retries its JOIN. The rest goes by TCP.
 */
void mship__send(struct mship *m, const struct peerset *to,
		 const struct wire_msg *msg)
{
	if (peerset_empty(to))
		return;
	if (msg->type == WIRE_HEARTBEAT || msg->type == WIRE_REDIRECT)
		m->out->send_datagram(m->out, to, msg);
	else
		m->out->send(m->out, to, msg);
}

void mship__send_one(struct mship *m, unsigned to, const struct wire_msg *msg)
{
	struct peerset one;
	peerset_clear(&one);
	peerset_add(&one, to);
	mship__send(m, &one, msg);
}

/*
 * An event of ours, seen from our current view: its line, then the event.
 * A view line names the view's leader; the others the leader we follow
 * (for a dead leader, still that leader).
 */
void mship__emit(struct mship *m, enum out_event_kind kind, unsigned peer)
{
	struct out_event e = {
		.kind = kind, .self = m->cfg.self, .view_id = m->view_id,
		.leader = kind == OUT_EVENT_VIEW ? m->view_leader : m->leader,
		.members = m->members, .peer = peer,
		.peer_is_leader = peer != 0 && peer == m->leader,
	};
	mship__emit_event(m, &e);
}

/* Any event: its line, if it has one, then the event itself. */
void mship__emit_event(struct mship *m, const struct out_event *e)
{
	char line[OUT_LINE_BYTES_MAX];
	size_t len = out_event_line(line, e);
	if (len > 0)
		m->out->print(m->out, line, len);
	if (m->out->event != NULL)
		m->out->event(m->out, e);
}

/*
 * Print the unreachable line for peer, once per membership: whichever of
 * the detector, a leader's REQ or a NEWLEADER tells us first prints it.
 */
void mship__report(struct mship *m, unsigned peer)
{
	if (peer == m->cfg.self || peerset_has(&m->reported, peer) ||
	    !peerset_has(&m->members, peer) || m->role == MSHIP_JOINING)
		return;
	peerset_add(&m->reported, peer);
	mship__emit(m, OUT_EVENT_UNREACHABLE, peer);
}

/* Members other than self that are not believed dead. */
struct peerset mship__live_others(const struct mship *m)
{
	struct peerset s = m->members;
	peerset_subtract(&s, &m->dead);
	peerset_del(&s, m->cfg.self);
	return s;
}

/* The lowest member not believed dead (self included). */
unsigned mship__lowest_live(const struct mship *m)
{
	struct peerset live = m->members;
	peerset_subtract(&live, &m->dead);
	return peerset_first(&live);
}

/* Whether we watch peer: every other member, or in a ringed view our
 * subjects and the leader we follow. */
static bool mship__watches(const struct mship *m, unsigned peer)
{
	return peer != m->cfg.self && peerset_has(&m->members, peer) &&
	       (!m->ringed || peerset_has(&m->subjects, peer) ||
		peer == m->leader);
}

/* A peer we gave up for dead spoke: watch it again, with a full 2T. */
void mship__revive(struct mship *m, int64_t now_ms, unsigned peer)
{
	if (!peerset_has(&m->dead, peer) || !peerset_has(&m->members, peer))
		return;
	peerset_del(&m->dead, peer);
	if (mship__watches(m, peer))
		fd_watch(&m->fd, peer, now_ms);
}

/*
 * After a view is installed: a view of more than MSHIP_ALL_TO_ALL_MAX
 * builds its rings, and we watch only our subjects and the leader (the
 * others start or stop being watched); a smaller one watches every live
 * member again.
 */
static void mship__set_watch(struct mship *m, int64_t now_ms)
{
	m->ringed = peerset_count(&m->members) > MSHIP_ALL_TO_ALL_MAX;
	peerset_clear(&m->observers);
	peerset_clear(&m->subjects);
	if (m->ringed) {
		rings_build(&m->rings, &m->members);
		m->observers = rings_observers(&m->rings, m->cfg.self);
		m->subjects = rings_subjects(&m->rings, m->cfg.self);
	}
	struct peerset watched = m->fd.watched;
	peerset_foreach(&watched, id) {
		if (!mship__watches(m, id))
			fd_unwatch(&m->fd, id);
	}
	peerset_foreach(&m->members, id) {
		if (mship__watches(m, id) && !peerset_has(&m->fd.watched, id) &&
		    !peerset_has(&m->dead, id))
			fd_watch(&m->fd, id, now_ms);
	}
}

/* Hand what we promised, accepted and installed to stable storage, before
 * anything that depends on it is sent. */
void mship__save(struct mship *m)
{
	if (m->role == MSHIP_MEMBER || m->role == MSHIP_LEADER) {
		m->st.in_view = true;
		m->st.view_id = m->view_id;
		m->st.view_leader = (uint16_t)m->view_leader;
		m->st.members = m->members;
	}
	m->stats.saves++;
	if (m->out->save != NULL)
		m->out->save(m->out, &m->st);
}

void mship__heard_ballot(struct mship *m, uint64_t ballot)
{
	if (ballot > m->ballot_seen)
		m->ballot_seen = ballot;
}

void mship__crash(struct mship *m)
{
	mship__emit(m, OUT_EVENT_CRASHING, 0);
	m->role = MSHIP_CRASHED;
	m->out->exit(m->out);
}

/* -c: crash this long after JOIN, or for the starting leader after it
 * starts leading (a new peer 1: once its probe ends, or is answered). */
void mship__arm_crash(struct mship *m, int64_t now_ms)
{
	if (m->cfg.crash_ms >= 0 && m->crash_at_ms == MSHIP_NEVER)
		m->crash_at_ms = now_ms + m->cfg.crash_ms;
}

/*
 * Install a decided view: watch the members that are new, forget the ones
 * that left (a peer that comes back later is a new membership, with its
 * own failure to report), drop an accepted change it decided or overtook,
 * keep it, and print it.
 */
void mship__install(struct mship *m, int64_t now_ms, uint32_t view_id,
		    unsigned leader, const struct peerset *members)
{
	struct peerset joined = *members, left = m->members;
	peerset_subtract(&joined, &m->members);
	peerset_subtract(&left, members);
	peerset_foreach(&joined, id) {
		peerset_del(&m->reported, id);
		peerset_del(&m->dead, id);
		if (id != m->cfg.self)
			fd_watch(&m->fd, id, now_ms);
	}
	peerset_foreach(&joined, id) mship__forget_suspicions(m, id);
	peerset_foreach(&left, id) {
		mship__forget_suspicions(m, id);
		peerset_del(&m->reported, id);
		peerset_del(&m->dead, id);
		fd_unwatch(&m->fd, id);
	}
	if (view_id > m->view_id + 1) {
		/* Views we never saw came between: a member we gave up may
		 * have been removed and let in again (a new life) in them.
		 * Our verdict was on the old membership: watch it afresh, and
		 * our detector speaks again if it is still dead. So were the
		 * suspicions others named to us as leader, in our old view:
		 * forgotten, or they would remove the new membership. */
		m->suspicions_count = 0;
		peerset_foreach(members, id) {
			if (!peerset_has(&m->dead, id) || id == m->cfg.self)
				continue;
			peerset_del(&m->dead, id);
			peerset_del(&m->suspected, id);
			fd_watch(&m->fd, id, now_ms);
		}
	} else {
		/* A member we hold dead only on a leader's word (its REQ to
		 * remove it), in a view that still lists it: that removal was
		 * not decided (a leader gave it up). Our detector watches it
		 * again, so that our own suspicion can count toward removing
		 * it; its line, printed once, is not printed again. */
		peerset_foreach(members, id) {
			if (id == m->cfg.self || !peerset_has(&m->dead, id) ||
			    peerset_has(&m->suspected, id) ||
			    !peerset_has(&m->members, id))
				continue;
			peerset_del(&m->dead, id);
			fd_watch(&m->fd, id, now_ms);
		}
	}
	if (view_id != m->view_id)
		m->resumed = false;
	/* Places in the view change with it: what members lacked is moot. */
	memset(m->lacks, 0, sizeof(m->lacks));
	if (peerset_count(members) > 1)
		m->founded_alone = false;
	m->fresh = false;
	m->found_at_ms = MSHIP_NEVER;
	m->members = *members;
	m->view_id = view_id;
	m->view_leader = leader;
	if (m->role != MSHIP_LEADER)
		m->leader = leader;
	if (m->st.acc_set && m->st.acc_base < view_id)
		m->st.acc_set = false;
	m->newleader_deferred = false;
	mship__set_watch(m, now_ms);
	mship__save(m);
	mship__emit(m, OUT_EVENT_VIEW, 0);
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
	fd_create(&m->fd, 2 * cfg->heartbeat_ms + cfg->allowance_ms);
	rings_create(&m->rings, cfg->hosts_count);
	m->next_beat_ms = MSHIP_NEVER;
	m->half_beat_ms = MSHIP_NEVER;
	m->loss_seen_ms = MSHIP_NEVER;
	m->join_next_ms = MSHIP_NEVER;
	m->join_probe = cfg->self;	/* probes start after our own id */
	m->crash_at_ms = MSHIP_NEVER;
	m->found_at_ms = MSHIP_NEVER;
	/* A life without a state file, or with one that never held a view
	 * (nor the view that removed it): nothing it kept binds an earlier
	 * life's votes, which may have been lost with their file. */
	m->fresh = cfg->restored == NULL ||
		   (!cfg->restored->in_view &&
		    peerset_empty(&cfg->restored->members));
	if (cfg->restored != NULL) {
		m->st = *cfg->restored;
		m->ballot_seen = m->st.promised;
		m->view_id_seen = m->st.view_id;
		/* A later life takes no view older than the last one an
		 * earlier life knew: it answered for those. */
		m->removed_in = m->st.view_id;
		/* Still a member of the view it was in (mship__resume). */
		if (m->st.in_view) {
			m->view_id = m->st.view_id;
			m->view_leader = m->st.view_leader;
			m->members = m->st.members;
		}
	}
}

/*
 * Begin. A new life (mship.h, fresh) joins: peer 1 founds the group,
 * leading view 0 alone, only if no other host shows it a view first
 * (mship__probe). A peer whose state file holds a view resumes it
 * (mship__resume); one that a view removed joins again, and takes no view
 * at or below that one.
 */
void mship_start(struct mship *m, int64_t now_ms)
{
	if (m->role != MSHIP_IDLE)
		return;
	if (m->st.in_view) {
		mship__arm_crash(m, now_ms);
		mship__resume(m, now_ms);
		return;
	}
	if (m->cfg.self == 1 && m->fresh) {
		mship__probe(m, now_ms);
		return;
	}
	mship__arm_crash(m, now_ms);
	unsigned target = m->cfg.self == 1 ? 2 : 1;
	if (target > m->cfg.hosts_count) {
		/* Alone in the hostsfile, removed once: nobody to join. */
		mship__found(m, now_ms);
		return;
	}
	mship__join(m, now_ms, target);
}

/* ---- Suspicions: removal needs a quorum's agreement --------------------- */

static struct mship_suspicion *mship__suspicion(struct mship *m,
						unsigned peer, bool add)
{
	for (unsigned i = 0; i < m->suspicions_count; i++)
		if (m->suspicions[i].peer == peer)
			return &m->suspicions[i];
	if (!add || m->suspicions_count == SUSPICIONS_MAX)
		return NULL;
	struct mship_suspicion *s = &m->suspicions[m->suspicions_count++];
	s->peer = peer;
	peerset_clear(&s->by);
	return s;
}

/* Forget what anyone said of peer (it left the view, or came back). */
void mship__forget_suspicions(struct mship *m, unsigned peer)
{
	for (unsigned i = 0; i < m->suspicions_count; i++) {
		struct mship_suspicion *s = &m->suspicions[i];
		peerset_del(&s->by, peer);
		if (s->peer == peer)
			peerset_clear(&s->by);
	}
	unsigned kept = 0;
	for (unsigned i = 0; i < m->suspicions_count; i++)
		if (!peerset_empty(&m->suspicions[i].by))
			m->suspicions[kept++] = m->suspicions[i];
	m->suspicions_count = kept;
	peerset_del(&m->suspected, peer);
}

/*
 * A ringed view: the leader removes a member once a majority of its
 * observers (the leader among them if it is one) hold it dead, and nobody
 * has heard it for 2T: not the leader, which every member heartbeats, nor
 * any member whose heartbeat says when it last heard it (heard_ms). An
 * observer that still hears it keeps it, as in a smaller view: at 25% of
 * one member's outgoing datagrams lost, three observers missing the same
 * two beats removed it while two others heard it.
 */
static void mship__check_observers(struct mship *m, int64_t now_ms,
				   unsigned peer)
{
	struct peerset obs = rings_observers(&m->rings, peer);
	struct peerset agree;
	peerset_clear(&agree);
	struct mship_suspicion *s = mship__suspicion(m, peer, false);
	if (s != NULL)
		agree = s->by;
	if (peerset_has(&m->suspected, peer))
		peerset_add(&agree, m->cfg.self);
	unsigned n = 0, k = 0;
	peerset_foreach(&obs, id) {
		n++;
		if (peerset_has(&agree, id))
			k++;
	}
	if (2 * k <= n ||
	    now_ms - m->heard_ms[peer] < 2 * (int64_t)m->cfg.heartbeat_ms)
		return;
	peerset_add(&m->dead, peer);
	peerset_del(&m->round_waiting, peer);
	peerset_del(&m->recon.waiting, peer);
	struct mship_change del = { .op = WIRE_OP_DEL, .peer = peer };
	mship__enqueue(m, &del, false);
	mship__start_round(m, now_ms);
}

/*
 * The leader removes a member its own detector holds dead only once a
 * quorum of the view, itself included, does: a lossy path between the
 * leader and one member cannot remove it while the others hear it. (A
 * change already accepted, a predecessor's, is finished without asking.)
 */
static void mship__check_agreement(struct mship *m, int64_t now_ms,
				   unsigned peer)
{
	if (m->role != MSHIP_LEADER || !peerset_has(&m->members, peer) ||
	    peer == m->cfg.self)
		return;
	if (m->ringed) {
		mship__check_observers(m, now_ms, peer);
		return;
	}
	if (!peerset_has(&m->suspected, peer))
		return;
	struct peerset agree;
	peerset_clear(&agree);
	struct mship_suspicion *s = mship__suspicion(m, peer, false);
	if (s != NULL)
		agree = s->by;
	peerset_add(&agree, m->cfg.self);
	if (!quorum_holds(&m->members, &agree))
		return;
	struct mship_change del = { .op = WIRE_OP_DEL, .peer = peer };
	mship__enqueue(m, &del, false);
	mship__start_round(m, now_ms);
}

/* A new view may make a quorum of suspicions that the last did not. */
void mship__recheck_suspects(struct mship *m, int64_t now_ms)
{
	struct peerset s = m->suspected;
	for (unsigned i = 0; i < m->suspicions_count; i++)
		peerset_add(&s, m->suspicions[i].peer);
	m->round_hold++;
	peerset_foreach(&s, id) mship__check_agreement(m, now_ms, id);
	m->round_hold--;
	mship__start_round(m, now_ms);
}

/* Our heartbeat: whom we follow, whom our detector holds dead (the
 * lowest HEARTBEAT_SUSPECTS_MAX), and whom we heard directly within 2T + A
 * and how long ago (the lowest HEARTBEAT_HEARD_MAX): others' detectors
 * count that as hearing them. */
static struct wire_msg mship__heartbeat(const struct mship *m, int64_t now_ms)
{
	struct wire_msg hb = mship__msg(m, WIRE_HEARTBEAT);
	hb.beat = m->beat_no;
	if (m->role == MSHIP_LEADER)
		hb.leader = m->recon.active ? 0 : (uint16_t)m->cfg.self;
	else if (m->role == MSHIP_JOINING)
		hb.leader = 0;
	else
		hb.leader = (uint16_t)m->leader;
	if (hb.leader > m->cfg.hosts_count)
		hb.leader = 0;
	unsigned n = 0;
	peerset_foreach(&m->suspected, id) {
		if (!peerset_has(&m->members, id))
			continue;
		if (n++ == HEARTBEAT_SUSPECTS_MAX)
			break;
		peerset_add(&hb.suspects, id);
	}
	hb.heard_count = (uint16_t)fd_direct_ages(&m->fd, now_ms,
						  HEARTBEAT_HEARD_MAX,
						  hb.heard_peer,
						  hb.heard_age_ms);
	return hb;
}

/*
 * A ringed view's leader told that an observer suspects id shows id so: its
 * heartbeat, to id alone, naming id among its suspects, at most once per
 * T/2. id then beats twice (mship__on_heartbeat). A member whose outgoing
 * datagrams alone are lost sees no loss in what it receives, and its
 * observers do not send to it: at 25% of one peer's outgoing datagrams
 * lost, 40 simulated peers removed it in 17 of 24 ten-minute runs (8 of
 * 24 since; none with mship__named_suspect and heard pairs counted as
 * hearing it, mship__check_observers).
 */
static void mship__show_suspected(struct mship *m, int64_t now_ms,
				  unsigned id)
{
	if (!m->ringed || id == m->cfg.self || !peerset_has(&m->members, id) ||
	    peerset_has(&m->dead, id) || now_ms < m->show_suspected_ms[id])
		return;
	m->show_suspected_ms[id] = now_ms + m->cfg.heartbeat_ms / 2;
	struct wire_msg hb = mship__heartbeat(m, now_ms);
	peerset_clear(&hb.suspects);
	peerset_add(&hb.suspects, id);
	mship__send_one(m, id, &hb);
}

/* A member's heartbeat names whom it suspects: the leader keeps count. */
static void mship__heard_suspects(struct mship *m, int64_t now_ms,
				  const struct wire_msg *msg)
{
	if (m->role != MSHIP_LEADER)
		return;
	for (unsigned i = 0; i < m->suspicions_count; i++) {
		struct mship_suspicion *s = &m->suspicions[i];
		if (peerset_has(&msg->suspects, s->peer))
			peerset_add(&s->by, msg->from);
		else
			peerset_del(&s->by, msg->from);
	}
	/* A slot nobody names any more is free again: else brief false
	 * suspicions would fill the table for good. */
	unsigned kept = 0;
	for (unsigned i = 0; i < m->suspicions_count; i++)
		if (!peerset_empty(&m->suspicions[i].by))
			m->suspicions[kept++] = m->suspicions[i];
	m->suspicions_count = kept;
	peerset_foreach(&msg->suspects, id) {
		if (!peerset_has(&m->members, id) || id == m->cfg.self)
			continue;
		struct mship_suspicion *s = mship__suspicion(m, id, true);
		if (s != NULL)
			peerset_add(&s->by, msg->from);
	}
	m->round_hold++;
	peerset_foreach(&msg->suspects, id) mship__check_agreement(m, now_ms, id);
	m->round_hold--;
	mship__start_round(m, now_ms);
	peerset_foreach(&msg->suspects, id) mship__show_suspected(m, now_ms, id);
}

/*
 * Our detector holds peer dead. We print its line, as ever; a member tells
 * the leader at once (a heartbeat naming its suspects, not waiting for the
 * next one: one for all the deaths of this tick, so that the leader can
 * remove them in one batch), or takes over if the peer is its leader; the
 * leader counts the suspicions before it removes anyone.
 */
static void mship__on_suspect(struct mship *m, int64_t now_ms, unsigned peer)
{
	m->stats.suspicions++;
	peerset_add(&m->suspected, peer);
	if (m->ringed && peer != m->leader) {
		/* A subject in a ringed view: its observers' majority decides,
		 * and the line comes with the leader's REQ (or, at the leader,
		 * its round). */
		peerset_add(&m->dead, peer);
		if (m->role == MSHIP_LEADER)
			mship__check_agreement(m, now_ms, peer);
		else
			m->tell_leader = true;
		return;
	}
	if (m->role != MSHIP_LEADER) {
		bool leader = peer == m->leader;
		mship__on_dead(m, now_ms, peer);
		if (!leader)
			m->tell_leader = true;
		return;
	}
	peerset_add(&m->dead, peer);
	mship__report(m, peer);
	peerset_del(&m->round_waiting, peer);
	peerset_del(&m->recon.waiting, peer);
	mship__check_agreement(m, now_ms, peer);
	mship__check_hopeless(m, now_ms);
}

/*
 * A peer our detector held dead speaks, and is still in our view: we were
 * wrong. It is alive again for us: watched afresh, and its next failure
 * is printed again.
 */
static void mship__heard_again(struct mship *m, int64_t now_ms,
			       unsigned peer)
{
	if (!peerset_has(&m->suspected, peer))
		return;
	peerset_del(&m->suspected, peer);
	if (!peerset_has(&m->members, peer))
		return;
	m->stats.heard_again++;
	peerset_del(&m->reported, peer);
	mship__revive(m, now_ms, peer);
	mship__emit(m, OUT_EVENT_HEARD, peer);
}

void mship__on_dead(struct mship *m, int64_t now_ms, unsigned peer)
{
	peerset_add(&m->dead, peer);
	mship__report(m, peer);
	if (m->role == MSHIP_MEMBER) {
		if (peerset_has(&m->dead, m->leader))
			mship__leader_lost(m, now_ms);
		return;
	}
	/* Leader: stop waiting on the dead, and remove them once we lead. */
	peerset_del(&m->round_waiting, peer);
	peerset_del(&m->recon.waiting, peer);
	struct mship_change del = { .op = WIRE_OP_DEL, .peer = peer };
	mship__enqueue(m, &del, false);
	mship__start_round(m, now_ms);
	mship__check_hopeless(m, now_ms);
}

void mship__beat_to(struct mship *m, int64_t now_ms, unsigned to)
{
	struct wire_msg hb = mship__heartbeat(m, now_ms);
	mship__send_one(m, to, &hb);
}

/* Whom our heartbeats go to: every other member, or in a ringed view
 * (but for its leader) our observers and the leader we follow. */
static struct peerset mship__beat_set(const struct mship *m)
{
	struct peerset to = m->members;
	if (m->ringed && m->role != MSHIP_LEADER) {
		to = m->observers;
		if (peerset_has(&m->members, m->leader))
			peerset_add(&to, m->leader);
	}
	peerset_del(&to, m->cfg.self);
	return to;
}

/* Whether a heartbeat showed a datagram of ours lost within the last
 * MSHIP_LOSSY_T periods. */
static bool mship__lossy(const struct mship *m, int64_t now_ms)
{
	return m->loss_seen_ms != MSHIP_NEVER &&
	       now_ms - m->loss_seen_ms <
		       (int64_t)MSHIP_LOSSY_T * m->cfg.heartbeat_ms;
}

/*
 * Whom a half-beat goes to: our beat set while heartbeats showed a
 * datagram lost within the last MSHIP_LOSSY_T periods. A ringed view's
 * leader beats every member but hears only its subjects' losses: it
 * sends its second beat to the members whose heartbeats showed one of its
 * own beats lost (mship__on_heartbeat), and to them only.
 */
static struct peerset mship__half_beat_set(const struct mship *m,
					   int64_t now_ms)
{
	struct peerset to;
	peerset_clear(&to);
	if (m->ringed && m->role == MSHIP_LEADER) {
		peerset_foreach(&m->members, id)
			if (now_ms < m->missed_until_ms[id])
				peerset_add(&to, id);
		peerset_del(&to, m->cfg.self);
	} else if (mship__lossy(m, now_ms)) {
		to = mship__beat_set(m);
	}
	return to;
}

/*
 * Half a period after a beat made while heartbeats showed loss: the same
 * heartbeat again, to the same members. A peer whose datagrams are being
 * lost thus has twice as many chances in every 2T + A to be heard by
 * someone, and every observer twice as many reports; without loss
 * nothing more is sent.
 */
static void mship__half_beat(struct mship *m, int64_t now_ms)
{
	m->half_beat_ms = MSHIP_NEVER;
	struct peerset to = mship__half_beat_set(m, now_ms);
	struct wire_msg hb = mship__heartbeat(m, now_ms);
	hb.beat = m->beat_no | 1;
	mship__send(m, &to, &hb);
}

/*
 * A heartbeat named us among its sender's suspects: our beats to it were
 * lost. Beating once a period until now, we beat again at once (our
 * half-beat, not T/2 after our next beat): the watchers whose deadlines
 * fall before that beat then still hear us. (In a ringed view, at 50% of
 * our outgoing datagrams lost, 40 simulated peers removed us in 16 of 48
 * ten-minute runs without it, 2 with it.)
 */
static void mship__named_suspect(struct mship *m, int64_t now_ms)
{
	bool lossy = mship__lossy(m, now_ms);
	m->loss_seen_ms = now_ms;
	if (!lossy && m->next_beat_ms != MSHIP_NEVER)
		mship__half_beat(m, now_ms);
}

static void mship__beat(struct mship *m, int64_t now_ms)
{
	m->beat_no += 2;
	if (m->beat_no == 0)
		m->beat_no = 2;	/* 0 is no beat */
	struct peerset to = mship__beat_set(m);
	struct wire_msg hb = mship__heartbeat(m, now_ms);
	mship__send(m, &to, &hb);
	/* A leader idle for want of a quorum (its detector holds too many
	 * of its view dead to remove any) may have been left behind by a
	 * group among peers its view no longer lists: it shows them its
	 * view, as a stalled round does, and one of a later view sends
	 * that view back. */
	struct peerset live = m->members;
	peerset_subtract(&live, &m->dead);
	if (m->role == MSHIP_LEADER && !m->round_active && !m->recon.active &&
	    !quorum_holds(&m->members, &live))
		mship__show_view_to_all(m);
	/* So does a peer 1 that founded alone when no host answered: a
	 * group beyond a cut, once it heals, sends it its later view, and
	 * we join that group (mship__found_undo). */
	else if (m->founded_alone && m->role == MSHIP_LEADER)
		mship__show_view_to_all(m);
	m->next_beat_ms += m->cfg.heartbeat_ms;
	if (m->next_beat_ms <= now_ms)
		m->next_beat_ms = now_ms + m->cfg.heartbeat_ms;
	struct peerset again = mship__half_beat_set(m, now_ms);
	m->half_beat_ms = !peerset_empty(&again)
				  ? now_ms + m->cfg.heartbeat_ms / 2
				  : MSHIP_NEVER;
}

/* Whether our view is small enough for relays (MSHIP_ALL_TO_ALL_MAX). */
static bool mship__relaying(const struct mship *m)
{
	return !m->ringed;
}

/* What a member's heartbeat shows it lacks: the members it heard, but
 * not within T + T/20 before sending (their last beat went missing:
 * beats go every T, by timer, so their arrivals jitter little). One
 * it does not name at all it never heard yet, or has given up. */
static void mship__note_lacks(struct mship *m, int64_t now_ms,
			      const struct wire_msg *msg)
{
	if (!mship__relaying(m))
		return;
	uint32_t lacks = 0;
	uint32_t limit = m->cfg.heartbeat_ms + m->cfg.heartbeat_ms / 20;
	uint32_t lost = m->cfg.heartbeat_ms + m->cfg.allowance_ms;
	for (unsigned i = 0; i < msg->heard_count; i++) {
		unsigned id = msg->heard_peer[i];
		if (peerset_has(&m->members, id) &&
		    msg->heard_age_ms[i] >= limit)
			lacks |= UINT32_C(1) << peerset_rank(&m->members, id);
		/* Past T + A, more than jitter: a beat to it was lost. */
		if (msg->heard_age_ms[i] > lost)
			m->loss_seen_ms = now_ms;
	}
	m->lacks[msg->from] = lacks;
}

/*
 * We just heard peer directly: a member whose last heartbeat showed it
 * lacking peer, or that we heard once but not for 1.5T (we cannot tell),
 * gets
 * our heartbeat at once (at most one per T/2), whose heard pairs tell it.
 * Two lost heartbeats in a row, to one observer, are then no silence for
 * it while a third member heard the second one.
 */
static void mship__relay(struct mship *m, int64_t now_ms, unsigned peer)
{
	if (!mship__relaying(m) || !peerset_has(&m->members, peer))
		return;
	uint32_t bit = UINT32_C(1) << peerset_rank(&m->members, peer);
	int64_t stale = now_ms - (int64_t)(3 * m->cfg.heartbeat_ms / 2);
	struct peerset to = mship__live_others(m);
	peerset_del(&to, peer);
	peerset_foreach(&to, id) {
		int64_t heard = m->fd.direct_ms[id];
		if (!(m->lacks[id] & bit) &&
		    (heard == FD_NOT_HEARD || heard >= stale))
			continue;
		if (now_ms < m->relay_next_ms[id])
			continue;
		m->relay_next_ms[id] = now_ms + m->cfg.heartbeat_ms / 2;
		m->lacks[id] = 0;
		mship__beat_to(m, now_ms, id);
	}
}

/*
 * Note the number a heartbeat carries (its sender's beats count by two, a
 * half-beat is its beat's number plus one, a relay repeats the latest);
 * when note_loss, a beat's number skipped since the last one we had from
 * that life of a watched peer is a datagram lost. A half-beat not seen
 * tells nothing: it may not have been sent.
 */
static void mship__count_beat(struct mship *m, int64_t now_ms,
			      const struct wire_msg *msg, bool note_loss)
{
	unsigned from = msg->from;
	if (msg->beat == 0)
		return;
	if (m->beat_life[from] != msg->incarnation) {
		m->beat_life[from] = msg->incarnation;
		m->beat_heard[from] = msg->beat;
		return;
	}
	/* Ahead by half the number space or more: an old one (it wraps). */
	uint32_t ahead = msg->beat - m->beat_heard[from];
	if (ahead == 0 || ahead > UINT32_MAX / 2)
		return;
	uint32_t next_beat = m->beat_heard[from] % 2 == 1 ? 1 : 2;
	if (note_loss && ahead > next_beat &&
	    m->fd.direct_ms[from] != FD_NOT_HEARD)
		m->loss_seen_ms = now_ms;
	m->beat_heard[from] = msg->beat;
}

/*
 * A heartbeat from a member. A member hears a peer it gave up for dead: it
 * was wrong, watch it again (its line was printed and stays printed). A
 * leader sends its view to a member whose heartbeat shows an older one,
 * and yields to a member that follows a higher ballot's leader, alive: the
 * group went on under that leader while we were not heard.
 */
static void mship__on_heartbeat(struct mship *m, int64_t now_ms,
				const struct wire_msg *msg)
{
	unsigned from = msg->from;
	if (m->role == MSHIP_MEMBER && from == m->leader && msg->leader != 0 &&
	    msg->leader != from && msg->leader == m->cfg.self &&
	    m->cfg.self < from) {
		/* The one we follow follows us: nobody leads, and no
		 * detector will say so, for both are heard. The lower of
		 * the two takes over, above every ballot heard of. */
		mship__take_over(m, now_ms);
		return;
	}
	if (m->role == MSHIP_MEMBER && from == m->leader && msg->leader != 0 &&
	    msg->leader != from && msg->leader != m->cfg.self &&
	    peerset_has(&m->members, msg->leader)) {
		/* The one we follow follows another (a candidate that gave
		 * up, say): so do we. */
		m->leader = msg->leader;
		mship__revive(m, now_ms, msg->leader);
	}
	if (m->role == MSHIP_MEMBER && m->ringed && msg->leader == m->cfg.self &&
	    from != m->leader && !peerset_has(&m->observers, from)) {
		/* A ringed view: one that follows us, but is no observer of
		 * ours, hears us only through others, which keeps us alive
		 * for its detector; we follow another now. Our heartbeat
		 * back names whom, and it follows that one (above). */
		mship__beat_to(m, now_ms, from);
	}
	if (m->role != MSHIP_LEADER || peerset_has(&m->dead, from)) {
		/* We were wrong (a leader too: a removal not yet asked is
		 * dropped; one asked goes on, and the peer answers it). */
		mship__revive(m, now_ms, from);
		struct mship_change del = { .op = WIRE_OP_DEL, .peer = from };
		if (m->role == MSHIP_LEADER)
			mship__dequeue(m, &del);
	} else if (msg->ballot > m->ballot && msg->leader != 0 &&
		   msg->leader != m->cfg.self &&
		   BALLOT_LEADER(msg->ballot) == msg->leader &&
		   peerset_has(&m->members, msg->leader) &&
		   !peerset_has(&m->dead, msg->leader)) {
		mship__step_down(m, now_ms, msg->leader);
	}
	if (msg->view_id < m->view_id)
		mship__resend_view(m, now_ms, from);
	/* A beat of the sender's went missing on its way to us: a watched
	 * peer's beat number skipped (mship__count_beat). A beat late (its
	 * sender or we kept from the CPU) is no loss: at 1024 peers on a
	 * busy machine, taking lateness for loss beat twice to every
	 * observer, and the load grew. (A ringed view's leader asks what
	 * they heard of its own, below: its subjects' beats lost were its
	 * own receive buffer overflowing.) */
	bool ring_leader = m->ringed && m->role == MSHIP_LEADER;
	uint32_t lost = m->cfg.heartbeat_ms + m->cfg.allowance_ms;
	mship__count_beat(m, now_ms, msg, !ring_leader);
	fd_heard_direct(&m->fd, from, now_ms);
	/* Whom the sender heard, and when: alive as of then for us too
	 * (our clock, its age: late by the delivery time at most). */
	bool named = peerset_has(&msg->suspects, m->cfg.self);
	bool missed_us = named;
	for (unsigned i = 0; i < msg->heard_count; i++) {
		unsigned id = msg->heard_peer[i];
		if (id == m->cfg.self && msg->heard_age_ms[i] > lost)
			missed_us = true;
		if (id == m->cfg.self || !peerset_has(&m->members, id) ||
		    msg->heard_age_ms[i] > now_ms)
			continue;
		int64_t at = now_ms - msg->heard_age_ms[i];
		fd_heard_via(&m->fd, id, at);
		if (at > m->heard_ms[id])
			m->heard_ms[id] = at;
	}
	/* Our heard age past T + A, or our name among its suspects: our
	 * beats to the sender were lost. A ringed view's leader beats twice
	 * to that member; another peer, named, to all it beats (views of up
	 * to 32 read the ages in mship__note_lacks). */
	if (missed_us && ring_leader)
		m->missed_until_ms[from] =
			now_ms + (int64_t)MSHIP_LOSSY_T * m->cfg.heartbeat_ms;
	else if (named && !ring_leader)
		mship__named_suspect(m, now_ms);
	mship__note_lacks(m, now_ms, msg);
	mship__relay(m, now_ms, from);
	if (m->role == MSHIP_LEADER && msg->view_id == m->view_id)
		mship__heard_suspects(m, now_ms, msg);
}

/* A leader with a round or a takeover waiting on answers. */
static bool mship__waiting(const struct mship *m)
{
	return m->role == MSHIP_LEADER && (m->round_active || m->recon.active);
}

bool mship__active(const struct mship *m)
{
	return m->role == MSHIP_JOINING || m->role == MSHIP_MEMBER ||
	       m->role == MSHIP_LEADER;
}

void mship_on_tick(struct mship *m, int64_t now_ms)
{
	if (!mship__active(m))
		return;
	mship__notice_pause(m, now_ms);
	if (now_ms >= m->crash_at_ms) {
		mship__crash(m);
		return;
	}
	if (m->role == MSHIP_JOINING) {
		if (now_ms >= m->found_at_ms) {
			/* Founding arms -c: it may be due at once. */
			mship__found_unanswered(m, now_ms);
			if (now_ms >= m->crash_at_ms)
				mship__crash(m);
		} else if (now_ms >= m->join_next_ms) {
			mship__join_retry(m, now_ms);
		}
		return;
	}
	if (m->ringed && mship__watches(m, m->leader) &&
	    !peerset_has(&m->fd.watched, m->leader) &&
	    !peerset_has(&m->dead, m->leader))
		fd_watch(&m->fd, m->leader, now_ms);	/* a new one */
	if (now_ms >= m->next_beat_ms)
		mship__beat(m, now_ms);
	else if (now_ms >= m->half_beat_ms)
		mship__half_beat(m, now_ms);
	if (mship__waiting(m) && now_ms >= m->round_retry_ms)
		mship__retry(m, now_ms);
	struct peerset dead;
	peerset_clear(&dead);
	if (fd_expire(&m->fd, now_ms, &dead) == 0)
		return;
	/* The leader's death first, so each line names the right leader. */
	if (peerset_has(&dead, m->leader)) {
		peerset_del(&dead, m->leader);
		mship__on_suspect(m, now_ms, m->leader);
	}
	/* Deaths seen together are removed together, in one batch. */
	m->round_hold++;
	peerset_foreach(&dead, id) {
		if (!mship__active(m))
			break;
		mship__on_suspect(m, now_ms, id);
	}
	m->round_hold--;
	mship__start_round(m, now_ms);
	if (m->tell_leader && m->role == MSHIP_MEMBER && m->leader != 0 &&
	    !peerset_has(&m->dead, m->leader))
		mship__beat_to(m, now_ms, m->leader);
	m->tell_leader = false;
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
	/* A JOIN holding no vote is no sign of the member's life: it is a
	 * later process that lost it (mship__life_gone). Nor does it keep
	 * the member from removal (mship__check_observers): its JOINs come
	 * every BACKOFF_MAX_MS, which is within 2T once T is 1 s or more. */
	bool sign_of_life = msg->type != WIRE_JOIN || msg->ballot != 0;
	if (sign_of_life)
		m->heard_ms[msg->from] = now_ms;
	if (!mship__same_life(m, msg))
		return;
	mship__heard_group(m, now_ms, msg);
	if (!mship__active(m))
		return;
	if (sign_of_life)
		mship__heard_again(m, now_ms, msg->from);
	if (msg->view_id > m->view_id_seen)
		m->view_id_seen = msg->view_id;
	mship__heard_ballot(m, msg->ballot);
	if (m->role == MSHIP_JOINING && !m->st.in_view &&
	    !peerset_empty(&m->st.members) && msg->type != WIRE_JOIN &&
	    msg->view_id < m->st.view_id &&
	    now_ms >= m->view_resent_ms[msg->from]) {
		/* The decided view that removed us (our state keeps it): we
		 * may be the only one alive that knows it, so whoever shows
		 * an older one (a candidate's NEWLEADER) is sent it, as a
		 * member does on heartbeats. At no ballot: it tells the
		 * view, and nothing of who leads it now. */
		m->view_resent_ms[msg->from] =
			now_ms + 2 * (int64_t)m->cfg.heartbeat_ms;
		struct wire_msg nv = mship__msg(m, WIRE_NEWVIEW);
		nv.ballot = 0;
		nv.view_id = m->st.view_id;
		nv.leader = m->st.view_leader;
		nv.members = m->st.members;
		mship__send_one(m, msg->from, &nv);
	}
	switch (msg->type) {
	case WIRE_HEARTBEAT:
		if (!peerset_has(&m->members, msg->from)) {
			/* It believes it is a member: tell it otherwise. */
			if (msg->view_id < m->view_id)
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
		mship__on_req(m, now_ms, msg);
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
	if (m->role == MSHIP_JOINING) {
		if (m->found_at_ms < next)
			next = m->found_at_ms;
		return m->join_next_ms < next ? m->join_next_ms : next;
	}
	if (m->next_beat_ms < next)
		next = m->next_beat_ms;
	if (m->half_beat_ms < next)
		next = m->half_beat_ms;
	if (mship__waiting(m) && m->round_retry_ms < next)
		next = m->round_retry_ms;
	int64_t fd_next = fd_next_deadline(&m->fd);
	return fd_next < next ? fd_next : next;
}
