/*
 * The deterministic simulator: N unmodified protocol cores (the
 * librollcall.a the daemon links) on one virtual clock and a seeded fake
 * network, with crashes and restarts, and the group's invariants checked
 * after every step.
 *
 * sim.c     the driver: a seed becomes a configuration and a fault
 *           schedule; the event loop; many seeds, or one replayed.
 * simnet.c  the network model (TCP: per-pair FIFO, broken by a crash; UDP:
 *           loss, duplication, reordering; partitions that cut either),
 *           the event queue, and the outbox each core sends, prints,
 *           saves its durable state and exits through.
 * siminv.c  the invariants, the output-line parser, and the trace of the
 *           last events printed when a seed fails.
 *
 * Everything random comes from the seed through rng_* below, never from
 * rand() or the clock, so a seed replays exactly. The simulator never
 * reaches into a core to change it: it only reads a core's state to check
 * it against what the core printed.
 */
#ifndef ROLLCALL_SIM_H
#define ROLLCALL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../common/outbox.h"
#include "../../common/peerset.h"
#include "../../common/state.h"
#include "../../common/wire.h"
#include "../../membership/mship.h"
#include "rng.h"

/* ---- Time ---------------------------------------------------------------- */

/*
 * An event's place in time is a key: milliseconds (what the cores see) in
 * the high bits and a random sub-millisecond part below, so that events of
 * the same millisecond happen in a seeded random order and TCP can keep
 * each connection's messages in order within a millisecond.
 */
#define SIM_SUB_BITS 20
#define SIM_KEY(ms) ((int64_t)(ms) << SIM_SUB_BITS)
#define SIM_MS(key) ((key) >> SIM_SUB_BITS)

/* ---- Bounds -------------------------------------------------------------- */

#define SIM_PEERS_MAX HOSTS_MAX
#define SIM_TRACE_MAX 40	/* events kept for a failure's trace */
#define SIM_TRACE_BYTES 1024	/* text of one traced event */
#define SIM_TRIGGERS_MAX 16
#define SIM_VIEWS_MAX (1u << 22)	/* distinct view ids beyond this: a
					 * violation (a runaway) */
#define SIM_EVENTS_MAX UINT64_C(400000000)	/* per seed: a livelock */
#define SIM_MSG_TEXT_BYTES 160
#define SIM_CUTS_MAX 16	/* partitions planned per seed (--partitions-max) */
/*
 * TCP across a cut (see simnet.c): a connection held by a cut for at most
 * SIM_TCP_BREAK_MS only delays what crosses it, to the first
 * retransmission after the heal (the RTO starts at SIM_TCP_RTO_MS and
 * doubles, as Linux's does); held longer, it breaks, and what was on it
 * is lost.
 */
#define SIM_TCP_BREAK_MS 3000
#define SIM_TCP_RTO_MS 200

/* ---- Options (the command line) and a seed's configuration -------------- */

struct sim_opts {
	unsigned peers;		/* 0: chosen per seed */
	uint32_t heartbeat_ms;	/* 0: chosen per seed */
	double loss_max;	/* UDP loss per seed, uniform in [0, loss_max] */
	double loss;		/* >= 0: this UDP loss for every seed */
	double dup_max;		/* UDP duplication, uniform in [0, dup_max] */
	int64_t delay_max_ms;	/* 0: per seed, up to 20 */
	int faults;		/* < 0: chosen per seed */
	bool restart_1;		/* may peer 1 be restarted (it founds anew) */
	bool tflag;		/* may peer 1 run with -t */
	bool cflag;		/* may peers run with -c */
	bool restarts;		/* restart crashed peers at all */
	bool partial;		/* crash inside a send, after some recipients */
	bool tcp_tail;		/* occasional TCP stalls of 50..400 ms */
	bool loss_forever;	/* UDP loss goes on in the quiet spell too */
	/* 0: the UDP loss is on every link; else only on the datagrams this
	 * peer sends and those sent to it (one peer's link is lossy, as
	 * tests/proc/cut.sh's thin_udp makes it). */
	unsigned lossy_peer;
	bool lossy_out;		/* only the datagrams lossy_peer sends */
	bool keep_going;	/* run to the end after a violation */
	bool freeze;		/* also stop peers for T..4T (SIGSTOP) */
	bool rejoin;		/* every peer runs with --rejoin */
	unsigned partitions_max;	/* cuts per seed, 0..this (0: none) */
	bool amnesia;		/* a restart forgets the saved state */
	int verbose;		/* 1: every event but heartbeats; 2: all */
	unsigned quiet_t;	/* quiescence, in heartbeat periods */
};

enum sim_fault_kind {
	FAULT_CRASH_LEADER,	/* kill -9 whoever leads now */
	FAULT_CRASH_ANY,	/* kill -9 a random running peer */
	FAULT_ARM,		/* arm a trigger: crash at a protocol step */
	FAULT_RESTART,		/* start a crashed peer again, fresh */
	FAULT_START,		/* a peer's first start */
	FAULT_FREEZE,		/* stop a running peer for a while */
	FAULT_CUT,		/* a partition begins (s->cuts[peer]) */
	FAULT_HEAL,		/* and ends */
};

/* A crash at a protocol step rather than at a moment. */
enum sim_trigger_kind {
	TRIG_SEND,		/* the sender, after k of its n recipients */
	TRIG_RECV_BEFORE,	/* the receiver, instead of handling it */
	TRIG_RECV_AFTER,	/* the receiver, right after handling it */
};

struct sim_trigger {
	enum sim_trigger_kind kind;
	enum wire_type type;
	int role;		/* -1 any, else the enum mship_role required */
	bool recon;		/* only while the peer reconciles */
	int64_t until_ms;	/* disarmed after this */
};

struct sim_fault {
	int64_t at_ms;
	enum sim_fault_kind kind;
	unsigned peer;
	int64_t for_ms;		/* FAULT_FREEZE: how long */
	struct sim_trigger trig;
};

/*
 * A partition, as iptables DROP rules would make it: while it is in force
 * (keys [start_key, end_key)), datagrams that cross it in a cut direction
 * are lost, and TCP connections between the two sides are cut both ways
 * whichever direction is dropped (a one-way cut stops the ACKs).
 */
enum sim_cut_dir {
	CUT_BOTH,		/* nothing crosses */
	CUT_OUT,		/* the side's packets to the rest are dropped */
	CUT_IN,			/* the rest's packets to the side are dropped */
};

struct sim_cut {
	struct peerset side;
	enum sim_cut_dir dir;
	int64_t start_key, end_key;
};

struct sim_cfg {
	uint64_t seed;
	unsigned peers;
	uint32_t heartbeat_ms;
	int64_t delay_min_ms, delay_max_ms;
	double udp_loss, udp_dup;
	unsigned lossy_peer;	/* sim_opts.lossy_peer */
	bool lossy_out;		/* sim_opts.lossy_out */
	int64_t loss_until_ms;	/* UDP loss and duplication stop then */
	double tcp_tail;	/* chance of a stall per TCP message */
	double restart_chance;
	bool tflag;
	int64_t window_start_ms;	/* faults are scheduled in [start, */
	int64_t window_ms;		/* window] */
	int64_t quiet_ms;	/* after the last fault, before judging */
	unsigned faults_planned;
};

/* ---- Peers ---------------------------------------------------------------- */

struct sim;

struct sim_peer {
	struct outbox out;	/* first: the core's outbox is the peer */
	struct sim *sim;
	unsigned id;
	struct mship *m;
	unsigned life;		/* 0 before the first start, then 1, 2, ... */
	bool running;		/* started and not crashed */
	bool exited;		/* this life ended through the outbox exit */
	bool killed;		/* this life ended by kill -9 */
	int64_t started_ms;
	int64_t first_crash_ms;	/* -c of the first life, or -1 */
	/* Stopped (SIGSTOP) until then: what reaches it waits, in order. */
	int64_t frozen_until_ms;
	/* The core's incarnation after its last step: a change is a rejoin,
	 * a new membership of this peer in the group. */
	uint64_t incarnation;
	/* Connections this peer's last life closed gracefully when it died:
	 * what it sent on them is still delivered. The others were reset. */
	struct peerset fin_to;
	/* The last state any life of this peer saved (outbox save), given
	 * back to its next life unless --amnesia; restored is the copy the
	 * running life was started with, untouched while it runs. */
	bool saved_set;
	struct state saved;
	struct state restored;
	/* Peers whose OK reached this life since it last installed a view:
	 * what a view it commits next can rest on (no-quorum-no-view). */
	struct peerset ok_from;

	/* The tick scheduled for this peer: valid while gen matches. */
	uint32_t tick_gen;
	bool tick_pending;
	int64_t tick_deadline_ms;

	/* This life started without what an earlier life saved (--amnesia)
	 * and has installed no view since: it holds no vote in a view that
	 * lists its id (the earlier life's), so it counts in no quorum of
	 * one when liveness is judged. */
	bool forgot;
	/* The last life that confirmed the ADD of itself (an OK to it). */
	unsigned confirmed_life;
	/* The highest view id any life of this peer printed since the
	 * group was last founded anew (log-monotonic). */
	bool log_any;
	uint32_t log_view_max;

	/* What this life printed last (the invariants' view of the peer). */
	bool installed;
	uint32_t view_id;
	unsigned leader;
	struct peerset members;
	struct peerset reported;	/* unreachable printed, per membership */
	/* A NEWVIEW this peer sent before installing its view: it must
	 * install that view before the step ends. */
	bool announced;
	uint32_t announced_view_id;
	unsigned announced_leader;
	struct peerset announced_members;
};

/* ---- Events ---------------------------------------------------------------- */

enum sim_ev_kind {
	EV_TCP,
	EV_UDP,
	EV_TICK,
	EV_FAULT,
};

struct sim_ev {
	int64_t key;
	uint64_t seq;
	uint8_t kind;
	uint16_t from, to;
	uint32_t from_life, to_life;
	uint32_t arg;		/* message slot, view id, tick gen, fault */
	uint64_t from_inc;	/* the sender core's incarnation (HEARTBEAT) */
	uint16_t hb_leader;	/* the leader a HEARTBEAT names */
	uint32_t hb_beat;	/* its beat number (wire v4) */
	uint64_t hb_ballot;	/* and the ballot it follows (wire v3) */
	/* A HEARTBEAT naming suspects or peers heard: its whole message is
	 * in slot hb_slot - 1 (0: none, kept compact). */
	uint32_t hb_slot;
};

struct sim_msgslot {
	struct wire_msg msg;
	uint32_t refs;
};

/* A view id as its first installer printed it. */
struct sim_view {
	bool used;		/* this slot of the table holds view id */
	uint32_t id;
	bool set;		/* installed (else only announced) */
	unsigned leader;
	unsigned installer;
	unsigned leader_life;	/* the leader's life when first installed */
	unsigned installer_life;
	bool committed;		/* its commit was judged (no-quorum-no-view) */
	int64_t at_ms;
	struct peerset members;
};

struct sim_trace_entry {
	int64_t at_ms;
	uint64_t hidden;	/* heartbeat-only events just before it */
	char text[SIM_TRACE_BYTES];
};

struct sim_stats {
	uint64_t events;
	uint64_t delivered;
	uint64_t heartbeats;
	uint64_t dropped;	/* lost by the network or to a dead end */
	uint64_t ticks;
	unsigned kills;
	unsigned exits;
	unsigned restarts;
	unsigned faults;	/* faults that did something */
	unsigned suspicions;	/* detector expiries */
	/* Of them, of a peer running, not stopped, and with no cut in
	 * force between the two: a detector fooled by loss alone. */
	unsigned suspicions_false;
	/* Unreachable lines printed about a peer that runs, is not stopped,
	 * and has no cut between it and the one printing: false alarms. */
	unsigned lines_false;
	unsigned views;		/* distinct view ids installed */
	unsigned saves;		/* durable states saved through the outbox */
	/* Peers removed while running, in a view, and not stopped: a
	 * detector fooled (the loss, a cut) or testcase 4's victim. Over member_ms, the
	 * peers times the run's length, for a rate per member-hour. */
	unsigned removed_live;
	uint64_t member_ms;
	double loss;		/* this seed's UDP loss */
	unsigned cuts;		/* partitions that began */
	uint64_t cut_lost;	/* TCP messages lost to a broken connection */
	uint64_t cut_held;	/* TCP messages held until a heal */
	bool extinct;		/* every peer died; nothing left to judge */
	/* Peer 1 founded anew after the group died out: no running peer
	 * held a view of it (siminv.c, refounding). */
	unsigned refounds;
	/* ... while a running peer held a view of it, or a message of one
	 * was on its way: the known limit. */
	unsigned refounds_live;
	bool refound_collision;	/* ... and then a view id named two lists */
	bool refound_unmerged;	/* ... and the groups did not end as one */
	bool refound_other;	/* ... and another invariant broke */
	bool no_quorum_left;	/* the latest view's live members hold no
				 * quorum of it: nothing may be decided */
	bool pending_no_quorum;	/* a change pending in it would make a
				 * view without a live quorum (siminv.c) */
};

struct sim {
	struct sim_opts opts;
	struct sim_cfg cfg;
	bool refound_noted;	/* -v: the first failure counted, printed */
	struct rng rng_net, rng_fault, rng_sched;
	struct sim_peer *peers;	/* 1..cfg.peers */

	int64_t now_key;
	int64_t now_ms;
	int64_t end_ms;		/* judge liveness here (moves with faults) */
	int64_t last_fault_ms;
	uint64_t seq;

	struct sim_ev *heap;
	size_t heap_count, heap_cap;

	struct sim_msgslot *slots;
	uint32_t *slot_free;
	size_t slots_count, slots_cap, slot_free_count;

	int64_t *tcp_last_key;	/* per ordered pair: FIFO */
	/* Per ordered pair, its connection's current cut spell (its start
	 * key) and when the first message met it: the retransmission timer
	 * runs from then. Made at the first message across a cut. */
	struct sim_tcp_cut {
		int64_t spell_key;
		int64_t first_key;
	} *tcp_cut;

	struct sim_fault *faults;
	size_t faults_count, faults_cap;
	struct sim_trigger triggers[SIM_TRIGGERS_MAX];
	unsigned triggers_count;
	/* The partitions of this seed, all planned before it runs, so that
	 * a message's fate across them is known when it is sent. */
	struct sim_cut cuts[SIM_CUTS_MAX];
	unsigned cuts_count;

	/* Invariant bookkeeping. */
	struct sim_view *views;
	size_t views_cap, views_count;
	bool *removable;	/* crashed, suspected, or -t victim */
	/* During a tick: whom the ticking peer's detector watched before it.
	 * Whatever leaves that watch inside the tick was declared dead, even
	 * before the tick returns (a leader removes it within the tick). */
	struct sim_peer *tick_peer;
	struct peerset tick_watched;
	bool *joined;		/* some life sent JOIN */
	int64_t *unreach_ms;	/* last unreachable line about each peer */

	/* The event being handled, and the trace. */
	struct sim_peer *cur;	/* whose event it is, or NULL */
	bool cur_interesting;
	bool cur_open;		/* cur_text holds this event's header */
	unsigned cur_acts;	/* the event's outputs but -vv's details
				 * (what opens an untraced event's trace) */
	char cur_text[SIM_TRACE_BYTES];
	size_t cur_len;
	struct sim_trace_entry trace[SIM_TRACE_MAX];
	unsigned trace_next, trace_count;
	uint64_t trace_hidden;	/* heartbeat-only events since last entry */
	bool trace_live;	/* print each entry as it is made */

	bool failed;
	int64_t fail_ms;
	char violation[1024];
	char kind[48];

	struct sim_stats stats;
};

/* ---- simnet.c ---------------------------------------------------------- */

void simnet_create(struct sim *s);
void simnet_destroy(struct sim *s);
void sim_push(struct sim *s, int64_t key, enum sim_ev_kind kind,
	      unsigned from, unsigned to, uint32_t arg);
bool sim_pop(struct sim *s, struct sim_ev *ev);
/* Deliver ev again at key: a frozen peer's event, kept in order. */
void sim_repush(struct sim *s, const struct sim_ev *ev, int64_t key);

/* Start a life of peer id now (its first, or a restart). */
void sim_peer_start(struct sim *s, unsigned id);
/* kill -9 now; resets or closes its connections (random per peer). */
void sim_peer_kill(struct sim *s, struct sim_peer *p, const char *why);
/* Hand an event of the network to its receiver. */
void sim_deliver(struct sim *s, const struct sim_ev *ev);
void sim_tick(struct sim *s, const struct sim_ev *ev);
/* After p handled an event: check it and schedule its next tick. */
void sim_after_step(struct sim *s, struct sim_peer *p, bool exact);
void sim_schedule_tick(struct sim *s, struct sim_peer *p);
/* Does a datagram from -> to cross a cut in force at key? */
bool simnet_blocked(const struct sim *s, unsigned from, unsigned to,
		    int64_t key);
/* The partition model's literal cases; the number that failed. */
int simnet_self_test(void);
/* Is any partition in force at key? */
bool simnet_cut_now(const struct sim *s, int64_t key);
/* Messages in a short readable form, for the trace. */
size_t sim_fmt_msg(char *buf, size_t cap, const struct wire_msg *m);
size_t sim_fmt_set(char *buf, size_t cap, const struct peerset *set);

/* ---- siminv.c ------------------------------------------------------------ */

void siminv_create(struct sim *s);
void siminv_destroy(struct sim *s);
/* A peer printed line (len bytes); checks format and view invariants. */
void siminv_on_print(struct sim *s, struct sim_peer *p, const char *line,
		     size_t len);
/* p sends a NEWVIEW: it must announce the view it installed itself. */
void siminv_on_newview_sent(struct sim *s, struct sim_peer *p,
			    const struct wire_msg *m);
/* p's detector declared peer dead. */
void siminv_on_suspect(struct sim *s, struct sim_peer *p, unsigned peer);
/* Per step: the core's state is the view it printed, and any NEWVIEW it
 * sent announced a view it installed. */
void siminv_check_peer(struct sim *s, struct sim_peer *p);
/* At the end: one view of exactly the live peers, and quiet. */
void siminv_check_liveness(struct sim *s);
/*
 * The quorum rule, the only place it is written: have holds a quorum of
 * the view whose member set is members when it holds more than half of
 * them, or exactly half including the lowest id of members.
 */
bool sim_quorum(const struct peerset *members, const struct peerset *have);
/* Record a violation (the first one only counts). */
void sim_fail(struct sim *s, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A peer died (killed or exited): sim.c decides whether it comes back. */
void sim_on_death(struct sim *s, struct sim_peer *p);

/* The trace: an event begins, text is added, the event ends. */
void simtrace_begin(struct sim *s, struct sim_peer *p, bool interesting,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void simtrace_add(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void simtrace_end(struct sim *s);
void simtrace_print(const struct sim *s);

#endif
