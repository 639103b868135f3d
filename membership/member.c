/*
 * A member answering: a REQ from the leader it follows (or may follow),
 * and a NEWLEADER from a candidate, which it accepts only once its own
 * detector agrees the old leader is dead.
 */
#include "mship_int.h"

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

void mship__on_req(struct mship *m, const struct wire_msg *msg)
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

void mship__answer_newleader(struct mship *m, unsigned to,
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
void mship__settle_newleader(struct mship *m)
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
void mship__heard_while_deferred(struct mship *m, unsigned from)
{
	if (!m->newleader_deferred ||
	    (from != m->leader && from >= m->newleader_from))
		return;
	m->newleader_deferred = false;
	mship__answer_newleader(m, m->newleader_from,
				m->newleader_request_id, true, from);
}

void mship__on_newleader(struct mship *m, int64_t now_ms,
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
