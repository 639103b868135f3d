/*
 * The simulator's invariants, judged from what the cores print and, per
 * step, from their state:
 *
 *   agreement     two peers that installed the same view id installed the
 *                 same members under the same leader;
 *   monotonic     each life of a peer installs strictly increasing ids;
 *   leader        a view's leader is one of its members (one leader per
 *                 view id follows from agreement);
 *   integrity     a view drops a peer only if it crashed, a detector
 *                 declared it dead, or it was the -t victim; it adds a
 *                 peer only if that peer sent JOIN;
 *   output        every line is exactly one of the four formats, about
 *                 the peer's own installed view, one unreachable line per
 *                 failure;
 *   no-quorum-no-view
 *                 a side cut off without a quorum commits no view. Let L
 *                 be the committer of view id v (the first peer to send a
 *                 NEWVIEW of it, or to install it if it sent none), M the
 *                 members of the group's view before it (the installed
 *                 view with the highest id below v, as first installed;
 *                 else L's own), L's side the peers it can exchange
 *                 messages with both ways at that moment (L and every
 *                 peer no cut in force separates from L in either
 *                 direction), and O the peers whose OK was delivered to
 *                 L's current life since L last installed a view. While a
 *                 cut is in force, neither the side nor side + O may lack
 *                 a quorum of M (sim_quorum). O is the allowance for OKs
 *                 delivered before the cut: TCP never crosses a cut while
 *                 it is in force (simnet.c), so an OK from beyond the side
 *                 was delivered before the cut began, and may count.
 *   liveness (converge-after-heal)
 *                 after the last fault (crash, restart, stop, partition
 *                 heal) and a quiet spell of 10T plus the join time
 *                 (5 * BACKOFF_MAX_MS), if the live peers of the group's
 *                 latest view (the installed one with the highest id)
 *                 hold a quorum of it, they are the primary side, and
 *                 every live peer that is not removed is in one view of
 *                 exactly those peers, the primary side's (without that
 *                 quorum no side may decide, and the run only counts as
 *                 such): no live peer, removed ones included,
 *                 last installed a view id above it (a minority that went
 *                 ahead); with --rejoin no live peer is left removed; no
 *                 change is left half done, and no unreachable line about
 *                 a live peer came in the last 10T.
 *
 * It also keeps the trace: the last SIM_TRACE_MAX events other than bare
 * heartbeats, printed when a seed fails.
 */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Failures and the trace ------------------------------------------------ */

void sim_fail(struct sim *s, const char *kind, const char *fmt, ...)
{
	if (s->failed)
		return;
	/* After a refounding while the group lived (siminv__refounding),
	 * the run is the known limit: what goes wrong is counted, by kind,
	 * and the run is judged no further. */
	if (s->stats.refounds_live > 0) {
		if (!strncmp(kind, "agreement", 9))
			s->stats.refound_collision = true;
		else if (!strncmp(kind, "liveness", 8))
			s->stats.refound_unmerged = true;
		else
			s->stats.refound_other = true;
		if (s->opts.verbose > 0 && !s->refound_noted) {
			va_list ap;
			va_start(ap, fmt);
			printf("  counted (refounded while the group lived): "
			       "%s: ", kind);
			vprintf(fmt, ap);
			printf("\n");
			va_end(ap);
			s->refound_noted = true;
		}
		return;
	}
	s->failed = true;
	s->fail_ms = s->now_ms;
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->violation, sizeof(s->violation), fmt, ap);
	va_end(ap);
	if (s->cur_open) {
		simtrace_add(s, " | VIOLATION");
		s->cur_interesting = true;
	}
}

static void simtrace__vadd(struct sim *s, const char *fmt, va_list ap)
{
	if (s->cur_len + 8 >= sizeof(s->cur_text))
		return;
	size_t cap = sizeof(s->cur_text) - s->cur_len;
	int n = vsnprintf(s->cur_text + s->cur_len, cap, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= cap) {
		s->cur_len = sizeof(s->cur_text) - 1;
		memcpy(s->cur_text + s->cur_len - 3, "...", 3);
		return;
	}
	s->cur_len += (size_t)n;
}

void simtrace_begin(struct sim *s, struct sim_peer *p, bool interesting,
		    const char *fmt, ...)
{
	s->cur = p;
	s->cur_interesting = interesting;
	s->cur_open = true;
	s->cur_len = 0;
	s->cur_text[0] = '\0';
	if (p != NULL)
		simtrace_add(s, "p%u ", p->id);
	va_list ap;
	va_start(ap, fmt);
	simtrace__vadd(s, fmt, ap);
	va_end(ap);
}

void simtrace_add(struct sim *s, const char *fmt, ...)
{
	s->cur_acts++;
	if (!s->cur_open) {
		/* Output from an event not traced as it began (a heartbeat). */
		s->cur_open = true;
		s->cur_len = 0;
		s->cur_text[0] = '\0';
		if (s->cur != NULL)
			simtrace_add(s, "p%u hears a HEARTBEAT", s->cur->id);
	}
	va_list ap;
	va_start(ap, fmt);
	simtrace__vadd(s, fmt, ap);
	va_end(ap);
}

static void simtrace__print_entry(const struct sim_trace_entry *e)
{
	if (e->hidden > 0)
		printf("           (%llu heartbeat events)\n",
		       (unsigned long long)e->hidden);
	printf("  %8lld  %s\n", (long long)e->at_ms, e->text);
}

void simtrace_end(struct sim *s)
{
	if (s->cur_open && (s->cur_interesting || s->opts.verbose >= 2)) {
		struct sim_trace_entry *e = &s->trace[s->trace_next];
		s->trace_next = (s->trace_next + 1) % SIM_TRACE_MAX;
		if (s->trace_count < SIM_TRACE_MAX)
			s->trace_count++;
		e->at_ms = s->now_ms;
		e->hidden = s->trace_hidden;
		memcpy(e->text, s->cur_text, s->cur_len + 1);
		s->trace_hidden = 0;
		if (s->trace_live)
			simtrace__print_entry(e);
	} else {
		s->trace_hidden++;
	}
	s->cur_open = false;
	s->cur = NULL;
	s->cur_len = 0;
}

void simtrace_print(const struct sim *s)
{
	unsigned first = (s->trace_next + SIM_TRACE_MAX - s->trace_count) %
			 SIM_TRACE_MAX;
	printf("  last %u events (ms, peer, event | what it did):\n",
	       s->trace_count);
	for (unsigned i = 0; i < s->trace_count; i++)
		simtrace__print_entry(&s->trace[(first + i) % SIM_TRACE_MAX]);
	if (s->trace_hidden > 0)
		printf("           (%llu heartbeat events)\n",
		       (unsigned long long)s->trace_hidden);
}

/* ---- Bookkeeping ------------------------------------------------------------ */

void siminv_create(struct sim *s)
{
	unsigned n = s->cfg.peers;
	s->removable = calloc(n + 1, sizeof(*s->removable));
	s->joined = calloc(n + 1, sizeof(*s->joined));
	s->unreach_ms = calloc(n + 1, sizeof(*s->unreach_ms));
	if (s->removable == NULL || s->joined == NULL || s->unreach_ms == NULL) {
		fprintf(stderr, "sim: out of memory\n");
		exit(3);
	}
	for (unsigned id = 0; id <= n; id++)
		s->unreach_ms[id] = -1;
}

void siminv_destroy(struct sim *s)
{
	free(s->removable);
	free(s->joined);
	free(s->unreach_ms);
	free(s->views);
	s->views = NULL;
}

/*
 * The views installed, by id: an open-addressing table, since view ids
 * may be sparse (a core may number a new founding's views far above the
 * last ones, as state.h's epochs do).
 */
static size_t siminv__slot(const struct sim *s, uint32_t view_id)
{
	size_t mask = s->views_cap - 1;
	size_t i = ((size_t)view_id * UINT64_C(0x9e3779b97f4a7c15)) >> 17 & mask;
	while (s->views[i].used && s->views[i].id != view_id)
		i = (i + 1) & mask;
	return i;
}

/* The view with this id, made if new; NULL past SIM_VIEWS_MAX views. */
static struct sim_view *siminv__view(struct sim *s, uint32_t view_id)
{
	if (s->views_cap > 0) {
		struct sim_view *v = &s->views[siminv__slot(s, view_id)];
		if (v->used)
			return v;
	}
	if (s->views_count >= SIM_VIEWS_MAX)
		return NULL;
	if (2 * (s->views_count + 1) > s->views_cap) {
		struct sim_view *old = s->views;
		size_t old_cap = s->views_cap;
		s->views_cap = old_cap ? 2 * old_cap : 64;
		s->views = calloc(s->views_cap, sizeof(*s->views));
		if (s->views == NULL) {
			fprintf(stderr, "sim: out of memory\n");
			exit(3);
		}
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].used)
				s->views[siminv__slot(s, old[i].id)] = old[i];
		free(old);
	}
	struct sim_view *v = &s->views[siminv__slot(s, view_id)];
	v->used = true;
	v->id = view_id;
	s->views_count++;
	return v;
}

/*
 * The group's view just before view_id: the installed view with the
 * highest id below it. Not view_id - 1, which may never exist: a new
 * leader numbers above the highest id it heard of, and a new founding
 * may number far above the last (state.h's epochs). A scan, at each first
 * install only: a run installs a few hundred views.
 */
static const struct sim_view *siminv__prev(const struct sim *s,
					   uint32_t view_id)
{
	const struct sim_view *best = NULL;
	for (size_t i = 0; i < s->views_cap; i++) {
		const struct sim_view *v = &s->views[i];
		if (v->used && v->set && v->id < view_id &&
		    (best == NULL || v->id > best->id))
			best = v;
	}
	return best;
}

void siminv_on_suspect(struct sim *s, struct sim_peer *p, unsigned peer)
{
	s->stats.suspicions++;
	if (peer < 1 || peer > s->cfg.peers)
		return;
	s->removable[peer] = true;
	const struct sim_peer *q = &s->peers[peer];
	if (q->running && q->frozen_until_ms <= s->now_ms &&
	    !simnet_blocked(s, peer, p->id, s->now_key) &&
	    !simnet_blocked(s, p->id, peer, s->now_key))
		s->stats.suspicions_false++;
}

/* ---- The output lines, parsed strictly ------------------------------------- */

enum line_kind { LINE_VIEW, LINE_CRASHING, LINE_UNREACHABLE, LINE_LEADER_UNR };

struct line {
	enum line_kind kind;
	unsigned peer_id, view_id, leader, subject;
	struct peerset members;
};

static bool lit(const char **p, const char *end, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/* A decimal as %u prints it: digits, no sign, no leading zero. */
static bool num(const char **p, const char *end, unsigned *out)
{
	const char *q = *p;
	uint64_t v = 0;
	while (q < end && *q >= '0' && *q <= '9' && q - *p < 11) {
		v = v * 10 + (uint64_t)(*q - '0');
		q++;
	}
	if (q == *p || (**p == '0' && q - *p > 1) || v > UINT32_MAX)
		return false;
	*out = (unsigned)v;
	*p = q;
	return true;
}

static bool parse_line(const char *line, size_t len, unsigned peers,
		       struct line *l)
{
	const char *p = line, *end = line + len;
	if (len < 2 || memchr(line, '\n', len) != end - 1 ||
	    memchr(line, '\0', len) != NULL)
		return false;
	memset(l, 0, sizeof(*l));
	if (!lit(&p, end, "{peer_id:") || !num(&p, end, &l->peer_id) ||
	    !lit(&p, end, ", view_id: ") || !num(&p, end, &l->view_id) ||
	    !lit(&p, end, ", leader: ") || !num(&p, end, &l->leader) ||
	    !lit(&p, end, ", "))
		return false;
	if (lit(&p, end, "memb_list: [")) {
		l->kind = LINE_VIEW;
		unsigned last = 0;
		do {
			unsigned id;
			if (!num(&p, end, &id) || id <= last || id > peers)
				return false;
			peerset_add(&l->members, id);
			last = id;
		} while (lit(&p, end, ","));
		return lit(&p, end, "]}\n") && p == end;
	}
	if (lit(&p, end, "message:\"crashing\"}\n")) {
		l->kind = LINE_CRASHING;
		return p == end;
	}
	if (!lit(&p, end, "message:\"peer ") || !num(&p, end, &l->subject))
		return false;
	if (lit(&p, end, " unreachable\"}\n"))
		l->kind = LINE_UNREACHABLE;
	else if (lit(&p, end, " (leader) unreachable\"}\n"))
		l->kind = LINE_LEADER_UNR;
	else
		return false;
	return p == end;
}

/* ---- Views -------------------------------------------------------------------- */

bool sim_quorum(const struct peerset *members, const struct peerset *have)
{
	unsigned n = 0, got = 0;
	peerset_foreach(members, id) {
		n++;
		if (peerset_has(have, id))
			got++;
	}
	if (n == 0)
		return false;
	return 2 * got > n ||
	       (2 * got == n && peerset_has(have, peerset_first(members)));
}

/*
 * no-quorum-no-view (stated at the top of this file), judged once per
 * view id, at its commit: the first NEWVIEW that announces it, or its
 * first install if that comes first (a view of the leader alone is sent
 * to nobody). p is the committer, and its own view has not moved yet.
 */
static void siminv__quorum(struct sim *s, struct sim_peer *p,
			   uint32_t view_id, unsigned leader)
{
	struct sim_view *v = siminv__view(s, view_id);
	if (v == NULL || v->committed)
		return;
	v->committed = true;
	if (s->cuts_count == 0 || !simnet_cut_now(s, s->now_key))
		return;
	const struct peerset *before = NULL;
	const struct sim_view *prev = siminv__prev(s, view_id);
	if (prev != NULL)
		before = &prev->members;
	else if (p->installed)
		before = &p->members;
	else
		return;		/* a founding: no view before it */
	struct peerset side;
	peerset_clear(&side);
	peerset_add(&side, p->id);
	for (unsigned id = 1; id <= s->cfg.peers; id++)
		if (id != p->id && !simnet_blocked(s, p->id, id, s->now_key) &&
		    !simnet_blocked(s, id, p->id, s->now_key))
			peerset_add(&side, id);
	if (sim_quorum(before, &side))
		return;
	struct peerset with_oks = side;
	peerset_foreach(&p->ok_from, id) peerset_add(&with_oks, id);
	if (sim_quorum(before, &with_oks))
		return;
	char a[96], b[96], c[96];
	sim_fmt_set(a, sizeof(a), before);
	sim_fmt_set(b, sizeof(b), &side);
	sim_fmt_set(c, sizeof(c), &p->ok_from);
	sim_fail(s, "no-quorum-no-view",
		 "peer %u committed view %u [leader %u] during a partition: "
		 "its side [%s] holds no quorum of the view before [%s], nor "
		 "with the OKs it got since its last view [%s]", p->id,
		 (unsigned)view_id, leader, b, a, c);
}

/*
 * The first install of a view id is its leader's commit: judge the change
 * against the leader's own previous view.
 */
static void siminv__integrity(struct sim *s, struct sim_peer *p,
			      const struct line *l)
{
	if (!p->installed)
		return;
	struct peerset removed = p->members, added = l->members;
	peerset_subtract(&removed, &l->members);
	peerset_subtract(&added, &p->members);
	/* Also against the group's view just before, if someone installed
	 * it: a new leader that never saw it must not lose its changes. */
	const struct sim_view *prev = siminv__prev(s, l->view_id);
	if (prev != NULL) {
		struct peerset gone = prev->members;
		peerset_subtract(&gone, &l->members);
		peerset_foreach(&gone, id) peerset_add(&removed, id);
	}
	peerset_foreach(&removed, id) {
		if (s->tick_peer == p && peerset_has(&s->tick_watched, id) &&
		    !peerset_has(&p->m->fd.watched, id))
			continue;	/* its detector, in this very tick */
		if (!s->removable[id]) {
			sim_fail(s, "integrity/remove",
				 "view %u (leader %u) removes peer %u, which "
				 "neither crashed nor was declared dead by a "
				 "detector nor was the -t victim",
				 l->view_id, l->leader, id);
			return;
		}
	}
	peerset_foreach(&added, id) {
		if (!s->joined[id]) {
			sim_fail(s, "integrity/add",
				 "view %u (leader %u) adds peer %u, which never "
				 "sent JOIN", l->view_id, l->leader, id);
			return;
		}
		/* A new membership: it must fail anew to be removed. Not if
		 * the group's view just before held it already (a leader
		 * that missed that view adds it again): the membership, and
		 * any verdict on it, go on. */
		if (prev != NULL && peerset_has(&prev->members, id))
			continue;
		/* Removable at once if the life it admits is gone: the life
		 * that confirmed the ADD died before the view was made. */
		s->removable[id] = !s->peers[id].running ||
				   (s->peers[id].confirmed_life != 0 &&
				    s->peers[id].confirmed_life !=
					    s->peers[id].life);
	}
}

/*
 * A NEWVIEW announces a view: its sender must install exactly that view
 * (id, leader, members) itself, before or after sending it within the same
 * step, or receivers install a view nobody led. A sender killed inside the
 * send never gets to install it: that is a crash, not a lie.
 */
static bool siminv__is_installed(const struct sim_peer *p, uint32_t view_id,
				 unsigned leader, const struct peerset *members)
{
	return p->installed && p->view_id == view_id && p->leader == leader &&
	       peerset_equal(&p->members, members);
}

/*
 * Refounding: a later life of peer 1, started without its state, founds
 * view 0 because no host showed it a view within its probe (2T + A). The
 * run is counted, two ways:
 *   - the group died out: no running peer holds a view (every member died
 *     and came back without its state, or not at all), so no process
 *     remembers one, and nothing can contradict the new group. The record
 *     starts afresh (views, and every peer's log).
 *   - the group lived on: a running peer holds a view of it, or a
 *     message a member of it sent is still on its way (its sender may
 *     have died since; what a process wrote before it died is delivered),
 *     beyond a cut or a silence longer than the probe. This is the known limit: peer
 *     1's log goes back to view 0 (its log alone starts afresh), and the
 *     record is kept, so that a view id the new group decides with
 *     another list than the old one is seen. From then on a failure is
 *     counted by kind, not failed: agreement (a view id named two lists),
 *     liveness (the two groups did not end as one), other.
 */
/* Whether a message of a peer acting in a view (anything but a JOIN, a
 * joiner's REDIRECT or a refusal) is on its way over TCP, and will be
 * delivered: the group it was sent in still speaks, though its sender
 * may be dead by now (a connection closed cleanly delivers what it
 * held). founder: peer 1, whose earlier lives' messages are void. */
static bool siminv__group_in_flight(const struct sim *s, unsigned founder,
				    unsigned *from, uint32_t *view_id)
{
	for (size_t i = 0; i < s->heap_count; i++) {
		const struct sim_ev *ev = &s->heap[i];
		if (ev->kind != EV_TCP || ev->from == founder)
			continue;
		const struct sim_peer *p = &s->peers[ev->from];
		const struct sim_peer *q = &s->peers[ev->to];
		if (p->life != ev->from_life ||
		    (!p->running && !peerset_has(&p->fin_to, ev->to)) ||
		    !q->running || q->life != ev->to_life)
			continue;
		const struct wire_msg *msg = &s->slots[ev->arg].msg;
		if (msg->type == WIRE_JOIN ||
		    (msg->type == WIRE_REDIRECT && msg->leader == 0) ||
		    (msg->type == WIRE_OK && msg->op == WIRE_OP_REFUSE))
			continue;
		*from = ev->from;
		*view_id = msg->view_id;
		return true;
	}
	return false;
}

static bool siminv__refounding(struct sim *s, struct sim_peer *p,
			       const struct line *l)
{
	if (l->view_id != 0 || p->id != 1 || !p->forgot ||
	    s->views_count == 0)
		return false;
	p->log_any = false;
	for (unsigned id = 1; id <= s->cfg.peers; id++) {
		const struct sim_peer *q = &s->peers[id];
		if (id != p->id && q->running && q->installed) {
			s->stats.refounds_live++;
			simtrace_add(s, " | REFOUNDED while peer %u holds "
				     "view %u", id, (unsigned)q->view_id);
			/* Still no voter of the group that lives on. */
			return true;
		}
	}
	unsigned from;
	uint32_t view_id;
	if (siminv__group_in_flight(s, p->id, &from, &view_id)) {
		s->stats.refounds_live++;
		simtrace_add(s, " | REFOUNDED while a message of peer %u in "
			     "view %u is on its way", from, (unsigned)view_id);
		return true;
	}
	memset(s->views, 0, s->views_cap * sizeof(*s->views));
	s->views_count = 0;
	for (unsigned id = 1; id <= s->cfg.peers; id++)
		s->peers[id].log_any = false;
	s->stats.refounds++;
	return false;
}

static void siminv__on_view(struct sim *s, struct sim_peer *p,
			    const struct line *l)
{
	const struct mship *m = p->m;
	char a[256], b[256];
	/* Not the leader: the one a peer follows may be another than the
	 * view names (a new leader finishing an old leader's change keeps
	 * the old leader's name on that view). Agreement judges the name. */
	if (l->view_id != m->view_id ||
	    !peerset_equal(&l->members, &m->members)) {
		sim_fail(s, "output/state",
			 "peer %u printed view %u leader %u but holds view %u "
			 "leader %u", p->id, l->view_id, l->leader,
			 (unsigned)m->view_id, m->leader);
		return;
	}
	sim_fmt_set(a, sizeof(a), &l->members);
	if (!peerset_has(&l->members, p->id)) {
		sim_fail(s, "view/self", "peer %u installed view %u [%s] "
			 "without itself", p->id, l->view_id, a);
		return;
	}
	if (!peerset_has(&l->members, l->leader)) {
		sim_fail(s, "leader", "peer %u installed view %u whose leader "
			 "%u is not a member: [%s]", p->id, l->view_id,
			 l->leader, a);
		return;
	}
	bool apart = siminv__refounding(s, p, l);
	if (p->installed && l->view_id <= p->view_id) {
		sim_fail(s, "monotonic", "peer %u (life %u) installed view %u "
			 "after view %u", p->id, p->life, l->view_id,
			 (unsigned)p->view_id);
		return;
	}
	if (p->log_any && l->view_id < p->log_view_max) {
		sim_fail(s, "monotonic/log", "peer %u (life %u) printed view "
			 "%u after an earlier life printed view %u", p->id,
			 p->life, l->view_id, (unsigned)p->log_view_max);
		return;
	}
	if (!p->log_any || l->view_id > p->log_view_max)
		p->log_view_max = l->view_id;
	p->log_any = true;
	struct sim_view *v = siminv__view(s, l->view_id);
	if (v == NULL) {
		sim_fail(s, "view/range", "peer %u installed view id %u, past "
			 "%u distinct view ids", p->id, l->view_id,
			 SIM_VIEWS_MAX);
		return;
	}
	if (!v->set) {
		/* Judged first, as its commit, if nobody announced it. */
		siminv__quorum(s, p, l->view_id, l->leader);
		v->set = true;
		v->leader = l->leader;
		v->installer = p->id;
		v->leader_life = s->peers[l->leader].life;
		v->installer_life = p->life;
		v->at_ms = s->now_ms;
		v->members = l->members;
		s->stats.views++;
		siminv__integrity(s, p, l);
		const struct sim_view *before = siminv__prev(s, l->view_id);
		if (before != NULL) {
			struct peerset gone = before->members;
			peerset_subtract(&gone, &l->members);
			peerset_foreach(&gone, id) {
				const struct sim_peer *q = &s->peers[id];
				/* This life, running and in a view: not a
				 * restart's old life, nor a stopped one. */
				if (q->running && q->installed &&
				    q->frozen_until_ms <= s->now_ms)
					s->stats.removed_live++;
			}
		}
	} else if (v->leader != l->leader ||
		   !peerset_equal(&v->members, &l->members)) {
		sim_fmt_set(b, sizeof(b), &v->members);
		/* Which way it went tells the bugs apart: peer 1 restarted
		 * founds a group anew from view 0; otherwise the same list
		 * under another leader, or another list. */
		const struct sim_peer *first = &s->peers[v->installer];
		bool gone = !first->running || first->life != v->installer_life;
		const char *kind = gone ? "agreement/dead-leader-view"
					: "agreement/two-leaders";
		/* Refound: a later life of peer 1 leads one of the two,
		 * and (if it is this one) started after the other. */
		if ((v->leader == 1 && v->leader_life > 1) ||
		    (l->leader == 1 && s->peers[1].life > 1 &&
		     s->peers[1].started_ms > v->at_ms))
			kind = "agreement/refound";
		sim_fail(s, kind,
			 "view %u: peer %u installed leader %u [%s], but peer "
			 "%u installed leader %u [%s] at %lld ms",
			 l->view_id, p->id, l->leader, a, v->installer,
			 v->leader, b, (long long)v->at_ms);
		return;
	}
	/* A peer that left this peer's view is a new membership if back. */
	struct peerset gone = p->members;
	peerset_subtract(&gone, &l->members);
	peerset_subtract(&p->reported, &gone);
	p->installed = true;
	if (!apart)
		p->forgot = false;
	p->view_id = l->view_id;
	p->leader = l->leader;
	p->members = l->members;
	peerset_clear(&p->ok_from);
	/* A view announced and then installed is kept, even if the same
	 * step goes on to a later one (a new leader finishing the old
	 * leader's change, then making its own). */
	if (p->announced &&
	    siminv__is_installed(p, p->announced_view_id, p->announced_leader,
				 &p->announced_members))
		p->announced = false;
}

static void siminv__on_unreachable(struct sim *s, struct sim_peer *p,
				   const struct line *l)
{
	if (!p->installed || l->view_id != p->view_id) {
		sim_fail(s, "output/unreachable",
			 "peer %u reported peer %u in view %u, not its view",
			 p->id, l->subject, l->view_id);
		return;
	}
	if ((l->kind == LINE_LEADER_UNR) != (l->subject == l->leader)) {
		sim_fail(s, "output/unreachable",
			 "peer %u's line about peer %u says leader %u", p->id,
			 l->subject, l->leader);
		return;
	}
	if (l->subject == p->id || l->subject > s->cfg.peers ||
	    !peerset_has(&p->members, l->subject)) {
		sim_fail(s, "output/unreachable",
			 "peer %u reported peer %u, not another member of its "
			 "view %u", p->id, l->subject, l->view_id);
		return;
	}
	if (peerset_has(&p->reported, l->subject)) {
		sim_fail(s, "output/duplicate",
			 "peer %u reported peer %u unreachable twice in one "
			 "membership, not hearing it between", p->id,
			 l->subject);
		return;
	}
	peerset_add(&p->reported, l->subject);
	s->unreach_ms[l->subject] = s->now_ms;
	const struct sim_peer *q = &s->peers[l->subject];
	if (q->running && q->frozen_until_ms <= s->now_ms &&
	    !simnet_blocked(s, q->id, p->id, s->now_key) &&
	    !simnet_blocked(s, p->id, q->id, s->now_key))
		s->stats.lines_false++;
}

void siminv_on_print(struct sim *s, struct sim_peer *p, const char *line,
		     size_t len)
{
	s->cur_interesting = true;
	simtrace_add(s, " | prints %.*s", len > 0 ? (int)len - 1 : 0, line);
	struct line l;
	if (!parse_line(line, len, s->cfg.peers, &l)) {
		sim_fail(s, "output/format", "peer %u printed: %.*s", p->id,
			 (int)len, line);
		return;
	}
	if (l.peer_id != p->id) {
		sim_fail(s, "output/format", "peer %u printed peer_id %u",
			 p->id, l.peer_id);
		return;
	}
	switch (l.kind) {
	case LINE_VIEW:
		siminv__on_view(s, p, &l);
		return;
	case LINE_CRASHING:
		if (l.view_id != p->view_id)
			sim_fail(s, "output/crashing",
				 "peer %u crashed saying view %u, its view is %u",
				 p->id, l.view_id, (unsigned)p->view_id);
		return;
	case LINE_UNREACHABLE:
	case LINE_LEADER_UNR:
		siminv__on_unreachable(s, p, &l);
		return;
	}
}

void siminv_on_newview_sent(struct sim *s, struct sim_peer *p,
			    const struct wire_msg *m)
{
	siminv__quorum(s, p, m->view_id, m->leader);
	/* A restarted peer relays the view its state file holds: decided
	 * before, though this life never printed it; a leader finishing a
	 * predecessor's change that removes it installs nothing. */
	if (p->m->role == MSHIP_JOINING ||
	    !peerset_has(&m->members, p->id) ||
	    siminv__is_installed(p, m->view_id, m->leader, &m->members))
		return;
	p->announced = true;
	p->announced_view_id = m->view_id;
	p->announced_leader = m->leader;
	p->announced_members = m->members;
}

static void siminv__check_announced(struct sim *s, struct sim_peer *p)
{
	if (!p->announced)
		return;
	p->announced = false;
	if (siminv__is_installed(p, p->announced_view_id, p->announced_leader,
				 &p->announced_members))
		return;
	char a[256], b[256];
	sim_fmt_set(a, sizeof(a), &p->announced_members);
	sim_fmt_set(b, sizeof(b), &p->members);
	sim_fail(s, "newview/not-installed",
		 "peer %u sent NEWVIEW(v%u leader %u [%s]) but installed view "
		 "%u leader %u [%s]", p->id, (unsigned)p->announced_view_id,
		 p->announced_leader, a, (unsigned)p->view_id, p->leader, b);
}

/* ---- Per step ------------------------------------------------------------------ */

void siminv_check_peer(struct sim *s, struct sim_peer *p)
{
	const struct mship *m = p->m;
	siminv__check_announced(s, p);
	if (m->role == MSHIP_CRASHED) {
		sim_fail(s, "core/exit", "peer %u is CRASHED but never exited",
			 p->id);
		return;
	}
	if (m->role != MSHIP_MEMBER && m->role != MSHIP_LEADER)
		return;
	if (!p->installed || m->view_id != p->view_id ||
	    !peerset_equal(&m->members, &p->members)) {
		char a[256], b[256];
		sim_fmt_set(a, sizeof(a), &m->members);
		sim_fmt_set(b, sizeof(b), &p->members);
		sim_fail(s, "output/state",
			 "peer %u holds view %u [%s] but last printed view %u "
			 "[%s]", p->id, (unsigned)m->view_id, a,
			 (unsigned)p->view_id, b);
		return;
	}
	if (m->role == MSHIP_LEADER && m->leader != p->id)
		sim_fail(s, "core/state", "peer %u leads but names leader %u",
			 p->id, m->leader);
}

/* ---- At the end ------------------------------------------------------------------ */

static const char *role_name(enum mship_role r)
{
	switch (r) {
	case MSHIP_IDLE: return "IDLE";
	case MSHIP_JOINING: return "JOINING";
	case MSHIP_MEMBER: return "MEMBER";
	case MSHIP_LEADER: return "LEADER";
	case MSHIP_REMOVED: return "REMOVED";
	case MSHIP_CRASHED: return "CRASHED";
	}
	return "?";
}

/*
 * Whether the latest view any live peer knows (installed, or held in its
 * state file while it joins) is older than the group's latest, and it or
 * a view between it and the latest lacks a quorum alive: the views after
 * it were installed only by peers now dead, so no live peer can learn
 * them, and deciding them again needs a quorum of each. It is the same
 * limit as a majority of the latest view dead at once, some views back.
 */
static bool siminv__known_no_quorum(const struct sim *s,
				    const struct sim_view *latest,
				    const struct peerset *live)
{
	uint32_t known = 0;
	bool any = false;
	peerset_foreach(live, id) {
		const struct mship *m = s->peers[id].m;
		bool holds = m->role == MSHIP_MEMBER ||
			     m->role == MSHIP_LEADER ||
			     (m->role == MSHIP_JOINING && m->st.in_view) ||
			     (m->role == MSHIP_JOINING && m->removed_in > 0);
		uint32_t v = m->role == MSHIP_JOINING && !m->st.in_view
				     ? m->removed_in : m->view_id;
		if (holds && (!any || v > known)) {
			known = v;
			any = true;
		}
	}
	if (!any || known >= latest->id)
		return false;
	const struct sim_view *k = siminv__prev(s, known + 1);
	if (k == NULL || k->id != known)
		return false;
	/* The live peers decide each view after it again, in turn: a
	 * change is decided by a quorum of the view it is asked in and of
	 * the one it makes. One view on the way, the known one or a later
	 * one, without a quorum alive stops them there. */
	for (size_t i = 0; i < s->views_cap; i++) {
		const struct sim_view *v = &s->views[i];
		if (!v->used || !v->set || v->id < known || v->id > latest->id)
			continue;
		struct peerset up = v->members;
		peerset_foreach(&v->members, id) {
			if (!peerset_has(live, id))
				peerset_del(&up, id);
		}
		if (!sim_quorum(&v->members, &up))
			return true;
	}
	return false;
}

/*
 * Whether the latest view may have a successor that can never change: the
 * change accepted in it at the highest ballot among the live peers that
 * answer for it would make a view whose live members hold no quorum of it.
 * A correct core can then neither finish that change (the view it makes
 * needs the dead) nor drop it: it may have been decided, by peers now
 * dead, and a view decided stands. This is the quorum system's own limit
 * (docs/design.md, Known limits), with one exception the core must handle:
 * the leader that asked the change at that ballot, still in that round
 * and the change its own, knows it decided nothing (only it decides at its
 * ballot), and must give it up (mship__check_hopeless).
 */
static bool siminv__pending_no_quorum(const struct sim *s,
				      const struct sim_view *latest,
				      const struct peerset *live)
{
	const struct state *best = NULL;
	peerset_foreach(live, id) {
		const struct mship *m = s->peers[id].m;
		bool answers = m->role == MSHIP_MEMBER ||
			       m->role == MSHIP_LEADER ||
			       (m->role == MSHIP_JOINING && m->st.in_view);
		if (!answers || m->view_id != latest->id || !m->st.acc_set ||
		    m->st.acc_base != latest->id)
			continue;
		if (best == NULL || m->st.acc_ballot > best->acc_ballot)
			best = &m->st;
	}
	if (best == NULL)
		return false;
	struct peerset next = latest->members, up;
	struct wire_changes batch;
	wire_changes_join(&batch, (enum wire_op)best->acc_op, best->acc_peer,
			  &best->acc_more);
	wire_changes_apply(&batch, &next);
	up = next;
	peerset_foreach(&next, id) {
		if (!peerset_has(live, id))
			peerset_del(&up, id);
	}
	if (sim_quorum(&next, &up))
		return false;
	unsigned asker = BALLOT_LEADER(best->acc_ballot);
	if (asker >= 1 && asker <= s->cfg.peers && peerset_has(live, asker)) {
		const struct mship *l = s->peers[asker].m;
		if (l->role == MSHIP_LEADER && l->round_active &&
		    l->round_fresh && l->ballot == best->acc_ballot)
			return false;
	}
	return true;
}

void siminv_check_liveness(struct sim *s)
{
	struct peerset live, in_group, voters;
	peerset_clear(&live);
	peerset_clear(&in_group);
	peerset_clear(&voters);
	for (unsigned id = 1; id <= s->cfg.peers; id++) {
		const struct sim_peer *p = &s->peers[id];
		if (!p->running || p->m->role == MSHIP_REMOVED)
			continue;
		peerset_add(&live, id);
		/* A life that forgot its state holds no vote in the view
		 * that lists its id: alive, it is no member of it. */
		if (!p->forgot)
			peerset_add(&voters, id);
		if (p->m->role == MSHIP_MEMBER || p->m->role == MSHIP_LEADER)
			peerset_add(&in_group, id);
	}
	if (peerset_empty(&live)) {
		s->stats.extinct = true;
		return;
	}
	/* The primary side is the live members of the group's latest view,
	 * when they hold a quorum of it. When they do not (a majority died
	 * at once and stayed down), no side may decide anything: a correct
	 * core waits for ever, and there is nothing to converge to. */
	const struct sim_view *latest = siminv__prev(s, UINT32_MAX);
	if (latest != NULL) {
		struct peerset up = latest->members;
		peerset_foreach(&latest->members, id) {
			if (!peerset_has(&voters, id))
				peerset_del(&up, id);
		}
		if (!sim_quorum(&latest->members, &up) ||
		    siminv__known_no_quorum(s, latest, &voters)) {
			s->stats.no_quorum_left = true;
			return;
		}
		if (siminv__pending_no_quorum(s, latest, &voters)) {
			s->stats.pending_no_quorum = true;
			return;
		}
	}
	/* Only peer 1 founds a group: with no group left and peer 1 down
	 * (or removed, which is out for good too), joiners wait for it by
	 * design. */
	if (peerset_empty(&in_group) &&
	    (!s->peers[1].running || s->peers[1].m->role == MSHIP_REMOVED)) {
		s->stats.extinct = true;
		return;
	}
	if (peerset_empty(&in_group)) {
		unsigned id = peerset_first(&live);
		sim_fail(s, "liveness/stuck",
			 "no group at the end, though peer 1 runs; peer %u is "
			 "%s (JOIN goes to %u)", id,
			 role_name(s->peers[id].m->role),
			 s->peers[id].m->join_target);
		return;
	}
	char a[256], b[256];
	/* First whether the group split: that is the cause, and a joiner
	 * left out or a round left waiting is often only its effect. */
	unsigned ref = peerset_first(&in_group);
	const struct mship *r = s->peers[ref].m;
	peerset_foreach(&in_group, id) {
		const struct mship *m = s->peers[id].m;
		if (m->view_id == r->view_id && m->leader == r->leader &&
		    peerset_equal(&m->members, &r->members))
			continue;
		sim_fmt_set(a, sizeof(a), &m->members);
		sim_fmt_set(b, sizeof(b), &r->members);
		bool refound = s->peers[1].life > 1 &&
			       (m->leader == 1 || r->leader == 1);
		sim_fail(s, refound ? "liveness/refound" : "liveness/split",
			 "peer %u (%s) ends in view %u leader %u [%s], peer %u "
			 "(%s) in view %u leader %u [%s]", id,
			 role_name(m->role), (unsigned)m->view_id, m->leader, a,
			 ref, role_name(r->role), (unsigned)r->view_id,
			 r->leader, b);
		return;
	}
	/* The view they agree on must be the primary side's: no running
	 * peer, removed or not, went past it on a side of its own. */
	for (unsigned id = 1; id <= s->cfg.peers; id++) {
		const struct sim_peer *p = &s->peers[id];
		if (!p->running || !p->installed || p->view_id <= r->view_id)
			continue;
		sim_fmt_set(a, sizeof(a), &p->members);
		sim_fail(s, "liveness/minority-ahead",
			 "the group ends in view %u, but peer %u (%s) installed "
			 "view %u [%s] leader %u", (unsigned)r->view_id, id,
			 role_name(p->m->role), (unsigned)p->view_id, a,
			 p->leader);
		return;
	}
	/* With --rejoin, a peer left out is a member again, not quiet. */
	for (unsigned id = 1; id <= s->cfg.peers && s->opts.rejoin; id++) {
		const struct sim_peer *p = &s->peers[id];
		if (p->running && p->m->role == MSHIP_REMOVED) {
			sim_fail(s, "liveness/removed",
				 "peer %u ends removed although every peer "
				 "runs with --rejoin", id);
			return;
		}
	}
	unsigned leader = r->leader;
	const struct mship *l = s->peers[leader].m;
	if (!peerset_has(&in_group, leader) || l->role != MSHIP_LEADER) {
		sim_fail(s, "liveness/leader",
			 "the group ends in view %u led by %u, which is %s",
			 (unsigned)r->view_id, leader,
			 !s->peers[leader].running ? "down"
						   : role_name(l->role));
		return;
	}
	if (l->round_active || l->recon.active || l->queue_count > 0) {
		sim_fmt_set(a, sizeof(a), l->recon.active ? &l->recon.waiting
							  : &l->round_waiting);
		sim_fail(s, "liveness/unfinished",
			 "leader %u ends with %s %s %u (+%u) waiting on [%s], "
			 "%u queued", leader,
			 l->recon.active ? "a takeover" : l->round_active
							  ? "a round"
							  : "no round",
			 l->round_active ? wire_op_name(l->round.at[0].op)
					 : "-",
			 l->round_active ? l->round.at[0].peer : 0u,
			 l->round_active ? l->round.count - 1u : 0u, a,
			 l->queue_count);
		return;
	}
	peerset_foreach(&live, id) {
		const struct mship *m = s->peers[id].m;
		if (!peerset_has(&in_group, id)) {
			sim_fail(s, "liveness/stuck",
				 "peer %u is still %s at the end (JOIN goes "
				 "to %u)", id, role_name(m->role),
				 m->join_target);
			return;
		}
	}
	if (!peerset_equal(&r->members, &live)) {
		sim_fmt_set(a, sizeof(a), &r->members);
		sim_fmt_set(b, sizeof(b), &live);
		sim_fail(s, "liveness/members",
			 "the group ends in view %u [%s]; the live peers are "
			 "[%s]", (unsigned)r->view_id, a, b);
		return;
	}
	peerset_foreach(&live, id) {
		if (id != leader && s->peers[id].m->role == MSHIP_LEADER) {
			sim_fail(s, "liveness/leader",
				 "peer %u is LEADER at the end; the view's "
				 "leader is %u", id, leader);
			return;
		}
	}
	int64_t since = s->end_ms - 10 * (int64_t)s->cfg.heartbeat_ms;
	peerset_foreach(&live, id) {
		if (s->unreach_ms[id] >= since) {
			sim_fail(s, "liveness/flapping",
				 "peer %u is live and in the view, yet was "
				 "reported unreachable at %lld ms, within the "
				 "last 10T", id, (long long)s->unreach_ms[id]);
			return;
		}
	}
}
