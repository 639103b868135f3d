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

#include "../common/fdio.h"
#include "../common/wire_paxos.h"
#include "lab.h"
#include "lines.h"

/* Phase 1 or 2 unanswered for a second: ask the silent again; after six
 * asks, a new round (above every ballot heard of) after a random backoff. */
#define LAB_RETRY_MS 1000
#define LAB_RETRIES_MAX 6
#define LAB_BACKOFF_MIN_MS 100
#define LAB_BACKOFF_MAX_MS 1000
#define LAB_BACKOFF_CAP_MS 4000

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
	(void)fd_write_all(STDOUT_FILENO, line, len);
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

/* The acceptor's promise and vote, on disk before its answer leaves. */
static void on_outbox_save(struct paxos_outbox *o, const struct paxos_state *s)
{
	lab_save_acceptor((struct lab *)o, s);
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

/*
 * A retry of the PREPARE or ACCEPT last handed to a peer that has not
 * connected since: the queued one will go when it does, and a second
 * copy would only be answered twice.
 */
static bool lab_still_queued(struct lab *l, unsigned to,
			     const struct paxos_msg *m)
{
	bool same = l->last_type[to] == m->type &&
		    l->last_ballot[to] == m->ballot;

	if (m->type != PAXOS_PREPARE && m->type != PAXOS_ACCEPT)
		return false;
	if (same && l->transport != NULL &&
	    transport_backlogged(l->transport, to))
		return true;
	l->last_type[to] = (uint8_t)m->type;
	l->last_ballot[to] = m->ballot;
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
	if (lab_still_queued(l, to, m)) {
		lab_log(l, 2, "%s to peer %u still queued: not sent again",
			wire_paxos_type_name(m->type), to);
		return;
	}
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
