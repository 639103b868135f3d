/*
 * Reconciliation bookkeeping. The new leader's own state counts as the
 * first answer; each OK adds one. The change to finish is the one asked in
 * the highest view: a change asked in an older view was finished by a
 * NEWVIEW that someone installed, or it would not have been superseded.
 */
#include "recon.h"

static void recon_consider(struct recon *r, uint32_t view_id,
			   const struct recon_op *op)
{
	if (view_id > r->view_id_max)
		r->view_id_max = view_id;
	if (op->op != WIRE_OP_ADD && op->op != WIRE_OP_DEL)
		return;
	if (r->pending.op == WIRE_OP_NOTHING ||
	    op->view_id > r->pending.view_id)
		r->pending = *op;
}

void recon_begin(struct recon *r, uint32_t request_id,
		 const struct peerset *ask, uint32_t own_view,
		 const struct recon_op *own)
{
	r->active = true;
	r->request_id = request_id;
	r->waiting = *ask;
	r->view_id_max = own_view;
	r->pending.op = WIRE_OP_NOTHING;
	r->pending.peer = 0;
	r->pending.view_id = 0;
	recon_consider(r, own_view, own);
}

int recon_answer(struct recon *r, unsigned from, const struct wire_msg *ok)
{
	if (!r->active || ok->request_id != r->request_id ||
	    !peerset_has(&r->waiting, from))
		return 0;
	peerset_del(&r->waiting, from);
	/*
	 * An answer's view id is the sender's installed view; its pending
	 * change, if any, was asked in that view (a NEWVIEW clears it).
	 */
	struct recon_op op = {
		.op = ok->op, .peer = ok->peer, .view_id = ok->view_id,
	};
	recon_consider(r, ok->view_id, &op);
	return 1;
}

void recon_drop(struct recon *r, unsigned peer)
{
	if (peerset_has(&r->waiting, peer))
		peerset_del(&r->waiting, peer);
}

bool recon_done(const struct recon *r)
{
	return r->active && peerset_empty(&r->waiting);
}
