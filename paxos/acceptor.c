/*
 * The acceptor: the memory of Paxos.
 *
 * It keeps one promise (the highest ballot it answered) for every slot at
 * once, and per slot the value it last voted for with that vote's ballot.
 * It answers a PREPARE or an ACCEPT at or above its promise and nothing
 * below it (or a NACK, when configured): that refusal is what lets a
 * proposer holding a majority of promises know every value that may have
 * been chosen below its ballot. Whatever it answers is saved first.
 */
#include <string.h>

#include "paxos.h"

/* The table's index of slot, or where it would go (entries ascend). */
static unsigned find(const struct paxos_state *st, uint64_t slot)
{
	unsigned i = 0;
	while (i < st->entries_count && st->entries[i].slot < slot)
		i++;
	return i;
}

static void save(struct paxos_acceptor *a)
{
	a->stats.saves++;
	if (a->out->save)
		a->out->save(a->out, &a->st);
}

/* Below the promise: silence (the course's rule), or a NACK naming the
 * promise so the proposer need not wait for its timeout. trimmed: the
 * refusal is for a PREPARE below the trim point (0: for the ballot). */
static void refuse(struct paxos_acceptor *a, const struct paxos_msg *m,
		   uint64_t trimmed)
{
	struct paxos_msg nack;

	a->stats.refused++;
	if (!a->cfg.nack)
		return;
	memset(&nack, 0, offsetof(struct paxos_msg, entries));
	nack.type = PAXOS_NACK;
	nack.from = a->cfg.self;
	nack.slot = m->slot;
	nack.ballot = a->st.promised;
	nack.trimmed = trimmed;
	a->out->send(a->out, m->from, &nack);
}

void paxos_acceptor_create(struct paxos_acceptor *a,
			   const struct paxos_acceptor_config *cfg,
			   struct paxos_outbox *out)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	a->cfg.restored = NULL;
	a->out = out;
	if (cfg->restored)
		a->st = *cfg->restored;
}

void paxos_acceptor_step(struct paxos_acceptor *a, const struct paxos_msg *m)
{
	if (m->type != PAXOS_PREPARE && m->type != PAXOS_ACCEPT) {
		a->stats.dropped_type++;
		return;
	}
	/* A ballot is its proposer's alone: one that names someone else (or
	 * none) would let a confused peer answer for another. */
	if (m->ballot == 0 || paxos_ballot_id(m->ballot) != m->from) {
		a->stats.dropped_forged++;
		return;
	}
	if (m->type == PAXOS_PREPARE)
		paxos_acceptor_handle_prepare(a, m);
	else
		paxos_acceptor_handle_accept(a, m);
}

void paxos_acceptor_handle_prepare(struct paxos_acceptor *a,
				   const struct paxos_msg *m)
{
	struct paxos_msg promise;
	unsigned i;

	if (m->ballot < a->st.promised) {
		refuse(a, m, 0);
		return;
	}
	/* The votes below trimmed are gone: a promise could not report
	 * them, and the proposer would take their slots for gaps. */
	if (m->slot < a->st.trimmed) {
		a->stats.refused_trimmed++;
		refuse(a, m, a->st.trimmed);
		return;
	}
	if (m->ballot > a->st.promised) {
		a->st.promised = m->ballot;
		/* The promise reaches stable storage before the PROMISE
		 * leaves: after a crash this acceptor must still refuse
		 * every ballot below it, or two values could be chosen. */
		save(a);
	}
	/* An equal ballot is its proposer asking again (our answer was
	 * lost): the same answer, nothing new to save. */
	memset(&promise, 0, offsetof(struct paxos_msg, entries));
	promise.type = PAXOS_PROMISE;
	promise.from = a->cfg.self;
	promise.slot = m->slot;
	promise.ballot = m->ballot;
	for (i = find(&a->st, m->slot); i < a->st.entries_count; i++)
		promise.entries[promise.entries_count++] = a->st.entries[i];
	a->stats.promised++;
	a->out->send(a->out, m->from, &promise);
}

void paxos_acceptor_handle_accept(struct paxos_acceptor *a,
				  const struct paxos_msg *m)
{
	struct paxos_state *st = &a->st;
	struct paxos_entry *e;
	struct paxos_msg voted;
	unsigned i, k;
	bool changed = false;

	if (m->ballot < st->promised) {
		refuse(a, m, 0);
		return;
	}
	if (m->slot < st->trimmed) {
		a->stats.dropped_trimmed++;
		return;
	}
	if (m->value.len > PAXOS_VALUE_BYTES_MAX) {
		a->stats.dropped_malformed++;
		return;
	}
	i = find(st, m->slot);
	if (i == st->entries_count || st->entries[i].slot != m->slot) {
		/* Not voting is always safe; voting without keeping the
		 * vote is not. */
		if (st->entries_count == PAXOS_SLOTS_MAX) {
			a->stats.dropped_full++;
			return;
		}
		memmove(&st->entries[i + 1], &st->entries[i],
			(st->entries_count - i) * sizeof(st->entries[0]));
		st->entries_count++;
		st->entries[i].slot = m->slot;
		st->entries[i].vballot = 0;
	}
	e = &st->entries[i];
	if (e->vballot != m->ballot || !paxos_value_equal(&e->value, &m->value))
		changed = true;
	e->vballot = m->ballot;
	e->value = m->value;
	/* Accepting at b is promising b: nothing below it any more. */
	if (m->ballot > st->promised) {
		st->promised = m->ballot;
		changed = true;
	}
	/* The vote reaches stable storage before ACCEPTED leaves: a vote
	 * forgotten in a crash could let a majority that chose a value
	 * report, to the next proposer, that nothing was chosen. */
	if (changed)
		save(a);

	memset(&voted, 0, offsetof(struct paxos_msg, entries));
	voted.type = PAXOS_ACCEPTED;
	voted.from = a->cfg.self;
	voted.slot = m->slot;
	voted.ballot = m->ballot;
	voted.value = m->value;
	a->stats.voted++;
	a->out->send(a->out, m->from, &voted);
	for (k = 0; k < a->cfg.learners_count; k++)
		if (a->cfg.learners[k] != m->from)
			a->out->send(a->out, a->cfg.learners[k], &voted);
}

void paxos_acceptor_trim(struct paxos_acceptor *a, uint64_t upto)
{
	struct paxos_state *st = &a->st;
	unsigned i;

	if (upto <= st->trimmed)
		return;
	i = find(st, upto);
	memmove(&st->entries[0], &st->entries[i],
		(st->entries_count - i) * sizeof(st->entries[0]));
	st->entries_count -= i;
	st->trimmed = upto;
	save(a);
}
