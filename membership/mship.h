/*
 * The membership protocol core: one peer's whole state machine.
 *
 * A peer is joining (sending JOIN until a NEWVIEW includes it), a member
 * (answering REQ with OK, installing NEWVIEW), or the leader (running one
 * view change at a time: REQ to the members, OKs back, NEWVIEW to all).
 * When the leader dies, the lowest-id live member reconciles (reconcile/)
 * and leads. The failure detector (heartbeat/) says who died.
 *
 * Underneath it is a consensus on the sequence of views: each view change
 * is decided by a quorum of the view it is asked in, at a ballot that
 * orders competing leaders (NEWLEADER is phase 1, REQ/OK phase 2, NEWVIEW
 * the decision), so one view id names one list and one leader whatever
 * crashes, pauses and cuts happen.
 *
 * Events and the time come in (mship_start, mship_on_message,
 * mship_on_tick); messages, output lines and a voluntary exit go out
 * through the outbox. mship_next_deadline says when to tick next. This
 * module never does I/O, never reads a clock and never allocates: the same
 * code runs under libuv and under the simulator. Messages from the network
 * are checked here (unknown sender, stale view, wrong role) and dropped
 * with a count; nothing a peer sends reaches an assert.
 */
#ifndef ROLLCALL_MSHIP_H
#define ROLLCALL_MSHIP_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/outbox.h"
#include "../common/peerset.h"
#include "../common/quorum.h"
#include "../common/state.h"
#include "../common/wire.h"
#include "../heartbeat/fd.h"
#include "../heartbeat/rings.h"
#include "../reconcile/recon.h"

#define MSHIP_NEVER INT64_MAX

/*
 * Views of at most this many members heartbeat all to all, and relay news
 * of a peer to a member that seems to lack it (mship.c, mship__relay).
 * Larger views are watched through K rings (heartbeat/rings.h): each
 * member heartbeats its observers and the leader, the leader every
 * member, and a member is removed once a majority of its observers
 * suspect it (docs/design.md).
 */
#define MSHIP_ALL_TO_ALL_MAX 32

/* How long, in heartbeat periods, a member beats twice per period after a
 * heartbeat last showed a datagram lost (mship.c, mship__half_beat). */
#define MSHIP_LOSSY_T 10

struct mship_config {
	unsigned self;		/* this peer's id, 1..hosts_count */
	unsigned hosts_count;	/* entries in the hostsfile */
	uint32_t heartbeat_ms;	/* T; a peer silent for 2T is dead */
	int64_t crash_ms;	/* -c: crash this long after JOIN; -1 never */
	bool testcase4;		/* -t */
	/* This process's first life, higher than any earlier process with
	 * the same id had (the daemon takes the wall clock); 0 means 1. */
	uint64_t incarnation;
	/* --rejoin: once removed, join again as a new member (a new life)
	 * instead of staying quiet. */
	bool rejoin;
	/* What an earlier life saved (the state file); NULL: none, a peer
	 * that never ran before. */
	const struct state *restored;
	/* How long past 2T a silent peer still counts as alive: delivery
	 * jitter, so that one lost heartbeat followed by a normal one never
	 * reaches the deadline (the daemon: T/4). */
	uint32_t allowance_ms;
	/* How long a new peer 1 asks the other hosts whether a group lives
	 * before it founds one (the daemon: 2T + A, a detector's time); 0:
	 * it founds at once, asking nobody (the tests' literal times). */
	uint32_t probe_ms;
};
#define MSHIP_HAS_RESTORED 1

enum mship_role {
	MSHIP_IDLE,		/* not started */
	MSHIP_JOINING,
	MSHIP_MEMBER,
	MSHIP_LEADER,		/* leading, or taking over (recon.active) */
	MSHIP_REMOVED,		/* the leader removed us: quiet for good
				 * (without --rejoin) */
	MSHIP_CRASHED,		/* -c or -t fired */
};

/* Why messages were dropped, for diagnostics and tests. */
struct mship_stats {
	uint64_t dropped_stranger;	/* sender not in the hostsfile */
	uint64_t dropped_nonmember;	/* sender not in our view */
	uint64_t dropped_stale;		/* older view or request id */
	uint64_t dropped_role;		/* not meant for our role */
	uint64_t dropped_queue_full;	/* OP_QUEUE_MAX reached */
	uint64_t dropped_old_life;	/* from a sender's earlier process */
	uint64_t refused;		/* REQ or NEWLEADER below our promise */
	uint64_t new_lives;		/* peers seen restarted or rejoined */
	uint64_t pauses;		/* times this peer found it had not
					 * been run for over 1.5T */
	uint64_t takeovers;		/* NEWLEADER rounds begun */
	uint64_t saves;			/* state handed to the outbox */
	uint64_t suspicions;		/* our detector held a member dead */
	uint64_t heard_again;		/* ... and it spoke again, never
					 * removed: a false suspicion */
};

/* Leader: a member suspected by others, and who suspects it. */
struct mship_suspicion {
	unsigned peer;
	struct peerset by;
};

/* A change waiting at the leader. */
struct mship_change {
	enum wire_op op;	/* ADD or DEL */
	unsigned peer;
};

struct mship {
	struct mship_config cfg;
	struct outbox *out;
	enum mship_role role;
	uint64_t incarnation;	/* this life's, in every message sent */
	/* The newest life heard from each peer; 0 before it spoke. */
	uint64_t lives[HOSTS_MAX + 1];
	/* When the core last ran: a longer gap than 1.5T is a pause of our
	 * own (stopped, starved), not silence of the others. */
	int64_t last_run_ms;
	/* When each peer was last heard of (any life; 0: never): it sent
	 * us anything but a JOIN holding no vote, or a member's heartbeat
	 * said it heard it directly then. */
	int64_t heard_ms[HOSTS_MAX + 1];
	/* The view that removed us (rejoining: a later one admits us). */
	uint32_t removed_in;
	/* This life resumed the view its state file holds and has installed
	 * no later one: a removal it learns of may be of the earlier life's
	 * membership, and it joins again (mship__removed). */
	bool resumed;

	/*
	 * A new life: this process started without a state file, and no
	 * view has admitted it yet. Whatever an earlier process of this id
	 * promised or accepted is lost with the file, so this life holds no
	 * vote: it answers no NEWLEADER and no REQ but the ADD of itself,
	 * and takes no view but one above the view that ADD was asked in.
	 * Views that list its id before that are an earlier life's
	 * membership, which the group removes when this life JOINs
	 * (mship__life_gone). The ADD of itself it confirmed is kept as its
	 * accepted change (st.acc_*, saved): a view above st.acc_base
	 * admits it (mship__admits).
	 */
	bool fresh;
	/* A new peer 1 asks the other hosts before it founds a group: it
	 * founds at this time unless one shows it a view first
	 * (MSHIP_NEVER: not probing). */
	int64_t found_at_ms;
	/* We founded view 0 after an unanswered probe and nobody joined it
	 * yet: a later view we hear of is a group we did not see, whose
	 * view 0 was an earlier life's. We join it rather than lead. */
	bool founded_alone;
	/* The newest life of each peer heard acting as a member (anything
	 * but JOIN and a joiner's REDIRECT or refusal): a JOIN from a later
	 * life holding no vote says that member's process is gone. */
	uint64_t voter_lives[HOSTS_MAX + 1];
	/* The highest view id a peer acting in a view showed us, and when
	 * one last showed it: a new life confirms no ADD asked in an older
	 * view while that group speaks (mship__may_confirm). */
	uint32_t member_view_seen;
	int64_t member_seen_ms;

	/* The installed view (the last decided one we know), and the leader
	 * we follow: the view's, or the one whose ballot we answered since. */
	uint32_t view_id;
	unsigned view_leader;
	unsigned leader;
	struct peerset members;

	/*
	 * What we promised and accepted, kept across restarts (state.h):
	 * the highest ballot answered, the change accepted in our view and
	 * not yet seen decided, and our view.
	 */
	struct state st;
	/* The ballot of the leader we follow, from its REQ or NEWVIEW: what
	 * our heartbeats advertise. */
	uint64_t follow_ballot;
	/* The highest ballot heard of: a takeover goes above it. */
	uint64_t ballot_seen;

	struct fd fd;
	int64_t next_beat_ms;
	/* Under loss, the heartbeat goes again half a period after each
	 * beat (mship.c, mship__half_beat); MSHIP_NEVER: none due. And
	 * when a heartbeat last showed a datagram lost. */
	int64_t half_beat_ms;
	int64_t loss_seen_ms;
	/* Our latest beat's number in this life (HEARTBEAT's beat: 2, 4, 6,
	 * ..., its half-beat's one more), and of each peer the latest heard
	 * and in which of its lives: a beat's number skipped is a beat lost,
	 * one late is not (mship.c, mship__count_beat). */
	uint32_t beat_no;
	uint32_t beat_heard[HOSTS_MAX + 1];
	uint64_t beat_life[HOSTS_MAX + 1];
	/* Members whose failure this peer has printed (per membership). */
	struct peerset reported;
	/* Members this peer believes dead: its detector's or a leader's word. */
	struct peerset dead;
	/* Those of them our own detector holds dead, until heard again: what
	 * our heartbeats name as suspects. */
	struct peerset suspected;
	/* Leader: what members' heartbeats say they suspect. A member is
	 * removed only once a quorum of the view, we included, suspects it. */
	struct mship_suspicion suspicions[SUSPICIONS_MAX];
	unsigned suspicions_count;

	/*
	 * Member: a NEWLEADER not yet answered, because this peer still
	 * hears the leader it follows. It is answered when our detector
	 * agrees that leader is dead, so a member losing one leader's
	 * heartbeats cannot depose it alone.
	 */
	bool newleader_deferred;
	unsigned newleader_from;
	uint32_t newleader_request_id;
	uint64_t newleader_ballot;

	/*
	 * Leader: our ballot, the view change in flight, the changes queued
	 * behind it. A view change decides a batch: every change that queued
	 * while the last one was in flight (at most CHANGES_MAX, each peer
	 * once), the leader the view it makes names.
	 */
	uint64_t ballot;
	uint32_t next_request_id;
	bool round_active;
	uint32_t round_request_id;
	uint32_t round_view_id;	/* the view the batch is asked in */
	struct wire_changes round;
	unsigned round_leader;
	/* A predecessor's batch, found taking over: finished first, exactly
	 * as it was accepted (a quorum may have decided it). */
	bool inherit_set;
	struct wire_changes inherit;
	unsigned inherit_leader;
	/* Nonzero while one event is being handled whose changes (deaths
	 * seen at one tick, suspects named by one heartbeat) belong in one
	 * batch: mship__start_round waits for the event's end. */
	unsigned round_hold;
	/* Member: our detector held someone dead at this tick; the leader
	 * hears of every such death in one heartbeat, at the tick's end. */
	bool tell_leader;
	/* ADDs: first the joiners confirm they are there (and promise our
	 * ballot for the view they join); nothing is accepted until then.
	 * After 2T the batch goes on without the silent ones, or, if none
	 * confirmed and nothing else is in it, is dropped after
	 * ADD_CONFIRMS_MAX. */
	bool round_confirming;
	unsigned round_confirms;
	/* The change in flight is our own (queued by us, not a predecessor's
	 * left to finish): only we can have decided it. */
	bool round_fresh;
	/*
	 * A fresh change of ours we gave up undecided, because a quorum of
	 * the view it makes is dead: the ballot it was asked at, in view
	 * void_view. Whatever was accepted in that view at or below it was
	 * decided by no one (only we decide at our ballot, and a fresh
	 * change has no predecessor), so our next takeover ignores it.
	 */
	uint64_t void_ballot;
	uint32_t void_view;
	struct peerset round_oks;	/* who accepted it, us included */
	struct peerset round_waiting;	/* asked and not answered */
	/* When REQ (or, taking over, NEWLEADER) goes again to the silent. */
	int64_t round_retry_ms;
	/* Leader: when each member was last sent the view again because it
	 * seemed behind (at most once per 2T each). */
	int64_t view_resent_ms[HOSTS_MAX + 1];
	/* When we may next show our view to each peer that showed us a
	 * later one (lives.c, mship__show_behind). */
	int64_t view_shown_ms[HOSTS_MAX + 1];
	/*
	 * Views of more than MSHIP_ALL_TO_ALL_MAX members: the K rings, our
	 * observers (whom we heartbeat, with the leader) and our subjects
	 * (whom we watch, with the leader).
	 */
	bool ringed;
	struct rings rings;
	struct peerset observers;
	struct peerset subjects;
	/* Leader: until when each member gets our half-beats (its heartbeat
	 * showed one of our beats lost: a heard age of us past T + A, or us
	 * among its suspects). */
	int64_t missed_until_ms[HOSTS_MAX + 1];
	/* Leader: when each member may next be shown that an observer
	 * suspects it (mship.c, mship__show_suspected). */
	int64_t show_suspected_ms[HOSTS_MAX + 1];
	/*
	 * Views of at most MSHIP_ALL_TO_ALL_MAX: for each member, the
	 * members (bits by place in the view) its last heartbeat did not
	 * show heard within T + T/20; and when we may next relay to it.
	 */
	uint32_t lacks[HOSTS_MAX + 1];
	int64_t relay_next_ms[HOSTS_MAX + 1];
	struct mship_change queue[OP_QUEUE_MAX];
	unsigned queue_head;
	unsigned queue_count;
	struct recon recon;

	/* Joining: where JOIN goes next, and when. */
	unsigned join_target;
	unsigned join_probe;	/* the last other host asked */
	bool join_heard;	/* join_target answered since the last JOIN */
	int64_t join_next_ms;
	uint32_t join_backoff_ms;
	uint32_t view_id_seen;		/* the highest in any message */

	int64_t crash_at_ms;	/* MSHIP_NEVER when not armed */

	struct mship_stats stats;
};

/* Set up in place; nothing is sent until mship_start. */
void mship_create(struct mship *m, const struct mship_config *cfg,
		  struct outbox *out);

/* Begin: peer 1 leads view 0 alone and prints it; others send JOIN. */
void mship_start(struct mship *m, int64_t now_ms);

/* A decoded message arrived (TCP or UDP). */
void mship_on_message(struct mship *m, int64_t now_ms,
		      const struct wire_msg *msg);

/* Time passed: fire every deadline at or before now. */
void mship_on_tick(struct mship *m, int64_t now_ms);

/* When mship_on_tick must next be called; MSHIP_NEVER when never. */
int64_t mship_next_deadline(const struct mship *m);

#endif
