/*
 * Test twins for the membership core: a recording outbox and a tiny
 * synchronous network of cores on a virtual clock.
 *
 * struct rec is an outbox that remembers every message sent (with its
 * recipients and the time), every line printed, every event (the lines as
 * data, and those with no line: HEARD) and every exit, so a test
 * can drive one core by hand and assert on exactly what came out. Sends
 * and lines also carry a sequence number from one counter, for their
 * order relative to each other.
 *
 * struct net routes the sends of up to NET_PEERS_MAX cores to each other
 * with no latency and in order, fires each core's deadlines at their exact
 * times, and can crash a peer (kill -9) or cut one direction of a link.
 * After every event it checks the invariants: a peer's view ids strictly
 * increase; every peer that installs view v installs the same members and
 * leader; a member's state is the view it last printed; nothing is sent or
 * printed by a peer that is down; no message goes to self or a stranger.
 * NET_TRACE=1 in the environment prints every event on stderr.
 *
 * Not a test itself: the Makefile links it into every unit test, so it
 * keeps no global state and names everything net_ or rec_.
 */
#ifndef ROLLCALL_TEST_NET_H
#define ROLLCALL_TEST_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "../../common/out.h"
#include "../../common/outbox.h"
#include "../../common/peerset.h"
#include "../../common/wire.h"
#include "../../membership/mship.h"

#define REC_SENT_MAX 2048
#define REC_LINES_MAX 256
#define REC_LINE_BYTES 256
#define REC_EVENTS_MAX 256

struct rec_sent {
	int64_t at_ms;
	unsigned seq;		/* order among this rec's sends and lines */
	struct peerset to;
	struct wire_msg msg;
	bool datagram;		/* by send_datagram, not send */
};

struct rec_line {
	int64_t at_ms;
	unsigned seq;		/* order among this rec's sends and lines */
	char text[REC_LINE_BYTES];
};

struct net;

struct rec {
	struct outbox out;	/* first, so the core's outbox is the rec */
	int64_t now_ms;		/* stamped on every record; the driver sets it */
	struct rec_sent sent[REC_SENT_MAX];
	unsigned sent_count;
	unsigned sent_checked;	/* cursor of rec_next_send */
	unsigned empty_sends;	/* sends to nobody: not recorded, counted */
	struct rec_line lines[REC_LINES_MAX];
	unsigned lines_count;
	unsigned lines_checked;	/* cursor of rec_expect_line */
	struct out_event events[REC_EVENTS_MAX];
	int64_t events_at_ms[REC_EVENTS_MAX];
	unsigned events_count;
	unsigned exits;
	/* One count for sends and lines together, so a test can tell which
	 * came first within one event (they share at_ms). */
	unsigned seq_next;
	struct net *net;	/* set when the rec belongs to a network */
	unsigned self;
};

void rec_create(struct rec *r);

/* Events of kind recorded so far, and the time of the last (-1: none). */
unsigned rec_count_events(const struct rec *r, enum out_event_kind kind,
			  int64_t *last_at_ms);

/* The next line not yet checked is text, printed at at_ms. */
void rec_expect_line(struct rec *r, int64_t at_ms, const char *text);
/* No line printed since the last one checked. */
void rec_expect_quiet(const struct rec *r);

/* The next send not yet checked (there must be one). */
const struct rec_sent *rec_next_send(struct rec *r);
/* The next send not yet checked that is not a HEARTBEAT. */
const struct rec_sent *rec_next_send_not_hb(struct rec *r);
/* No send since the last one checked. */
void rec_expect_no_send(const struct rec *r);
/* No send but heartbeats since the last one checked; marks all checked. */
void rec_expect_only_heartbeats(struct rec *r);
/* Sends of type in [from_ms, to_ms], each counted once whatever its to. */
unsigned rec_count(const struct rec *r, enum wire_type type, int64_t from_ms,
		   int64_t to_ms);

/* ---- Sets and lines, spelt as the tests read them ---------------------- */

/* "1,2,5" <-> the set {1, 2, 5}; "" is the empty set. */
struct peerset net_set(const char *list);
/* Formats into one of a few rotating static buffers. */
const char *net_set_str(const struct peerset *s);

/* The expected output lines, formatted here independently of out.c. */
const char *net_line_view(unsigned self, uint32_t view_id, unsigned leader,
			  const char *members);
const char *net_line_crashing(unsigned self, uint32_t view_id,
			      unsigned leader);
const char *net_line_unreachable(unsigned self, uint32_t view_id,
				 unsigned leader, unsigned peer);
const char *net_line_leader_unreachable(unsigned self, uint32_t view_id,
					unsigned leader, unsigned peer);

/* ---- The network -------------------------------------------------------- */

#define NET_PEERS_MAX 10
#define NET_FLIGHT_MAX 1024
#define NET_VIEWS_MAX 64
#define NET_STEPS_MAX 1000000

struct net_flight {
	unsigned from;
	unsigned to;
	struct wire_msg msg;
};

/* A view as its first installer printed it. */
struct net_view {
	bool set;
	unsigned leader;
	struct peerset members;
};

struct net_peer {
	struct rec rec;
	struct mship m;
	bool started;
	bool down;		/* crashed, killed or exited: gets nothing */
	/* The last view this peer printed. */
	bool installed;
	uint32_t view_id;
	unsigned leader;
	struct peerset members;
};

struct net {
	unsigned hosts_count;
	int64_t now_ms;
	bool trace;
	struct net_peer peers[NET_PEERS_MAX + 1];
	struct net_flight flight[NET_FLIGHT_MAX];
	unsigned flight_head;
	unsigned flight_count;
	bool cut[NET_PEERS_MAX + 1][NET_PEERS_MAX + 1];
	unsigned lost;		/* to a down peer, or over a cut link */
	struct net_view views[NET_VIEWS_MAX];
	uint64_t steps;
	/* Peer 1's founding wait is cut short at its first start, as if
	 * every other host had answered at once that it is joining too
	 * (true after net_create; the tests of that wait clear it). */
	bool quick_found;
};

/* hosts_count cores with T = heartbeat_ms, no -c, no -t, no allowance (a
 * peer is dead once silent for 2T exactly); time 0. */
void net_create(struct net *n, unsigned hosts_count, uint32_t heartbeat_ms);
/* The same, each core's detector allowing allowance_ms past 2T (the
 * daemon's T/4): it is fixed when the core is created. */
void net_create_allowance(struct net *n, unsigned hosts_count,
			  uint32_t heartbeat_ms, uint32_t allowance_ms);

/* A core's configuration, to change before net_start. */
struct mship_config *net_cfg(struct net *n, unsigned id);
struct mship *net_mship(struct net *n, unsigned id);
struct rec *net_rec(struct net *n, unsigned id);

/* Start a core now (nothing is delivered until the network runs). */
void net_start(struct net *n, unsigned id);
/* Start cores first..last now, each joined before the next starts. */
void net_start_all(struct net *n, unsigned first, unsigned last);

/* Deliver everything in flight, now, until nothing is. */
void net_settle(struct net *n);
/* Deliver, and fire every deadline up to and including end_ms. */
void net_run_until(struct net *n, int64_t end_ms);

/* kill -9: the peer gets nothing and does nothing more. */
void net_crash(struct net *n, unsigned id);
/* Lose (or stop losing) every message from -> to. */
void net_cut(struct net *n, unsigned from, unsigned to, bool cut);
/* Hand msg to peer to now, as if it came off the wire. */
void net_deliver(struct net *n, unsigned to, const struct wire_msg *msg);

/* Every line each peer printed so far has been checked. */
void net_expect_quiet(const struct net *n);

#endif
