/*
 * Reconciliation bookkeeping. The new leader's own state counts as the
 * first answer; each OK adds one. Changes asked in a view older than the
 * new leader's own were finished by a NEWVIEW it installed; the others are
 * kept, once each, in view order, to be finished in that order.
 */
#include "recon.h"

static void recon_consider(struct recon *r, uint32_t view_id,
			   const struct recon_op *op)
{
	if (view_id > r->view_id_max)
		r->view_id_max = view_id;
	if ((op->op != WIRE_OP_ADD && op->op != WIRE_OP_DEL) ||
	    op->view_id < r->own_view_id)
		return;
	unsigned at = r->ops_count;
	for (unsigned i = 0; i < r->ops_count; i++) {
		const struct recon_op *o = &r->ops[i];
		if (o->op == op->op && o->peer == op->peer &&
		    o->view_id == op->view_id)
			return;
		if (at == r->ops_count && o->view_id > op->view_id)
			at = i;
	}
	if (r->ops_count == RECON_OPS_MAX)
		return;
	for (unsigned i = r->ops_count; i > at; i--)
		r->ops[i] = r->ops[i - 1];
	r->ops[at] = *op;
	r->ops_count++;
}

void recon_begin(struct recon *r, uint32_t request_id,
		 const struct peerset *ask, uint32_t own_view,
		 const struct recon_op *own)
{
	r->active = true;
	r->request_id = request_id;
	r->asked = *ask;
	r->waiting = *ask;
	r->view_id_max = own_view;
	r->own_view_id = own_view;
	r->ops_count = 0;
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

struct recon_op recon_latest(const struct recon *r)
{
	struct recon_op none = { .op = WIRE_OP_NOTHING };
	return r->ops_count > 0 ? r->ops[r->ops_count - 1] : none;
}
