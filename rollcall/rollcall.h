/*
 * rollcall as a library: the membership protocol on the caller's libuv loop.
 *
 * A program that wants to know who is in its group, and who leads it,
 * embeds one struct rollcall per process:
 *
 *     struct rollcall_config cfg = {
 *             .loop = loop,
 *             .hostsfile = "hostsfile.txt",
 *             .id = 2,
 *             .port = 7610,
 *             .heartbeat_ms = 200,
 *             .state_dir = "/var/lib/app",    // or NULL
 *             .ctx = app,
 *             .on_view = on_view,             // a view installed
 *             .on_unreachable = on_unreachable,
 *             .on_removed = on_removed,
 *     };
 *     struct rollcall *rc;
 *     char err[ROLLCALL_ERR_BYTES];
 *     if (rollcall_create(&rc, &cfg, err, sizeof(err)) != 0)
 *             die(err);                       // one line: what to fix
 *     rollcall_start(rc);
 *     uv_run(loop, UV_RUN_DEFAULT);
 *     ...
 *     rollcall_stop(rc, on_stopped, app);     // from a callback or signal
 *     // in on_stopped, or after uv_run returned:
 *     rollcall_destroy(rc);
 *
 * What it does: the same protocol as the rollcall daemon (docs/
 * membership.md), which is this library's first user. Peers are the
 * hostsfile's entries, ids by line; each binds TCP and UDP on its own
 * entry's address and cfg.port. Peer 1 founds the group; the others join
 * it. A view is (id, leader, members): one view id names one list and
 * one leader on every peer that installs it.
 *
 * What it never does: it keeps no global state (two instances on one loop
 * are two peers), starts no thread, blocks the loop on nothing (names
 * resolve with uv_getaddrinfo) and prints nothing unless asked: the output
 * lines go to cfg.on_line and diagnostics to cfg.on_log, when given.
 *
 * Callbacks run on the loop, after the protocol core has returned from
 * the event that caused them, so a callback may call any function here
 * (rollcall_stop included). None is called after rollcall_stop.
 */
#ifndef ROLLCALL_ROLLCALL_H
#define ROLLCALL_ROLLCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/bounds.h"
#include "../common/hosts.h"

/* Room for any error rollcall_create writes. */
#define ROLLCALL_ERR_BYTES 600
/* How often, by default, the keyring file's stat is looked at. */
#define ROLLCALL_KEYRING_POLL_MS 2000

/* A view: what every member that installed view id agrees on. */
struct rollcall_view {
	uint32_t id;			/* 0: the founder's first view */
	unsigned leader;		/* a member's id; 0: no view yet */
	unsigned members_count;
	unsigned members[HOSTS_MAX];	/* ascending ids */
};

struct rollcall;

struct rollcall_config {
	uv_loop_t *loop;		/* the caller's; must outlive rollcall */

	/*
	 * The peers: a hostsfile path (read and checked by rollcall_create),
	 * or hosts already parsed (common/hosts.h; then hostsfile is only
	 * named in messages, and hosts must outlive the instance).
	 */
	const char *hostsfile;
	const struct hosts *hosts;
	unsigned id;			/* this peer's entry, 1..count */
	uint16_t port;			/* every peer's TCP and UDP port */
	uint32_t heartbeat_ms;		/* T: a peer silent 2T is dead */

	/*
	 * A directory this peer alone writes: DIR/state keeps its promises
	 * across a restart (written, fsynced and renamed before anything
	 * that depends on it is sent). NULL: nothing kept, so a restart is
	 * a new peer that must not have promised anything.
	 */
	const char *state_dir;
	/*
	 * A keyring file (common/keyring.h, docs/security.md): every frame
	 * and datagram is sealed with its first key and opened with any of
	 * them. NULL or "": plain messages. rollcall_create refuses a file
	 * that does not load (one line in err). Once started, the file is
	 * reread when its stat changes (every keyring_poll_ms, 0: 2000), and
	 * by rollcall_keyring_reread (the daemon's SIGHUP); either way one
	 * line goes to on_log, and a file that does not load keeps the keys
	 * in use.
	 */
	const char *keyring;
	uint32_t keyring_poll_ms;
	/* Once removed, join again as a new member (else stay quiet). */
	bool rejoin;
	int verbose;			/* > 0: the transport's diagnostics */

	/* Test knobs of the daemon (its -c, -t, --test-drop-udp); zero
	 * values turn them off (crash_ms 0 means never here). */
	int64_t crash_ms;
	bool testcase4;
	unsigned drop_udp_percent;

	/* Every callback is optional (NULL), and gets ctx. */
	void *ctx;
	/* Own address bound: the protocol has started. */
	void (*on_ready)(void *ctx);
	/* A view was installed (this peer is in it). */
	void (*on_view)(void *ctx, const struct rollcall_view *v);
	/* Member peer stopped answering (it may be removed next); v is the
	 * view it was a member of, and peer == v->leader for the leader. */
	void (*on_unreachable)(void *ctx, unsigned peer,
			       const struct rollcall_view *v);
	/* The group removed this peer in view v (v->members lacks it);
	 * rejoining says it joins again (cfg.rejoin). */
	void (*on_removed)(void *ctx, const struct rollcall_view *v,
			   bool rejoining);
	/* A peer held dead spoke again and was never removed. */
	void (*on_heard)(void *ctx, unsigned peer);
	/* crash_ms or testcase4 fired: the peer went quiet on purpose in
	 * view v (its leader: the one followed), and the caller should
	 * stop it. */
	void (*on_crash)(void *ctx, const struct rollcall_view *v);
	/* Binding failed (address in use, not local): one line; stop it. */
	void (*on_fatal)(void *ctx, const char *reason);
	/* The daemon's output lines, newline included (NULL: not made). */
	void (*on_line)(void *ctx, const char *line, size_t len);
	/* Diagnostics, one line without newline: failures to keep the
	 * state and each keyring reread (always) and, with verbose, what
	 * the peer does. */
	void (*on_log)(void *ctx, const char *what);
	/* After every event the core handled (for a status file). */
	void (*on_step)(void *ctx);
};

/*
 * Check cfg, read the hostsfile (when given by path) and DIR/state, and
 * set up; nothing is bound or sent yet. 0, or a negative code with one
 * line in err ("hosts.txt:3: ...", "--id 5: hosts.txt has only 3
 * entries", "DIR/state:2: ... (move it away to start afresh)").
 */
int rollcall_create(struct rollcall **out, const struct rollcall_config *cfg,
		    char *err, size_t err_cap);

/* Resolve the hostsfile's names, bind, and run the protocol. Once. */
int rollcall_start(struct rollcall *r);

/*
 * Leave: stop the protocol, let queued writes go (about a second at
 * most), close every handle, then call done(ctx) from the loop. Safe to
 * call twice, and before rollcall_start (done is still called).
 */
void rollcall_stop(struct rollcall *r, void (*done)(void *ctx), void *ctx);

/*
 * Read cfg.keyring again now (why names the cause in the line said, e.g.
 * "SIGHUP"). 0: the new keys are in use; -EINVAL: no keyring configured,
 * or the file did not load and the keys in use are kept. Each step of a
 * rotation must be seen done on every peer before the next (the line
 * names the keys' count and the sealing key's public id).
 */
int rollcall_keyring_reread(struct rollcall *r, const char *why);

/* Free it: before rollcall_start, or once stop's done was called. */
void rollcall_destroy(struct rollcall *r);

/* This peer's id, and the hostsfile's entry count. */
unsigned rollcall_self(const struct rollcall *r);
unsigned rollcall_hosts_count(const struct rollcall *r);

/* The view installed last into *v; false (and *v empty) before any. */
bool rollcall_view(const struct rollcall *r, struct rollcall_view *v);

/*
 * The leader this peer follows now (0: none yet, or removed). It is the
 * installed view's leader, or a peer taking over from it.
 */
unsigned rollcall_leader(const struct rollcall *r);

/* Whether this peer leads its installed view now (takeover finished). */
bool rollcall_is_leader(const struct rollcall *r);

/* Milliseconds since rollcall_create, the clock the core runs on. */
int64_t rollcall_now_ms(const struct rollcall *r);

/*
 * For the daemon's status file only: the protocol core and the
 * transport's counters, read-only (membership/mship.h,
 * common/transport.h). NULL transport stats before start or after stop.
 */
struct mship;
struct transport_stats;
const struct mship *rollcall_core(const struct rollcall *r);
const struct transport_stats *rollcall_transport_stats(
	const struct rollcall *r);

#endif
