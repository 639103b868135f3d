/*
 * The simulator's driver: a seed becomes a run, a run is judged.
 *
 * From one 64-bit seed come the group's size, the heartbeat period, the
 * network's delays, loss and duplication, who runs with -c or -t, when each
 * peer starts (peer 1 first), and a schedule of faults: kill -9 of any
 * peer or of the leader at a random moment, kill -9 at a protocol step
 * (inside a send after only some recipients got it, or on receiving a
 * message), restarts of crashed peers as fresh processes (given back what
 * their last life saved, unless --amnesia), and partitions (sim.h, struct
 * sim_cut). The event loop then jumps the virtual clock from event to
 * event: the next message delivery, fault, or a core's own deadline.
 * After the last fault (a heal included) the group gets a quiet spell,
 * then liveness is judged. See sim.h for the files.
 *
 *   rollcall-sim --seed N [options]          one run, with its trace
 *   rollcall-sim --seeds N [--base B] [...]  N runs, one line per failure
 *   rollcall-sim --regressions FILE          the runs listed in FILE
 */
#include "sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/bounds.h"

/* ---- A seed's configuration and fault plan ------------------------------- */

/* One line for every seed run, unless --failures-only. */
static bool print_passes = true;

/* A fault at an exact key (a cut's ends, which the network reads too). */
static void sim__add_fault_key(struct sim *s, const struct sim_fault *f,
			       int64_t key)
{
	if (s->faults_count == s->faults_cap) {
		size_t cap = s->faults_cap ? 2 * s->faults_cap : 64;
		struct sim_fault *n = realloc(s->faults, cap * sizeof(*n));
		if (n == NULL) {
			fprintf(stderr, "sim: out of memory\n");
			exit(3);
		}
		s->faults = n;
		s->faults_cap = cap;
	}
	s->faults[s->faults_count] = *f;
	sim_push(s, key, EV_FAULT, 0, 0, (uint32_t)s->faults_count);
	s->faults_count++;
}

/* A random place inside a millisecond. */
static int64_t sim__sub_key(struct rng *r)
{
	return (int64_t)rng_below(r, (uint64_t)1 << SIM_SUB_BITS);
}

/* A fault at its millisecond, at a random place inside it. */
static void sim__add_fault(struct sim *s, const struct sim_fault *f)
{
	sim__add_fault_key(s, f, SIM_KEY(f->at_ms) + sim__sub_key(&s->rng_sched));
}

static void sim__configure(struct sim *s, uint64_t seed)
{
	const struct sim_opts *o = &s->opts;
	struct sim_cfg *c = &s->cfg;
	struct rng r;
	rng_seed(&r, seed, 0);
	rng_seed(&s->rng_fault, seed, 1);
	rng_seed(&s->rng_net, seed, 2);
	rng_seed(&s->rng_sched, seed, 3);
	c->seed = seed;
	c->peers = o->peers;
	if (c->peers == 0)
		c->peers = rng_chance(&r, 0.3) ? 5 : (unsigned)rng_range(&r, 3, 8);
	static const uint32_t periods[] = { 100, 200, 500, 1000, 1000, 1000 };
	c->heartbeat_ms = o->heartbeat_ms;
	if (c->heartbeat_ms == 0)
		c->heartbeat_ms = periods[rng_below(&r, 6)];
	c->delay_min_ms = 1;
	c->delay_max_ms = o->delay_max_ms ? o->delay_max_ms
					  : rng_range(&r, 2, 20);
	/* A quarter of the seeds lose nothing: bugs that need no false
	 * suspicion then show without it. */
	if (o->loss >= 0)
		c->udp_loss = o->loss;
	else if (rng_chance(&r, 0.25))
		c->udp_loss = 0;
	else
		c->udp_loss = o->loss_max * (double)rng_below(&r, 1001) / 1000;
	c->udp_dup = o->dup_max * (double)rng_below(&r, 1001) / 1000;
	c->lossy_peer = o->lossy_peer <= c->peers ? o->lossy_peer : 0;
	c->lossy_out = o->lossy_out;
	c->tcp_tail = o->tcp_tail ? 0.01 : 0;
	c->restart_chance = o->restarts ? 0.6 : 0;
	c->tflag = o->tflag && c->peers >= 3 && rng_chance(&r, 0.15);
	int64_t t = c->heartbeat_ms;
	if (o->faults >= 0)
		c->faults_planned = (unsigned)o->faults;
	else if (c->peers > 16)
		c->faults_planned = c->peers / 2;
	else
		c->faults_planned = (unsigned)rng_below(&r, c->peers + 3);
	c->window_start_ms = 0;
	c->window_ms = 12 * t;
	if (c->peers > 16) {
		/* A large group: let it form first (one join per round, a
		 * few ms each), then churn. */
		c->window_start_ms = (int64_t)c->peers * 40;
		c->window_ms = c->window_start_ms + 40 * t;
	}
	c->quiet_ms = (int64_t)o->quiet_t * t + 5 * BACKOFF_MAX_MS;
	/* Loss is a fault too: it stops with the others, so that liveness
	 * can be judged on a network that no longer misleads detectors. */
	c->loss_until_ms = o->loss_forever ? INT64_MAX : c->window_ms;
}

/*
 * Partitions, from a stream of their own (--no-partitions leaves the rest
 * of a seed's plan as it was): 0..partitions_max cuts, each beginning in
 * the fault window and lasting T..20T, so that several often overlap.
 * The side cut off is peer 1 alone (the founder, so most often the
 * leader) in 3 of 10, else any proper subset; it is cut both ways in
 * half of them, else only its packets out, or only those in.
 */
static void sim__plan_cuts(struct sim *s)
{
	const struct sim_cfg *c = &s->cfg;
	unsigned max = s->opts.partitions_max;
	if (max == 0 || c->peers < 2)
		return;
	struct rng r;
	rng_seed(&r, c->seed, 8);
	int64_t t = c->heartbeat_ms;
	unsigned n = (unsigned)rng_below(&r, max + 1);
	for (unsigned i = 0; i < n && s->cuts_count < SIM_CUTS_MAX; i++) {
		struct sim_cut *cut = &s->cuts[s->cuts_count];
		peerset_clear(&cut->side);
		if (rng_chance(&r, 0.3)) {
			peerset_add(&cut->side, 1);
		} else {
			/* k of the peers, each as likely: a partial shuffle. */
			unsigned k = (unsigned)rng_range(&r, 1, c->peers - 1);
			unsigned left = c->peers;
			for (unsigned id = 1; id <= c->peers; id++, left--) {
				if (rng_below(&r, left) < k) {
					peerset_add(&cut->side, id);
					k--;
				}
			}
		}
		unsigned d = (unsigned)rng_below(&r, 4);
		cut->dir = d < 2 ? CUT_BOTH : d == 2 ? CUT_OUT : CUT_IN;
		int64_t at = rng_range(&r, c->window_start_ms, c->window_ms);
		int64_t len = rng_range(&r, t, 20 * t);
		cut->start_key = SIM_KEY(at) + sim__sub_key(&r);
		cut->end_key = SIM_KEY(at + len) + sim__sub_key(&r);
		struct sim_fault f;
		memset(&f, 0, sizeof(f));
		f.kind = FAULT_CUT;
		f.at_ms = at;
		f.for_ms = len;
		f.peer = s->cuts_count;
		sim__add_fault_key(s, &f, cut->start_key);
		f.kind = FAULT_HEAL;
		f.at_ms = at + len;
		sim__add_fault_key(s, &f, cut->end_key);
		s->cuts_count++;
	}
}

static void sim__plan(struct sim *s)
{
	const struct sim_cfg *c = &s->cfg;
	struct rng r;
	rng_seed(&r, c->seed, 4);
	int64_t t = c->heartbeat_ms;
	/* Peer 1 first; the others at random times, sometimes all at once. */
	int64_t spread = rng_chance(&r, 0.2) ? 20 : 3 * t;
	for (unsigned id = 1; id <= c->peers; id++) {
		struct sim_peer *p = &s->peers[id];
		p->first_crash_ms = -1;
		/* -c on a tenth of the peers, or on about two of a large
		 * group: each crash stalls a round for 2T. */
		double c_chance = c->peers > 20 ? 2.0 / c->peers : 0.1;
		if (s->opts.cflag && rng_chance(&r, c_chance))
			p->first_crash_ms = rng_range(&r, 0, 8 * t);
		struct sim_fault f = {
			.at_ms = id == 1 ? 0 : rng_range(&r, 1, spread),
			.kind = FAULT_START,
			.peer = id,
		};
		sim__add_fault(s, &f);
	}
	static const struct {
		enum sim_trigger_kind kind;
		enum wire_type type;
		int role;
		bool recon;
	} steps[] = {
		{ TRIG_SEND, WIRE_NEWVIEW, MSHIP_LEADER, false },
		{ TRIG_SEND, WIRE_REQ, MSHIP_LEADER, false },
		{ TRIG_RECV_AFTER, WIRE_OK, MSHIP_LEADER, false },
		{ TRIG_SEND, WIRE_NEWLEADER, MSHIP_LEADER, false },
		{ TRIG_RECV_AFTER, WIRE_OK, MSHIP_LEADER, true },
		{ TRIG_RECV_BEFORE, WIRE_NEWLEADER, MSHIP_MEMBER, false },
		{ TRIG_SEND, WIRE_OK, MSHIP_MEMBER, false },
		{ TRIG_RECV_BEFORE, WIRE_REQ, MSHIP_MEMBER, false },
		{ TRIG_RECV_AFTER, WIRE_NEWVIEW, -1, false },
		{ TRIG_RECV_AFTER, WIRE_JOIN, MSHIP_LEADER, false },
		{ TRIG_SEND, WIRE_REDIRECT, MSHIP_MEMBER, false },
	};
	unsigned nsteps = sizeof(steps) / sizeof(steps[0]);
	for (unsigned i = 0; i < c->faults_planned; i++) {
		struct sim_fault f;
		memset(&f, 0, sizeof(f));
		f.at_ms = rng_range(&r, c->window_start_ms, c->window_ms);
		unsigned pick = (unsigned)rng_below(&r, 10);
		/* Large groups: fewer leader kills, each costs a takeover. */
		unsigned any = c->peers > 16 ? 6 : 3;
		unsigned leader = c->peers > 16 ? 7 : 5;
		if (pick < any) {
			f.kind = FAULT_CRASH_ANY;
		} else if (pick < leader) {
			f.kind = FAULT_CRASH_LEADER;
		} else if (!s->opts.partial) {
			f.kind = FAULT_CRASH_ANY;
		} else {
			unsigned k = (unsigned)rng_below(&r, nsteps);
			f.kind = FAULT_ARM;
			f.trig.kind = steps[k].kind;
			f.trig.type = steps[k].type;
			f.trig.role = steps[k].role;
			f.trig.recon = steps[k].recon;
			f.trig.until_ms = f.at_ms + rng_range(&r, t, 8 * t);
			if (f.trig.until_ms > c->window_ms)
				f.trig.until_ms = c->window_ms;
		}
		sim__add_fault(s, &f);
	}
	/* Stops (SIGSTOP) of T to 4T, from a stream of their own so that
	 * --freeze leaves the rest of a seed's plan as it was. */
	if (s->opts.freeze) {
		struct rng fr;
		rng_seed(&fr, c->seed, 7);
		unsigned n = 1 + (unsigned)rng_below(&fr, 3);
		for (unsigned i = 0; i < n; i++) {
			struct sim_fault f;
			memset(&f, 0, sizeof(f));
			f.kind = FAULT_FREEZE;
			f.at_ms = rng_range(&fr, c->window_start_ms, c->window_ms);
			f.for_ms = rng_range(&fr, t, 4 * t);
			sim__add_fault(s, &f);
		}
	}
	sim__plan_cuts(s);
}

/* ---- Faults ---------------------------------------------------------------- */

static void sim__faulted(struct sim *s)
{
	s->stats.faults++;
	s->last_fault_ms = s->now_ms;
	if (s->end_ms < s->now_ms + s->cfg.quiet_ms)
		s->end_ms = s->now_ms + s->cfg.quiet_ms;
}

/* A peer died (killed or exited): maybe it comes back, as a new process. */
void sim_on_death(struct sim *s, struct sim_peer *p)
{
	sim__faulted(s);
	if (s->now_ms > s->cfg.window_ms || (p->id == 1 && !s->opts.restart_1) ||
	    !rng_chance(&s->rng_fault, s->cfg.restart_chance))
		return;
	int64_t t = s->cfg.heartbeat_ms;
	struct sim_fault f = {
		.at_ms = s->now_ms + rng_range(&s->rng_fault, 200, 200 + 6 * t),
		.kind = FAULT_RESTART,
		.peer = p->id,
	};
	sim__add_fault(s, &f);
	if (s->end_ms < f.at_ms + s->cfg.quiet_ms)
		s->end_ms = f.at_ms + s->cfg.quiet_ms;
}

/* A random running peer with the given role (-1: any), or NULL. */
static struct sim_peer *sim__pick(struct sim *s, int role)
{
	unsigned n = 0;
	for (unsigned id = 1; id <= s->cfg.peers; id++) {
		const struct sim_peer *p = &s->peers[id];
		if (p->running && (role < 0 || (int)p->m->role == role))
			n++;
	}
	if (n == 0)
		return NULL;
	unsigned k = (unsigned)rng_below(&s->rng_fault, n);
	for (unsigned id = 1; id <= s->cfg.peers; id++) {
		struct sim_peer *p = &s->peers[id];
		if (p->running && (role < 0 || (int)p->m->role == role) &&
		    k-- == 0)
			return p;
	}
	return NULL;
}

static const char *trig_name(enum sim_trigger_kind k)
{
	return k == TRIG_SEND ? "sending" : k == TRIG_RECV_BEFORE
						    ? "on getting"
						    : "after getting";
}

static const char *trig_who(const struct sim_trigger *t)
{
	if (t->role == MSHIP_LEADER)
		return t->recon ? "reconciling leader" : "leader";
	return t->role == MSHIP_MEMBER ? "member" : "peer";
}

static void sim__fault(struct sim *s, const struct sim_fault *f)
{
	struct sim_peer *p;
	switch (f->kind) {
	case FAULT_START:
		sim_peer_start(s, f->peer);
		return;
	case FAULT_RESTART:
		p = &s->peers[f->peer];
		if (p->running)
			return;
		s->stats.restarts++;
		sim_peer_start(s, f->peer);
		sim__faulted(s);
		return;
	case FAULT_CRASH_ANY:
	case FAULT_CRASH_LEADER:
		p = sim__pick(s, f->kind == FAULT_CRASH_LEADER ? MSHIP_LEADER
							       : -1);
		if (p == NULL)
			return;
		simtrace_begin(s, NULL, true, "FAULT");
		sim_peer_kill(s, p, f->kind == FAULT_CRASH_LEADER ? "the leader"
								  : "now");
		simtrace_end(s);
		return;
	case FAULT_FREEZE:
		p = sim__pick(s, -1);
		if (p == NULL)
			return;
		p->frozen_until_ms = s->now_ms + f->for_ms;
		simtrace_begin(s, NULL, true, "FAULT | STOPPED %u for %lld ms",
			       p->id, (long long)f->for_ms);
		simtrace_end(s);
		sim__faulted(s);
		return;
	case FAULT_CUT:
	case FAULT_HEAL: {
		const struct sim_cut *cut = &s->cuts[f->peer];
		char side[96];
		sim_fmt_set(side, sizeof(side), &cut->side);
		if (f->kind == FAULT_CUT) {
			s->stats.cuts++;
			simtrace_begin(s, NULL, true,
				       "FAULT | CUT #%u: [%s] %s, for %lld ms",
				       f->peer, side,
				       cut->dir == CUT_BOTH
					       ? "from the rest, both ways"
				       : cut->dir == CUT_OUT
					       ? "cannot reach the rest"
					       : "cannot hear the rest",
				       (long long)f->for_ms);
		} else {
			simtrace_begin(s, NULL, true, "FAULT | HEAL #%u: [%s]",
				       f->peer, side);
		}
		simtrace_end(s);
		sim__faulted(s);
		return;
	}
	case FAULT_ARM:
		if (s->triggers_count == SIM_TRIGGERS_MAX)
			return;
		s->triggers[s->triggers_count++] = f->trig;
		if (s->opts.verbose) {
			simtrace_begin(s, NULL, true,
				       "ARM: kill a %s %s %s, until %lld",
				       trig_who(&f->trig), trig_name(f->trig.kind),
				       wire_type_name(f->trig.type),
				       (long long)f->trig.until_ms);
			simtrace_end(s);
		}
		return;
	}
}

/* ---- One run ----------------------------------------------------------------- */

struct sim_result {
	uint64_t seed;
	bool failed;
	char kind[48];
	char violation[1024];
	struct sim_stats stats;
	unsigned peers;
};

static void sim__describe(const struct sim *s)
{
	const struct sim_cfg *c = &s->cfg;
	printf("  config: %u peers, T=%u ms, TCP/UDP delay %lld..%lld ms%s, "
	       "UDP loss %.1f%% dup %.1f%%%s; %u planned faults in %lld.."
	       "%lld ms, quiet %lld ms; end at %lld ms\n",
	       c->peers, (unsigned)c->heartbeat_ms, (long long)c->delay_min_ms,
	       (long long)c->delay_max_ms,
	       c->tcp_tail > 0 ? " (+TCP stalls)" : "", 100 * c->udp_loss,
	       100 * c->udp_dup, c->tflag ? ", peer 1 with -t" : "",
	       c->faults_planned, (long long)c->window_start_ms,
	       (long long)c->window_ms,
	       (long long)c->quiet_ms, (long long)s->end_ms);
	for (unsigned id = 1; id <= c->peers; id++)
		if (s->peers[id].first_crash_ms >= 0)
			printf("  peer %u runs with -c %lld ms\n", id,
			       (long long)s->peers[id].first_crash_ms);
	for (unsigned i = 0; i < s->cuts_count; i++) {
		const struct sim_cut *cut = &s->cuts[i];
		char side[96];
		sim_fmt_set(side, sizeof(side), &cut->side);
		printf("  cut #%u: [%s] %s, %lld..%lld ms\n", i, side,
		       cut->dir == CUT_BOTH ? "both ways"
		       : cut->dir == CUT_OUT ? "its packets out dropped"
					     : "packets to it dropped",
		       (long long)SIM_MS(cut->start_key),
		       (long long)SIM_MS(cut->end_key));
	}
	if (c->peers > 16) {
		unsigned n[7] = { 0 };
		struct peerset leaders;
		peerset_clear(&leaders);
		for (unsigned id = 1; id <= c->peers; id++) {
			const struct sim_peer *p = &s->peers[id];
			unsigned k = !p->life ? 0 : !p->running ? 1
				     : p->m->role == MSHIP_REMOVED ? 2
				     : p->m->role == MSHIP_JOINING ? 3
				     : p->m->role == MSHIP_LEADER ? 4 : 5;
			n[k]++;
			if (k == 4)
				peerset_add(&leaders, id);
		}
		char set[96];
		sim_fmt_set(set, sizeof(set), &leaders);
		printf("  the end: %u down, %u removed, %u joining, %u members, "
		       "leaders [%s]\n", n[0] + n[1], n[2], n[3], n[5], set);
		return;
	}
	printf("  the end: ");
	for (unsigned id = 1; id <= c->peers; id++) {
		const struct sim_peer *p = &s->peers[id];
		const char *st = !p->life ? "never started"
				 : p->exited ? "exited"
				 : p->killed ? "killed"
				 : p->m->role == MSHIP_REMOVED ? "removed"
				 : p->m->role == MSHIP_JOINING ? "joining"
				 : p->m->role == MSHIP_LEADER ? "leader"
							      : "member";
		printf("%s%u:%s/v%u", id > 1 ? ", " : "", id, st,
		       p->life ? (unsigned)p->m->view_id : 0);
	}
	printf("\n");
}

static void sim__run(struct sim *s)
{
	sim__plan(s);
	s->end_ms = s->cfg.window_ms + s->cfg.quiet_ms;
	struct sim_ev ev;
	while ((!s->failed || s->opts.keep_going) && sim_pop(s, &ev)) {
		if (SIM_MS(ev.key) > s->end_ms) {
			break;
		}
		s->now_key = ev.key;
		s->now_ms = SIM_MS(ev.key);
		s->stats.events++;
		if (s->stats.events > SIM_EVENTS_MAX) {
			sim_fail(s, "livelock", "more than %llu events",
				 (unsigned long long)SIM_EVENTS_MAX);
			break;
		}
		switch (ev.kind) {
		case EV_TCP:
		case EV_UDP:
		case EV_TICK:
			/* A stopped peer runs nothing: it all waits. */
			if (s->peers[ev.to].frozen_until_ms > s->now_ms) {
				sim_repush(s, &ev, SIM_KEY(
					s->peers[ev.to].frozen_until_ms));
				break;
			}
			if (ev.kind == EV_TICK)
				sim_tick(s, &ev);
			else
				sim_deliver(s, &ev);
			break;
		case EV_FAULT: {
			/* A copy: a fault can plan another (a restart), which
			 * may move the array. */
			struct sim_fault f = s->faults[ev.arg];
			sim__fault(s, &f);
			break;
		}
		}
	}
	if (!s->failed) {
		s->now_ms = s->end_ms;
		siminv_check_liveness(s);
	}
}

static void sim__opts_str(const struct sim_opts *o, char *buf, size_t cap);

static void run_seed(const struct sim_opts *o, uint64_t seed, bool detail,
		     struct sim_result *res)
{
	struct sim *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		fprintf(stderr, "sim: out of memory\n");
		exit(3);
	}
	s->opts = *o;
	s->trace_live = o->verbose > 0;
	sim__configure(s, seed);
	simnet_create(s);
	siminv_create(s);
	sim__run(s);
	s->stats.member_ms = (uint64_t)s->cfg.peers * (uint64_t)s->now_ms;
	s->stats.loss = s->cfg.udp_loss;
	memset(res, 0, sizeof(*res));
	res->seed = seed;
	res->failed = s->failed;
	res->stats = s->stats;
	res->peers = s->cfg.peers;
	snprintf(res->kind, sizeof(res->kind), "%s", s->kind);
	snprintf(res->violation, sizeof(res->violation), "%s", s->violation);
	if (detail) {
		char stats[320];
		snprintf(stats, sizeof(stats),
			 "%llu events, %u peers, %u faults, %u kills, %u exits, "
			 "%u restarts, %u cuts, %u suspicions, %u views, "
			 "%u state saves, TCP across cuts %llu held %llu lost%s",
			 (unsigned long long)s->stats.events, s->cfg.peers,
			 s->stats.faults, s->stats.kills, s->stats.exits,
			 s->stats.restarts, s->stats.cuts, s->stats.suspicions,
			 s->stats.views, s->stats.saves,
			 (unsigned long long)s->stats.cut_held,
			 (unsigned long long)s->stats.cut_lost,
			 s->stats.extinct ? ", group extinct"
			 : s->stats.no_quorum_left ? ", no quorum left"
			 : s->stats.pending_no_quorum
				 ? ", a pending change without a live quorum"
				 : "");
		if (s->failed) {
			char opts[256];
			sim__opts_str(o, opts, sizeof(opts));
			printf("seed %llu: FAIL %s at %lld ms: %s\n",
			       (unsigned long long)seed, s->kind,
			       (long long)s->fail_ms, s->violation);
			printf("  run: %s\n", stats);
			sim__describe(s);
			if (o->keep_going)
				printf("  (--keep-going: the trace is the run's "
				       "end, not the violation's)\n");
			simtrace_print(s);
			printf("  replay: %s --seed %llu%s\n",
			       "build/tests/rollcall-sim",
			       (unsigned long long)seed, opts);
		} else {
			printf("seed %llu: ok (%s)\n", (unsigned long long)seed,
			       stats);
			if (o->verbose)
				sim__describe(s);
		}
	}
	free(s->faults);
	simnet_destroy(s);
	siminv_destroy(s);
	free(s);
}

/* ---- Options ---------------------------------------------------------------- */

static void sim__opts_default(struct sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->loss_max = 0.2;
	o->loss = -1;
	o->dup_max = 0.02;
	o->faults = -1;
	o->restart_1 = true;
	o->tflag = true;
	o->cflag = true;
	o->restarts = true;
	o->partial = true;
	o->quiet_t = 10;
	o->partitions_max = 3;
}

/* The options that differ from the defaults, as a command line suffix. */
static void sim__opts_str(const struct sim_opts *o, char *buf, size_t cap)
{
	struct sim_opts d;
	sim__opts_default(&d);
	size_t len = 0;
	buf[0] = '\0';
#define ADD(...) \
	len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, __VA_ARGS__)
	if (o->peers)
		ADD(" --peers %u", o->peers);
	if (o->heartbeat_ms)
		ADD(" --heartbeat-ms %u", (unsigned)o->heartbeat_ms);
	if (o->loss >= 0)
		ADD(" --loss %g", o->loss);
	if (o->loss_max != d.loss_max)
		ADD(" --loss-max %g", o->loss_max);
	if (o->dup_max != d.dup_max)
		ADD(" --dup-max %g", o->dup_max);
	if (o->delay_max_ms)
		ADD(" --delay-max %lld", (long long)o->delay_max_ms);
	if (o->faults >= 0)
		ADD(" --faults %d", o->faults);
	if (!o->restart_1)
		ADD(" --no-restart-1");
	if (!o->tflag)
		ADD(" --no-t");
	if (!o->cflag)
		ADD(" --no-c");
	if (!o->restarts)
		ADD(" --no-restarts");
	if (!o->partial)
		ADD(" --no-partial");
	if (o->tcp_tail)
		ADD(" --tcp-tail");
	if (o->loss_forever)
		ADD(" --loss-forever");
	if (o->lossy_peer)
		ADD(" --lossy-peer %u", o->lossy_peer);
	if (o->lossy_out)
		ADD(" --lossy-out");
	if (o->freeze)
		ADD(" --freeze");
	if (o->rejoin)
		ADD(" --rejoin");
	if (o->partitions_max == 0)
		ADD(" --no-partitions");
	else if (o->partitions_max != d.partitions_max)
		ADD(" --partitions-max %u", o->partitions_max);
	if (o->amnesia)
		ADD(" --amnesia");
	if (o->keep_going)
		ADD(" --keep-going");
	if (o->quiet_t != d.quiet_t)
		ADD(" --quiet-t %u", o->quiet_t);
#undef ADD
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rollcall-sim (--seed N | --seeds N [--base B] | "
		"--regressions FILE | --self-test) [options]\n"
		"  --peers N          group size (default: per seed, 3..8)\n"
		"  --heartbeat-ms T   heartbeat period (default: per seed)\n"
		"  --loss P           UDP loss for every seed (0..1)\n"
		"  --loss-max P       UDP loss per seed in [0, P] (0.2)\n"
		"  --dup-max P        UDP duplication per seed in [0, P] (0.02)\n"
		"  --delay-max MS     message delay 1..MS (default: per seed)\n"
		"  --faults N         planned faults (default: per seed)\n"
		"  --no-restart-1     never restart peer 1\n"
		"  --no-t, --no-c     never run -t, -c\n"
		"  --no-restarts      never restart a crashed peer\n"
		"  --no-partial       no crash at a protocol step\n"
		"  --tcp-tail         1%% of TCP messages stall 50..400 ms\n"
		"  --loss-forever     UDP loss goes on after the faults stop\n"
		"  --lossy-peer ID    the UDP loss only on datagrams from or to\n"
		"                     peer ID (one peer's link is lossy)\n"
		"  --lossy-out        with --lossy-peer: only on those it sends\n"
		"  --keep-going       run to the end after the first violation\n"
		"  --failures-only    print a line for failing seeds only\n"
		"  --known FILE       failures of the runs FILE lists are known\n"
		"  --known-kind K     failures of kinds starting with K are known\n"
		"                     limits, reported but not failed\n"
		"  --freeze           also stop peers for T..4T (SIGSTOP)\n"
		"  --rejoin           every peer runs with --rejoin\n"
		"  --no-partitions    no network partitions\n"
		"  --partitions-max N partitions per seed, 0..N (3, at most %d)\n"
		"  --amnesia          a restarted peer forgets its saved state\n"
		"  --quiet-t N        quiet spell, in T (+10 s) (10)\n"
		"  --jobs N           run seeds in N processes\n"
		"  -v, -vv            trace every event (one seed)\n",
		SIM_CUTS_MAX);
	exit(2);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0') {
		fprintf(stderr, "rollcall-sim: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static double parse_p(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || v < 0 || v > 1) {
		fprintf(stderr, "rollcall-sim: bad %s (0..1): %s\n", what, s);
		exit(2);
	}
	return v;
}

struct sim_args {
	struct sim_opts o;
	bool one;
	uint64_t seed, seeds, base;
	const char *regressions;
	const char *known;	/* --known: failures expected, listed */
	bool self_test;		/* --self-test: the model's own cases */
	unsigned jobs;
};

/* --known-kind PREFIX: failures of kinds starting so are known limits. */
static const char *known_kind;

/* Returns how many arguments it took, 0 if argv[0] is not an option. */
static int parse_opt(struct sim_args *a, int argc, char **argv)
{
	const char *k = argv[0];
	const char *v = argc > 1 ? argv[1] : NULL;
	struct sim_opts *o = &a->o;
#define NEEDS() do { if (v == NULL) usage(); } while (0)
	if (!strcmp(k, "--seed")) {
		NEEDS();
		a->one = true;
		a->seed = parse_u64(v, "seed");
	} else if (!strcmp(k, "--seeds")) {
		NEEDS();
		a->seeds = parse_u64(v, "seed count");
	} else if (!strcmp(k, "--base")) {
		NEEDS();
		a->base = parse_u64(v, "base seed");
	} else if (!strcmp(k, "--self-test")) {
		a->self_test = true;
		return 1;
	} else if (!strcmp(k, "--regressions")) {
		NEEDS();
		a->regressions = v;
	} else if (!strcmp(k, "--known")) {
		NEEDS();
		a->known = v;
	} else if (!strcmp(k, "--known-kind")) {
		NEEDS();
		known_kind = v;
	} else if (!strcmp(k, "--jobs")) {
		NEEDS();
		a->jobs = (unsigned)parse_u64(v, "jobs");
	} else if (!strcmp(k, "--peers")) {
		NEEDS();
		o->peers = (unsigned)parse_u64(v, "peers");
		if (o->peers < 1 || o->peers > SIM_PEERS_MAX)
			usage();
	} else if (!strcmp(k, "--heartbeat-ms")) {
		NEEDS();
		o->heartbeat_ms = (uint32_t)parse_u64(v, "heartbeat");
		if (o->heartbeat_ms < 10 || o->heartbeat_ms > 60000)
			usage();
	} else if (!strcmp(k, "--loss")) {
		NEEDS();
		o->loss = parse_p(v, "loss");
	} else if (!strcmp(k, "--loss-max")) {
		NEEDS();
		o->loss_max = parse_p(v, "loss");
	} else if (!strcmp(k, "--dup-max")) {
		NEEDS();
		o->dup_max = parse_p(v, "duplication");
	} else if (!strcmp(k, "--delay-max")) {
		NEEDS();
		o->delay_max_ms = (int64_t)parse_u64(v, "delay");
		if (o->delay_max_ms < 1)
			usage();
	} else if (!strcmp(k, "--faults")) {
		NEEDS();
		o->faults = (int)parse_u64(v, "faults");
	} else if (!strcmp(k, "--partitions-max")) {
		NEEDS();
		o->partitions_max = (unsigned)parse_u64(v, "partitions");
		if (o->partitions_max > SIM_CUTS_MAX)
			usage();
	} else if (!strcmp(k, "--lossy-peer")) {
		NEEDS();
		o->lossy_peer = (unsigned)parse_u64(v, "lossy peer");
		if (o->lossy_peer < 1 || o->lossy_peer > SIM_PEERS_MAX)
			usage();
	} else if (!strcmp(k, "--quiet-t")) {
		NEEDS();
		o->quiet_t = (unsigned)parse_u64(v, "quiet");
	} else {
		v = NULL;
		if (!strcmp(k, "--no-restart-1"))
			o->restart_1 = false;
		else if (!strcmp(k, "--no-t"))
			o->tflag = false;
		else if (!strcmp(k, "--no-c"))
			o->cflag = false;
		else if (!strcmp(k, "--no-restarts"))
			o->restarts = false;
		else if (!strcmp(k, "--no-partial"))
			o->partial = false;
		else if (!strcmp(k, "--tcp-tail"))
			o->tcp_tail = true;
		else if (!strcmp(k, "--loss-forever"))
			o->loss_forever = true;
		else if (!strcmp(k, "--keep-going"))
			o->keep_going = true;
		else if (!strcmp(k, "--failures-only"))
			print_passes = false;
		else if (!strcmp(k, "--freeze"))
			o->freeze = true;
		else if (!strcmp(k, "--rejoin"))
			o->rejoin = true;
		else if (!strcmp(k, "--lossy-out"))
			o->lossy_out = true;
		else if (!strcmp(k, "--no-partitions"))
			o->partitions_max = 0;
		else if (!strcmp(k, "--amnesia"))
			o->amnesia = true;
		else if (!strcmp(k, "-v"))
			o->verbose = 1;
		else if (!strcmp(k, "-vv"))
			o->verbose = 2;
		else
			return 0;
	}
#undef NEEDS
	return v ? 2 : 1;
}

/* ---- Many runs ---------------------------------------------------------------- */

#define KINDS_MAX 32
/* Failure lines printed per kind; the rest are only counted, so that a
 * million seeds of a core with a common bug still print a page. */
#define FAIL_LINES_PER_KIND 10

struct tally {
	uint64_t passed, failed, known, events, extinct, no_quorum, saves;
	uint64_t refounded, refounded_live, refound_kinds[3];
	uint64_t removed_live, member_ms, suspicions_false, lines_false;
	double loss_sum;
	uint64_t runs;
	uint64_t pending_no_quorum;
	struct {
		char kind[48];
		uint64_t count, smallest;
		char example[1024];
	} kinds[KINDS_MAX];
	unsigned kinds_count;
};

/* Returns whether the failure should be printed. */
static bool tally_add(struct tally *t, const struct sim_result *r)
{
	t->events += r->stats.events;
	t->saves += r->stats.saves;
	t->removed_live += r->stats.removed_live;
	t->suspicions_false += r->stats.suspicions_false;
	t->lines_false += r->stats.lines_false;
	t->member_ms += r->stats.member_ms;
	t->loss_sum += r->stats.loss;
	t->runs++;
	if (r->stats.extinct)
		t->extinct++;
	if (r->stats.refounds > 0)
		t->refounded++;
	if (r->stats.refounds_live > 0)
		t->refounded_live++;
	t->refound_kinds[0] += r->stats.refound_collision;
	t->refound_kinds[1] += r->stats.refound_unmerged;
	t->refound_kinds[2] += r->stats.refound_other;
	if (r->stats.no_quorum_left)
		t->no_quorum++;
	if (r->stats.pending_no_quorum)
		t->pending_no_quorum++;
	if (!r->failed) {
		t->passed++;
		return false;
	}
	t->failed++;
	unsigned i;
	for (i = 0; i < t->kinds_count; i++)
		if (!strcmp(t->kinds[i].kind, r->kind))
			break;
	if (i == t->kinds_count) {
		if (i == KINDS_MAX)
			return true;
		t->kinds_count++;
		snprintf(t->kinds[i].kind, sizeof(t->kinds[i].kind), "%s",
			 r->kind);
		t->kinds[i].smallest = r->seed;
		snprintf(t->kinds[i].example, sizeof(t->kinds[i].example),
			 "%s", r->violation);
	}
	t->kinds[i].count++;
	if (r->seed < t->kinds[i].smallest) {
		t->kinds[i].smallest = r->seed;
		snprintf(t->kinds[i].example, sizeof(t->kinds[i].example),
			 "%s", r->violation);
	}
	if (t->kinds[i].count == FAIL_LINES_PER_KIND + 1)
		printf("  (more %s failures are counted, not listed)\n",
		       r->kind);
	return t->kinds[i].count <= FAIL_LINES_PER_KIND;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_pass(const struct sim_result *r)
{
	if (!print_passes || r->failed)
		return;
	printf("seed %llu: ok\n", (unsigned long long)r->seed);
}

/*
 * --known FILE: runs listed as open limits (a seed list, as below).
 * One of them failing is reported as known and fails nothing; any other
 * failure still does, and a listed run that passes is simply a pass.
 */
#define KNOWN_MAX 64
static struct {
	uint64_t seed;
	char opts[256];
} known[KNOWN_MAX];
static unsigned known_count;

static bool known_failure(struct tally *t, const struct sim_result *r,
			  const char *opts)
{
	if (!r->failed)
		return false;
	if (known_kind != NULL &&
	    !strncmp(r->kind, known_kind, strlen(known_kind))) {
		t->known++;
		t->events += r->stats.events;
		return true;
	}
	for (unsigned i = 0; i < known_count; i++) {
		if (known[i].seed != r->seed || strcmp(known[i].opts, opts))
			continue;
		t->known++;
		t->events += r->stats.events;
		printf("seed %llu: known limit, %s: %.200s\n",
		       (unsigned long long)r->seed, r->kind, r->violation);
		return true;
	}
	return false;
}

static void print_failure(const struct sim_result *r, const char *opts)
{
	printf("seed %llu: FAIL %s: %.300s (replay: --seed %llu%s)\n",
	       (unsigned long long)r->seed, r->kind, r->violation,
	       (unsigned long long)r->seed, opts);
	fflush(stdout);
}

/*
 * Seeds base + j, base + j + jobs, ... in process j; each failure is sent
 * up a pipe as a whole struct and printed by the parent, so output stays
 * one line per failure whatever the number of processes.
 */
static void run_many(const struct sim_opts *o, uint64_t base, uint64_t count,
		     unsigned jobs, struct tally *t)
{
	char opts[256];
	sim__opts_str(o, opts, sizeof(opts));
	double start = now_s(), last = start;
	if (jobs <= 1) {
		for (uint64_t i = 0; i < count; i++) {
			struct sim_result r;
			run_seed(o, base + i, false, &r);
			print_pass(&r);
			if (known_failure(t, &r, opts))
				continue;
			if (tally_add(t, &r))
				print_failure(&r, opts);
			double now = now_s();
			if (now - last >= 5 && i + 1 < count) {
				last = now;
				printf("  ... %llu/%llu seeds, %llu failed, %.0f s\n",
				       (unsigned long long)(i + 1),
				       (unsigned long long)count,
				       (unsigned long long)t->failed,
				       now - start);
				fflush(stdout);
			}
		}
		return;
	}
	int fds[2];
	if (pipe(fds) != 0) {
		perror("pipe");
		exit(3);
	}
	fflush(stdout);
	for (unsigned j = 0; j < jobs; j++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			exit(3);
		}
		if (pid == 0) {
			close(fds[0]);
			for (uint64_t i = j; i < count; i += jobs) {
				struct sim_result r;
				run_seed(o, base + i, false, &r);
				const char *b = (const char *)&r;
				size_t left = sizeof(r);
				while (left > 0) {
					ssize_t n = write(fds[1], b, left);
					if (n <= 0)
						_exit(3);
					b += n;
					left -= (size_t)n;
				}
			}
			_exit(0);
		}
	}
	close(fds[1]);
	/* Several writers, one reader: a write of at most PIPE_BUF bytes
	 * (4096 on Linux, 512 at least by POSIX) is never interleaved with
	 * another, so each record arrives whole. */
	_Static_assert(sizeof(struct sim_result) <= 4096,
		       "a result must fit one atomic pipe write");
	uint64_t done = 0;
	struct sim_result r;
	for (;;) {
		char *b = (char *)&r;
		size_t got = 0;
		while (got < sizeof(r)) {
			ssize_t n = read(fds[0], b + got, sizeof(r) - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got < sizeof(r))
			break;
		done++;
		print_pass(&r);
		if (known_failure(t, &r, opts))
			continue;
		if (tally_add(t, &r))
			print_failure(&r, opts);
		double now = now_s();
		if (now - last >= 5 && done < count) {
			last = now;
			printf("  ... %llu/%llu seeds, %llu failed, %.0f s\n",
			       (unsigned long long)done,
			       (unsigned long long)count,
			       (unsigned long long)t->failed, now - start);
			fflush(stdout);
		}
	}
	close(fds[0]);
	int status, bad = 0;
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	if (bad || done != count) {
		fprintf(stderr, "rollcall-sim: a worker failed (%llu of %llu "
			"seeds done)\n", (unsigned long long)done,
			(unsigned long long)count);
		exit(3);
	}
}

/* Each line: a seed, options, and a comment after '#'. */
/*
 * Each line of a seed list (regressions.txt, or --known's): a seed and
 * options over base, '#' to the end of a line a comment.
 */
static void read_list(const char *path, const struct sim_opts *base,
		      void (*each)(void *ctx, uint64_t seed,
				   const struct sim_opts *o),
		      void *ctx)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "rollcall-sim: %s: %s\n", path,
			strerror(errno));
		exit(2);
	}
	char line[1024];
	unsigned lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *argv[32];
		int argc = 0;
		for (char *tok = strtok(line, " \t\r\n"); tok && argc < 32;
		     tok = strtok(NULL, " \t\r\n"))
			argv[argc++] = tok;
		if (argc == 0)
			continue;
		struct sim_args la;
		memset(&la, 0, sizeof(la));
		la.o = *base;
		la.seed = parse_u64(argv[0], "seed");
		for (int i = 1; i < argc;) {
			int n = parse_opt(&la, argc - i, argv + i);
			if (n == 0) {
				fprintf(stderr, "%s:%u: unknown option %s\n",
					path, lineno, argv[i]);
				exit(2);
			}
			i += n;
		}
		each(ctx, la.seed, &la.o);
	}
	fclose(f);
}

static void run_listed(void *ctx, uint64_t seed, const struct sim_opts *o)
{
	struct tally *t = ctx;
	struct sim_result r;
	run_seed(o, seed, false, &r);
	char opts[256];
	sim__opts_str(o, opts, sizeof(opts));
	print_pass(&r);
	if (known_failure(t, &r, opts))
		return;
	(void)tally_add(t, &r);
	if (r.failed)
		print_failure(&r, opts);
}

static void run_regressions(const struct sim_args *a, struct tally *t)
{
	read_list(a->regressions, &a->o, run_listed, t);
}

static void add_known(void *ctx, uint64_t seed, const struct sim_opts *o)
{
	(void)ctx;
	if (known_count == KNOWN_MAX) {
		fprintf(stderr, "rollcall-sim: over %d known limits\n",
			KNOWN_MAX);
		exit(2);
	}
	known[known_count].seed = seed;
	sim__opts_str(o, known[known_count].opts,
		      sizeof(known[known_count].opts));
	known_count++;
}

int main(int argc, char **argv)
{
	struct sim_args a;
	memset(&a, 0, sizeof(a));
	sim__opts_default(&a.o);
	a.base = 1;
	a.jobs = 1;
	for (int i = 1; i < argc;) {
		int n = parse_opt(&a, argc - i, argv + i);
		if (n == 0) {
			fprintf(stderr, "rollcall-sim: unknown option %s\n",
				argv[i]);
			usage();
		}
		i += n;
	}
	if (a.self_test)
		return simnet_self_test() ? 1 : 0;
	if (!a.one && a.seeds == 0 && a.regressions == NULL)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (a.known) {
		struct sim_opts none;
		sim__opts_default(&none);
		read_list(a.known, &none, add_known, NULL);
	}
	struct tally *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return 3;
	double start = now_s();
	if (a.one) {
		struct sim_result r;
		run_seed(&a.o, a.seed, true, &r);
		(void)tally_add(t, &r);
	} else if (a.regressions) {
		printf("regressions: %s\n", a.regressions);
		run_regressions(&a, t);
	} else {
		printf("seeds %llu..%llu\n", (unsigned long long)a.base,
		       (unsigned long long)(a.base + a.seeds - 1));
		run_many(&a.o, a.base, a.seeds, a.jobs, t);
	}
	double secs = now_s() - start;
	for (unsigned i = 0; i < t->kinds_count && !a.one; i++)
		printf("  %-22s %6llu seeds, smallest %llu: %.200s\n",
		       t->kinds[i].kind, (unsigned long long)t->kinds[i].count,
		       (unsigned long long)t->kinds[i].smallest,
		       t->kinds[i].example);
	printf("%llu events in %.2f s: %.2f M events/s; %llu state saves\n",
	       (unsigned long long)t->events, secs,
	       secs > 0 ? (double)t->events / secs / 1e6 : 0.0,
	       (unsigned long long)t->saves);
	if (t->member_ms > 0)
		printf("live peers removed: %llu in %.1f member-hours, %.2f per "
		       "member-hour, at a mean UDP loss of %.1f%%\n",
		       (unsigned long long)t->removed_live,
		       (double)t->member_ms / 3.6e6,
		       (double)t->removed_live / ((double)t->member_ms / 3.6e6),
		       t->runs ? 100 * t->loss_sum / (double)t->runs : 0.0);
	if (t->member_ms > 0)
		printf("false suspicions (a live, reachable peer held dead): "
		       "%llu, %.3f per member-minute\n",
		       (unsigned long long)t->suspicions_false,
		       (double)t->suspicions_false /
			       ((double)t->member_ms / 6e4));
	if (t->member_ms > 0)
		printf("false unreachable lines (about a live, reachable peer): "
		       "%llu, %.2f per member-hour\n",
		       (unsigned long long)t->lines_false,
		       (double)t->lines_false / ((double)t->member_ms / 3.6e6));
	if (t->extinct && !a.one)
		printf("%llu runs ended with no group left to judge\n",
		       (unsigned long long)t->extinct);
	if (t->refounded && !a.one)
		printf("%llu runs had the group die out and peer 1 found it "
		       "anew from view 0\n", (unsigned long long)t->refounded);
	if (t->refounded_live && !a.one)
		printf("%llu runs had peer 1 found the group anew while the "
		       "group still spoke beyond its probe (a live peer held "
		       "a view, or a member's message was on its way; known "
		       "limit; "
		       "counted, not failed): in %llu a view id then named "
		       "two lists, in %llu the groups did not end as one, "
		       "in %llu another invariant broke\n",
		       (unsigned long long)t->refounded_live,
		       (unsigned long long)t->refound_kinds[0],
		       (unsigned long long)t->refound_kinds[1],
		       (unsigned long long)t->refound_kinds[2]);
	if (t->no_quorum && !a.one)
		printf("%llu runs ended with no quorum of the last view alive, "
		       "so no side to converge to\n",
		       (unsigned long long)t->no_quorum);
	if (t->pending_no_quorum && !a.one)
		printf("%llu runs ended with a change pending in the last view "
		       "whose own view has no quorum alive, so no side may "
		       "decide\n", (unsigned long long)t->pending_no_quorum);
	if (t->known)
		printf("%llu failed as known limits (%s)\n",
		       (unsigned long long)t->known, a.known);
	printf("%llu passed, %llu failed\n", (unsigned long long)t->passed,
	       (unsigned long long)t->failed);
	int rc = t->failed ? 1 : 0;
	free(t);
	return rc;
}
