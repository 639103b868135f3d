/*
 * Reconciliation: what a new leader learns before it leads.
 *
 * When the leader dies, the lowest-id live member takes over and asks every
 * other live member, with NEWLEADER (op PENDING), which change it had been
 * asked to make and never saw finished. This module tracks one such round:
 * who still owes an answer, the highest view id anyone has installed, and
 * the pending changes to finish, in the order of the views they were asked
 * in (a member that installed view v+1 may already be asked for v+2 while
 * the new leader still waits on v's change). It decides nothing about
 * membership itself and does no I/O.
 */
#ifndef ROLLCALL_RECON_H
#define ROLLCALL_RECON_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/peerset.h"
#include "../common/wire.h"

struct recon_op {
	enum wire_op op;	/* ADD, DEL, or NOTHING when none */
	unsigned peer;
	uint32_t view_id;	/* the view the change was asked in */
};

/* Distinct pending changes kept; more is a group far off its rules. */
#define RECON_OPS_MAX 8

struct recon {
	bool active;
	uint32_t request_id;
	struct peerset asked;
	struct peerset waiting;
	uint32_t view_id_max;
	/* Changes asked in the new leader's view or later, by view id. */
	struct recon_op ops[RECON_OPS_MAX];
	unsigned ops_count;
	uint32_t own_view_id;
};

/*
 * Begin a round: ask is who must answer; own_view and own (the new
 * leader's view id and pending change) count as the first answer.
 */
void recon_begin(struct recon *r, uint32_t request_id,
		 const struct peerset *ask, uint32_t own_view,
		 const struct recon_op *own);

/*
 * An OK from a peer. Returns 1 when it was a fresh answer to this round,
 * 0 when it is not for this round (stale request id, or already answered).
 */
int recon_answer(struct recon *r, unsigned from, const struct wire_msg *ok);

/* A peer died: it no longer owes an answer. */
void recon_drop(struct recon *r, unsigned peer);

/* True once every asked peer answered or died. */
bool recon_done(const struct recon *r);

/* The change asked in the highest view, or one with op NOTHING. */
struct recon_op recon_latest(const struct recon *r);

#endif
