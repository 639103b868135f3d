/*
 * paxos-peer (paxos-lab/): one peer of the competing-proposers Paxos lab
 * (the image prj4).
 *
 * Reads the command line (cli.h) and the hostsfile in its roles form
 * (common/hosts.h), finds its own line by hostname, and wires the Paxos
 * core's roles (paxos/) that its line names to the transport (common/) on
 * one libuv loop: slot 0 only, the single-decree lab. Every message sent
 * and received becomes one JSON line on stdout (lines.h), and so does the
 * value, once, when this peer knows it chosen.
 *
 * Who does what (docs/paxos-lab.md settles the handout's ambiguities):
 * - proposerK proposes -v after -t seconds, to the peers listed acceptorK
 *   only; once a majority of them voted it sends CHOSEN to them and to
 *   the learnerK peers;
 * - an acceptor serves the proposers whose K it lists, with one promise
 *   for all of them, saved (--state) before it answers;
 * - an acceptor or learner prints chose when CHOSEN reaches it.
 *
 * Nothing here decides anything about Paxos.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "../common/bounds.h"
#include "../common/hosts.h"
#include "../common/peerset.h"
#include "../common/savefile.h"
#include "../common/transport.h"
#include "../common/wire.h"
#include "../common/wire_paxos.h"
#include "../paxos/paxos.h"
#include "cli.h"
#include "lines.h"

/* Phase 1 or 2 unanswered for a second: ask the silent again; after four
 * asks, a new round (above every ballot heard of) after a random backoff. */
#define LAB_RETRY_MS 1000
#define LAB_RETRIES_MAX 4
#define LAB_BACKOFF_MIN_MS 100
#define LAB_BACKOFF_MAX_MS 1000
#define LAB_BACKOFF_CAP_MS 4000
/* Messages a peer sends itself (a proposer that is its own acceptor),
 * delivered after the current event; past it they are lost, as on a
 * network. */
#define LAB_LOCAL_MAX 8
#define LAB_PATH_BYTES_MAX 4096
#define LAB_PROPOSER_STATE_BYTES_MAX 64

struct lab {
	/* First: the cores' outbox is the lab. */
	struct paxos_outbox outbox;
	struct lab_cli cli;
	struct hosts hosts;
	unsigned self;

	/* This peer's roles, and every peer's proposer number K (0: none). */
	unsigned proposer_k;
	bool is_acceptor;
	bool is_learner;
	struct peerset serves;		/* K of each acceptorK listed */
	uint16_t k_of[HOSTS_MAX + 1];

	struct paxos_proposer proposer;
	struct paxos_acceptor acceptor;
	struct paxos_learner learner;
	bool chose_printed;

	/* --state: DIR/acceptor and DIR/proposer. */
	char acceptor_path[LAB_PATH_BYTES_MAX];
	char proposer_path[LAB_PATH_BYTES_MAX];
	struct paxos_state restored;
	bool has_restored;
	uint64_t round_saved;		/* highest round used */

	uv_loop_t loop;
	uv_timer_t delay_timer;
	uv_timer_t core_timer;
	uv_timer_t test_timer;		/* --test-accept-to's death */
	unsigned test_accepts;		/* ACCEPTs sent so far */
	bool test_dying;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	struct transport *transport;
	uint64_t start_ns;
	bool ready;
	bool delay_done;
	bool proposed;
	bool stopping;
	int exit_status;

	struct paxos_msg local[LAB_LOCAL_MAX];
	unsigned local_head;
	unsigned local_count;
	uint64_t local_dropped;
	struct paxos_msg inbound;	/* the one being handled */
	char frame[FRAME_BYTES_MAX + WIRE_FRAME_HEADER_BYTES];
};

static struct lab lab_main;

static int64_t lab_now_ms(const struct lab *l)
{
	return (int64_t)((uv_hrtime() - l->start_ns) / 1000000u);
}

static void lab_log(const struct lab *l, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Diagnostics: only with --verbose, on stderr, never starting with '{'. */
static void lab_log(const struct lab *l, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (l->cli.verbose < level)
		return;
	n = snprintf(line, sizeof(line), "paxos-peer[%u]: ", l->self);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

/* One write per line: stdout is flushed line by line, and lines from one
 * peer never interleave. */
static void lab_print(const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

/*
 * The value a line shows for a message: an ACCEPT's, ACCEPTED's or
 * CHOSEN's own; a PROMISE's, the value its acceptor already accepted for
 * slot 0 (none: ""); a PREPARE carries none ("").
 */
static const struct paxos_value *lab_line_value(const struct paxos_msg *m)
{
	switch (m->type) {
	case PAXOS_ACCEPT:
	case PAXOS_ACCEPTED:
	case PAXOS_CHOSEN:
		return &m->value;
	case PAXOS_PROMISE:
		for (unsigned i = 0; i < m->entries_count; i++)
			if (m->entries[i].slot == 0)
				return &m->entries[i].value;
		return NULL;
	default:
		return NULL;
	}
}

/* A sent or received line: peer_id is always the message's sender. */
static void lab_print_msg(const char *action, const struct paxos_msg *m)
{
	char line[LAB_LINE_BYTES_MAX];
	const char *type = lab_line_type(m->type);

	if (type == NULL)
		return;
	lab_print(line, lab_line_format(line, m->from, action, type,
					lab_line_value(m), m->ballot));
}

/* ---- state files --------------------------------------------------- */

/*
 * The proposer's last round: a restarted proposer must never use a ballot
 * an earlier life used (it might pair it with another value), so a round
 * is saved before the first PREPARE that uses it leaves.
 */
static void lab_save_round(struct lab *l, uint64_t round)
{
	char buf[LAB_PROPOSER_STATE_BYTES_MAX];
	int n, rc;

	if (round <= l->round_saved)
		return;
	l->round_saved = round;
	if (l->proposer_path[0] == '\0')
		return;
	n = snprintf(buf, sizeof(buf), "paxos-proposer 1\nround %llu\n",
		     (unsigned long long)round);
	rc = savefile_write(l->proposer_path, buf, (size_t)n);
	if (rc != 0)
		fprintf(stderr, "paxos-peer[%u]: cannot write %s: %s\n",
			l->self, l->proposer_path, strerror(-rc));
}

/* The acceptor's promise and vote, on disk before its answer leaves. */
static void on_outbox_save(struct paxos_outbox *o, const struct paxos_state *s)
{
	struct lab *l = (struct lab *)o;
	static char buf[PAXOS_STATE_BYTES_MAX];
	int len, rc;

	if (l->acceptor_path[0] == '\0')
		return;
	len = paxos_state_encode(s, buf, sizeof(buf));
	if (len < 0)
		return;
	rc = savefile_write(l->acceptor_path, buf, (size_t)len);
	if (rc != 0)
		fprintf(stderr, "paxos-peer[%u]: cannot write %s: %s\n",
			l->self, l->acceptor_path, strerror(-rc));
}

static int lab_path(struct lab *l, const char *dir, const char *name,
		    char *out)
{
	int n = snprintf(out, LAB_PATH_BYTES_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= LAB_PATH_BYTES_MAX) {
		fprintf(stderr, "paxos-peer: --state: directory name too "
			"long\n");
		return -1;
	}
	(void)l;
	return 0;
}

/* Read one state file; 0 with *len, 1 when there is none (and it can be
 * written), -1 after a message. */
static int lab_read_state(const char *path, char *buf, size_t cap,
			  size_t *len)
{
	int rc = savefile_read(path, buf, cap, len);

	if (rc == -ENOENT) {
		rc = savefile_probe(path);
		if (rc == 0)
			return 1;
		fprintf(stderr, "paxos-peer: %s: %s (--state names a directory "
			"this user can write)\n", path, strerror(-rc));
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr, "paxos-peer: %s: %s (move it away to start "
			"this peer afresh)\n", path, strerror(-rc));
		return -1;
	}
	return 0;
}

/* --state DIR (or $PAXOS_STATE): what an earlier life promised. */
static int lab_state_load(struct lab *l)
{
	static char buf[PAXOS_STATE_BYTES_MAX];
	const char *dir = l->cli.state_dir;
	char err[200];
	size_t len;
	int rc;

	if (dir == NULL)
		dir = getenv("PAXOS_STATE");
	if (dir == NULL || dir[0] == '\0')
		return 0;
	if (lab_path(l, dir, "acceptor", l->acceptor_path) != 0 ||
	    lab_path(l, dir, "proposer", l->proposer_path) != 0)
		return -1;
	if (l->is_acceptor) {
		rc = lab_read_state(l->acceptor_path, buf, sizeof(buf), &len);
		if (rc < 0)
			return -1;
		if (rc == 0 && paxos_state_decode(&l->restored, buf, len, err,
						  sizeof(err)) != 0) {
			fprintf(stderr, "paxos-peer: %s: %s (move it away to "
				"start this peer afresh)\n", l->acceptor_path,
				err);
			return -1;
		}
		l->has_restored = rc == 0;
	}
	if (l->proposer_k != 0) {
		unsigned long long round;
		char extra;

		rc = lab_read_state(l->proposer_path, buf, sizeof(buf) - 1,
				    &len);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return 0;
		buf[len] = '\0';
		if (sscanf(buf, "paxos-proposer 1\nround %llu\n%c", &round,
			   &extra) != 1 || round >= PAXOS_ROUND_MAX) {
			fprintf(stderr, "paxos-peer: %s: not a proposer state "
				"file (move it away to start this peer "
				"afresh)\n", l->proposer_path);
			return -1;
		}
		l->round_saved = round;
	}
	return 0;
}

/* ---- the outbox: the cores' requests, carried out -------------------- */

static void lab_local_push(struct lab *l, const struct paxos_msg *m)
{
	if (l->local_count == LAB_LOCAL_MAX) {
		l->local_dropped++;
		lab_log(l, 1, "own %s lost: %u waiting",
			wire_paxos_type_name(m->type), l->local_count);
		return;
	}
	l->local[(l->local_head + l->local_count) % LAB_LOCAL_MAX] = *m;
	l->local_count++;
}

static void on_test_timer(uv_timer_t *timer)
{
	(void)timer;
	raise(SIGKILL);
}

/* --test-accept-to N: the Nth ACCEPT is the last; then deaf, then dead. */
static bool lab_test_drops(struct lab *l, const struct paxos_msg *m)
{
	if (l->cli.test_accept_to == 0 || m->type != PAXOS_ACCEPT)
		return l->test_dying;
	if (l->test_dying)
		return true;
	if (++l->test_accepts == l->cli.test_accept_to) {
		l->test_dying = true;
		uv_timer_start(&l->test_timer, on_test_timer, 500, 0);
	}
	return false;
}

static void on_outbox_send(struct paxos_outbox *o, unsigned to,
			   const struct paxos_msg *m)
{
	struct lab *l = (struct lab *)o;
	struct peerset one;
	size_t len;
	int rc;

	if (l->stopping || to < 1 || to > l->hosts.count ||
	    lab_test_drops(l, m))
		return;
	if (m->type == PAXOS_PREPARE)
		lab_save_round(l, paxos_ballot_round(m->ballot));
	lab_print_msg("sent", m);
	if (to == l->self) {
		lab_local_push(l, m);
		return;
	}
	rc = wire_paxos_encode_frame(m, l->frame, sizeof(l->frame), &len);
	if (rc != 0) {
		lab_log(l, 1, "cannot encode %s: %s",
			wire_paxos_type_name(m->type), wire_strerror(rc));
		return;
	}
	peerset_clear(&one);
	peerset_add(&one, to);
	if (l->transport != NULL)
		transport_send_frame(l->transport, &one, l->frame, len);
}

/* The value is chosen: said once per peer, whichever role learnt it. */
static void on_outbox_chosen(struct paxos_outbox *o, uint64_t slot,
			     uint64_t ballot, const struct paxos_value *v)
{
	struct lab *l = (struct lab *)o;
	char line[LAB_LINE_BYTES_MAX];

	if (slot != 0 || l->chose_printed)
		return;
	l->chose_printed = true;
	lab_print(line, lab_line_format(line, l->self, "chose", "chose", v,
					ballot));
}

/* ---- feeding the cores ----------------------------------------------- */

static void on_core_timer(uv_timer_t *timer);

/*
 * Which role takes m. PREPARE and ACCEPT: the acceptor, from a proposer
 * whose K it serves; the answers: the proposer; CHOSEN: the proposer, and
 * the learner of an acceptor or learner. Anything else is dropped before
 * it is printed (a peer prints only what it takes part in).
 */
static bool lab_takes(const struct lab *l, const struct paxos_msg *m)
{
	unsigned k = m->from <= l->hosts.count ? l->k_of[m->from] : 0;

	switch (m->type) {
	case PAXOS_PREPARE:
	case PAXOS_ACCEPT:
		return l->is_acceptor && k != 0 && peerset_has(&l->serves, k);
	case PAXOS_PROMISE:
	case PAXOS_ACCEPTED:
	case PAXOS_NACK:
		return l->proposer_k != 0;
	case PAXOS_CHOSEN:
		return k != 0 && (l->proposer_k != 0 || l->is_acceptor ||
				  l->is_learner);
	}
	return false;
}

static void lab_step(struct lab *l, const struct paxos_msg *m)
{
	int64_t now = lab_now_ms(l);

	if (!lab_takes(l, m)) {
		lab_log(l, 1, "dropped %s from peer %u: not for this peer's "
			"roles", wire_paxos_type_name(m->type), m->from);
		return;
	}
	lab_print_msg("received", m);
	switch (m->type) {
	case PAXOS_PREPARE:
	case PAXOS_ACCEPT:
		paxos_acceptor_step(&l->acceptor, m);
		break;
	case PAXOS_CHOSEN:
		if (l->is_acceptor || l->is_learner)
			paxos_learner_step(&l->learner, m);
		if (l->proposer_k != 0)
			paxos_proposer_step(&l->proposer, now, m);
		break;
	default:
		paxos_proposer_step(&l->proposer, now, m);
		break;
	}
}

/* After every event: what this peer sent itself, then the next deadline. */
static void lab_after(struct lab *l)
{
	while (l->local_count > 0 && !l->stopping) {
		l->inbound = l->local[l->local_head];
		l->local_head = (l->local_head + 1) % LAB_LOCAL_MAX;
		l->local_count--;
		lab_step(l, &l->inbound);
	}
	if (l->stopping || l->proposer_k == 0)
		return;
	int64_t next = paxos_proposer_next_deadline(&l->proposer);
	if (next == PAXOS_NEVER) {
		uv_timer_stop(&l->core_timer);
		return;
	}
	int64_t wait = next - lab_now_ms(l);
	uv_timer_start(&l->core_timer, on_core_timer,
		       wait > 0 ? (uint64_t)wait : 0, 0);
}

static void on_core_timer(uv_timer_t *timer)
{
	struct lab *l = timer->data;

	if (l->test_dying)
		return;
	paxos_proposer_tick(&l->proposer, lab_now_ms(l));
	lab_after(l);
}

/* Listening, and -t over: propose. */
static void lab_maybe_propose(struct lab *l)
{
	struct paxos_value v;

	if (l->proposer_k == 0 || !l->ready || !l->delay_done || l->proposed)
		return;
	l->proposed = true;
	paxos_value_set(&v, l->cli.value, l->cli.value_len);
	lab_log(l, 1, "proposing '%s' to the acceptor%u peers", l->cli.value,
		l->proposer_k);
	paxos_proposer_propose(&l->proposer, lab_now_ms(l), &v);
	lab_after(l);
}

static void on_delay_done(uv_timer_t *timer)
{
	struct lab *l = timer->data;

	l->delay_done = true;
	lab_maybe_propose(l);
}

static void on_transport_ready(void *ctx)
{
	struct lab *l = ctx;

	lab_log(l, 1, "listening on port %u", (unsigned)l->cli.port);
	l->ready = true;
	lab_maybe_propose(l);
}

static void on_transport_decoded(void *ctx, unsigned from, const void *msg)
{
	struct lab *l = ctx;

	(void)from;
	if (l->stopping || l->test_dying)
		return;
	l->inbound = *(const struct paxos_msg *)msg;
	lab_step(l, &l->inbound);
	lab_after(l);
}

static void on_handle_closed(uv_handle_t *handle)
{
	(void)handle;
}

static void lab_close_handles(void *ctx)
{
	struct lab *l = ctx;

	l->transport = NULL;
	uv_close((uv_handle_t *)&l->delay_timer, on_handle_closed);
	uv_close((uv_handle_t *)&l->core_timer, on_handle_closed);
	uv_close((uv_handle_t *)&l->test_timer, on_handle_closed);
	uv_close((uv_handle_t *)&l->sigint, on_handle_closed);
	uv_close((uv_handle_t *)&l->sigterm, on_handle_closed);
}

static void lab_stop(struct lab *l, int status)
{
	if (l->stopping)
		return;
	l->stopping = true;
	l->exit_status = status;
	uv_timer_stop(&l->core_timer);
	uv_timer_stop(&l->delay_timer);
	uv_timer_stop(&l->test_timer);
	if (l->transport != NULL)
		transport_close(l->transport, lab_close_handles, l);
	else
		lab_close_handles(l);
}

static void on_transport_fatal(void *ctx, const char *reason)
{
	struct lab *l = ctx;

	fprintf(stderr, "paxos-peer: %s\n", reason);
	lab_stop(l, 1);
}

static void on_signal(uv_signal_t *sig, int signum)
{
	struct lab *l = sig->data;

	(void)signum;
	lab_log(l, 1, "signal: closing");
	lab_stop(l, 0);
}

/* ---- the codec the transport uses ------------------------------------ */

static int lab_decode(const char *body, size_t len, void *msg,
		      unsigned *from)
{
	struct paxos_msg *m = msg;
	int rc = wire_paxos_decode(body, len, m);

	*from = rc == 0 ? m->from : 0;
	return rc;
}

static const char *lab_type_name(const void *msg)
{
	return wire_paxos_type_name(((const struct paxos_msg *)msg)->type);
}

static const struct transport_codec lab_codec = {
	.msg_bytes = sizeof(struct paxos_msg),
	.decode = lab_decode,
	.type_name = lab_type_name,
};

/* ---- start-up -------------------------------------------------------- */

/* "acceptor1,acceptor2": this peer's roles, for messages. */
static void lab_roles_text(const struct lab *l, unsigned id, char *buf,
			   size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned r = l->hosts.roles_first[id];
	     r < l->hosts.roles_first[id + 1] && o < cap; r++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s%u",
				      o ? "," : "",
				      hosts_role_name(l->hosts.roles[r].kind),
				      (unsigned)l->hosts.roles[r].k);
}

/*
 * Every peer's roles: one proposerK a peer and one peer a K; each
 * proposer's acceptors and learners within the core's bounds. The file
 * and line of a mistake are named.
 */
static int lab_roles(struct lab *l)
{
	const struct hosts *h = &l->hosts;
	static unsigned line_of_k[HOSTS_MAX + 1];

	memset(line_of_k, 0, sizeof(line_of_k));
	for (unsigned id = 1; id <= h->count; id++) {
		unsigned end = h->roles_first[id + 1];

		for (unsigned r = h->roles_first[id]; r < end; r++) {
			const struct hosts_role *x = &h->roles[r];

			if (x->kind != HOSTS_PROPOSER)
				continue;
			if (l->k_of[id] != 0) {
				fprintf(stderr, "paxos-peer: %s: peer %u (%s) "
					"is proposer%u and proposer%u; a peer "
					"is one proposer at most\n",
					l->cli.hostsfile, id, h->names[id],
					l->k_of[id], x->k);
				return -1;
			}
			if (line_of_k[x->k] != 0) {
				fprintf(stderr, "paxos-peer: %s: proposer%u on "
					"peers %u and %u; give each proposer "
					"its own number\n", l->cli.hostsfile,
					x->k, line_of_k[x->k], id);
				return -1;
			}
			l->k_of[id] = x->k;
			line_of_k[x->k] = id;
		}
	}
	for (unsigned r = h->roles_first[l->self];
	     r < h->roles_first[l->self + 1]; r++) {
		const struct hosts_role *x = &h->roles[r];

		if (x->kind == HOSTS_ACCEPTOR) {
			l->is_acceptor = true;
			peerset_add(&l->serves, x->k);
		} else if (x->kind == HOSTS_LEARNER) {
			l->is_learner = true;
		}
	}
	l->proposer_k = l->k_of[l->self];
	return 0;
}

/* The proposer's acceptors (acceptorK) and whom it tells (those and
 * learnerK), within the core's bounds. */
static int lab_proposer_config(struct lab *l,
			       struct paxos_proposer_config *pc)
{
	const struct hosts *h = &l->hosts;
	unsigned k = l->proposer_k;

	for (unsigned id = 1; id <= h->count; id++) {
		bool acc = hosts_has_role(h, id, HOSTS_ACCEPTOR, k);
		bool learn = hosts_has_role(h, id, HOSTS_LEARNER, k);

		if (acc && pc->acceptors_count == PAXOS_ACCEPTORS_MAX) {
			fprintf(stderr, "paxos-peer: %s: more than %d peers "
				"are acceptor%u\n", l->cli.hostsfile,
				PAXOS_ACCEPTORS_MAX, k);
			return -1;
		}
		if ((acc || learn) &&
		    pc->learners_count == PAXOS_LEARNERS_MAX) {
			fprintf(stderr, "paxos-peer: %s: more than %d peers "
				"are acceptor%u or learner%u\n",
				l->cli.hostsfile, PAXOS_LEARNERS_MAX, k, k);
			return -1;
		}
		if (acc)
			pc->acceptors[pc->acceptors_count++] = id;
		if (acc || learn)
			pc->learners[pc->learners_count++] = id;
	}
	if (pc->acceptors_count == 0) {
		fprintf(stderr, "paxos-peer: %s: peer %u is proposer%u, but no "
			"peer is acceptor%u; add the role to its acceptors' "
			"lines\n", l->cli.hostsfile, l->self, k, k);
		return -1;
	}
	return 0;
}

/* Our id: --id, or the line that matches our hostname. */
static int lab_find_self(struct lab *l)
{
	char name[256];

	if (l->cli.id != 0) {
		if (l->cli.id > l->hosts.count) {
			fprintf(stderr, "paxos-peer: --id %u: %s has only %u "
				"peers\n", l->cli.id, l->cli.hostsfile,
				l->hosts.count);
			return -1;
		}
		l->self = l->cli.id;
		return 0;
	}
	if (gethostname(name, sizeof(name)) != 0) {
		fprintf(stderr, "paxos-peer: cannot read the hostname: %s; "
			"pass --id N\n", strerror(errno));
		return -1;
	}
	name[sizeof(name) - 1] = '\0';
	l->self = hosts_find(&l->hosts, name);
	if (l->self == 0) {
		fprintf(stderr, "paxos-peer: %s: hostname '%s' is not in the "
			"file; add it or pass --id N\n", l->cli.hostsfile,
			name);
		return -1;
	}
	return 0;
}

/* -v and -t belong to proposers, and a proposer needs -v. */
static int lab_check_flags(struct lab *l)
{
	char roles[256];

	lab_roles_text(l, l->self, roles, sizeof(roles));
	if (l->proposer_k != 0 && !l->cli.has_value) {
		fprintf(stderr, "paxos-peer: -v: required: peer %u (%s) is "
			"proposer%u; give its value (example: -v X)\n",
			l->self, l->hosts.names[l->self], l->proposer_k);
		return -1;
	}
	if (l->proposer_k == 0 && l->cli.has_value) {
		fprintf(stderr, "paxos-peer: -v: peer %u (%s) is not a "
			"proposer (its roles: %s); only a proposer takes a "
			"value\n", l->self, l->hosts.names[l->self], roles);
		return -1;
	}
	if (l->proposer_k == 0 && l->cli.has_delay) {
		fprintf(stderr, "paxos-peer: -t: peer %u (%s) is not a "
			"proposer (its roles: %s); only a proposer waits "
			"before proposing\n", l->self,
			l->hosts.names[l->self], roles);
		return -1;
	}
	return 0;
}

/* -1: go on; else the exit status. */
static int lab_configure(struct lab *l, int argc, char **argv)
{
	char err[512];

	if (lab_cli_parse(&l->cli, argc, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "paxos-peer: %s\n", err);
		return 2;
	}
	if (l->cli.help) {
		fputs(lab_cli_usage(), stdout);
		return 0;
	}
	if (hosts_load_form(&l->hosts, l->cli.hostsfile, HOSTS_ROLES, err,
			    sizeof(err)) != 0) {
		fprintf(stderr, "paxos-peer: %s\n", err);
		return 2;
	}
	if (lab_find_self(l) != 0 || lab_roles(l) != 0 ||
	    lab_check_flags(l) != 0 || lab_state_load(l) != 0)
		return 2;
	return -1;
}

static int lab_create_roles(struct lab *l)
{
	if (l->proposer_k != 0) {
		struct paxos_proposer_config pc = {
			.self = l->self,
			.window = 1,
			.single_decree = true,
			.first_round = l->round_saved + 1,
			.retry_ms = LAB_RETRY_MS,
			.retries_max = LAB_RETRIES_MAX,
			.backoff_min_ms = LAB_BACKOFF_MIN_MS,
			.backoff_max_ms = LAB_BACKOFF_MAX_MS,
			.backoff_cap_ms = LAB_BACKOFF_CAP_MS,
			.seed = uv_hrtime() ^ ((uint64_t)l->self << 32),
		};
		if (lab_proposer_config(l, &pc) != 0)
			return -1;
		paxos_proposer_create(&l->proposer, &pc, &l->outbox);
	}
	if (l->is_acceptor) {
		struct paxos_acceptor_config ac = {
			.self = l->self,
			/* The lab prints every message, and its output has
			 * no refusal: a ballot below the promise gets none. */
			.nack = false,
			.restored = l->has_restored ? &l->restored : NULL,
		};
		paxos_acceptor_create(&l->acceptor, &ac, &l->outbox);
	}
	if (l->is_acceptor || l->is_learner) {
		struct paxos_learner_config lc = {
			.self = l->self,
			.trust_chosen = true,
		};
		paxos_learner_create(&l->learner, &lc, &l->outbox);
	}
	return 0;
}

static void lab_init_loop(struct lab *l)
{
	uv_loop_init(&l->loop);
	uv_timer_init(&l->loop, &l->delay_timer);
	uv_timer_init(&l->loop, &l->core_timer);
	uv_timer_init(&l->loop, &l->test_timer);
	l->delay_timer.data = l;
	l->core_timer.data = l;
	uv_signal_init(&l->loop, &l->sigint);
	uv_signal_init(&l->loop, &l->sigterm);
	l->sigint.data = l;
	l->sigterm.data = l;
	uv_signal_start(&l->sigint, on_signal, SIGINT);
	uv_signal_start(&l->sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&l->sigint);
	uv_unref((uv_handle_t *)&l->sigterm);
}

static void lab_begin(struct lab *l)
{
	struct transport_config tc = {
		.loop = &l->loop,
		.hosts = &l->hosts,
		.self = l->self,
		.port = l->cli.port,
		.verbose = l->cli.verbose,
		.codec = &lab_codec,
	};
	struct transport_events ev = {
		.ctx = l,
		.on_ready = on_transport_ready,
		.on_decoded = on_transport_decoded,
		.on_fatal = on_transport_fatal,
	};
	int rc = transport_new(&l->transport, &tc, &ev);

	if (rc != 0) {
		fprintf(stderr, "paxos-peer: cannot start the transport: %s\n",
			uv_strerror(rc));
		lab_stop(l, 1);
		return;
	}
	/* -t counts from the start, not from when the port is bound. */
	if (l->proposer_k != 0)
		uv_timer_start(&l->delay_timer, on_delay_done,
			       l->cli.delay_ms, 0);
}

int main(int argc, char **argv)
{
	struct lab *l = &lab_main;
	int status;

	signal(SIGPIPE, SIG_IGN);
	l->outbox.send = on_outbox_send;
	l->outbox.save = on_outbox_save;
	l->outbox.chosen = on_outbox_chosen;
	status = lab_configure(l, argc, argv);
	if (status < 0 && lab_create_roles(l) != 0)
		status = 2;
	if (status >= 0) {
		hosts_destroy(&l->hosts);
		return status;
	}
	lab_init_loop(l);
	l->start_ns = uv_hrtime();
	lab_begin(l);
	uv_run(&l->loop, UV_RUN_DEFAULT);
	int rc = uv_loop_close(&l->loop);
	if (rc != 0)
		lab_log(l, 1, "loop close: %s", uv_strerror(rc));
	hosts_destroy(&l->hosts);
	return l->exit_status;
}
