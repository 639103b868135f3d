/*
 * The Paxos simulator: the unmodified core (paxos/, as librollcall.a
 * holds it) in N acceptors, P proposers and L learners, on one virtual
 * clock and a seeded network that loses, duplicates, delays and reorders
 * messages, with crashes and restarts. A seed is a whole run: its
 * configuration, its faults, every delay. The invariants below are
 * checked as each event happens; the first one broken ends the run and
 * names the seed that replays it.
 *
 * psim.c       the model: nodes, network, faults, invariants, one run
 * psim_main.c  the command line: one seed with its trace, or many seeds
 *              in several processes
 *
 * Safety, for every slot, whatever the faults:
 *   agreement        no two different values are chosen for one slot. A
 *                    value is chosen for a slot once a majority of the
 *                    acceptors have accepted it at one ballot; the
 *                    simulator sees every vote as it is cast (an
 *                    acceptor's state after an ACCEPT), so this is judged
 *                    on the votes themselves, not on anyone's report.
 *   learned-chosen   every output (a learner's or a proposer's "chosen")
 *                    is a value a majority voted for at that ballot.
 *   output-once      a learner, or one life of a proposer, outputs a slot
 *                    at most once.
 *   saved-first      an acceptor's PROMISE or ACCEPTED never leaves before
 *                    its saved state holds that promise or vote.
 *   promise-kept     a restarted acceptor resumes exactly what it last
 *                    saved, and its promise never goes down.
 *   validity         a chosen value is a command some proposer was given,
 *                    or a no-op (never in the single-decree runs).
 *   command-once     no command is chosen in two slots (multi-slot runs).
 * Liveness, once the faults stop (calm): with a majority of acceptors and
 * at least one proposer up and the network no longer losing, every
 * command given to a live proposer is chosen, and every live proposer
 * knows it, within PSIM_LIVENESS_MS of calm.
 */
#ifndef ROLLCALL_PSIM_H
#define ROLLCALL_PSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "../../paxos/paxos.h"
#include "../sim/rng.h"

#define PSIM_ACCEPTORS_MAX 7
#define PSIM_PROPOSERS_MAX 3
#define PSIM_LEARNERS_MAX 2
#define PSIM_NODES_MAX (PSIM_ACCEPTORS_MAX + PSIM_PROPOSERS_MAX + \
			PSIM_LEARNERS_MAX)
#define PSIM_COMMANDS_MAX 12	/* per proposer */
#define PSIM_SLOTS_MAX 256	/* slots judged in one run */
#define PSIM_VOTES_MAX 8192	/* distinct (slot, ballot) voted in a run;
				 * a power of two (a hash table) */
#define PSIM_MSGS_MAX 16384	/* messages in flight */
#define PSIM_EVENTS_MAX 4000000	/* per seed: beyond it, a livelock */
#define PSIM_LIVENESS_MS 60000	/* after calm, everything is chosen */
#define PSIM_TEXT_BYTES 512

/* What the command line sets; 0 or -1 fields are chosen per seed. */
struct psim_opts {
	unsigned acceptors;	/* 0: 3, 5 or 7 */
	unsigned proposers;	/* 0: 2 or 3 */
	int single;		/* -1: per seed; 0 multi-slot; 1 single */
	double loss_max;	/* loss per seed in [0, loss_max] */
	double dup_max;		/* duplication per seed in [0, dup_max] */
	bool crashes;		/* crash and restart nodes */
	int verbose;		/* print every event */
};

struct psim_result {
	uint64_t seed;
	bool failed;
	char kind[32];
	char what[PSIM_TEXT_BYTES];
	uint64_t events;
	uint64_t chosen;	/* slots chosen */
	uint64_t crashes;
	uint64_t rounds;	/* phase 1 rounds, all proposers */
	int64_t calm_to_done_ms;	/* from calm to all chosen */
};

void psim_opts_default(struct psim_opts *o);

/* Run one seed; r says how it went. Deterministic in (o, seed). */
void psim_run(const struct psim_opts *o, uint64_t seed,
	      struct psim_result *r);

#endif
