/*
 * The quorum rule, one function that every protocol core counts against:
 * membership/ (a round's OKs, a removal's agreement, a leader's idleness)
 * and reconcile/ (a takeover's promises). It lives below both so that
 * neither imports the other for it. It does no I/O and keeps no state.
 */
#ifndef ROLLCALL_QUORUM_H
#define ROLLCALL_QUORUM_H

#include <stdbool.h>

#include "peerset.h"

/*
 * Whether have holds a quorum of the view with members view: more than
 * half of them, or exactly half when that half holds the view's lowest id.
 * Any two quorums of one view share a member; so do a quorum of a view and
 * one of the next when a change needs both (membership's rounds do).
 */
static inline bool quorum_holds(const struct peerset *view,
				const struct peerset *have)
{
	unsigned n = peerset_count(view), k = 0;
	peerset_foreach(view, id) {
		if (peerset_has(have, id))
			k++;
	}
	return 2 * k > n ||
	       (n > 0 && 2 * k == n && peerset_has(have, peerset_first(view)));
}

#endif
