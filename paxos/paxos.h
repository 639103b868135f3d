/*
 * The Paxos core: proposer, acceptor and learner, with slots, and no I/O.
 *
 * Each role is a small state machine in its own file (proposer.c,
 * acceptor.c, learner.c). A decoded message and the time in milliseconds
 * go in; what should happen goes out through a struct paxos_outbox, in
 * order: messages to send, the acceptor's state to save, a value chosen.
 * This module never calls libuv, never reads a clock, never prints and
 * never allocates: the same code runs in the lab program, in the unit
 * scenarios and under the seeded simulator. Randomness (the proposer's
 * backoff) comes from a seed the caller gives, so a run replays exactly.
 * Nothing a peer sends reaches an assert: a message from a stranger, with
 * a ballot that is not its sender's, or beyond a bound is dropped and
 * counted in the role's stats.
 *
 * One mechanism makes it safe: a value is chosen for a slot once a
 * majority of the acceptors accepted it at one ballot; any two majorities
 * share an acceptor, and an acceptor that promised a ballot takes nothing
 * below it, so a proposer that heard a majority's promises at ballot b
 * knows every value that can have been chosen below b, and proposes it.
 *
 * Slots are there from the start. The single-decree lab is slot 0
 * (cfg.single_decree). Multi-Paxos runs phase 1 once for every slot from
 * the first one the proposer has not seen decided; a promise carries every
 * (slot, ballot, value) its acceptor accepted at or above that slot, in
 * slot order; on a majority of promises the proposer proposes, for each
 * slot from there to the highest reported, the value reported with the
 * highest ballot, or a no-op for a slot none reported. Then each new
 * command takes the next slot, with at most cfg.window slots in flight.
 *
 * Bounds (the house rule: every table has a _MAX, named once) are here,
 * below; the README of the program using the core lists them.
 */
#ifndef ROLLCALL_PAXOS_H
#define ROLLCALL_PAXOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Bounds                                                             */
/* ------------------------------------------------------------------ */

/* Bytes of one value (the lab: one character; the bank: one command). */
#define PAXOS_VALUE_BYTES_MAX 256

/* Acceptors one proposer or learner counts (ids in a configuration). */
#define PAXOS_ACCEPTORS_MAX 32

/* Learners a proposer tells a decision to (CHOSEN). */
#define PAXOS_LEARNERS_MAX 32

/*
 * Slots one role holds at once: the acceptor's accepted values (until
 * paxos_acceptor_trim drops the decided ones), the learner's undecided
 * slots above its contiguous prefix, the proposer's slots in flight. A
 * slot beyond the table is dropped and counted, never stored.
 */
#define PAXOS_SLOTS_MAX 64

/* Entries one PROMISE carries: an acceptor's whole table at most. */
#define PAXOS_PROMISE_ENTRIES_MAX PAXOS_SLOTS_MAX

/* Commands a proposer queues behind the window before refusing more. */
#define PAXOS_QUEUE_MAX 64

/* The pipelining window: slots in flight (cfg.window, 1..this). */
#define PAXOS_WINDOW_MAX PAXOS_SLOTS_MAX

/* Largest encoded acceptor state (paxos_state_encode): a header line and
 * one line per slot, each value in hex. */
#define PAXOS_STATE_BYTES_MAX (128 + PAXOS_SLOTS_MAX * \
			       (64 + 2 * PAXOS_VALUE_BYTES_MAX))

/* Highest peer id a ballot can carry (16 bits; hostsfile ids fit). */
#define PAXOS_ID_MAX 0xffffu

/* Highest round: 48 bits, so round << 16 | id fits 64. */
#define PAXOS_ROUND_MAX ((UINT64_C(1) << 48) - 1)

#define PAXOS_NEVER INT64_MAX

/* ------------------------------------------------------------------ */
/* Ballots                                                            */
/* ------------------------------------------------------------------ */

/*
 * A ballot (proposal number) is a round and the proposer's id, as
 * rollcall's membership ballots are: (round << 16) | id. Two proposers
 * never share one, and they are totally ordered as integers: first by
 * round, then by id. 0 is "none", below every real ballot.
 */
static inline uint64_t paxos_ballot(uint64_t round, unsigned id)
{
	return (round << 16) | (uint64_t)(id & PAXOS_ID_MAX);
}

static inline uint64_t paxos_ballot_round(uint64_t ballot)
{
	return ballot >> 16;
}

static inline unsigned paxos_ballot_id(uint64_t ballot)
{
	return (unsigned)(ballot & PAXOS_ID_MAX);
}

/* ------------------------------------------------------------------ */
/* Values and messages                                                */
/* ------------------------------------------------------------------ */

/*
 * A value: up to PAXOS_VALUE_BYTES_MAX bytes, or a no-op (a gap filler,
 * which the application skips; its bytes are empty). Plain data, copied
 * by assignment.
 */
struct paxos_value {
	bool noop;
	uint16_t len;
	uint8_t bytes[PAXOS_VALUE_BYTES_MAX];
};

/* Same no-op flag and same bytes. */
bool paxos_value_equal(const struct paxos_value *a,
		       const struct paxos_value *b);

/* A value from bytes: 0, or -EINVAL when len exceeds the bound. */
int paxos_value_set(struct paxos_value *v, const void *bytes, size_t len);

/* The no-op value. */
void paxos_value_noop(struct paxos_value *v);

/* One slot an acceptor accepted: what a PROMISE reports and the acceptor
 * saves. vballot is the ballot the value was accepted at. */
struct paxos_entry {
	uint64_t slot;
	uint64_t vballot;
	struct paxos_value value;
};

/* Integer values fixed: the lab's wire codec may carry them as is. */
enum paxos_msg_type {
	PAXOS_PREPARE = 1,	/* proposer -> acceptor: phase 1a */
	PAXOS_PROMISE = 2,	/* acceptor -> proposer: phase 1b */
	PAXOS_ACCEPT = 3,	/* proposer -> acceptor: phase 2a */
	PAXOS_ACCEPTED = 4,	/* acceptor -> proposer, learners: 2b */
	PAXOS_NACK = 5,		/* acceptor -> proposer: you are below */
	PAXOS_CHOSEN = 6,	/* proposer -> learners: decided */
};
#define PAXOS_MSG_TYPE_MAX PAXOS_CHOSEN

/*
 * One message, as the core reads and writes it; the program's wire codec
 * carries it (the core never encodes). Fields by type:
 *
 *   PREPARE   slot: the first slot the promise must cover (every slot
 *             below it the proposer has seen decided); ballot
 *   PROMISE   slot: the prepare's, echoed; ballot: the one promised;
 *             entries: every slot accepted at or above slot, in
 *             ascending slot order (entries_count may be 0)
 *   ACCEPT    slot, ballot, value
 *   ACCEPTED  slot, ballot, value: the acceptor voted for value at ballot
 *   NACK      slot: the refused message's; ballot: the acceptor's promise,
 *             higher than the refused ballot; or, trimmed not 0: the
 *             PREPARE asked from a slot below trimmed, which the
 *             acceptor dropped (paxos_acceptor_trim), so it cannot
 *             report them: the proposer must learn the slots below
 *             trimmed elsewhere (the application's catch-up) first
 *   CHOSEN    slot, ballot (the one it was chosen at), value
 *
 * from is the sender's id (1..PAXOS_ID_MAX), set by the core on what it
 * sends and by the transport on what it delivers. The struct is large
 * (a full promise); keep one per connection or on the stack, never one
 * per slot.
 */
struct paxos_msg {
	enum paxos_msg_type type;
	unsigned from;
	uint64_t slot;
	uint64_t ballot;
	uint64_t trimmed;	/* NACK only; 0 otherwise */
	struct paxos_value value;
	unsigned entries_count;
	struct paxos_entry entries[PAXOS_PROMISE_ENTRIES_MAX];
};

/* A name for logs ("prepare", "promise", ...); "?" when unknown. */
const char *paxos_msg_type_name(enum paxos_msg_type t);

/* ------------------------------------------------------------------ */
/* The acceptor's saved state                                         */
/* ------------------------------------------------------------------ */

/*
 * What an acceptor must keep across a crash: the highest ballot it
 * promised, and every slot it accepted (above trimmed, the slots the
 * application said it no longer needs), in ascending slot order.
 */
struct paxos_state {
	uint64_t promised;
	/* Slots below this are dropped: decided and applied everywhere. */
	uint64_t trimmed;
	unsigned entries_count;
	struct paxos_entry entries[PAXOS_SLOTS_MAX];
};

/*
 * The state as text, one line each (the state file's contents):
 *   paxos-acceptor 1
 *   promised <ballot> trimmed <slot>
 *   slot <slot> <vballot> noop | slot <slot> <vballot> <hex bytes, may be
 *   empty as "-">
 * Writes at most cap bytes with a final newline, no NUL; returns the
 * length, or -ENOSPC when cap is too small (PAXOS_STATE_BYTES_MAX always
 * suffices).
 */
int paxos_state_encode(const struct paxos_state *s, char *buf, size_t cap);

/*
 * The reverse, on untrusted bytes (a file may be truncated or edited):
 * 0, or -EINVAL with a one-line reason in err (errcap bytes, may be
 * NULL/0), e.g. "line 3: slot 7 not above slot 9". Slots must ascend, be
 * at or above trimmed and number at most PAXOS_SLOTS_MAX; values respect
 * their bound. s is fully written on success only.
 */
int paxos_state_decode(struct paxos_state *s, const char *buf, size_t len,
		       char *err, size_t errcap);

/* ------------------------------------------------------------------ */
/* The outbox                                                         */
/* ------------------------------------------------------------------ */

/*
 * What the core asks the world to do, in the order it asks. The core
 * never waits on a call and never sees a failure from one: a message
 * that cannot be delivered is lost, as on a real network.
 */
struct paxos_outbox {
	/* Send m to peer to (m->from is already the sender's id). */
	void (*send)(struct paxos_outbox *o, unsigned to,
		     const struct paxos_msg *m);
	/*
	 * The acceptor only: keep s on stable storage before returning
	 * (write, fsync, rename). The acceptor calls it before sending any
	 * answer that depends on it, so a promise or a vote never leaves
	 * before it would survive a crash. NULL: nowhere (a restart forgets).
	 */
	void (*save)(struct paxos_outbox *o, const struct paxos_state *s);
	/*
	 * A value is known chosen for slot, at ballot: the learner's output
	 * (once per slot), and the proposer's when it counted a majority of
	 * votes itself or was told (once per slot too). NULL: not wanted.
	 */
	void (*chosen)(struct paxos_outbox *o, uint64_t slot, uint64_t ballot,
		       const struct paxos_value *v);
};

/* ------------------------------------------------------------------ */
/* Acceptor                                                           */
/* ------------------------------------------------------------------ */

struct paxos_acceptor_config {
	unsigned self;			/* this peer's id, 1..PAXOS_ID_MAX */
	/*
	 * Peers told of every vote besides the proposer that asked (the
	 * learners, when they count votes themselves); may be empty.
	 */
	unsigned learners[PAXOS_LEARNERS_MAX];
	unsigned learners_count;
	/*
	 * Answer a PREPARE or ACCEPT below the promise with a NACK naming
	 * the promise, so the proposer retries at once instead of waiting
	 * for its timeout. false: no answer at all (the DAT520 course's
	 * behaviour, and the lab's, whose output has no such message).
	 */
	bool nack;
	/* What an earlier life saved; NULL: a fresh acceptor. */
	const struct paxos_state *restored;
};

struct paxos_acceptor_stats {
	uint64_t promised;	/* PREPAREs answered with a PROMISE */
	uint64_t voted;		/* ACCEPTs answered with ACCEPTED */
	uint64_t refused;	/* below the promise (NACK or silence) */
	uint64_t refused_trimmed;	/* PREPARE below the trim point */
	uint64_t dropped_forged;	/* ballot's id is not the sender */
	uint64_t dropped_trimmed;	/* ACCEPT for a trimmed slot */
	uint64_t dropped_full;	/* ACCEPT for a slot beyond the table */
	uint64_t dropped_type;	/* a type an acceptor does not take */
	uint64_t dropped_malformed;	/* a value over its bound */
	uint64_t saves;		/* states handed to outbox.save */
};

struct paxos_acceptor {
	struct paxos_acceptor_config cfg;
	struct paxos_outbox *out;
	/* Exactly what is saved: the promise and the accepted slots. */
	struct paxos_state st;
	struct paxos_acceptor_stats stats;
};

/* Set up in place (from cfg->restored when given); sends nothing. */
void paxos_acceptor_create(struct paxos_acceptor *a,
			   const struct paxos_acceptor_config *cfg,
			   struct paxos_outbox *out);

/* One pass per message: checks the sender's ballot, then the type's
 * handler below; other types are dropped and counted. */
void paxos_acceptor_step(struct paxos_acceptor *a, const struct paxos_msg *m);

/*
 * PREPARE: a ballot at or above the promise is promised (saved, then a
 * PROMISE with the slots at or above m->slot); below it, silence or NACK.
 * An equal ballot is answered again: it is the same proposer asking twice.
 * A PREPARE from a slot below the trim point is refused whatever its
 * ballot (NACK with trimmed, or silence), and promises nothing: this
 * acceptor dropped votes it would have to report, so a promise from it
 * could let a proposer fill a chosen slot with a no-op. Every program
 * that trims is thereby safe by the core alone.
 */
void paxos_acceptor_handle_prepare(struct paxos_acceptor *a,
				   const struct paxos_msg *m);

/* ACCEPT: at or above the promise, voted (saved, then ACCEPTED to the
 * proposer and each learner); below, silence or NACK. */
void paxos_acceptor_handle_accept(struct paxos_acceptor *a,
				  const struct paxos_msg *m);

/*
 * The application has every slot below upto decided and applied wherever
 * it matters: drop them from the table (and save), so it never fills.
 * Later ACCEPTs for those slots are dropped.
 */
void paxos_acceptor_trim(struct paxos_acceptor *a, uint64_t upto);

/* ------------------------------------------------------------------ */
/* Learner                                                            */
/* ------------------------------------------------------------------ */

struct paxos_learner_config {
	unsigned self;
	/* Every slot below this is already decided and applied (a replica
	 * that replayed its log, or restored a snapshot); 0: none. */
	uint64_t decided_below;
	/* The acceptors whose votes count; a majority of them decides. */
	unsigned acceptors[PAXOS_ACCEPTORS_MAX];
	unsigned acceptors_count;
	/* Take CHOSEN from a proposer as a decision (it counted a majority
	 * of votes at its ballot itself). */
	bool trust_chosen;
};

struct paxos_learner_stats {
	uint64_t counted;		/* votes counted */
	uint64_t dropped_stranger;	/* not one of our acceptors */
	uint64_t dropped_old;		/* lower ballot, or slot decided */
	uint64_t dropped_full;		/* slot beyond the table */
	uint64_t dropped_conflict;	/* same ballot, another value:
					 * a broken proposer */
	uint64_t dropped_repeat;	/* a second vote from one sender */
	uint64_t dropped_type;
	uint64_t dropped_malformed;	/* no ballot, or a value over its
					 * bound */
	uint64_t decided;		/* slots output */
};

/* One undecided slot: the highest ballot heard for it, its value, and
 * which acceptors (by index in cfg.acceptors) voted for it at that ballot. */
struct paxos_learner_slot {
	bool used;
	bool decided;
	uint64_t ballot;
	struct paxos_value value;
	uint64_t voters;	/* bit i: cfg.acceptors[i] */
};

struct paxos_learner {
	struct paxos_learner_config cfg;
	struct paxos_outbox *out;
	/* Every slot below this is decided and was output. */
	uint64_t decided_below;
	/* Slots decided_below .. decided_below + PAXOS_SLOTS_MAX - 1, each
	 * at index slot % PAXOS_SLOTS_MAX. */
	struct paxos_learner_slot slots[PAXOS_SLOTS_MAX];
	struct paxos_learner_stats stats;
};

void paxos_learner_create(struct paxos_learner *l,
			  const struct paxos_learner_config *cfg,
			  struct paxos_outbox *out);

/* One pass per message: the sender, then the type's handler. */
void paxos_learner_step(struct paxos_learner *l, const struct paxos_msg *m);

/*
 * ACCEPTED from one of our acceptors: a higher ballot for the slot resets
 * the count to this vote, the same ballot adds its sender once, a lower
 * one is ignored. At a majority of distinct senders the slot is decided
 * and outbox.chosen is called, once per slot (slots may come out of
 * order).
 */
void paxos_learner_handle_accepted(struct paxos_learner *l,
				   const struct paxos_msg *m);

/* CHOSEN from a proposer (cfg.trust_chosen): decided, output once. */
void paxos_learner_handle_chosen(struct paxos_learner *l,
				 const struct paxos_msg *m);

/*
 * The application learnt every slot below upto by other means (a log or
 * a snapshot from another replica): the learner stands there now, slots
 * below it are forgotten without output, and its window starts at upto.
 * Slots above it already decided and output stay so. Below decided_below:
 * nothing happens.
 */
void paxos_learner_skip(struct paxos_learner *l, uint64_t upto);

/* ------------------------------------------------------------------ */
/* Proposer                                                           */
/* ------------------------------------------------------------------ */

struct paxos_proposer_config {
	unsigned self;			/* 1..PAXOS_ID_MAX */
	/* Its acceptors (the lab: those listed as acceptorK for proposer
	 * K); a majority of them is its quorum. */
	unsigned acceptors[PAXOS_ACCEPTORS_MAX];
	unsigned acceptors_count;
	/* Told CHOSEN once the proposer counts a majority; may be empty. */
	unsigned learners[PAXOS_LEARNERS_MAX];
	unsigned learners_count;
	/* Slots in flight at once, 1..PAXOS_WINDOW_MAX (the lab: 1). */
	unsigned window;
	/*
	 * The single-decree lab: only slot 0 exists. The proposer's own
	 * value is proposed there only when no promise reports one; once
	 * slot 0 is decided it proposes nothing more.
	 */
	bool single_decree;
	/*
	 * The first round this life uses. Ballots must never repeat across
	 * lives (a restarted proposer reusing one with another value breaks
	 * safety), so it must be above any round an earlier life used: one
	 * above the last round the previous life kept on disk (the lab, the
	 * simulator), or the wall clock in seconds. 0 means 1.
	 */
	uint64_t first_round;
	/* Phase 1 or 2 unanswered this long: ask the silent ones again. */
	uint32_t retry_ms;
	/* Asked this many times without a majority: a new round. */
	unsigned retries_max;
	/*
	 * Before a new round, wait a random time in [backoff_min_ms,
	 * backoff_max_ms), the upper end doubling on each failed round up
	 * to backoff_cap_ms, so two proposers duelling soon stop meeting.
	 */
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	uint32_t backoff_cap_ms;
	/* The backoff's randomness; the same seed gives the same run. */
	uint64_t seed;
	/* Every slot below this is known decided (a replica's log); 0: none. */
	uint64_t decided_below;
};

enum paxos_proposer_phase {
	PAXOS_IDLE = 0,		/* nothing to do, or not asked to lead */
	PAXOS_BACKOFF = 1,	/* waiting before a new round */
	PAXOS_PREPARING = 2,	/* phase 1: PREPARE out, promises in */
	PAXOS_LEADING = 3,	/* phase 1 done: phase 2 per slot */
	PAXOS_DONE = 4,		/* single decree: slot 0 decided */
};

struct paxos_proposer_stats {
	uint64_t rounds;		/* phase 1 begun */
	uint64_t nacks;			/* NACKs that ended a round */
	uint64_t nacks_trimmed;		/* PREPARE refused below a trim */
	uint64_t timeouts;		/* rounds ended by retries_max */
	uint64_t resent;		/* PREPARE/ACCEPT asked again */
	uint64_t dropped_stranger;	/* not one of our acceptors */
	uint64_t dropped_round;		/* for another ballot */
	uint64_t dropped_repeat;	/* a second answer from one sender */
	uint64_t dropped_type;
	uint64_t dropped_malformed;	/* a value or a promise over its
					 * bound, or a promise that does not
					 * cover our prepare's slots */
	uint64_t dropped_queue_full;	/* paxos_proposer_propose refused */
	uint64_t noops;			/* gaps filled */
	uint64_t chosen;		/* slots seen decided */
};

/* One slot in flight: what we propose there, and who voted for it at our
 * ballot. */
struct paxos_proposer_slot {
	bool used;
	bool decided;
	/*
	 * The slot was given our own command. A later phase 1 may make us
	 * propose another value there (one a promise reported, or a no-op),
	 * yet ours may still be chosen there, by a leader that hears of
	 * the vote we got; so the command goes back to the queue only once
	 * the slot is decided with another value. A command is then never
	 * chosen in two slots, and never lost while this life lasts.
	 */
	bool own;
	uint64_t voters;	/* bit i: cfg.acceptors[i] */
	/* The flags above are cleared as one prefix, up to value. */
	struct paxos_value value;
	struct paxos_value command;
};

struct paxos_proposer {
	struct paxos_proposer_config cfg;
	struct paxos_outbox *out;
	enum paxos_proposer_phase phase;
	uint64_t round;			/* of the current ballot */
	uint64_t ballot;		/* current; 0 before the first */
	uint64_t ballot_seen;		/* highest heard of (NACK, promise) */
	uint64_t rng;			/* backoff state, from cfg.seed */
	uint32_t backoff_ms;		/* current upper end */
	int64_t deadline_ms;		/* retry or backoff; PAXOS_NEVER */
	unsigned tries;			/* asks at this ballot and phase */

	/* Phase 1: who promised, and the highest-ballot report per slot. */
	uint64_t promised_by;		/* bit i: cfg.acceptors[i] */
	struct paxos_entry reported[PAXOS_SLOTS_MAX];
	unsigned reported_count;
	/* A promise reported a slot beyond the window: phase 1 again once
	 * the window has moved there, before any new command. */
	uint64_t reported_beyond;	/* 0: none, else highest slot + 1 */

	/* Every slot below this is decided. */
	uint64_t decided_below;
	/* The highest trim point a NACK reported above decided_below: the
	 * slots below it must be learnt (paxos_proposer_skip) before a
	 * phase 1 from here can gather a majority. 0: none. */
	uint64_t behind_below;
	/* The next slot a new command takes. */
	uint64_t next_slot;
	/* Slots below this (and at or above decided_below) had ACCEPT at
	 * the current ballot: the part of the window in flight. */
	uint64_t sent_below;
	/* Slots decided_below .. + PAXOS_SLOTS_MAX - 1, at slot % MAX. */
	struct paxos_proposer_slot slots[PAXOS_SLOTS_MAX];

	/* Commands waiting for a slot, oldest first (a ring). */
	struct paxos_value queue[PAXOS_QUEUE_MAX];
	unsigned queue_head;
	unsigned queue_count;

	struct paxos_proposer_stats stats;
};

/* Set up in place; sends nothing. */
void paxos_proposer_create(struct paxos_proposer *p,
			   const struct paxos_proposer_config *cfg,
			   struct paxos_outbox *out);

/*
 * A command to get chosen: queued, and phase 1 begins if the proposer is
 * idle. 0, or -ENOSPC (queue full, counted) or -EINVAL (single decree
 * and a value already queued or decided).
 */
int paxos_proposer_propose(struct paxos_proposer *p, int64_t now_ms,
			   const struct paxos_value *v);

/*
 * Run phase 1 now with a new ballot, commands or not (a replica that
 * became leader: slots other proposers left half-done get finished).
 */
void paxos_proposer_prepare(struct paxos_proposer *p, int64_t now_ms);

/*
 * Stop proposing (a replica whose view names another leader): the
 * proposer goes IDLE with no deadline; the commands queued and those in
 * flight are dropped (the application holds its clients' commands and
 * answers or proposes them again). The rounds used are kept, so the next
 * paxos_proposer_prepare uses a ballot above them; decided_below stays.
 * Answers that arrive later are dropped as for another round.
 */
void paxos_proposer_stop(struct paxos_proposer *p);

/*
 * The application learnt every slot below upto by other means (catch-up
 * from another replica): the window starts there. Only while not
 * leading (IDLE, BACKOFF or PREPARING: a phase 1 under way asks from the
 * new slot on its next try); 0, or -EBUSY while LEADING (stop first).
 */
int paxos_proposer_skip(struct paxos_proposer *p, uint64_t upto);

/* One pass per message: the sender (one of our acceptors, or any peer for
 * CHOSEN), then the ballot (ours, for answers), then the type's handler. */
void paxos_proposer_step(struct paxos_proposer *p, int64_t now_ms,
			 const struct paxos_msg *m);

/*
 * PROMISE for our current ballot from an acceptor not yet counted: its
 * reports are merged (highest vballot per slot). On a majority: for each
 * slot from decided_below to the highest reported, the reported value or
 * a no-op, then our queued commands; ACCEPT for each, within the window.
 * Promises for another ballot or repeated are dropped.
 */
void paxos_proposer_handle_promise(struct paxos_proposer *p, int64_t now_ms,
				   const struct paxos_msg *m);

/* ACCEPTED at our ballot: the sender counted once for the slot; at a
 * majority the slot is decided (outbox.chosen, CHOSEN to the learners)
 * and the window moves. */
void paxos_proposer_handle_accepted(struct paxos_proposer *p, int64_t now_ms,
				    const struct paxos_msg *m);

/* NACK above our ballot: the round is over; back off, then a higher one.
 * A NACK with trimmed (our PREPARE asked below an acceptor's trim point)
 * ends nothing, since the others may still make a majority; it is counted
 * and kept in behind_below for the application, which must catch up. */
void paxos_proposer_handle_nack(struct paxos_proposer *p, int64_t now_ms,
				const struct paxos_msg *m);

/* CHOSEN (from another proposer, or the local learner's output turned
 * into one): the slot is decided; our command given that slot, if
 * another value won it, goes back to the head of the queue. */
void paxos_proposer_handle_chosen(struct paxos_proposer *p, int64_t now_ms,
				  const struct paxos_msg *m);

/* Time passed: resend to the silent, or end the round, or end backoff. */
void paxos_proposer_tick(struct paxos_proposer *p, int64_t now_ms);

/* When paxos_proposer_tick must next be called; PAXOS_NEVER if never. */
int64_t paxos_proposer_next_deadline(const struct paxos_proposer *p);

/* Nothing queued and nothing in flight (single decree: slot 0 decided). */
bool paxos_proposer_idle(const struct paxos_proposer *p);

/* A majority of n: more than half (n / 2 + 1). */
static inline unsigned paxos_quorum(unsigned n)
{
	return n / 2 + 1;
}

#endif
