/*
 * Reconciliation: what a new leader learns before it leads (Paxos's
 * phase 1).
 *
 * When the leader dies, the lowest-id live member takes over with a ballot
 * above every one it has heard of, and asks the other members of its view,
 * with NEWLEADER (op PENDING), to promise it and to tell which change they
 * accepted in that view and never saw decided. This module tracks one such
 * round: who answered, and the change accepted at the highest ballot among
 * the answers. Once the answers (with the new leader's own) make a quorum
 * of the view, no lower ballot can decide anything in it, and whatever a
 * lower ballot may have decided is that change: the new leader finishes it
 * before its own. It decides nothing about membership and does no I/O.
 */
#ifndef ROLLCALL_RECON_H
#define ROLLCALL_RECON_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/peerset.h"
#include "../common/wire.h"

/* The changes accepted: a batch, its first change in op and peer. */
struct recon_op {
	enum wire_op op;	/* ADD, DEL, or NOTHING when none */
	unsigned peer;
	struct wire_changes more;	/* the batch's further changes */
	unsigned leader;	/* the leader the change's view names */
	uint64_t ballot;	/* the ballot it was accepted at */
};

struct recon {
	bool active;
	uint32_t request_id;
	uint64_t ballot;	/* ours */
	uint32_t view_id;	/* the view asked about */
	struct peerset members;	/* that view's members */
	struct peerset answered;	/* promises, ours included */
	struct peerset waiting;		/* asked, not yet answered */
	struct recon_op best;	/* accepted at the highest ballot */
	/* Accepted at or below this ballot: known undecided, ignored. */
	uint64_t void_ballot;
};

/*
 * Begin a round for view view_id with members: ask is who is asked; self
 * and own (the new leader's own accepted change) are the first answer.
 * A change accepted at or below void_ballot (0: none) is one the new
 * leader knows was never decided (its own, given up): it is not finished.
 */
void recon_begin(struct recon *r, uint32_t request_id, uint64_t ballot,
		 uint32_t view_id, const struct peerset *members,
		 const struct peerset *ask, unsigned self,
		 const struct recon_op *own, uint64_t void_ballot);

/*
 * An OK from a peer, answering this round's NEWLEADER. Returns 1 when it
 * counted, 0 when not (another round, another ballot or view, a refusal,
 * or already answered).
 */
int recon_answer(struct recon *r, unsigned from, const struct wire_msg *ok);

/* True once the answers make a quorum of the view. */
bool recon_done(const struct recon *r);

#endif
