/*
 * The learner: it watches votes and says when a value is chosen.
 *
 * A value is chosen for a slot once a majority of the acceptors voted for
 * it at one ballot. Votes at different ballots never add up (each ballot
 * is one proposer's one value), so the learner keeps, per slot, only the
 * highest ballot it heard of and who voted at it: a higher ballot starts
 * the count again, a lower one is stale. Each slot is output once.
 */
#include <string.h>

#include "paxos.h"

static int acceptor_index(const struct paxos_learner *l, unsigned id)
{
	unsigned i;
	for (i = 0; i < l->cfg.acceptors_count; i++)
		if (l->cfg.acceptors[i] == id)
			return (int)i;
	return -1;
}

/* The slot's entry, or NULL when it is decided and forgotten (below
 * decided_below) or beyond the table. */
static struct paxos_learner_slot *slot_of(struct paxos_learner *l,
					  uint64_t slot)
{
	if (slot < l->decided_below) {
		l->stats.dropped_old++;
		return NULL;
	}
	if (slot - l->decided_below >= PAXOS_SLOTS_MAX) {
		l->stats.dropped_full++;
		return NULL;
	}
	return &l->slots[slot % PAXOS_SLOTS_MAX];
}

/* Forget the decided prefix, so the table only holds the slots still
 * open above it. */
static void advance(struct paxos_learner *l)
{
	while (l->slots[l->decided_below % PAXOS_SLOTS_MAX].decided) {
		memset(&l->slots[l->decided_below % PAXOS_SLOTS_MAX], 0,
		       offsetof(struct paxos_learner_slot, value));
		l->decided_below++;
	}
}

static void decide(struct paxos_learner *l, uint64_t slot, uint64_t ballot,
		   const struct paxos_value *v)
{
	struct paxos_learner_slot *s = &l->slots[slot % PAXOS_SLOTS_MAX];

	s->used = true;
	s->decided = true;
	l->stats.decided++;
	if (l->out->chosen)
		l->out->chosen(l->out, slot, ballot, v);
	advance(l);
}

void paxos_learner_create(struct paxos_learner *l,
			  const struct paxos_learner_config *cfg,
			  struct paxos_outbox *out)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	l->out = out;
	l->decided_below = cfg->decided_below;
}

void paxos_learner_skip(struct paxos_learner *l, uint64_t upto)
{
	if (upto <= l->decided_below)
		return;
	if (upto - l->decided_below >= PAXOS_SLOTS_MAX) {
		memset(l->slots, 0, sizeof(l->slots));
	} else {
		for (uint64_t s = l->decided_below; s < upto; s++)
			memset(&l->slots[s % PAXOS_SLOTS_MAX], 0,
			       sizeof(l->slots[0]));
	}
	l->decided_below = upto;
	advance(l);
}

void paxos_learner_step(struct paxos_learner *l, const struct paxos_msg *m)
{
	if (m->ballot == 0 || m->value.len > PAXOS_VALUE_BYTES_MAX) {
		l->stats.dropped_malformed++;
		return;
	}
	if (m->type == PAXOS_ACCEPTED) {
		if (acceptor_index(l, m->from) < 0) {
			l->stats.dropped_stranger++;
			return;
		}
		paxos_learner_handle_accepted(l, m);
	} else if (m->type == PAXOS_CHOSEN && l->cfg.trust_chosen) {
		paxos_learner_handle_chosen(l, m);
	} else {
		l->stats.dropped_type++;
	}
}

void paxos_learner_handle_accepted(struct paxos_learner *l,
				   const struct paxos_msg *m)
{
	struct paxos_learner_slot *s;
	int i = acceptor_index(l, m->from);
	uint64_t bit;

	if (i < 0 || !(s = slot_of(l, m->slot)))
		return;
	bit = UINT64_C(1) << i;
	if (s->decided || (s->used && m->ballot < s->ballot)) {
		l->stats.dropped_old++;
		return;
	}
	if (!s->used || m->ballot > s->ballot) {
		s->used = true;
		s->ballot = m->ballot;
		s->value = m->value;
		s->voters = 0;
	} else if (!paxos_value_equal(&s->value, &m->value)) {
		l->stats.dropped_conflict++;
		return;
	}
	if (s->voters & bit) {
		l->stats.dropped_repeat++;
		return;
	}
	s->voters |= bit;
	l->stats.counted++;
	if ((unsigned)__builtin_popcountll(s->voters) >=
	    paxos_quorum(l->cfg.acceptors_count))
		decide(l, m->slot, s->ballot, &s->value);
}

void paxos_learner_handle_chosen(struct paxos_learner *l,
				 const struct paxos_msg *m)
{
	struct paxos_learner_slot *s = slot_of(l, m->slot);

	if (!s)
		return;
	if (s->decided) {
		l->stats.dropped_old++;
		return;
	}
	s->ballot = m->ballot;
	s->value = m->value;
	decide(l, m->slot, m->ballot, &s->value);
}
