/*
 * Taking over from a dead leader: the NEWLEADER round (reconcile/),
 * finishing the changes the old leader left half done, numbering above
 * every view it may have made; and stepping down when refused.
 */
#include "mship_int.h"

void mship__take_over(struct mship *m, int64_t now_ms)
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

void mship__send_newleader(struct mship *m)
{
	struct wire_msg nl = mship__msg(m, WIRE_NEWLEADER);
	nl.request_id = m->recon.request_id;
	nl.op = WIRE_OP_PENDING;
	mship__send(m, &m->recon.waiting, &nl);
}

void mship__on_recon_answer(struct mship *m, int64_t now_ms,
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

void mship__finish_recon(struct mship *m, int64_t now_ms)
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

/*
 * Give up leading: a member refused our NEWLEADER (it still hears the old
 * leader, or someone below us), a lower peer is taking over, or a newer
 * view led by another member arrived. should_lead is alive: watch it again.
 */
void mship__step_down(struct mship *m, int64_t now_ms,
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
void mship__leader_lost(struct mship *m, int64_t now_ms)
{
	if (m->unsure_until_ms != MSHIP_NEVER)
		return;		/* maybe removed: see mship__unsure_over */
	if (mship__lowest_live(m) == m->cfg.self)
		mship__take_over(m, now_ms);
	else
		mship__settle_newleader(m);
}
