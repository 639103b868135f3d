/*
 * One simulated run of the Paxos core (psim.h says what it checks).
 *
 * Nodes are ids 1..N acceptors, then the proposers, then the learners.
 * Every proposer and learner works with all N acceptors (any two
 * majorities of one set meet, which is what Paxos needs); every acceptor
 * tells every learner of its votes, every proposer tells every learner of
 * what it saw chosen. A seed chooses the sizes, the mode (single decree:
 * slot 0 only; or multi-slot with a window), the network's loss,
 * duplication and delays, the proposers' timers, and the faults before
 * calm; after calm the network only delays, and enough nodes come back.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psim.h"

#define SUB_BITS 20
#define KEY(ms) ((int64_t)(ms) << SUB_BITS)
#define MS(key) ((key) >> SUB_BITS)
#define HEAP_MAX (PSIM_MSGS_MAX + 4 * PSIM_NODES_MAX * PSIM_COMMANDS_MAX + \
		  1024)

enum kind { ACCEPTOR, PROPOSER, LEARNER };
enum ev_kind { EV_DELIVER, EV_TICK, EV_SUBMIT, EV_CRASH, EV_RESTART,
	       EV_CALM };

struct ev {
	int64_t key;
	uint64_t seq;		/* ties broken in push order */
	enum ev_kind kind;
	unsigned node;		/* index into S.nodes */
	unsigned life;		/* EV_TICK: the life it was armed in */
	unsigned arg;		/* EV_DELIVER: the message; EV_SUBMIT: k */
};

/* A message in flight; entries (a promise's) allocated to fit. */
struct pmsg {
	unsigned to;		/* node index */
	struct paxos_msg *m;	/* header and value only when no entries */
	unsigned next_free;
};

/* A node: its outbox first, so a callback finds its node. */
struct pnode {
	struct paxos_outbox out;
	enum kind kind;
	unsigned id;		/* 1-based, the core's id */
	bool up;
	unsigned life;
	bool dying;		/* crashes when this event ends: sends lost */
	int64_t tick_at;	/* the armed tick, PAXOS_NEVER if none */
	uint64_t last_round;	/* proposer: the highest round any life used */
	bool given[PSIM_COMMANDS_MAX];	/* proposer: handed to this life
					 * (single) or any life (multi) */
	/* Acceptor: its "disk" (the encoded state), and what it decodes
	 * to, for promise-kept. */
	char disk[PAXOS_STATE_BYTES_MAX];
	int disk_len;
	bool saved_any;
	struct paxos_state saved;
	/* Output-once: the life that output each slot, +1 (0: none). */
	unsigned output_life[PSIM_SLOTS_MAX];
	union {
		struct paxos_acceptor a;
		struct paxos_proposer p;
		struct paxos_learner l;
	} u;
};

/* One (slot, ballot) with votes: who voted, for what. */
struct vote {
	bool used;
	uint64_t slot, ballot;
	uint32_t voters;
	struct paxos_value value;
};

struct chosen {
	bool set;
	uint64_t ballot;
	struct paxos_value value;
};

struct psim {
	const struct psim_opts *o;
	struct psim_result *r;
	uint64_t seed;
	struct rng rng_net, rng_fault, rng_sched;
	/* The seed's configuration. */
	unsigned acceptors, proposers, learners, commands, window;
	bool single, nack;
	double loss, dup, dying_p;
	int64_t delay_max_ms, calm_ms;
	/* The run. */
	int64_t now_ms;
	bool calm;
	struct pnode nodes[PSIM_NODES_MAX];
	unsigned nodes_count;
	struct ev heap[HEAP_MAX];
	unsigned heap_count;
	uint64_t seq;
	struct pmsg msgs[PSIM_MSGS_MAX];
	unsigned msgs_free;	/* head of the free list, PSIM_MSGS_MAX: none */
	struct vote votes[PSIM_VOTES_MAX];
	unsigned votes_count;
	/* Which entries of votes are in use, to clear only those. */
	unsigned votes_used[PSIM_VOTES_MAX / 2];
	struct chosen chosen[PSIM_SLOTS_MAX];
	uint64_t slots_seen;	/* chosen[] entries in use: below this */
	/* Multi-slot: the slot each command was chosen in, +1. */
	uint64_t command_slot[PSIM_PROPOSERS_MAX][PSIM_COMMANDS_MAX];
	struct paxos_msg scratch;	/* the message being delivered */
};

static struct psim S;

/* ---- Failing ------------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void fail(const char *kind, const char *fmt, ...)
{
	va_list ap;

	if (S.r->failed)
		return;
	S.r->failed = true;
	snprintf(S.r->kind, sizeof(S.r->kind), "%s", kind);
	int n = snprintf(S.r->what, sizeof(S.r->what), "at %lld ms: ",
			 (long long)S.now_ms);
	va_start(ap, fmt);
	vsnprintf(S.r->what + n, sizeof(S.r->what) - (size_t)n, fmt, ap);
	va_end(ap);
	if (S.o->verbose)
		printf("VIOLATION %s: %s\n", S.r->kind, S.r->what);
}

static const char *value_str(const struct paxos_value *v, char *buf,
			     size_t cap)
{
	if (v->noop)
		snprintf(buf, cap, "noop");
	else
		snprintf(buf, cap, "%.*s", (int)v->len,
			 (const char *)v->bytes);
	return buf;
}

static void ballot_str(uint64_t b, char *buf, size_t cap)
{
	snprintf(buf, cap, "%" PRIu64 ".%u", paxos_ballot_round(b),
		 paxos_ballot_id(b));
}

/* ---- The event queue: a binary heap on (key, seq) ----------------------- */

static bool ev_before(const struct ev *a, const struct ev *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void push(int64_t ms, enum ev_kind kind, unsigned node, unsigned arg)
{
	struct ev e = {
		.key = KEY(ms) + (int64_t)rng_below(&S.rng_sched,
						    UINT64_C(1) << SUB_BITS),
		.seq = S.seq++,
		.kind = kind,
		.node = node,
		.life = S.nodes[node].life,
		.arg = arg,
	};
	unsigned i;

	if (S.heap_count == HEAP_MAX) {
		fail("sim-bound", "over %d events pending", HEAP_MAX);
		return;
	}
	i = S.heap_count++;
	while (i > 0 && ev_before(&e, &S.heap[(i - 1) / 2])) {
		S.heap[i] = S.heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	S.heap[i] = e;
}

static bool pop(struct ev *out)
{
	struct ev last;
	unsigned i = 0, c;

	if (S.heap_count == 0)
		return false;
	*out = S.heap[0];
	last = S.heap[--S.heap_count];
	for (;;) {
		c = 2 * i + 1;
		if (c >= S.heap_count)
			break;
		if (c + 1 < S.heap_count &&
		    ev_before(&S.heap[c + 1], &S.heap[c]))
			c++;
		if (!ev_before(&S.heap[c], &last))
			break;
		S.heap[i] = S.heap[c];
		i = c;
	}
	S.heap[i] = last;
	return true;
}

/* ---- Messages in flight ------------------------------------------------ */

static void msg_free(unsigned i)
{
	free(S.msgs[i].m);
	S.msgs[i].m = NULL;
	S.msgs[i].next_free = S.msgs_free;
	S.msgs_free = i;
}

/* Copy m, its entries only as many as it has. */
static int msg_new(unsigned to, const struct paxos_msg *m)
{
	size_t size = offsetof(struct paxos_msg, entries) +
		      m->entries_count * sizeof(m->entries[0]);
	unsigned i = S.msgs_free;

	if (i == PSIM_MSGS_MAX) {
		fail("sim-bound", "over %d messages in flight",
		     PSIM_MSGS_MAX);
		return -1;
	}
	S.msgs[i].m = malloc(size);
	if (!S.msgs[i].m) {
		fail("sim-bound", "out of memory");
		return -1;
	}
	S.msgs_free = S.msgs[i].next_free;
	memcpy(S.msgs[i].m, m, size);
	S.msgs[i].to = to;
	return (int)i;
}

/* ---- Votes: the ground truth of what is chosen ------------------------- */

static unsigned quorum(void)
{
	return paxos_quorum(S.acceptors);
}

static struct vote *vote_find(uint64_t slot, uint64_t ballot, bool add)
{
	uint64_t h = (slot * UINT64_C(0x9e3779b97f4a7c15)) ^
		     (ballot * UINT64_C(0xbf58476d1ce4e5b9));
	unsigned i = (unsigned)(h >> 40) & (PSIM_VOTES_MAX - 1);

	for (;;) {
		struct vote *v = &S.votes[i];
		if (!v->used) {
			if (!add)
				return NULL;
			if (S.votes_count >= PSIM_VOTES_MAX / 2) {
				fail("sim-bound", "over %d ballots voted",
				     PSIM_VOTES_MAX / 2);
				return NULL;
			}
			S.votes_used[S.votes_count++] = i;
			v->used = true;
			v->slot = slot;
			v->ballot = ballot;
			v->voters = 0;
			return v;
		}
		if (v->slot == slot && v->ballot == ballot)
			return v;
		i = (i + 1) & (PSIM_VOTES_MAX - 1);
	}
}

/* The command a value is, by its bytes "pI.K"; false for another value. */
static bool command_of(const struct paxos_value *v, unsigned *pi, unsigned *k)
{
	char buf[32];
	if (v->noop || v->len == 0 || v->len >= sizeof(buf))
		return false;
	memcpy(buf, v->bytes, v->len);
	buf[v->len] = '\0';
	return sscanf(buf, "p%u.%u", pi, k) == 2 && *pi < S.proposers &&
	       *k < S.commands;
}

/* A majority voted for value at (slot, ballot): it is chosen. */
static void chosen_now(uint64_t slot, uint64_t ballot,
		       const struct paxos_value *value)
{
	struct chosen *c = &S.chosen[slot];
	char a[64], b[64], bb[32];
	unsigned pi, k;

	if (c->set) {
		if (!paxos_value_equal(&c->value, value)) {
			ballot_str(ballot, bb, sizeof(bb));
			fail("agreement", "slot %" PRIu64 ": %s chosen, then "
			     "%s at ballot %s", slot,
			     value_str(&c->value, a, sizeof(a)),
			     value_str(value, b, sizeof(b)), bb);
		}
		return;
	}
	c->set = true;
	if (slot >= S.slots_seen)
		S.slots_seen = slot + 1;
	c->ballot = ballot;
	c->value = *value;
	S.r->chosen++;
	if (value->noop) {
		if (S.single)
			fail("validity", "slot %" PRIu64 ": a no-op chosen in "
			     "a single decree", slot);
		return;
	}
	if (!command_of(value, &pi, &k)) {
		fail("validity", "slot %" PRIu64 ": %s was never proposed",
		     slot, value_str(value, a, sizeof(a)));
		return;
	}
	if (!S.single) {
		if (S.command_slot[pi][k] != 0)
			fail("command-once", "%s chosen in slots %" PRIu64
			     " and %" PRIu64, value_str(value, a, sizeof(a)),
			     S.command_slot[pi][k] - 1, slot);
		S.command_slot[pi][k] = slot + 1;
	}
}

/* Acceptor ai accepted value at (slot, ballot): its state says so. */
static void vote_cast(unsigned ai, uint64_t slot, uint64_t ballot,
		      const struct paxos_value *value)
{
	struct vote *v;
	char a[64], b[64];

	if (slot >= PSIM_SLOTS_MAX) {
		fail("sim-bound", "slot %" PRIu64 " beyond %d", slot,
		     PSIM_SLOTS_MAX);
		return;
	}
	if (!(v = vote_find(slot, ballot, true)))
		return;
	if (v->voters == 0) {
		v->value = *value;
	} else if (!paxos_value_equal(&v->value, value)) {
		/* One ballot is one proposer's one value per slot. */
		fail("agreement", "slot %" PRIu64 ": two values at one "
		     "ballot, %s and %s", slot,
		     value_str(&v->value, a, sizeof(a)),
		     value_str(value, b, sizeof(b)));
		return;
	}
	if (v->voters & (UINT32_C(1) << ai))
		return;
	v->voters |= UINT32_C(1) << ai;
	if ((unsigned)__builtin_popcount(v->voters) == quorum())
		chosen_now(slot, ballot, value);
}

/* ---- Outboxes ---------------------------------------------------------- */

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void trace(const char *fmt, ...)
{
	va_list ap;

	if (!S.o->verbose)
		return;
	printf("%6lld ", (long long)S.now_ms);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void msg_str(const struct paxos_msg *m, char *buf, size_t cap)
{
	char b[32], v[64];
	ballot_str(m->ballot, b, sizeof(b));
	snprintf(buf, cap, "%s slot=%" PRIu64 " ballot=%s value=%s "
		 "entries=%u", paxos_msg_type_name(m->type), m->slot, b,
		 value_str(&m->value, v, sizeof(v)), m->entries_count);
}

/* saved-first: the acceptor's saved state holds what it answers. */
static void check_saved(const struct pnode *n, const struct paxos_msg *m)
{
	const struct paxos_state *st = &n->saved;
	unsigned i;

	if (m->type == PAXOS_PROMISE && st->promised < m->ballot)
		fail("saved-first", "acceptor %u promised %" PRIu64 " with "
		     "%" PRIu64 " saved", n->id, m->ballot, st->promised);
	if (m->type != PAXOS_ACCEPTED)
		return;
	for (i = 0; i < st->entries_count; i++)
		if (st->entries[i].slot == m->slot)
			break;
	if (i == st->entries_count || st->entries[i].vballot != m->ballot ||
	    !paxos_value_equal(&st->entries[i].value, &m->value))
		fail("saved-first", "acceptor %u voted in slot %" PRIu64
		     " before saving it", n->id, m->slot);
}

static void on_send(struct paxos_outbox *o, unsigned to,
		    const struct paxos_msg *m)
{
	struct pnode *n = (struct pnode *)o;
	unsigned copies = 1, c;
	char buf[160];
	int i;

	if (n->kind == ACCEPTOR)
		check_saved(n, m);
	if (S.o->verbose) {
		msg_str(m, buf, sizeof(buf));
		trace("  %u -> %u %s%s", n->id, to, buf,
		      n->dying ? " (lost: the sender dies)" : "");
	}
	if (to < 1 || to > S.nodes_count) {
		fail("addressing", "node %u sent to %u", n->id, to);
		return;
	}
	if (n->dying)
		return;
	if (!S.calm && rng_chance(&S.rng_net, S.loss))
		return;
	if (!S.calm && rng_chance(&S.rng_net, S.dup))
		copies = 2;
	for (c = 0; c < copies; c++) {
		if ((i = msg_new(to - 1, m)) < 0)
			return;
		push(S.now_ms + rng_range(&S.rng_net, 1, S.delay_max_ms),
		     EV_DELIVER, to - 1, (unsigned)i);
	}
}

static void on_save(struct paxos_outbox *o, const struct paxos_state *st)
{
	struct pnode *n = (struct pnode *)o;

	if (st->promised < n->saved.promised)
		fail("promise-kept", "acceptor %u saved promise %" PRIu64
		     " below its earlier %" PRIu64, n->id, st->promised,
		     n->saved.promised);
	/* Kept as the struct; written out as the state file's text when
	 * the acceptor crashes (the same bytes, encoded once). */
	memcpy(&n->saved, st, offsetof(struct paxos_state, entries) +
	       st->entries_count * sizeof(st->entries[0]));
	n->saved_any = true;
}

static void on_chosen(struct paxos_outbox *o, uint64_t slot, uint64_t ballot,
		      const struct paxos_value *v)
{
	struct pnode *n = (struct pnode *)o;
	const struct vote *vt;
	char a[64], b[32];

	trace("  %u chose slot %" PRIu64 ": %s", n->id, slot,
	      value_str(v, a, sizeof(a)));
	if (slot >= PSIM_SLOTS_MAX) {
		fail("sim-bound", "slot %" PRIu64 " beyond %d", slot,
		     PSIM_SLOTS_MAX);
		return;
	}
	if (n->output_life[slot] == n->life + 1)
		fail("output-once", "node %u output slot %" PRIu64 " twice",
		     n->id, slot);
	n->output_life[slot] = n->life + 1;
	vt = vote_find(slot, ballot, false);
	if (!vt || (unsigned)__builtin_popcount(vt->voters) < quorum() ||
	    !paxos_value_equal(&vt->value, v)) {
		ballot_str(ballot, b, sizeof(b));
		fail("learned-chosen", "node %u output %s for slot %" PRIu64
		     " at %s, which no majority voted for", n->id,
		     value_str(v, a, sizeof(a)), slot, b);
	}
}

/* ---- Nodes ------------------------------------------------------------- */

static void command(unsigned pi, unsigned k, struct paxos_value *v)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "p%u.%u", pi, k);
	paxos_value_set(v, buf, (size_t)len);
}

static void acceptor_start(struct pnode *n)
{
	struct paxos_acceptor_config c;
	static struct paxos_state back;
	char err[128];
	unsigned i;

	memset(&c, 0, sizeof(c));
	c.self = n->id;
	c.nack = S.nack;
	for (i = 0; i < S.learners; i++)
		c.learners[c.learners_count++] =
			S.acceptors + S.proposers + 1 + i;
	if (n->disk_len > 0) {
		/* Only what reached the disk survives, through its codec. */
		if (paxos_state_decode(&back, n->disk, (size_t)n->disk_len,
				       err, sizeof(err)) < 0) {
			fail("promise-kept", "acceptor %u: its state file "
			     "does not decode: %s", n->id, err);
			return;
		}
		if (back.promised != n->saved.promised ||
		    back.entries_count != n->saved.entries_count)
			fail("promise-kept", "acceptor %u restarts with "
			     "promise %" PRIu64 ", saved %" PRIu64, n->id,
			     back.promised, n->saved.promised);
		c.restored = &back;
	}
	paxos_acceptor_create(&n->u.a, &c, &n->out);
}

static void proposer_start(struct pnode *n)
{
	struct paxos_proposer_config c;
	struct rng r;
	unsigned i;

	rng_seed(&r, S.seed, 100 + n->id);
	memset(&c, 0, sizeof(c));
	c.self = n->id;
	for (i = 0; i < S.acceptors; i++)
		c.acceptors[c.acceptors_count++] = i + 1;
	for (i = 0; i < S.learners; i++)
		c.learners[c.learners_count++] =
			S.acceptors + S.proposers + 1 + i;
	c.window = S.window;
	c.single_decree = S.single;
	/* A new life never reuses a round (a real one would keep its last
	 * round on disk, or take the wall clock). */
	c.first_round = n->last_round + 1;
	c.retry_ms = (uint32_t)(2 * S.delay_max_ms + rng_range(&r, 5, 100));
	c.retries_max = (unsigned)rng_range(&r, 1, 4);
	c.backoff_min_ms = (uint32_t)rng_range(&r, 5, 50);
	c.backoff_max_ms = c.backoff_min_ms + (uint32_t)rng_range(&r, 20, 300);
	c.backoff_cap_ms = 2000;
	c.seed = S.seed * 31 + n->id * 7 + n->life;
	paxos_proposer_create(&n->u.p, &c, &n->out);
	n->tick_at = PAXOS_NEVER;
}

static void learner_start(struct pnode *n, bool trust)
{
	struct paxos_learner_config c;
	unsigned i;

	memset(&c, 0, sizeof(c));
	c.self = n->id;
	for (i = 0; i < S.acceptors; i++)
		c.acceptors[c.acceptors_count++] = i + 1;
	c.trust_chosen = trust;
	paxos_learner_create(&n->u.l, &c, &n->out);
}

/* Arm the proposer's tick if its deadline moved earlier. */
static void arm(unsigned ni)
{
	struct pnode *n = &S.nodes[ni];
	int64_t d;

	if (n->kind != PROPOSER || !n->up)
		return;
	d = paxos_proposer_next_deadline(&n->u.p);
	if (d == PAXOS_NEVER || (n->tick_at != PAXOS_NEVER && n->tick_at <= d))
		return;
	if (d < S.now_ms)
		d = S.now_ms;
	n->tick_at = d;
	push(d, EV_TICK, ni, 0);
}

static void crash(unsigned ni)
{
	struct pnode *n = &S.nodes[ni];

	trace("crash %u", n->id);
	if (n->kind == ACCEPTOR && n->saved_any) {
		n->disk_len = paxos_state_encode(&n->saved, n->disk,
						 sizeof(n->disk));
		if (n->disk_len < 0)
			fail("promise-kept", "acceptor %u: its state does "
			     "not encode", n->id);
	}
	n->up = false;
	n->dying = false;
	n->life++;
	S.r->crashes++;
	if (n->kind == PROPOSER) {
		if (n->u.p.round > n->last_round)
			n->last_round = n->u.p.round;
		S.r->rounds += n->u.p.stats.rounds;
	}
}

static void restart(unsigned ni)
{
	struct pnode *n = &S.nodes[ni];
	unsigned pi = ni - S.acceptors;

	trace("restart %u", n->id);
	n->up = true;
	if (n->kind == ACCEPTOR) {
		acceptor_start(n);
		return;
	}
	proposer_start(n);
	/* Single decree: a new life proposes its value again, as the lab's
	 * proposer does when it starts. */
	if (S.single) {
		n->given[0] = false;
		push(S.now_ms + 1, EV_SUBMIT, ni, 0);
	}
	(void)pi;
}

/* ---- Events ------------------------------------------------------------ */

static void deliver(const struct ev *e)
{
	struct pmsg *pm = &S.msgs[e->arg];
	struct pnode *n = &S.nodes[e->node];
	struct paxos_msg *m = &S.scratch;
	unsigned i;
	char buf[160];

	memcpy(m, pm->m, offsetof(struct paxos_msg, entries) +
	       pm->m->entries_count * sizeof(m->entries[0]));
	msg_free(e->arg);
	if (S.o->verbose) {
		msg_str(m, buf, sizeof(buf));
		trace("deliver %u -> %u %s%s", m->from, n->id, buf,
		      n->up ? "" : " (down: lost)");
	}
	if (!n->up)
		return;
	switch (n->kind) {
	case ACCEPTOR:
		if (!S.calm && rng_chance(&S.rng_fault, S.dying_p))
			n->dying = true;
		paxos_acceptor_step(&n->u.a, m);
		if (m->type == PAXOS_ACCEPT) {
			const struct paxos_state *st = &n->u.a.st;
			for (i = 0; i < st->entries_count; i++)
				if (st->entries[i].slot == m->slot &&
				    st->entries[i].vballot == m->ballot)
					vote_cast(e->node, m->slot, m->ballot,
						  &st->entries[i].value);
		}
		if (n->dying) {
			/* Saved, then dead before a word left. */
			crash(e->node);
			push(S.now_ms + rng_range(&S.rng_fault, 1, 500),
			     EV_RESTART, e->node, 0);
		}
		break;
	case PROPOSER:
		paxos_proposer_step(&n->u.p, S.now_ms, m);
		arm(e->node);
		break;
	case LEARNER:
		paxos_learner_step(&n->u.l, m);
		break;
	}
}

static void submit(const struct ev *e)
{
	struct pnode *n = &S.nodes[e->node];
	unsigned pi = e->node - S.acceptors;
	struct paxos_value v;

	if (n->given[e->arg])
		return;
	if (!n->up) {
		/* It is down: it gets the command once it is back. */
		push(S.now_ms + rng_range(&S.rng_sched, 50, 300), EV_SUBMIT,
		     e->node, e->arg);
		return;
	}
	command(pi, e->arg, &v);
	trace("propose %u p%u.%u", n->id, pi, e->arg);
	n->given[e->arg] = true;
	if (paxos_proposer_propose(&n->u.p, S.now_ms, &v) < 0)
		fail("sim-bound", "proposer %u refused a command", n->id);
	arm(e->node);
}

/* The faults stop: the network only delays from now on, and down nodes
 * come back, but for at most a minority of acceptors and all proposers
 * but one, which stay down for good. */
static void calm(void)
{
	unsigned i, stay_acc, stay_prop, down;

	trace("calm");
	S.calm = true;
	stay_acc = (unsigned)rng_below(&S.rng_fault, (S.acceptors - 1) / 2 + 1);
	stay_prop = (unsigned)rng_below(&S.rng_fault, S.proposers);
	for (i = 0, down = 0; i < S.nodes_count; i++) {
		struct pnode *n = &S.nodes[i];
		if (n->up || n->kind == LEARNER)
			continue;
		if (n->kind == ACCEPTOR && down < stay_acc) {
			down++;
			continue;
		}
		if (n->kind == PROPOSER && stay_prop > 0) {
			stay_prop--;
			continue;
		}
		restart(i);
		arm(i);
	}
	/* At least one proposer up. */
	for (i = S.acceptors; i < S.acceptors + S.proposers; i++)
		if (S.nodes[i].up)
			return;
	restart(S.acceptors);
	arm(S.acceptors);
}

/* Liveness reached: every live proposer was given all its commands, and
 * each has them chosen (or, single decree, knows slot 0's value). */
static bool all_done(void)
{
	unsigned i, k;

	for (i = S.acceptors; i < S.acceptors + S.proposers; i++) {
		const struct pnode *n = &S.nodes[i];
		if (!n->up)
			continue;
		for (k = 0; k < S.commands; k++)
			if (!n->given[k])
				return false;
		if (!paxos_proposer_idle(&n->u.p))
			return false;
	}
	return true;
}

static void step(const struct ev *e)
{
	struct pnode *n = &S.nodes[e->node];

	switch (e->kind) {
	case EV_DELIVER:
		deliver(e);
		break;
	case EV_TICK:
		if (!n->up || e->life != n->life || n->tick_at != S.now_ms)
			break;
		n->tick_at = PAXOS_NEVER;
		paxos_proposer_tick(&n->u.p, S.now_ms);
		arm(e->node);
		break;
	case EV_SUBMIT:
		submit(e);
		break;
	case EV_CRASH:
		if (!n->up || S.calm)
			break;
		crash(e->node);
		if (S.now_ms + 10 < S.calm_ms)
			push(rng_range(&S.rng_fault, S.now_ms + 10,
				       S.now_ms + 1500),
			     EV_RESTART, e->node, 0);
		break;
	case EV_RESTART:
		if (n->up || (S.calm && n->kind != ACCEPTOR))
			break;
		restart(e->node);
		arm(e->node);
		break;
	case EV_CALM:
		calm();
		break;
	}
}

/* ---- A run ------------------------------------------------------------- */

static void configure(const struct psim_opts *o, uint64_t seed)
{
	struct rng r;
	static const unsigned sizes[] = { 3, 3, 5, 5, 5, 7 };

	rng_seed(&r, seed, 0);
	S.acceptors = o->acceptors ? o->acceptors : sizes[rng_below(&r, 6)];
	S.proposers = o->proposers ? o->proposers :
				     (unsigned)rng_range(&r, 2, 3);
	S.learners = PSIM_LEARNERS_MAX;
	S.single = o->single >= 0 ? o->single == 1 : rng_chance(&r, 0.35);
	S.commands = S.single ? 1 : (unsigned)rng_range(&r, 1, 8);
	S.window = S.single ? 1 : (unsigned)rng_range(&r, 1, 8);
	S.nack = rng_chance(&r, 0.5);
	S.loss = o->loss_max * (double)rng_below(&r, 1001) / 1000;
	S.dup = o->dup_max * (double)rng_below(&r, 1001) / 1000;
	S.delay_max_ms = rng_range(&r, 1, 30);
	S.calm_ms = rng_range(&r, 300, 3000);
	S.dying_p = o->crashes && rng_chance(&r, 0.5) ?
			    0.05 * (double)rng_below(&r, 1001) / 1000 : 0;
}

static void schedule(const struct psim_opts *o, struct rng *r)
{
	unsigned i, k, faults;

	for (i = 0; i < S.proposers; i++)
		for (k = 0; k < S.commands; k++)
			push(i == 0 && k == 0 ? 0 :
			     rng_range(r, 0, S.calm_ms * 4 / 5),
			     EV_SUBMIT, S.acceptors + i, k);
	push(S.calm_ms, EV_CALM, 0, 0);
	if (!o->crashes)
		return;
	faults = (unsigned)rng_below(r, 2 * (S.acceptors + S.proposers) + 1);
	for (i = 0; i < faults; i++)
		push(rng_range(r, 0, S.calm_ms - 1), EV_CRASH,
		     (unsigned)rng_below(r, S.acceptors + S.proposers), 0);
}

static void setup(const struct psim_opts *o, uint64_t seed,
		  struct psim_result *r)
{
	struct rng rs;
	unsigned i;

	/* The large tables are reset only as far as a run uses them. */
	S.o = o;
	S.r = r;
	S.seed = seed;
	S.now_ms = 0;
	S.calm = false;
	S.heap_count = 0;
	S.seq = 0;
	for (i = 0; i < S.votes_count; i++)
		S.votes[S.votes_used[i]].used = false;
	S.votes_count = 0;
	memset(S.chosen, 0, S.slots_seen * sizeof(S.chosen[0]));
	S.slots_seen = 0;
	memset(S.command_slot, 0, sizeof(S.command_slot));
	S.msgs_free = 0;
	for (i = 0; i < PSIM_MSGS_MAX; i++)
		S.msgs[i].next_free = i + 1;
	configure(o, seed);
	rng_seed(&S.rng_net, seed, 1);
	rng_seed(&S.rng_fault, seed, 2);
	rng_seed(&S.rng_sched, seed, 3);
	S.nodes_count = S.acceptors + S.proposers + S.learners;
	for (i = 0; i < S.nodes_count; i++) {
		struct pnode *n = &S.nodes[i];
		memset(n, 0, offsetof(struct pnode, disk));
		memset(n->output_life, 0, sizeof(n->output_life));
		memset(&n->saved, 0, offsetof(struct paxos_state, entries));
		n->disk_len = 0;
		n->saved_any = false;
		n->out.send = on_send;
		n->out.save = on_save;
		n->out.chosen = on_chosen;
		n->id = i + 1;
		n->up = true;
		n->tick_at = PAXOS_NEVER;
		if (i < S.acceptors) {
			n->kind = ACCEPTOR;
			acceptor_start(n);
		} else if (i < S.acceptors + S.proposers) {
			n->kind = PROPOSER;
			proposer_start(n);
		} else {
			n->kind = LEARNER;
			learner_start(n, i + 1 == S.nodes_count);
		}
	}
	rng_seed(&rs, seed, 4);
	schedule(o, &rs);
	if (o->verbose)
		printf("seed %" PRIu64 ": %u acceptors, %u proposers, %s, "
		       "%u commands each, window %u, %s, loss %.3f, dup "
		       "%.3f, delay 1..%lld ms, calm at %lld ms, crash in "
		       "answer %.3f\n", seed, S.acceptors, S.proposers,
		       S.single ? "single decree" : "multi-slot", S.commands,
		       S.window, S.nack ? "nack" : "silent refusals", S.loss,
		       S.dup, (long long)S.delay_max_ms,
		       (long long)S.calm_ms, S.dying_p);
}

static void teardown(void)
{
	struct ev e;
	unsigned i;

	while (pop(&e))
		if (e.kind == EV_DELIVER)
			msg_free(e.arg);
	for (i = S.acceptors; i < S.acceptors + S.proposers; i++)
		if (S.nodes[i].up)
			S.r->rounds += S.nodes[i].u.p.stats.rounds;
}

void psim_opts_default(struct psim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->single = -1;
	o->loss_max = 0.3;
	o->dup_max = 0.1;
	o->crashes = true;
}

void psim_run(const struct psim_opts *o, uint64_t seed,
	      struct psim_result *r)
{
	struct ev e;

	memset(r, 0, sizeof(*r));
	r->seed = seed;
	setup(o, seed, r);
	while (!r->failed) {
		if (S.calm && all_done()) {
			r->calm_to_done_ms = S.now_ms - S.calm_ms;
			break;
		}
		if (!pop(&e)) {
			fail("liveness", "nothing left to happen, and not "
			     "everything is chosen");
			break;
		}
		S.now_ms = MS(e.key);
		if (S.calm && S.now_ms > S.calm_ms + PSIM_LIVENESS_MS) {
			fail("liveness", "not everything chosen %d ms after "
			     "calm", PSIM_LIVENESS_MS);
			break;
		}
		if (++r->events > PSIM_EVENTS_MAX) {
			fail("livelock", "over %d events",
			     (int)PSIM_EVENTS_MAX);
			break;
		}
		step(&e);
	}
	teardown();
}
