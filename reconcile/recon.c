/*
 * Reconciliation bookkeeping: promises counted against the view's quorum,
 * and the accepted change with the highest ballot kept. Only a change
 * accepted in the view asked about matters: one accepted in an older view
 * was decided (or overtaken) by a view the answerer has since installed.
 */
#include "recon.h"

#include "../common/quorum.h"

static void recon_consider(struct recon *r, const struct recon_op *op)
{
	if ((op->op != WIRE_OP_ADD && op->op != WIRE_OP_DEL) ||
	    op->ballot <= r->void_ballot)
		return;
	if (r->best.op == WIRE_OP_NOTHING || op->ballot > r->best.ballot)
		r->best = *op;
}

void recon_begin(struct recon *r, uint32_t request_id, uint64_t ballot,
		 uint32_t view_id, const struct peerset *members,
		 const struct peerset *ask, unsigned self,
		 const struct recon_op *own, uint64_t void_ballot)
{
	r->active = true;
	r->void_ballot = void_ballot;
	r->request_id = request_id;
	r->ballot = ballot;
	r->view_id = view_id;
	r->members = *members;
	r->waiting = *ask;
	peerset_clear(&r->answered);
	peerset_add(&r->answered, self);
	r->best = (struct recon_op){ .op = WIRE_OP_NOTHING };
	recon_consider(r, own);
}

int recon_answer(struct recon *r, unsigned from, const struct wire_msg *ok)
{
	if (!r->active || ok->request_id != r->request_id ||
	    ok->ballot != r->ballot || ok->op == WIRE_OP_REFUSE ||
	    !peerset_has(&r->members, from) ||
	    peerset_has(&r->answered, from))
		return 0;
	/* An answer from a later view is not a promise about ours: the
	 * answerer sends that view, and the round begins again there. */
	if (ok->view_id > r->view_id)
		return 0;
	peerset_add(&r->answered, from);
	peerset_del(&r->waiting, from);
	if (ok->view_id == r->view_id) {
		struct recon_op op = {
			.op = ok->op, .peer = ok->peer, .leader = ok->leader,
			.ballot = ok->acc_ballot,
		};
		op.more = ok->more;
		recon_consider(r, &op);
	}
	return 1;
}

bool recon_done(const struct recon *r)
{
	return r->active && quorum_holds(&r->members, &r->answered);
}
