/*
 * The proposer: it gets values chosen, one slot each.
 *
 * Phase 1 (PREPARE, PROMISE) runs once for every slot from the first one
 * it has not seen decided: a majority's promises at its ballot tell it
 * every value that can have been chosen below that ballot, and it
 * proposes exactly those again (a no-op where a slot in between reported
 * nothing), so whatever was chosen stays chosen. Then phase 2 (ACCEPT,
 * ACCEPTED) per slot, for those values and then its own commands, at most
 * cfg.window slots at a time. A slot is decided once a majority voted for
 * it at its ballot. A NACK, or retries_max unanswered asks, ends the
 * round: after a random backoff it prepares again with a higher round.
 */
#include <errno.h>
#include <string.h>

#include "paxos.h"

static int acceptor_index(const struct paxos_proposer *p, unsigned id)
{
	unsigned i;
	for (i = 0; i < p->cfg.acceptors_count; i++)
		if (p->cfg.acceptors[i] == id)
			return (int)i;
	return -1;
}

static bool is_quorum(const struct paxos_proposer *p, uint64_t voters)
{
	return (unsigned)__builtin_popcountll(voters) >=
	       paxos_quorum(p->cfg.acceptors_count);
}

/* splitmix64: small, and the same seed gives the same backoffs. */
static uint64_t next_random(struct paxos_proposer *p)
{
	uint64_t z = (p->rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The table's entry for slot, which must lie in the window's table. */
static struct paxos_proposer_slot *slot_at(struct paxos_proposer *p,
					   uint64_t slot)
{
	return &p->slots[slot % PAXOS_SLOTS_MAX];
}

static bool in_table(const struct paxos_proposer *p, uint64_t slot)
{
	return slot >= p->decided_below &&
	       slot - p->decided_below < PAXOS_SLOTS_MAX;
}

static void send_all(struct paxos_proposer *p, const struct paxos_msg *m,
		     uint64_t skip)
{
	unsigned i;
	for (i = 0; i < p->cfg.acceptors_count; i++)
		if (!(skip & (UINT64_C(1) << i)))
			p->out->send(p->out, p->cfg.acceptors[i], m);
}

static void msg_init(const struct paxos_proposer *p, struct paxos_msg *m,
		     enum paxos_msg_type type, uint64_t slot)
{
	memset(m, 0, offsetof(struct paxos_msg, entries));
	m->type = type;
	m->from = p->cfg.self;
	m->slot = slot;
	m->ballot = p->ballot;
}

/* ---- the command queue --------------------------------------------- */

static void queue_push_front(struct paxos_proposer *p,
			     const struct paxos_value *v)
{
	/* A command that lost its slot goes first again; when the queue is
	 * full the newest command waiting is the one dropped. */
	if (p->queue_count == PAXOS_QUEUE_MAX) {
		p->stats.dropped_queue_full++;
		p->queue_count--;
	}
	p->queue_head = (p->queue_head + PAXOS_QUEUE_MAX - 1) % PAXOS_QUEUE_MAX;
	p->queue[p->queue_head] = *v;
	p->queue_count++;
}

static void queue_pop(struct paxos_proposer *p, struct paxos_value *v)
{
	*v = p->queue[p->queue_head];
	p->queue_head = (p->queue_head + 1) % PAXOS_QUEUE_MAX;
	p->queue_count--;
}

/* ---- rounds ------------------------------------------------------------ */

static void start_round(struct paxos_proposer *p, int64_t now_ms);

/* The round failed: wait a random while (longer after each failure), so
 * two proposers outbidding each other soon stop meeting. */
static void back_off(struct paxos_proposer *p, int64_t now_ms)
{
	uint32_t lo = p->cfg.backoff_min_ms, hi = p->backoff_ms;
	uint32_t wait = lo;

	if (hi > lo)
		wait += (uint32_t)(next_random(p) % (hi - lo));
	p->phase = PAXOS_BACKOFF;
	p->deadline_ms = now_ms + wait;
	if (p->backoff_ms < p->cfg.backoff_cap_ms / 2)
		p->backoff_ms *= 2;
	else
		p->backoff_ms = p->cfg.backoff_cap_ms;
}

/* Send PREPARE for every slot from decided_below to whoever has not
 * promised yet. */
static void send_prepare(struct paxos_proposer *p)
{
	struct paxos_msg m;
	msg_init(p, &m, PAXOS_PREPARE, p->decided_below);
	send_all(p, &m, p->promised_by);
}

static void start_round(struct paxos_proposer *p, int64_t now_ms)
{
	uint64_t round = p->round + 1;

	/* Above every ballot heard of, so a new round can win. */
	if (round <= paxos_ballot_round(p->ballot_seen))
		round = paxos_ballot_round(p->ballot_seen) + 1;
	p->round = round;
	p->ballot = paxos_ballot(round, p->cfg.self);
	p->phase = PAXOS_PREPARING;
	p->promised_by = 0;
	memset(p->reported, 0, sizeof(p->reported));
	p->reported_count = 0;
	p->reported_beyond = 0;
	p->tries = 1;
	p->deadline_ms = now_ms + p->cfg.retry_ms;
	p->stats.rounds++;
	send_prepare(p);
}

/* ---- phase 2 ------------------------------------------------------- */

static void send_accept(struct paxos_proposer *p, uint64_t slot)
{
	struct paxos_proposer_slot *s = slot_at(p, slot);
	struct paxos_msg m;

	msg_init(p, &m, PAXOS_ACCEPT, slot);
	m.value = s->value;
	send_all(p, &m, s->voters);
}

static bool in_flight(const struct paxos_proposer *p)
{
	const struct paxos_proposer_slot *e;
	uint64_t s;

	for (s = p->decided_below; s < p->sent_below; s++) {
		e = &p->slots[s % PAXOS_SLOTS_MAX];
		if (e->used && !e->decided)
			return true;
	}
	return false;
}

/*
 * Leading: give queued commands the free slots inside the window, then
 * send ACCEPT for every slot that entered the window since the last call.
 */
static void fill_window(struct paxos_proposer *p, int64_t now_ms)
{
	uint64_t end = p->decided_below + p->cfg.window;
	bool was_idle = !in_flight(p);
	struct paxos_proposer_slot *s;

	if (p->phase != PAXOS_LEADING)
		return;
	/* The promises reported slots beyond the table: those are proposed
	 * by a fresh phase 1 once the table is decided, before any new
	 * command takes a slot that might hide one of them. */
	if (p->reported_beyond) {
		if (p->decided_below >= p->next_slot) {
			start_round(p, now_ms);
			return;
		}
	} else {
		while (p->queue_count > 0 && p->next_slot < end &&
		       !(p->cfg.single_decree && p->next_slot > 0)) {
			s = slot_at(p, p->next_slot);
			if (!s->used) {
				s->used = true;
				s->decided = false;
				s->own = true;
				s->voters = 0;
				queue_pop(p, &s->command);
				s->value = s->command;
			}
			p->next_slot++;
		}
		/* Single decree: slot 0 went to another value, so our own
		 * has no slot left. */
		if (p->cfg.single_decree && p->next_slot > 0)
			p->queue_count = 0;
	}
	if (end > p->next_slot)
		end = p->next_slot;
	for (; p->sent_below < end; p->sent_below++) {
		s = slot_at(p, p->sent_below);
		if (s->used && !s->decided)
			send_accept(p, p->sent_below);
	}
	if (was_idle && in_flight(p)) {
		p->tries = 1;
		p->deadline_ms = now_ms + p->cfg.retry_ms;
	}
}

/* A majority promised: re-propose what they reported, fill the gaps. */
static void lead(struct paxos_proposer *p, int64_t now_ms)
{
	uint64_t hi = p->decided_below, slot;
	struct paxos_proposer_slot *s;
	const struct paxos_entry *r;

	p->phase = PAXOS_LEADING;
	p->backoff_ms = p->cfg.backoff_max_ms;
	for (slot = p->decided_below;
	     slot < p->decided_below + PAXOS_SLOTS_MAX; slot++) {
		r = &p->reported[slot % PAXOS_SLOTS_MAX];
		if (r->vballot != 0 && r->slot == slot)
			hi = slot + 1;
	}
	/* A slot was reported beyond the table: every slot of the table
	 * is below it, so each unreported one is a gap, a no-op. */
	if (p->reported_beyond)
		hi = p->decided_below + PAXOS_SLOTS_MAX;
	for (slot = p->decided_below; slot < hi; slot++) {
		s = slot_at(p, slot);
		r = &p->reported[slot % PAXOS_SLOTS_MAX];
		if (s->decided)
			continue;
		/* Our own command there, if any, stays attached to the slot
		 * until it is decided (paxos_proposer_slot). */
		if (r->vballot != 0 && r->slot == slot) {
			s->value = r->value;
		} else {
			paxos_value_noop(&s->value);
			p->stats.noops++;
		}
		s->used = true;
	}
	if (p->next_slot < hi)
		p->next_slot = hi;
	/* A new ballot: every vote counted so far was for an older one. */
	for (slot = p->decided_below; slot < p->next_slot; slot++)
		slot_at(p, slot)->voters = 0;
	p->sent_below = p->decided_below;
	p->tries = 1;
	p->deadline_ms = PAXOS_NEVER;
	fill_window(p, now_ms);
}

static void decided(struct paxos_proposer *p, int64_t now_ms, uint64_t slot,
		    uint64_t ballot, bool counted)
{
	struct paxos_proposer_slot *s = slot_at(p, slot);
	struct paxos_msg m;
	unsigned i;

	s->used = true;
	s->decided = true;
	p->stats.chosen++;
	/* Another value won the slot our command was given: it is not
	 * chosen there now, ever, so it goes first in the queue again. */
	if (s->own && !paxos_value_equal(&s->command, &s->value))
		queue_push_front(p, &s->command);
	s->own = false;
	if (p->out->chosen)
		p->out->chosen(p->out, slot, ballot, &s->value);
	if (counted) {
		msg_init(p, &m, PAXOS_CHOSEN, slot);
		m.ballot = ballot;
		m.value = s->value;
		for (i = 0; i < p->cfg.learners_count; i++)
			p->out->send(p->out, p->cfg.learners[i], &m);
	}
	while (slot_at(p, p->decided_below)->decided) {
		memset(slot_at(p, p->decided_below), 0,
		       offsetof(struct paxos_proposer_slot, value));
		p->decided_below++;
	}
	if (p->next_slot < p->decided_below)
		p->next_slot = p->decided_below;
	if (p->sent_below < p->decided_below)
		p->sent_below = p->decided_below;
	if (p->cfg.single_decree && slot == 0) {
		p->phase = PAXOS_DONE;
		p->queue_count = 0;
		p->deadline_ms = PAXOS_NEVER;
		return;
	}
	if (p->phase != PAXOS_LEADING)
		return;
	/* Progress: the silent get a fresh retry_ms from now. */
	p->tries = 1;
	p->deadline_ms = now_ms + p->cfg.retry_ms;
	fill_window(p, now_ms);
	if (p->phase == PAXOS_LEADING && !in_flight(p))
		p->deadline_ms = PAXOS_NEVER;
}

/* ---- the API ----------------------------------------------------------- */

void paxos_proposer_create(struct paxos_proposer *p,
			   const struct paxos_proposer_config *cfg,
			   struct paxos_outbox *out)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	if (p->cfg.window == 0)
		p->cfg.window = 1;
	if (p->cfg.window > PAXOS_WINDOW_MAX)
		p->cfg.window = PAXOS_WINDOW_MAX;
	if (p->cfg.acceptors_count > PAXOS_ACCEPTORS_MAX)
		p->cfg.acceptors_count = PAXOS_ACCEPTORS_MAX;
	if (p->cfg.learners_count > PAXOS_LEARNERS_MAX)
		p->cfg.learners_count = PAXOS_LEARNERS_MAX;
	if (p->cfg.retries_max == 0)
		p->cfg.retries_max = 1;
	if (p->cfg.backoff_cap_ms < p->cfg.backoff_max_ms)
		p->cfg.backoff_cap_ms = p->cfg.backoff_max_ms;
	p->out = out;
	p->round = (cfg->first_round ? cfg->first_round : 1) - 1;
	p->rng = cfg->seed;
	p->backoff_ms = p->cfg.backoff_max_ms;
	p->deadline_ms = PAXOS_NEVER;
	p->decided_below = cfg->decided_below;
	p->next_slot = cfg->decided_below;
	p->sent_below = cfg->decided_below;
}

int paxos_proposer_propose(struct paxos_proposer *p, int64_t now_ms,
			   const struct paxos_value *v)
{
	if (p->cfg.single_decree &&
	    (p->phase == PAXOS_DONE || p->queue_count > 0 ||
	     slot_at(p, 0)->used))
		return -EINVAL;
	if (p->queue_count == PAXOS_QUEUE_MAX) {
		p->stats.dropped_queue_full++;
		return -ENOSPC;
	}
	p->queue[(p->queue_head + p->queue_count) % PAXOS_QUEUE_MAX] = *v;
	p->queue_count++;
	if (p->phase == PAXOS_IDLE)
		start_round(p, now_ms);
	else
		fill_window(p, now_ms);
	return 0;
}

void paxos_proposer_prepare(struct paxos_proposer *p, int64_t now_ms)
{
	if (p->phase != PAXOS_DONE)
		start_round(p, now_ms);
}

void paxos_proposer_step(struct paxos_proposer *p, int64_t now_ms,
			 const struct paxos_msg *m)
{
	if (m->value.len > PAXOS_VALUE_BYTES_MAX ||
	    m->entries_count > PAXOS_PROMISE_ENTRIES_MAX) {
		p->stats.dropped_malformed++;
		return;
	}
	switch (m->type) {
	case PAXOS_PROMISE:
	case PAXOS_ACCEPTED:
	case PAXOS_NACK:
		if (acceptor_index(p, m->from) < 0) {
			p->stats.dropped_stranger++;
			return;
		}
		break;
	case PAXOS_CHOSEN:
		break;
	default:
		p->stats.dropped_type++;
		return;
	}
	if (m->type == PAXOS_PROMISE)
		paxos_proposer_handle_promise(p, now_ms, m);
	else if (m->type == PAXOS_ACCEPTED)
		paxos_proposer_handle_accepted(p, now_ms, m);
	else if (m->type == PAXOS_NACK)
		paxos_proposer_handle_nack(p, now_ms, m);
	else
		paxos_proposer_handle_chosen(p, now_ms, m);
}

void paxos_proposer_handle_promise(struct paxos_proposer *p, int64_t now_ms,
				   const struct paxos_msg *m)
{
	int i = acceptor_index(p, m->from);
	const struct paxos_entry *e;
	struct paxos_entry *r;
	unsigned k;

	if (i < 0 || m->entries_count > PAXOS_PROMISE_ENTRIES_MAX)
		return;
	if (p->phase != PAXOS_PREPARING || m->ballot != p->ballot) {
		p->stats.dropped_round++;
		return;
	}
	if (p->promised_by & (UINT64_C(1) << i)) {
		p->stats.dropped_repeat++;
		return;
	}
	/* Our PREPAREs ask from decided_below, which only grows: a promise
	 * from a later slot leaves slots unreported, and is not ours. */
	if (m->slot > p->decided_below) {
		p->stats.dropped_malformed++;
		return;
	}
	p->promised_by |= UINT64_C(1) << i;
	for (k = 0; k < m->entries_count; k++) {
		e = &m->entries[k];
		/* A vote at or above our ballot cannot be in a promise of
		 * it; a peer that says so is broken, and ignored. */
		if (e->slot < p->decided_below || e->vballot == 0 ||
		    e->vballot >= p->ballot ||
		    e->value.len > PAXOS_VALUE_BYTES_MAX)
			continue;
		if (!in_table(p, e->slot)) {
			if (e->slot + 1 > p->reported_beyond)
				p->reported_beyond = e->slot + 1;
			continue;
		}
		r = &p->reported[e->slot % PAXOS_SLOTS_MAX];
		if (r->vballot == 0 || r->slot != e->slot ||
		    e->vballot > r->vballot) {
			if (r->vballot == 0 || r->slot != e->slot)
				p->reported_count++;
			*r = *e;
		}
	}
	if (is_quorum(p, p->promised_by))
		lead(p, now_ms);
}

void paxos_proposer_handle_accepted(struct paxos_proposer *p, int64_t now_ms,
				    const struct paxos_msg *m)
{
	int i = acceptor_index(p, m->from);
	struct paxos_proposer_slot *s;

	if (i < 0)
		return;
	if (p->phase != PAXOS_LEADING || m->ballot != p->ballot) {
		p->stats.dropped_round++;
		return;
	}
	if (!in_table(p, m->slot) || m->slot >= p->sent_below ||
	    (s = slot_at(p, m->slot), !s->used) || s->decided ||
	    (s->voters & (UINT64_C(1) << i))) {
		p->stats.dropped_repeat++;
		return;
	}
	s->voters |= UINT64_C(1) << i;
	if (is_quorum(p, s->voters))
		decided(p, now_ms, m->slot, p->ballot, true);
}

void paxos_proposer_handle_nack(struct paxos_proposer *p, int64_t now_ms,
				const struct paxos_msg *m)
{
	if (acceptor_index(p, m->from) < 0)
		return;
	if (m->trimmed != 0) {
		/* Behind that acceptor's trim point: it promises nothing,
		 * the others may. The application learns the slots. */
		p->stats.nacks_trimmed++;
		if (m->trimmed > p->decided_below &&
		    m->trimmed > p->behind_below)
			p->behind_below = m->trimmed;
		return;
	}
	if (m->ballot > p->ballot_seen)
		p->ballot_seen = m->ballot;
	/* Only a refusal of the ballot we are using ends a round; one for
	 * an older ballot of ours arrives late. */
	if (m->ballot <= p->ballot || (p->phase != PAXOS_PREPARING &&
				       p->phase != PAXOS_LEADING)) {
		p->stats.dropped_round++;
		return;
	}
	p->stats.nacks++;
	back_off(p, now_ms);
}

void paxos_proposer_handle_chosen(struct paxos_proposer *p, int64_t now_ms,
				  const struct paxos_msg *m)
{
	struct paxos_proposer_slot *s;

	if (!in_table(p, m->slot) || m->value.len > PAXOS_VALUE_BYTES_MAX) {
		p->stats.dropped_repeat++;
		return;
	}
	s = slot_at(p, m->slot);
	if (s->decided) {
		p->stats.dropped_repeat++;
		return;
	}
	if (!s->used)
		s->own = false;
	s->value = m->value;
	s->voters = 0;
	decided(p, now_ms, m->slot, m->ballot, false);
}

void paxos_proposer_stop(struct paxos_proposer *p)
{
	if (p->phase == PAXOS_DONE)
		return;
	/* Whatever the slots held is dropped; the decided prefix stays. */
	memset(p->slots, 0, sizeof(p->slots));
	memset(p->reported, 0, sizeof(p->reported));
	p->reported_count = 0;
	p->reported_beyond = 0;
	p->promised_by = 0;
	p->queue_head = 0;
	p->queue_count = 0;
	p->next_slot = p->decided_below;
	p->sent_below = p->decided_below;
	p->phase = PAXOS_IDLE;
	p->deadline_ms = PAXOS_NEVER;
	p->tries = 0;
	/* Answers to the old ballot must not count for a later round: the
	 * next one is above it anyway (start_round), and until then no
	 * handler takes answers while IDLE. */
}

int paxos_proposer_skip(struct paxos_proposer *p, uint64_t upto)
{
	if (p->phase == PAXOS_LEADING)
		return -EBUSY;
	if (upto <= p->decided_below)
		return 0;
	if (upto - p->decided_below >= PAXOS_SLOTS_MAX) {
		memset(p->slots, 0, sizeof(p->slots));
	} else {
		for (uint64_t s = p->decided_below; s < upto; s++)
			memset(slot_at(p, s), 0, sizeof(p->slots[0]));
	}
	p->decided_below = upto;
	if (p->next_slot < upto)
		p->next_slot = upto;
	if (p->sent_below < upto)
		p->sent_below = upto;
	if (p->behind_below <= upto)
		p->behind_below = 0;
	return 0;
}

void paxos_proposer_tick(struct paxos_proposer *p, int64_t now_ms)
{
	uint64_t slot;

	if (now_ms < p->deadline_ms)
		return;
	switch (p->phase) {
	case PAXOS_BACKOFF:
		start_round(p, now_ms);
		return;
	case PAXOS_PREPARING:
	case PAXOS_LEADING:
		break;
	default:
		p->deadline_ms = PAXOS_NEVER;
		return;
	}
	if (p->phase == PAXOS_LEADING && !in_flight(p)) {
		p->deadline_ms = PAXOS_NEVER;
		return;
	}
	if (p->tries >= p->cfg.retries_max) {
		/* Nobody refused, yet no majority answered: it may have
		 * promised someone we never heard of. */
		p->stats.timeouts++;
		back_off(p, now_ms);
		return;
	}
	/* Ask the silent ones again, at the same ballot: an answer may have
	 * been lost, and asking again is safe. */
	p->tries++;
	p->stats.resent++;
	p->deadline_ms = now_ms + p->cfg.retry_ms;
	if (p->phase == PAXOS_PREPARING) {
		send_prepare(p);
		return;
	}
	for (slot = p->decided_below; slot < p->sent_below; slot++)
		if (slot_at(p, slot)->used && !slot_at(p, slot)->decided)
			send_accept(p, slot);
}

int64_t paxos_proposer_next_deadline(const struct paxos_proposer *p)
{
	return p->deadline_ms;
}

bool paxos_proposer_idle(const struct paxos_proposer *p)
{
	if (p->phase == PAXOS_DONE)
		return true;
	return p->queue_count == 0 && !in_flight(p) &&
	       p->next_slot <= p->decided_below && !p->reported_beyond;
}
