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
	/* A joiner has no view: it tells the highest id it has seen, which
	 * a founding peer 1 numbers above. */
	if (type == WIRE_JOIN && m->view_id_seen > m->view_id)
		msg.view_id = m->view_id_seen;
	return msg;
}

/* Send to a set of peers; an empty set sends nothing. */
void mship__send(struct mship *m, const struct peerset *to,
		 const struct wire_msg *msg)
{
	if (!peerset_empty(to))
		m->out->send(m->out, to, msg);
}

/* An event of ours, seen from our current view: its line, then the event. */
void mship__emit(struct mship *m, enum out_event_kind kind, unsigned peer)
{
	struct out_event e = {
		.kind = kind, .self = m->cfg.self, .view_id = m->view_id,
		.leader = m->leader, .members = m->members, .peer = peer,
		.peer_is_leader = peer != 0 && peer == m->leader,
	};
	char line[OUT_LINE_BYTES_MAX];
	size_t len = out_event_line(line, &e);
	if (len > 0)
		m->out->print(m->out, line, len);
	if (m->out->event != NULL)
		m->out->event(m->out, &e);
}

/*
 * Print the unreachable line for peer, once per membership: whichever of
 * the detector, a leader's REQ or a NEWLEADER tells us first prints it.
 */
void mship__report(struct mship *m, unsigned peer)
{
	if (peer == m->cfg.self || peerset_has(&m->reported, peer) ||
	    !peerset_has(&m->members, peer))
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

/* A peer we gave up for dead spoke: watch it again, with a full 2T. */
void mship__revive(struct mship *m, int64_t now_ms, unsigned peer)
{
	if (!peerset_has(&m->dead, peer) || !peerset_has(&m->members, peer))
		return;
	peerset_del(&m->dead, peer);
	fd_watch(&m->fd, peer, now_ms);
}

/* The highest view id this peer has installed or, leading after a
 * takeover, numbers above. */
uint32_t mship__view_bar(const struct mship *m)
{
	if (m->role == MSHIP_LEADER && m->view_id_floor > m->view_id)
		return m->view_id_floor;
	return m->view_id;
}

void mship__crash(struct mship *m)
{
	mship__emit(m, OUT_EVENT_CRASHING, 0);
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
void mship__install(struct mship *m, int64_t now_ms, uint32_t view_id,
		    unsigned leader, const struct peerset *members)
{
	struct peerset joined = *members, left = m->members;
	peerset_subtract(&joined, &m->members);
	peerset_subtract(&left, members);
	peerset_foreach(&joined, id) {
		peerset_del(&m->reported, id);
		peerset_del(&m->dead, id);
		/*
		 * A new membership, of whichever life first speaks in it:
		 * the process whose JOIN was heard may have died since and
		 * a new one taken the view that let it in, and a member may
		 * not have heard either (the leader itself we just heard, in
		 * its NEWVIEW).
		 */
		if (id != leader)
			peerset_add(&m->lives_new, id);
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
	m->unsure_until_ms = MSHIP_NEVER;
	fd_create(&m->fd, 2 * cfg->heartbeat_ms);
	m->next_beat_ms = MSHIP_NEVER;
	m->join_next_ms = MSHIP_NEVER;
	m->found_wait_ms = MSHIP_NEVER;
	m->crash_at_ms = MSHIP_NEVER;
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

void mship__on_dead(struct mship *m, int64_t now_ms, unsigned peer)
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
