/*
 * bank: one replica of the replicated bank (docs/bank.md).
 *
 * One process, one libuv loop, three parts:
 *
 *  - rollcall, embedded as a library (rollcall/rollcall.h) on the
 *    membership port P: it says who is in the group and who leads it;
 *  - Multi-Paxos on paxos/'s roles, between the replicas on port P + 1:
 *    every replica is an acceptor; the replica rollcall names leader runs
 *    the proposer; decided slots are applied to the bank (bank.h) in slot
 *    order and printed, one JSON line each, on stdout;
 *  - the clients, on port P + 2 (proto.h): a request to a replica that
 *    does not lead is answered REDIRECT; the leader proposes it and
 *    answers once its slot is applied.
 *
 * Leadership follows rollcall's view. A replica named leader runs phase 1
 * once, for every slot from its first unapplied one, and phase 2 per
 * command, at most --alpha slots in flight. A replica whose view names
 * another leader stops its proposer (paxos_proposer_stop) and redirects
 * what it held. What a replica applies is what its own learner
 * (paxos/learner.c) counted a majority of votes for: every acceptor
 * tells every replica of each vote.
 *
 * A replica behind (restarted, cut off, or a leader whose PREPARE an
 * acceptor refused for asking below its trim point) asks a replica ahead
 * of it for the decided slots (FETCH, LOG), applies them in order, and
 * tells its learner and its proposer where it stands (the _skip calls).
 *
 * The acceptor's state reaches DIR/acceptor.0 or .1 (fdatasync) before
 * any promise or vote leaves: see on_paxos_save and save_start.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "../common/fdio.h"
#include "../common/hosts.h"
#include "../common/keyring.h"
#include "../common/peerset.h"
#include "../common/transport.h"
#include "../common/wire_walk.h"
#include "../paxos/paxos.h"
#include "../rollcall/rollcall.h"
#include "bank.h"
#include "link.h"
#include "proto.h"

#define BANK_VERSION "0.1.0"
#define BANK_PORT_DEFAULT 7610
/* How often each replica tells the others how far it applied, and checks
 * its waits. */
#define BANK_STATUS_MS 100
/* A replica not heard for this long is not counted live. */
#define BANK_LIVE_MS (4 * BANK_STATUS_MS)
/* Decided slots held above the applied prefix, waiting for a gap. */
#define BANK_PENDING_SLOTS_MAX 1024
/* Client commands waiting for their slot at once. */
#define BANK_WAITING_MAX 1024
/* Client connections at once; past it the oldest idle one is closed. */
#define BANK_CLIENTS_CONNS_MAX 512
/* Local Paxos messages (to self) waiting for the current step to end. */
#define BANK_LOCAL_MAX 4096
/* Messages held at once behind one save. */
#define BANK_HELD_MAX 4096
/* A command not decided in this long is answered "no quorum". */
#define BANK_QUORUM_WAIT_MS 2000
/* Decided slots kept in memory for others' catch-up (the last ones). A
 * replica further behind than this gets a snapshot (--test-log-window
 * makes it smaller, for the tests). */
#define BANK_LOG_SLOTS_MAX (1u << 16)
/* A record of DIR/log: a 4-byte big-endian length, a noop byte, the
 * value's bytes. */
#define BANK_LOG_RECORD_HEADER 5
/* A snapshot arriving with no piece for this long is given up: another
 * replica may send one. */
#define BANK_SNAP_STALL_MS 1000
#define BANK_ALPHA_DEFAULT 16

struct peer {
	unsigned id;
	uint64_t applied;	/* its last STATUS */
	int64_t heard_ms;	/* when it last sent anything; 0: never */
	int64_t fetch_ms;	/* when we last asked it for slots */
};

/* A client's command waiting for its slot. */
struct waiting {
	bool used;
	struct link *link;	/* NULL: the client went away */
	char client[BANK_CLIENT_ID_BYTES_MAX + 1];
	uint64_t seq;
	int64_t since_ms;
	struct bank_cmd cmd;	/* proposed again by a new proposer */
};

struct local_msg {
	struct paxos_msg *m;
};

/* A message to a peer held until the acceptor's state is on disk: its
 * whole frame. */
struct held {
	unsigned to;
	size_t len;
	char *bytes;
};

enum lead_state {
	FOLLOWING = 0,
	LEADING = 2,
};

struct replica {
	struct paxos_outbox pout;	/* first: the acceptor's and learner's */
	/* The proposer's: the same sends, and no chosen (the learner alone
	 * says what is applied). */
	struct paxos_outbox prop_out;
	uv_loop_t loop;
	struct hosts hosts;
	const char *hostsfile;
	unsigned self, n;
	uint16_t port;
	uint32_t heartbeat_ms;
	unsigned alpha;
	const char *state_dir;
	/* --keyring: rollcall's and the replicas' messages sealed with it
	 * (read at start; rollcall alone rereads it when it changes). */
	const char *keyring_path;
	struct keyring keyring;
	char acceptor_path[4096];
	int verbose;
	struct rollcall *rc;
	bool stopping;
	int exit_status;

	struct paxos_acceptor acc;
	struct paxos_learner learner;
	struct paxos_proposer prop;
	enum lead_state lead;
	uint32_t lead_view;
	bool told_waiting;	/* said we wait for rollcall's confirmation */
	/* The view lead_check reads (a few KiB: one, not one per call). */
	struct rollcall_view view;
	int64_t lead_since_ms, phase1_ms, first_decided_ms;
	bool told_phase1, told_first;

	/* The decided log: slots 0..applied-1 applied; the last
	 * log_window of them kept at slot % log_window for FETCH, from
	 * log_base on (the slot a snapshot installed here stands for). */
	struct paxos_value *log;
	uint32_t log_window;
	uint64_t log_base;
	uint64_t applied;
	/* DIR/log: every applied slot, appended as applied, fsynced every
	 * status period; durable is what the last fsync covered, and what
	 * STATUS tells (the others trim their acceptors by it). */
	int log_fd;
	uint64_t durable;
	bool replaying;
	struct {
		bool has;
		struct paxos_value v;
	} *pend;		/* BANK_PENDING_SLOTS_MAX, at slot % MAX */
	struct bank *bank;

	/* Snapshots (docs/bank.md): the one we serve, encoded once at
	 * snap_out_slot and kept while others fetch it in pieces; the one
	 * we receive, from one replica, piece by piece, into snap_in. */
	uint8_t *snap_out;
	size_t snap_out_len;
	uint64_t snap_out_slot;
	uint8_t *snap_in;
	size_t snap_in_len;
	uint64_t snap_in_slot, snap_in_total;	/* total 0: none arriving */
	unsigned snap_in_from;
	int64_t snap_in_ms;	/* its last piece */
	size_t snap_chunk;	/* bytes a SNAP carries (the tests: fewer) */
	struct bank *snap_bank;	/* decoded into, then swapped in */
	uint64_t snapshots_served, snapshots_installed;

	struct peer *peers;	/* 1..n */
	/* The replicas' link (port P + 1): the shared transport with the
	 * bank's codec, so a message's sender id is checked against the
	 * address it came from. NULL until rollcall is ready. */
	struct transport *tp;
	uv_tcp_t client_listener;
	uv_timer_t status_timer, paxos_timer;
	uv_signal_t sigint, sigterm;

	struct waiting waiting[BANK_WAITING_MAX];
	struct link *clients[BANK_CLIENTS_CONNS_MAX];
	unsigned clients_count;

	/* Group commit (on_paxos_save): whether the acceptor's state must be
	 * written, and what waits for it. */
	bool save_pending;
	uv_idle_t flush_idle;
	uint64_t save_seq;		/* the last save's number */
	struct held held[BANK_HELD_MAX];	/* wait for the next save */
	unsigned held_count;
	struct held batch[BANK_HELD_MAX];	/* wait for the one in flight */
	unsigned batch_count;
	bool save_inflight;
	int save_fd[2];			/* DIR/acceptor.0 and .1, open */
	uv_fs_t save_req;
	char *save_buf;			/* the bytes in flight */
	size_t save_len;
	/* DIR/log's fdatasync in flight, and what it will make durable. */
	bool log_inflight;
	uint64_t log_target;
	uv_fs_t log_req;
	uint64_t saves;

	struct local_msg local[BANK_LOCAL_MAX];
	unsigned local_head, local_count;
	bool draining;

	/* Counters (stderr at exit and with -v). */
	uint64_t malformed_client, malformed_peer, strangers;
	uint64_t local_dropped, redirects, no_quorum;

	struct bank_peer_msg in;	/* the message being handled */
	struct bank_peer_msg outmsg;	/* the message being sent */
	char frame[WIRE_FRAME_HEADER_BYTES + FRAME_BYTES_MAX];
};

static struct replica replica_main;

static int64_t now_ms(struct replica *r)
{
	return (int64_t)uv_now(&r->loop);
}

/* Diagnostics on stderr, prefixed; never a line starting with '{'. */
static void say(struct replica *r, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(line, sizeof(line), "bank[%u]: ", r->self);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

#define vsay(r, ...) do { if ((r)->verbose > 0) say((r), __VA_ARGS__); } \
	while (0)

/* ---- Sending to replicas ------------------------------------------------- */

/* The bank's encoder in the shape the shared framing takes. */
static int peer_body_encode(const void *m, char *buf, size_t cap,
			    size_t *len)
{
	int n = bank_peer_encode(m, buf, cap);
	if (n < 0)
		return n == -ENOSPC ? WIRE_ENOSPACE : WIRE_ESHAPE;
	*len = (size_t)n;
	return 0;
}

/* m as one frame in r->frame: its length, or 0 when it does not fit. */
static size_t peer_frame(struct replica *r, const struct bank_peer_msg *m)
{
	size_t len;
	if (wire_frame_encode(peer_body_encode, m, r->frame, sizeof(r->frame),
			      &len) != 0) {
		vsay(r, "message type %d does not fit a frame", (int)m->type);
		return 0;
	}
	return len;
}

/*
 * One frame to replica to. While earlier ones still wait for its
 * connection (it is down, or reconnecting), the frame is lost, as on a
 * network: Paxos asks again, STATUS and FETCH come again, and a dead
 * replica's queue does not fill with stale messages.
 */
static void frame_send(struct replica *r, unsigned to, const char *frame,
		       size_t len)
{
	struct peerset one;
	if (r->tp == NULL || len == 0 || to == r->self ||
	    transport_backlogged(r->tp, to))
		return;
	peerset_clear(&one);
	peerset_add(&one, to);
	transport_send_frame(r->tp, &one, frame, len);
}

static void peer_send(struct replica *r, unsigned to,
		      const struct bank_peer_msg *m)
{
	frame_send(r, to, r->frame, peer_frame(r, m));
}

static void trim_acceptor(struct replica *r);

static void send_status(struct replica *r)
{
	struct bank_peer_msg *m = &r->outmsg;
	m->type = BANK_MSG_STATUS;
	m->from = r->self;
	m->applied = r->durable;
	for (unsigned id = 1; id <= r->n; id++)
		if (id != r->self)
			peer_send(r, id, m);
}

/* ---- The Paxos outbox ---------------------------------------------------- */

static void paxos_dispatch(struct replica *r, const struct paxos_msg *m);
static void paxos_rearm(struct replica *r);
static void on_flush(uv_idle_t *idle);
static void local_drain(struct replica *r);

/* A message to ourselves waits until the role that sent it returned:
 * the roles are never re-entered. */
static void local_push(struct replica *r, const struct paxos_msg *m)
{
	if (r->local_count == BANK_LOCAL_MAX) {
		r->local_dropped++;
		return;
	}
	size_t size = offsetof(struct paxos_msg, entries) +
		      (size_t)m->entries_count * sizeof(struct paxos_entry);
	struct paxos_msg *copy = malloc(sizeof(*copy));
	if (copy == NULL) {
		r->local_dropped++;
		return;
	}
	memcpy(copy, m, size);
	unsigned i = (r->local_head + r->local_count) % BANK_LOCAL_MAX;
	r->local[i].m = copy;
	r->local_count++;
}

static void local_drain(struct replica *r)
{
	/* Not while a save is pending: our own acceptor's answers wait for
	 * the disk as the others' do (on_flush drains). */
	if (r->draining || r->save_pending || r->save_inflight)
		return;
	r->draining = true;
	while (r->local_count > 0) {
		struct paxos_msg *m = r->local[r->local_head].m;
		r->local_head = (r->local_head + 1) % BANK_LOCAL_MAX;
		r->local_count--;
		paxos_dispatch(r, m);
		free(m);
	}
	r->draining = false;
}

static void on_paxos_send(struct paxos_outbox *o, unsigned to,
			  const struct paxos_msg *m)
{
	struct replica *r = (struct replica *)o;
	if (to == r->self) {
		local_push(r, m);
		return;
	}
	if (to < 1 || to > r->n)
		return;
	struct bank_peer_msg *out = &r->outmsg;
	out->type = BANK_MSG_PAXOS;
	out->from = r->self;
	size_t size = offsetof(struct paxos_msg, entries) +
		      (size_t)m->entries_count * sizeof(struct paxos_entry);
	memcpy(&out->pm, m, size);
	if (!r->save_pending && !r->save_inflight) {
		peer_send(r, to, out);
		return;
	}
	/* Held until the save it may depend on is on disk: the next one
	 * when one is pending, else the one in flight (an answer repeated
	 * from the state being written). */
	struct held *q = r->save_pending ? r->held : r->batch;
	unsigned *count = r->save_pending ? &r->held_count : &r->batch_count;
	size_t len = peer_frame(r, out);
	if (len == 0 || *count == BANK_HELD_MAX) {
		r->local_dropped++;
		return;
	}
	struct held *h = &q[*count];
	h->bytes = malloc(len);
	if (h->bytes == NULL)
		return;
	memcpy(h->bytes, r->frame, len);
	h->len = len;
	h->to = to;
	(*count)++;
}

/*
 * The acceptor's promise and votes reach the disk before any answer that
 * depends on them leaves: group commit. on_paxos_save only notes that a
 * save is due (no copy: the state is the acceptor's own, which only
 * gains promises and votes); from then on every message the roles send,
 * to a peer or to ourselves, is held. Once the loop has handled every
 * event of this turn (on_flush, an idle handle), the acceptor's state as
 * it stands then, which covers every held answer, is encoded once,
 * written and synced in libuv's thread pool (save_start), so the loop
 * keeps serving heartbeats meanwhile; only then do the held messages go
 * (on_save_done). One
 * fdatasync covers every ACCEPT that arrived together, or while the save
 * before was on its way. A failure stops the replica: answering anyway
 * could break a promise after a restart.
 */
static void on_paxos_save(struct paxos_outbox *o, const struct paxos_state *s)
{
	struct replica *r = (struct replica *)o;
	(void)s;	/* r->acc.st, encoded at save_start */
	if (r->acceptor_path[0] == '\0')
		return;
	if (!r->save_pending) {
		r->save_pending = true;
		/* Stopping: nothing held is sent any more, so nothing
		 * depends on the save. */
		if (!r->save_inflight && !r->stopping)
			uv_idle_start(&r->flush_idle, on_flush);
	}
}

/*
 * Two files, DIR/acceptor.0 and DIR/acceptor.1, written in turn in place
 * (one fdatasync, no rename and no directory fsync): save number N goes
 * to acceptor.(N % 2) as
 *     bank-acceptor N LEN\n <LEN bytes: paxos_state_encode> end N\n
 * A crash in the middle of a write spoils that file only; the other holds
 * the save before, whose answers are the last that left (they wait for
 * the save: on_flush). load_acceptor takes the valid file with the
 * higher N.
 */
static void save_failed(struct replica *r, int err)
{
	say(r, "cannot write %s.%u: %s; stopping (answering without it could "
	    "break a promise)", r->acceptor_path, (unsigned)(r->save_seq % 2),
	    uv_strerror(err));
	fflush(stderr);
	_exit(1);
}

static void send_held(struct replica *r, struct held *q, unsigned *count)
{
	for (unsigned i = 0; i < *count; i++) {
		frame_send(r, q[i].to, q[i].bytes, q[i].len);
		free(q[i].bytes);
	}
	*count = 0;
}

static void save_start(struct replica *r);

static void on_save_done(uv_fs_t *req)
{
	struct replica *r = req->data;
	int rc = (int)req->result;
	uv_fs_req_cleanup(req);
	if (rc < 0)
		save_failed(r, rc);
	r->save_inflight = false;
	r->saves++;
	if (r->stopping)
		return;
	send_held(r, r->batch, &r->batch_count);
	if (r->save_pending)
		save_start(r);
	else
		local_drain(r);
	paxos_rearm(r);
}

static void on_save_truncated(uv_fs_t *req)
{
	struct replica *r = req->data;
	int rc = (int)req->result;
	uv_fs_req_cleanup(req);
	if (rc < 0)
		save_failed(r, rc);
	rc = uv_fs_fdatasync(&r->loop, req, r->save_fd[r->save_seq % 2],
			     on_save_done);
	if (rc < 0)
		save_failed(r, rc);
}

static void on_save_written(uv_fs_t *req)
{
	struct replica *r = req->data;
	int rc = (int)req->result;
	uv_fs_req_cleanup(req);
	if (rc < 0 || (size_t)rc != r->save_len)
		save_failed(r, rc < 0 ? rc : UV_EIO);
	rc = uv_fs_ftruncate(&r->loop, req, r->save_fd[r->save_seq % 2],
			     (int64_t)r->save_len, on_save_truncated);
	if (rc < 0)
		save_failed(r, rc);
}

/* Encode the pending state and write it, off the loop; what was held for
 * it becomes the batch that goes once it is on disk. */
static void save_start(struct replica *r)
{
	char *buf = r->save_buf;
	uint64_t seq = ++r->save_seq;
	int head = snprintf(buf, 64, "bank-acceptor %" PRIu64 " ", seq);
	int len = paxos_state_encode(&r->acc.st, buf + 64,
				     PAXOS_STATE_BYTES_MAX);
	if (len <= 0)
		save_failed(r, UV_EINVAL);
	int h2 = snprintf(buf + head, 64 - (size_t)head, "%d\n", len);
	memmove(buf + head + h2, buf + 64, (size_t)len);
	len += head + h2;
	len += snprintf(buf + len, 64, "end %" PRIu64 "\n", seq);
	r->save_len = (size_t)len;
	r->save_pending = false;
	r->save_inflight = true;
	/* What was held for this save goes when it is done. */
	memcpy(r->batch + r->batch_count, r->held,
	       r->held_count * sizeof(r->held[0]));
	r->batch_count += r->held_count;
	r->held_count = 0;
	r->save_req.data = r;
	uv_buf_t b = uv_buf_init(buf, (unsigned)len);
	int rc = uv_fs_write(&r->loop, &r->save_req, r->save_fd[seq % 2], &b,
			     1, 0, on_save_written);
	if (rc < 0)
		save_failed(r, rc);
}

static void on_flush(uv_idle_t *idle)
{
	struct replica *r = idle->data;
	uv_idle_stop(idle);
	if (r->save_pending && !r->save_inflight)
		save_start(r);
}

static void replica_decided(struct replica *r, uint64_t slot,
			    const struct paxos_value *v);

static void on_paxos_chosen(struct paxos_outbox *o, uint64_t slot,
			    uint64_t ballot, const struct paxos_value *v)
{
	(void)ballot;
	replica_decided((struct replica *)o, slot, v);
}

static void on_prop_send(struct paxos_outbox *o, unsigned to,
			 const struct paxos_msg *m)
{
	struct replica *r = (struct replica *)((char *)o -
					       offsetof(struct replica,
							prop_out));
	on_paxos_send(&r->pout, to, m);
}

/* ---- Clients: answers ---------------------------------------------------- */

static void client_send(struct replica *r, struct link *l,
			const struct bank_client_msg *m)
{
	char buf[1024];
	int len = bank_client_encode(m, buf, sizeof(buf));
	if (l != NULL && len > 0 && link_send(l, buf, (size_t)len) != 0)
		vsay(r, "answer to %s lost", link_peer_name(l));
}

static struct waiting *waiting_find(struct replica *r, const char *client,
				    uint64_t seq)
{
	for (unsigned i = 0; i < BANK_WAITING_MAX; i++) {
		struct waiting *w = &r->waiting[i];
		if (w->used && w->seq == seq && strcmp(w->client, client) == 0)
			return w;
	}
	return NULL;
}

static void answer_result(struct replica *r, struct link *l, uint64_t seq,
			  const struct bank_result *res)
{
	struct bank_client_msg m = { .type = BANK_MSG_RESULT, .seq = seq };
	m.result = *res;
	client_send(r, l, &m);
}

static void answer_fail(struct replica *r, struct link *l, uint64_t seq,
			const char *fmt, ...)
{
	struct bank_client_msg m = { .type = BANK_MSG_FAIL, .seq = seq };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	client_send(r, l, &m);
}

/* REDIRECT to the leader rollcall names (0 and "" when none yet). */
static void answer_redirect(struct replica *r, struct link *l, uint64_t seq)
{
	struct bank_client_msg m = { .type = BANK_MSG_REDIRECT, .seq = seq };
	unsigned leader = rollcall_leader(r->rc);
	/* Ourselves, not leading yet (a resumed view): none known. */
	if (leader == r->self)
		leader = 0;
	m.leader = leader;
	if (leader != 0)
		snprintf(m.text, sizeof(m.text), "%s:%u",
			 r->hosts.names[leader], (unsigned)(r->port + 2));
	r->redirects++;
	client_send(r, l, &m);
}

/* ---- Applying ------------------------------------------------------------ */

static void print_line(const char *line, size_t len)
{
	(void)fd_write_all(STDOUT_FILENO, line, len);
}

static void log_append(struct replica *r, const struct paxos_value *v)
{
	r->log[r->applied % r->log_window] = *v;
	if (r->log_fd < 0 || r->replaying)
		return;
	uint8_t rec[BANK_LOG_RECORD_HEADER + PAXOS_VALUE_BYTES_MAX];
	size_t len = v->noop ? 0 : v->len;
	rec[0] = (uint8_t)(len >> 24);
	rec[1] = (uint8_t)(len >> 16);
	rec[2] = (uint8_t)(len >> 8);
	rec[3] = (uint8_t)len;
	rec[4] = v->noop ? 1 : 0;
	memcpy(rec + BANK_LOG_RECORD_HEADER, v->bytes, len);
	if (fd_write_all(r->log_fd, rec, BANK_LOG_RECORD_HEADER + len) != 0) {
		say(r, "cannot append to the log: %s; stopping",
		    strerror(errno));
		fflush(stderr);
		_exit(1);
	}
}

static void on_log_synced(uv_fs_t *req)
{
	struct replica *r = req->data;
	int rc = (int)req->result;
	uv_fs_req_cleanup(req);
	r->log_inflight = false;
	if (rc < 0) {
		say(r, "cannot fsync the log: %s", uv_strerror(rc));
		return;
	}
	if (r->stopping)
		return;
	if (r->log_target > r->durable)
		r->durable = r->log_target;
	/* Drop the accepted slots now durable (trim_acceptor). */
	if (r->durable > r->acc.st.trimmed + 8) {
		paxos_acceptor_trim(&r->acc, r->durable);
		local_drain(r);
		paxos_rearm(r);
	}
}

/* Make the applied slots durable, off the loop; then trim. */
static void log_sync_async(struct replica *r)
{
	if (r->durable == r->applied || r->log_inflight)
		return;
	if (r->log_fd < 0) {
		r->durable = r->applied;
		if (r->durable > r->acc.st.trimmed + 8)
			paxos_acceptor_trim(&r->acc, r->durable);
		return;
	}
	r->log_inflight = true;
	r->log_target = r->applied;
	r->log_req.data = r;
	if (uv_fs_fdatasync(&r->loop, &r->log_req, r->log_fd,
			    on_log_synced) < 0)
		r->log_inflight = false;
}

/* Make the applied slots durable before telling the others (they trim
 * their acceptors by what we say): at exit, on the loop. */
static void log_sync(struct replica *r)
{
	if (r->durable == r->applied)
		return;
	if (r->log_fd >= 0 && fsync(r->log_fd) != 0) {
		say(r, "cannot fsync the log: %s", strerror(errno));
		return;
	}
	r->durable = r->applied;
}

/* The slot at applied, decided: into the bank, out as a line, back to the
 * client that waits for it. */
static void apply_one(struct replica *r, const struct paxos_value *v)
{
	char line[BANK_LINE_BYTES_MAX];
	uint64_t slot = r->applied;
	struct bank_cmd c;
	struct bank_result res;
	size_t len;
	log_append(r, v);
	if (v->noop || bank_cmd_from_value(v, &c) != 0) {
		/* A no-op (or bytes no replica could have proposed). */
		r->bank->noops++;
		len = bank_line(line, sizeof(line), r->self, slot, NULL, NULL);
	} else if (bank_apply(r->bank, slot, &c, &res)) {
		len = bank_line(line, sizeof(line), r->self, slot, &c, &res);
	} else {
		/* Decided again after a failover: not applied again. The
		 * slot shows as a no-op; the client gets the first result. */
		vsay(r, "slot %" PRIu64 ": %s seq %" PRIu64 " was applied "
		     "before; not again", slot, c.client, c.seq);
		len = bank_line(line, sizeof(line), r->self, slot, NULL, NULL);
	}
	if (!r->replaying)
		print_line(line, len);
	r->applied++;
	if (!r->replaying && r->applied - r->acc.st.trimmed >= 32)
		trim_acceptor(r);
	if (!v->noop && c.client[0] != '\0') {
		struct waiting *w = waiting_find(r, c.client, c.seq);
		if (w != NULL) {
			if (bank_lookup(r->bank, c.client, c.seq, &res))
				answer_result(r, w->link, c.seq, &res);
			w->used = false;
		}
	}
	if (r->lead == LEADING && !r->told_first) {
		r->told_first = true;
		r->first_decided_ms = now_ms(r);
		say(r, "leading view %u: first slot decided %" PRId64 " ms "
		    "after the view (phase 1 took %" PRId64 " ms)",
		    r->lead_view, r->first_decided_ms - r->lead_since_ms,
		    r->phase1_ms);
	}
}

static void replica_decided(struct replica *r, uint64_t slot,
			    const struct paxos_value *v)
{
	if (slot < r->applied || slot - r->applied >= BANK_PENDING_SLOTS_MAX)
		return;	/* applied already, or far ahead: FETCH gets it */
	unsigned i = (unsigned)(slot % BANK_PENDING_SLOTS_MAX);
	r->pend[i].has = true;
	r->pend[i].v = *v;
	for (;;) {
		i = (unsigned)(r->applied % BANK_PENDING_SLOTS_MAX);
		if (!r->pend[i].has)
			break;
		r->pend[i].has = false;
		apply_one(r, &r->pend[i].v);
	}
}

/* ---- Leadership ---------------------------------------------------------- */

/* Replicas heard within BANK_LIVE_MS, ourselves included. */
static unsigned live_count(struct replica *r)
{
	unsigned n = 1;
	for (unsigned id = 1; id <= r->n; id++)
		if (id != r->self && r->peers[id].heard_ms != 0 &&
		    now_ms(r) - r->peers[id].heard_ms <= BANK_LIVE_MS)
			n++;
	return n;
}

static void paxos_rearm(struct replica *r);

/* The proposer, made once: it keeps its rounds across leaderships, so
 * each phase 1 of this life is above the one before. */
static void proposer_create(struct replica *r)
{
	uv_timeval64_t tv;
	uint64_t round = 1;
	if (uv_gettimeofday(&tv) == 0 && tv.tv_sec > 0)
		round = (uint64_t)tv.tv_sec * 1000u +
			(uint64_t)tv.tv_usec / 1000u;
	struct paxos_proposer_config pc = {
		.self = r->self,
		.window = r->alpha,
		/* Above every round an earlier life of ours used: the wall
		 * clock in milliseconds (a life uses fewer rounds than it
		 * lives milliseconds). */
		.first_round = round,
		.retry_ms = 200,
		.retries_max = 5,
		.backoff_min_ms = 20,
		.backoff_max_ms = 100,
		.backoff_cap_ms = 1000,
		.seed = round ^ r->self,
		.decided_below = r->applied,
	};
	for (unsigned id = 1; id <= r->n && id <= PAXOS_ACCEPTORS_MAX; id++)
		pc.acceptors[pc.acceptors_count++] = id;
	paxos_proposer_create(&r->prop, &pc, &r->prop_out);
}

static void start_leading(struct replica *r)
{
	r->lead = LEADING;
	r->told_phase1 = false;
	r->told_first = false;
	(void)paxos_proposer_skip(&r->prop, r->applied);
	say(r, "leading view %u: phase 1 for every slot from %" PRIu64,
	    r->lead_view, r->applied);
	r->phase1_ms = now_ms(r);
	paxos_proposer_prepare(&r->prop, now_ms(r));
	/* Commands a previous proposer of ours held: proposed again (the
	 * once-only table drops a second decision of one). */
	for (unsigned i = 0; i < BANK_WAITING_MAX; i++) {
		struct waiting *w = &r->waiting[i];
		struct paxos_value v;
		if (w->used && bank_cmd_to_value(&w->cmd, &v) == 0)
			(void)paxos_proposer_propose(&r->prop, now_ms(r), &v);
	}
	local_drain(r);
	paxos_rearm(r);
}

static void stop_leading(struct replica *r, const char *why)
{
	if (r->lead == FOLLOWING)
		return;
	say(r, "not leading any more: %s", why);
	r->lead = FOLLOWING;
	paxos_proposer_stop(&r->prop);
	uv_timer_stop(&r->paxos_timer);
	for (unsigned i = 0; i < BANK_WAITING_MAX; i++) {
		struct waiting *w = &r->waiting[i];
		if (w->used) {
			answer_redirect(r, w->link, w->seq);
			w->used = false;
		}
	}
}

/*
 * Lead once rollcall says this life leads: the view names us and our
 * takeover of it is done (rollcall_is_leader). A restarted replica
 * resumes the view its state file holds, which may name it leader; that
 * is the earlier life's view, and until a quorum has promised this life
 * (or the group removed it, and admits it again), proposing could only
 * meet a leader the group has since chosen. Called on every view and
 * after every step of rollcall's core.
 */
static void lead_check(struct replica *r)
{
	struct rollcall_view *v = &r->view;
	if (r->lead != FOLLOWING || r->stopping ||
	    rollcall_leader(r->rc) != r->self)
		return;
	if (!rollcall_view(r->rc, v) || v->leader != r->self)
		return;
	if (!rollcall_is_leader(r->rc)) {
		if (!r->told_waiting) {
			r->told_waiting = true;
			say(r, "view %u names me leader; not proposing until "
			    "rollcall confirms this life leads it", v->id);
		}
		return;
	}
	r->lead_view = v->id;
	say(r, "view %u names me leader", v->id);
	start_leading(r);
}

static void on_rc_step(void *ctx)
{
	lead_check(ctx);
}

static void on_rc_view(void *ctx, const struct rollcall_view *v)
{
	struct replica *r = ctx;
	if (v->leader == r->self) {
		if (r->lead == FOLLOWING) {
			r->lead_since_ms = now_ms(r);
			r->told_waiting = false;
		}
		lead_check(r);
	} else {
		char why[64];
		snprintf(why, sizeof(why), "view %u names replica %u", v->id,
			 v->leader);
		stop_leading(r, why);
	}
}

static void on_rc_removed(void *ctx, const struct rollcall_view *v,
			  bool again)
{
	(void)v;
	(void)again;
	stop_leading(ctx, "removed from the group");
}

static void on_rc_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	/* rollcall's own lines, on stderr beside the bank's diagnostics. */
	fwrite(line, 1, len, stderr);
	fflush(stderr);
}

static void on_rc_log(void *ctx, const char *what)
{
	say(ctx, "rollcall: %s", what);
}

static void replica_stop(struct replica *r, int status);

static void on_rc_fatal(void *ctx, const char *reason)
{
	struct replica *r = ctx;
	say(r, "rollcall: %s", reason);
	replica_stop(r, 1);
}

/* ---- Paxos messages in --------------------------------------------------- */

static void serve_fetch(struct replica *r, unsigned to, uint64_t first);

/* A snapshot is arriving, and has made progress lately. */
static bool snap_arriving(struct replica *r)
{
	return r->snap_in_total > 0 &&
	       now_ms(r) - r->snap_in_ms < BANK_SNAP_STALL_MS;
}

/* Ask replica id for the decided slots from our first unapplied one, at
 * most once a status period unless now. */
static void fetch_from(struct replica *r, unsigned id, bool now)
{
	struct peer *p = &r->peers[id];
	struct bank_peer_msg *f = &r->outmsg;
	if (id == r->self || (!now && now_ms(r) - p->fetch_ms < BANK_STATUS_MS))
		return;
	/* A snapshot on its way: asking anyone now would start another. */
	if (snap_arriving(r))
		return;
	p->fetch_ms = now_ms(r);
	f->type = BANK_MSG_FETCH;
	f->from = r->self;
	f->first = r->applied;
	peer_send(r, id, f);
}

static void paxos_dispatch(struct replica *r, const struct paxos_msg *m)
{
	/* A vote: our learner counts it, and our proposer too (below). */
	if (m->type == PAXOS_ACCEPTED)
		paxos_learner_step(&r->learner, m);
	switch (m->type) {
	case PAXOS_PREPARE:
	case PAXOS_ACCEPT:
		paxos_acceptor_step(&r->acc, m);
		break;
	case PAXOS_ACCEPTED:
	case PAXOS_PROMISE:
	case PAXOS_NACK:
		/* Our PREPARE asked below that acceptor's trim point: learn
		 * the slots it dropped from it (the proposer waits for a
		 * majority meanwhile, and asks from past them next). */
		if (m->type == PAXOS_NACK && m->trimmed > r->applied)
			fetch_from(r, m->from, false);
		if (r->lead != LEADING)
			break;
		paxos_proposer_step(&r->prop, now_ms(r), m);
		if (!r->told_phase1 && r->prop.phase == PAXOS_LEADING) {
			r->told_phase1 = true;
			r->phase1_ms = now_ms(r) - r->phase1_ms;
		}
		break;
	default:
		/* CHOSEN: not sent here; the learner counts the votes. */
		break;
	}
}

static void on_paxos_timer(uv_timer_t *t)
{
	struct replica *r = t->data;
	if (r->lead != LEADING)
		return;
	paxos_proposer_tick(&r->prop, now_ms(r));
	local_drain(r);
	paxos_rearm(r);
}

static void paxos_rearm(struct replica *r)
{
	if (r->lead != LEADING || r->stopping)
		return;
	int64_t next = paxos_proposer_next_deadline(&r->prop);
	if (next == PAXOS_NEVER) {
		uv_timer_stop(&r->paxos_timer);
		return;
	}
	int64_t wait = next - now_ms(r);
	uv_timer_start(&r->paxos_timer, on_paxos_timer,
		       wait > 0 ? (uint64_t)wait : 0, 0);
}

/*
 * Slots applied without our learner (a LOG, a snapshot, the replayed
 * log): the learner and the proposer stand past them. A proposer leading
 * from behind keeps leading: the promises of a majority reported every
 * slot it re-proposes, so they are decided again with the same values.
 */
static void learnt_elsewhere(struct replica *r)
{
	paxos_learner_skip(&r->learner, r->applied);
	if (r->prop.phase != PAXOS_LEADING)
		(void)paxos_proposer_skip(&r->prop, r->applied);
}

/* ---- Snapshots ----------------------------------------------------------- */

/*
 * A replica asks from a slot no longer kept (further behind than the
 * window, or below a snapshot this replica itself installed): it gets
 * the bank as it stands, in SNAP pieces it pulls one at a time with
 * SNAPGET. The snapshot is encoded once per slot and kept while pieces
 * are asked for; a SNAPGET for another slot starts the current one.
 */
static void snap_send(struct replica *r, unsigned to, uint64_t slot,
		      uint64_t offset)
{
	struct bank_peer_msg *m = &r->outmsg;
	if (r->snap_out == NULL &&
	    (r->snap_out = malloc(BANK_SNAPSHOT_BYTES_MAX)) == NULL)
		return;
	bool have = r->snap_out_len > 0 && slot == r->snap_out_slot &&
		    offset < r->snap_out_len;
	if (!have) {
		if (bank_snapshot_encode(r->bank, r->snap_out,
					 BANK_SNAPSHOT_BYTES_MAX,
					 &r->snap_out_len) != 0) {
			say(r, "snapshot does not fit %d bytes",
			    BANK_SNAPSHOT_BYTES_MAX);
			r->snap_out_len = 0;
			return;
		}
		r->snap_out_slot = r->applied;
		offset = 0;
		r->snapshots_served++;
		say(r, "sending replica %u a snapshot at slot %" PRIu64
		    " (%zu bytes)", to, r->applied, r->snap_out_len);
	}
	m->type = BANK_MSG_SNAP;
	m->from = r->self;
	m->slot = r->snap_out_slot;
	m->total = r->snap_out_len;
	m->offset = offset;
	m->chunk_len = r->snap_out_len - offset;
	if (m->chunk_len > r->snap_chunk)
		m->chunk_len = r->snap_chunk;
	memcpy(m->chunk, r->snap_out + offset, m->chunk_len);
	peer_send(r, to, m);
}

static void snap_save(struct replica *r, uint64_t slot, const uint8_t *b,
		      size_t len);

/* The whole snapshot arrived: it replaces the bank, and this replica
 * stands at its slot; what the log held below is gone. */
static void snap_install(struct replica *r)
{
	if (bank_snapshot_decode(r->snap_bank, r->snap_in,
				 r->snap_in_len) != 0) {
		r->malformed_peer++;
		say(r, "snapshot from replica %u at slot %" PRIu64 " does not "
		    "decode; dropped", r->snap_in_from, r->snap_in_slot);
		return;
	}
	struct bank *old = r->bank;
	r->bank = r->snap_bank;
	r->snap_bank = old;
	snap_save(r, r->snap_in_slot, r->snap_in, r->snap_in_len);
	say(r, "installed a snapshot from replica %u: slot %" PRIu64
	    " (was at %" PRIu64 "), %u accounts, %u clients", r->snap_in_from,
	    r->snap_in_slot, r->applied, r->bank->accounts_count,
	    r->bank->clients_count);
	r->applied = r->snap_in_slot;
	r->log_base = r->applied;
	r->durable = r->applied;
	for (unsigned i = 0; i < BANK_PENDING_SLOTS_MAX; i++)
		r->pend[i].has = false;
	r->snapshots_installed++;
	learnt_elsewhere(r);
}

static void snap_receive(struct replica *r, const struct bank_peer_msg *m)
{
	if (m->slot <= r->applied)
		return;	/* not ahead of us (any more) */
	if (m->offset == 0) {
		if (snap_arriving(r) && m->from != r->snap_in_from)
			return;	/* one transfer at a time */
		if (r->snap_in == NULL &&
		    (r->snap_in = malloc(BANK_SNAPSHOT_BYTES_MAX)) == NULL)
			return;
		r->snap_in_from = m->from;
		r->snap_in_slot = m->slot;
		r->snap_in_total = m->total;
		r->snap_in_len = 0;
	} else if (m->from != r->snap_in_from ||
		   m->slot != r->snap_in_slot ||
		   m->total != r->snap_in_total ||
		   m->offset != r->snap_in_len) {
		return;	/* a piece of another transfer, or repeated */
	}
	memcpy(r->snap_in + r->snap_in_len, m->chunk, m->chunk_len);
	r->snap_in_len += m->chunk_len;
	r->snap_in_ms = now_ms(r);
	if (r->snap_in_len < r->snap_in_total) {
		struct bank_peer_msg *g = &r->outmsg;
		if (m->chunk_len == 0)
			return;
		g->type = BANK_MSG_SNAPGET;
		g->from = r->self;
		g->slot = r->snap_in_slot;
		g->offset = r->snap_in_len;
		peer_send(r, m->from, g);
		return;
	}
	snap_install(r);
	r->snap_in_len = 0;
	r->snap_in_total = 0;
	/* The slots decided since: from the same replica, at once. */
	fetch_from(r, m->from, true);
}

/* FETCH: the decided slots from first on, as many as one LOG holds. */
static void serve_fetch(struct replica *r, unsigned to, uint64_t first)
{
	struct bank_peer_msg *m = &r->outmsg;
	m->type = BANK_MSG_LOG;
	m->from = r->self;
	m->first = first;
	m->log_count = 0;
	size_t bytes = 64;
	if (first >= r->applied)
		return;
	if (first < r->log_base || r->applied - first > r->log_window) {
		vsay(r, "replica %u asks from slot %" PRIu64 ", no longer "
		     "kept: sending a snapshot", to, first);
		snap_send(r, to, 0, 0);
		return;
	}
	for (uint64_t s = first; s < r->applied &&
	     m->log_count < BANK_LOG_BATCH_MAX; s++) {
		const struct paxos_value *v = &r->log[s % r->log_window];
		bytes += 8 + v->len;
		if (bytes > FRAME_BYTES_MAX - 1024)
			break;
		m->log[m->log_count++] = *v;
	}
	if (m->log_count > 0)
		peer_send(r, to, m);
}

/* A replica's message, decoded and checked by the transport: the sender
 * id is in the hostsfile and is the address the bytes came from. */
static void on_tp_decoded(void *ctx, unsigned from, const void *msg)
{
	struct replica *r = ctx;
	const struct bank_peer_msg *m = msg;
	if (r->stopping)
		return;
	if (from == r->self) {
		r->strangers++;
		return;
	}
	struct peer *p = &r->peers[m->from];
	p->heard_ms = now_ms(r);
	switch (m->type) {
	case BANK_MSG_PAXOS:
		paxos_dispatch(r, &m->pm);
		break;
	case BANK_MSG_STATUS:
		p->applied = m->applied;
		if (m->applied > r->applied)
			fetch_from(r, m->from, false);
		break;
	case BANK_MSG_FETCH:
		serve_fetch(r, m->from, m->first);
		break;
	case BANK_MSG_SNAPGET:
		snap_send(r, m->from, m->slot, m->offset);
		break;
	case BANK_MSG_SNAP:
		snap_receive(r, m);
		break;
	case BANK_MSG_LOG:
		for (unsigned i = 0; i < m->log_count; i++)
			replica_decided(r, m->first + i, &m->log[i]);
		learnt_elsewhere(r);
		/* More to come: ask at once. */
		if (p->applied > r->applied && m->log_count > 0)
			fetch_from(r, m->from, true);
		break;
	default:
		r->malformed_peer++;
		break;
	}
	local_drain(r);
	paxos_rearm(r);
}

/* ---- Clients ------------------------------------------------------------- */

static struct waiting *waiting_add(struct replica *r, struct link *l,
				   const struct bank_cmd *c)
{
	for (unsigned i = 0; i < BANK_WAITING_MAX; i++) {
		struct waiting *w = &r->waiting[i];
		if (w->used)
			continue;
		memset(w, 0, sizeof(*w));
		w->used = true;
		w->link = l;
		snprintf(w->client, sizeof(w->client), "%s", c->client);
		w->seq = c->seq;
		w->since_ms = now_ms(r);
		w->cmd = *c;
		return w;
	}
	return NULL;
}

static void on_client_request(struct replica *r, struct link *l,
			      const struct bank_client_msg *m)
{
	char err[BANK_ERROR_BYTES_MAX];
	struct bank_result res;
	if (bank_check(&m->cmd, err, sizeof(err)) != 0) {
		/* Not proposed: the answer is the same on every replica. */
		memset(&res, 0, sizeof(res));
		res.account = m->cmd.account;
		snprintf(res.error, sizeof(res.error), "%s", err);
		answer_result(r, l, m->seq, &res);
		return;
	}
	/* Decided already (a retry after its answer was lost). */
	if (bank_lookup(r->bank, m->cmd.client, m->seq, &res)) {
		answer_result(r, l, m->seq, &res);
		return;
	}
	if (r->lead == FOLLOWING) {
		answer_redirect(r, l, m->seq);
		return;
	}
	struct waiting *w = waiting_find(r, m->cmd.client, m->seq);
	if (w != NULL) {
		/* Sent again while its slot is in flight: answer here. */
		w->link = l;
		return;
	}
	struct paxos_value v;
	if (bank_cmd_to_value(&m->cmd, &v) != 0) {
		answer_fail(r, l, m->seq, "protocol error: command too long");
		return;
	}
	w = waiting_add(r, l, &m->cmd);
	if (w == NULL) {
		answer_fail(r, l, m->seq, "busy: %d commands waiting; send "
			    "again", BANK_WAITING_MAX);
		return;
	}
	if (paxos_proposer_propose(&r->prop, now_ms(r), &v) != 0) {
		w->used = false;
		answer_fail(r, l, m->seq, "busy: %d commands queued; send "
			    "again", PAXOS_QUEUE_MAX);
		return;
	}
	local_drain(r);
	paxos_rearm(r);
}

static void on_client_frame(struct link *l, const char *body, size_t len)
{
	struct replica *r = link_ctx(l);
	struct bank_client_msg m;
	if (bank_client_decode(body, len, &m) != 0 ||
	    m.type != BANK_MSG_REQUEST) {
		r->malformed_client++;
		vsay(r, "malformed client message (%zu bytes) from %s", len,
		     link_peer_name(l));
		answer_fail(r, l, 0, "protocol error: not a REQUEST [1, "
			    "client id, seq, account, op, amount]");
		return;
	}
	on_client_request(r, l, &m);
}

static void client_forget(struct replica *r, struct link *l)
{
	for (unsigned i = 0; i < BANK_WAITING_MAX; i++)
		if (r->waiting[i].link == l)
			r->waiting[i].link = NULL;
	for (unsigned i = 0; i < r->clients_count; i++)
		if (r->clients[i] == l) {
			r->clients[i] = r->clients[--r->clients_count];
			break;
		}
}

static void on_client_close(struct link *l, int err)
{
	(void)err;
	client_forget(link_ctx(l), l);
}

static void on_client_connection(uv_stream_t *server, int status)
{
	struct replica *r = server->data;
	struct link *l;
	if (status < 0)
		return;
	if (r->clients_count == BANK_CLIENTS_CONNS_MAX) {
		/* Full: the oldest connection makes room. */
		struct link *old = r->clients[0];
		client_forget(r, old);
		link_close(old);
	}
	struct link_events ev = {
		.ctx = r, .on_frame = on_client_frame,
		.on_close = on_client_close,
	};
	if (link_accept(server, &ev, &l) == 0)
		r->clients[r->clients_count++] = l;
}

/* ---- The status period --------------------------------------------------- */

/*
 * Drop the accepted slots we applied (and made durable): the acceptor's
 * table has room for PAXOS_SLOTS_MAX slots only. Safe without asking the
 * others, because of the rule in paxos_dispatch: we promise no leader
 * that has not applied every slot we trimmed (it gets the log instead),
 * so no phase 1 can miss a value we dropped.
 */
static void trim_acceptor(struct replica *r)
{
	log_sync_async(r);
}

static void waits_check(struct replica *r)
{
	for (unsigned i = 0; i < BANK_WAITING_MAX; i++) {
		struct waiting *w = &r->waiting[i];
		if (!w->used || now_ms(r) - w->since_ms < BANK_QUORUM_WAIT_MS)
			continue;
		r->no_quorum++;
		answer_fail(r, w->link, w->seq, "no quorum: %u of %u "
			    "replicas answer; not decided in %d ms (send "
			    "again, same seq)", live_count(r), r->n,
			    BANK_QUORUM_WAIT_MS);
		w->used = false;
	}
}

static void on_status_timer(uv_timer_t *t)
{
	struct replica *r = t->data;
	send_status(r);
	trim_acceptor(r);
	waits_check(r);
	local_drain(r);
	paxos_rearm(r);
}

/* ---- Start and stop ------------------------------------------------------ */

static void on_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_tp_closed(void *ctx)
{
	struct replica *r = ctx;
	r->tp = NULL;
}

static void on_rc_stopped(void *ctx)
{
	struct replica *r = ctx;
	if (r->tp != NULL) {
		/* What the transport refused: hostile or broken bytes on the
		 * replica port, and messages not from the replica they name. */
		const struct transport_stats *ts = transport_stats(r->tp);
		r->malformed_peer += ts->dropped_malformed +
				     ts->conns_oversize;
		r->strangers += ts->dropped_stranger + ts->dropped_spoofed +
				ts->dropped_unsealed + ts->dropped_sealed +
				ts->dropped_unopened + ts->dropped_replayed;
		transport_close(r->tp, on_tp_closed, r);
	}
	uv_close((uv_handle_t *)&r->client_listener, on_closed);
	uv_close((uv_handle_t *)&r->status_timer, on_closed);
	uv_close((uv_handle_t *)&r->flush_idle, on_closed);
	uv_close((uv_handle_t *)&r->paxos_timer, on_closed);
	uv_close((uv_handle_t *)&r->sigint, on_closed);
	uv_close((uv_handle_t *)&r->sigterm, on_closed);
	while (r->clients_count > 0) {
		struct link *l = r->clients[--r->clients_count];
		link_close(l);
	}
}

static void replica_stop(struct replica *r, int status)
{
	if (r->stopping)
		return;
	r->stopping = true;
	r->exit_status = status;
	uv_timer_stop(&r->status_timer);
	uv_timer_stop(&r->paxos_timer);
	rollcall_stop(r->rc, on_rc_stopped, r);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	replica_stop(s->data, 0);
}

static int listen_on(struct replica *r, uv_tcp_t *tcp, uint16_t port,
		     uv_connection_cb cb)
{
	struct addrinfo hints, *res = NULL;
	char service[8];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%u", port);
	tcp->data = r;
	/* Our own name, resolved once at start (as rollcall binds). */
	int rc = getaddrinfo(r->hosts.names[r->self], service, &hints, &res);
	if (rc != 0) {
		say(r, "cannot resolve %s: %s", r->hosts.names[r->self],
		    gai_strerror(rc));
		return -1;
	}
	rc = uv_tcp_bind(tcp, res->ai_addr, 0);
	freeaddrinfo(res);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)tcp, 128, cb);
	if (rc != 0) {
		say(r, "cannot listen on %s:%u: %s", r->hosts.names[r->self],
		    port, uv_strerror(rc));
		return -1;
	}
	return 0;
}

/* ---- The replicas' transport ------------------------------------------- */

static int tp_decode(const char *body, size_t len, void *msg, unsigned *from)
{
	struct bank_peer_msg *m = msg;
	if (bank_peer_decode(body, len, m) != 0)
		return WIRE_ESHAPE;
	*from = m->from;
	return 0;
}

static const char *tp_type_name(const void *msg)
{
	switch (((const struct bank_peer_msg *)msg)->type) {
	case BANK_MSG_PAXOS:
		return "PAXOS";
	case BANK_MSG_STATUS:
		return "STATUS";
	case BANK_MSG_FETCH:
		return "FETCH";
	case BANK_MSG_LOG:
		return "LOG";
	default:
		return "?";
	}
}

static const struct transport_codec bank_codec = {
	.msg_bytes = sizeof(struct bank_peer_msg),
	.decode = tp_decode,
	.type_name = tp_type_name,
};

static void on_tp_ready(void *ctx)
{
	struct replica *r = ctx;
	say(r, "replica %u of %u: membership on port %u, replicas on %u, "
	    "clients on %u", r->self, r->n, r->port, r->port + 1, r->port + 2);
	uv_timer_start(&r->status_timer, on_status_timer, 0, BANK_STATUS_MS);
}

static void on_tp_fatal(void *ctx, const char *reason)
{
	struct replica *r = ctx;
	say(r, "replica port %u: %s", r->port + 1, reason);
	replica_stop(r, 1);
}

static void on_rc_ready(void *ctx)
{
	struct replica *r = ctx;
	struct transport_config tc = {
		.loop = &r->loop,
		.hosts = &r->hosts,
		.self = r->self,
		.port = (uint16_t)(r->port + 1),
		.verbose = r->verbose > 1 ? r->verbose - 1 : 0,
		.codec = &bank_codec,
		.keyring = r->keyring_path != NULL ? &r->keyring : NULL,
	};
	uv_timeval64_t tv;
	/* This life, above every earlier one's: the replay rule's. */
	if (uv_gettimeofday(&tv) == 0)
		tc.incarnation = (uint64_t)tv.tv_sec * 1000000u +
				 (uint64_t)tv.tv_usec;
	struct transport_events ev = {
		.ctx = r,
		.on_ready = on_tp_ready,
		.on_decoded = on_tp_decoded,
		.on_fatal = on_tp_fatal,
	};
	if (listen_on(r, &r->client_listener, (uint16_t)(r->port + 2),
		      on_client_connection) != 0) {
		replica_stop(r, 1);
		return;
	}
	int rc = transport_new(&r->tp, &tc, &ev);
	if (rc != 0) {
		say(r, "replica port: %s", uv_strerror(rc));
		replica_stop(r, 1);
	}
}

static const char usage[] =
	"usage: bank -h HOSTSFILE [--id N] [--port P] [--heartbeat-ms T (500)]\n"
	"            [--state DIR] [--alpha N] [--keyring FILE] [-v]\n"
	"  One replica of the replicated bank. Peers are the hostsfile's\n"
	"  entries (ids by line). Ports: P membership (rollcall, TCP and\n"
	"  UDP), P+1 replicas, P+2 clients (default P 7610).\n"
	"  --state DIR   keep the acceptor's promises (DIR/acceptor.0, .1),\n"
	"                the applied slots (DIR/log) and rollcall's state\n"
	"                (DIR/state), on disk before answering\n"
	"  --alpha N     slots in flight at once (1..32, default 16)\n"
	"  --keyring FILE  seal every membership and replica message with\n"
	"                its keys (docs/security.md); clients stay plain\n"
	"  --test-log-window N  decided slots kept for others' catch-up\n"
	"                (256..65536, default 65536); a replica further\n"
	"                behind gets a snapshot (tests make it small)\n"
	"  --test-snap-chunk B  snapshot bytes per message (64..49152,\n"
	"                default 49152)\n";

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/* Hand-rolled: the options are few, and the daemon's parser is its own. */
static int parse_args(struct replica *r, int argc, char **argv)
{
	unsigned long v;
	r->port = BANK_PORT_DEFAULT;
	r->heartbeat_ms = 500;
	r->alpha = BANK_ALPHA_DEFAULT;
	r->log_window = BANK_LOG_SLOTS_MAX;
	r->snap_chunk = BANK_SNAP_CHUNK_BYTES;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("bank %s\n", BANK_VERSION);
			return 0;
		} else if (strcmp(a, "-v") == 0) {
			r->verbose++;
			continue;
		}
		if (val == NULL) {
			fprintf(stderr, "bank: %s needs a value\n%s", a, usage);
			return 2;
		}
		i++;
		if (strcmp(a, "-h") == 0) {
			r->hostsfile = val;
		} else if (strcmp(a, "--state") == 0) {
			r->state_dir = val;
		} else if (strcmp(a, "--keyring") == 0) {
			r->keyring_path = val;
		} else if (strcmp(a, "--id") == 0 &&
			   parse_uint(val, HOSTS_MAX, &v) == 0 && v > 0) {
			r->self = (unsigned)v;
		} else if (strcmp(a, "--port") == 0 &&
			   parse_uint(val, 65533, &v) == 0 && v > 0) {
			r->port = (uint16_t)v;
		} else if (strcmp(a, "--heartbeat-ms") == 0 &&
			   parse_uint(val, 60000, &v) == 0 && v >= 10) {
			r->heartbeat_ms = (uint32_t)v;
		} else if (strcmp(a, "--test-log-window") == 0 &&
			   parse_uint(val, BANK_LOG_SLOTS_MAX, &v) == 0 &&
			   v >= 2 * BANK_LOG_BATCH_MAX) {
			r->log_window = (uint32_t)v;
		} else if (strcmp(a, "--test-snap-chunk") == 0 &&
			   parse_uint(val, BANK_SNAP_CHUNK_BYTES, &v) == 0 &&
			   v >= 64) {
			r->snap_chunk = v;
		} else if (strcmp(a, "--alpha") == 0 &&
			   parse_uint(val, PAXOS_WINDOW_MAX / 2, &v) == 0 &&
			   v > 0) {
			r->alpha = (unsigned)v;
		} else {
			fprintf(stderr, "bank: %s %s: unknown option or bad "
				"value\n%s", a, val, usage);
			return 2;
		}
	}
	if (r->hostsfile == NULL) {
		fprintf(stderr, "bank: -h HOSTSFILE is required\n%s", usage);
		return 2;
	}
	return -1;
}

/*
 * One of DIR/acceptor.0 and .1 (save_start): its save number, or 0 when
 * it is missing or not whole (a write cut short).
 */
static uint64_t read_save(const char *path, char *buf, size_t cap,
			  const char **body, size_t *body_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	unsigned long long seq, seq2;
	unsigned long len;
	int off = 0, off2 = 0;
	if (sscanf(buf, "bank-acceptor %llu %lu\n%n", &seq, &len, &off) != 2 ||
	    off == 0 || len > (size_t)n - (size_t)off)
		return 0;
	const char *end = buf + off + len;
	if (sscanf(end, "end %llu\n%n", &seq2, &off2) != 1 || off2 == 0 ||
	    seq2 != seq || seq == 0)
		return 0;
	*body = buf + off;
	*body_len = len;
	return seq;
}

/* What an earlier life promised and accepted: the newer whole save. */
static int load_acceptor(struct replica *r, struct paxos_state *st,
			 bool *has)
{
	static char buf[2][PAXOS_STATE_BYTES_MAX + 256];
	char err[200], path[2][sizeof(r->acceptor_path) + 4];
	const char *body[2] = { NULL, NULL };
	size_t body_len[2] = { 0, 0 };
	uint64_t seq[2];
	*has = false;
	if (r->state_dir == NULL)
		return 0;
	int n = snprintf(r->acceptor_path, sizeof(r->acceptor_path),
			 "%s/acceptor", r->state_dir);
	if (n < 0 || (size_t)n >= sizeof(r->acceptor_path)) {
		fprintf(stderr, "bank: --state: directory name too long\n");
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s.%d", r->acceptor_path, i);
		seq[i] = read_save(path[i], buf[i], sizeof(buf[i]), &body[i],
				   &body_len[i]);
	}
	if (seq[0] == 0 && seq[1] == 0) {
		/* Empty files are a replica that never saved (they are
		 * made at start); anything else is a save cut short. */
		struct stat st0, st1;
		if ((stat(path[0], &st0) == 0 && st0.st_size > 0) ||
		    (stat(path[1], &st1) == 0 && st1.st_size > 0)) {
			fprintf(stderr, "bank: %s.0 and .1: neither is a whole "
				"save (move them away to start this replica "
				"afresh)\n", r->acceptor_path);
			return -1;
		}
		return 0;
	}
	int k = seq[1] > seq[0] ? 1 : 0;
	if (paxos_state_decode(st, body[k], body_len[k], err,
			       sizeof(err)) != 0) {
		fprintf(stderr, "bank: %s: %s (move it away to start this "
			"replica afresh)\n", path[k], err);
		return -1;
	}
	r->save_seq = seq[k];
	*has = true;
	return 0;
}

/*
 * DIR/snapshot: the bank at a slot, as a snapshot from another replica
 * left it, written as
 *     bank-snapshot SLOT LEN\n <LEN bytes: bank_snapshot_encode>
 * DIR/log then holds the slots from SLOT on. The log is emptied first
 * (and synced), then the snapshot is written beside and renamed over:
 * a crash in between leaves an empty log and the snapshot before, so the
 * replica restarts behind, never with log records on the wrong base.
 * Synchronous, on the loop: it happens once per snapshot installed.
 */
static void snap_save(struct replica *r, uint64_t slot, const uint8_t *b,
		      size_t len)
{
	char path[4200], tmp[4210], head[64];
	if (r->state_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/snapshot", r->state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int hl = snprintf(head, sizeof(head), "bank-snapshot %" PRIu64 " %zu\n",
			  slot, len);
	int fd = -1;
	if (r->log_fd >= 0 && (ftruncate(r->log_fd, 0) != 0 ||
			       lseek(r->log_fd, 0, SEEK_SET) != 0 ||
			       fsync(r->log_fd) != 0))
		goto fail;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || fd_write_all(fd, head, (size_t)hl) != 0 ||
	    fd_write_all(fd, b, len) != 0 || fsync(fd) != 0 ||
	    close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0)
		goto fail;
	int dfd = open(r->state_dir, O_RDONLY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return;
fail:
	say(r, "cannot keep the snapshot in %s: %s; stopping (the log no "
	    "longer matches it)", path, strerror(errno));
	fflush(stderr);
	_exit(1);
}

/* What a snapshot left in DIR/snapshot: the bank and the slot it stands
 * for. No file: nothing (a replica that never installed one). */
static int load_snapshot(struct replica *r)
{
	char path[4200], head[64];
	if (r->state_dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/snapshot", r->state_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	unsigned long long slot;
	size_t len;
	int off = 0;
	ssize_t n = read(fd, head, sizeof(head) - 1);
	uint8_t *buf = NULL;
	if (n > 0) {
		head[n] = '\0';
		if (sscanf(head, "bank-snapshot %llu %zu\n%n", &slot, &len,
			   &off) != 2 || off == 0 || len > BANK_SNAPSHOT_BYTES_MAX)
			off = 0;
	}
	if (off > 0 && (buf = malloc(len + 1)) != NULL &&
	    pread(fd, buf, len + 1, off) == (ssize_t)len &&
	    bank_snapshot_decode(r->bank, buf, len) == 0) {
		free(buf);
		close(fd);
		r->applied = slot;
		r->log_base = slot;
		say(r, "restored a snapshot at slot %llu from %s", slot, path);
		return 0;
	}
	free(buf);
	close(fd);
	fprintf(stderr, "bank: %s: not a whole snapshot (move it and the log "
		"away to start this replica afresh)\n", path);
	return -1;
}

/*
 * DIR/log: replay what an earlier life applied (not printed again: it
 * printed it), and keep appending. A torn last record (a crash in the
 * middle of a write) is cut off.
 */
static int load_log(struct replica *r)
{
	char path[4200];
	r->log_fd = -1;
	if (r->state_dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/log", r->state_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "bank: %s: %s (--state names a directory this "
			"user can write)\n", path, strerror(errno));
		return -1;
	}
	uint8_t hdr[BANK_LOG_RECORD_HEADER];
	off_t good = 0;
	struct paxos_value v;
	r->replaying = true;
	for (;;) {
		if (read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
			break;
		size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
			     (size_t)hdr[2] << 8 | hdr[3];
		if (len > PAXOS_VALUE_BYTES_MAX || hdr[4] > 1 ||
		    (hdr[4] == 1 && len != 0))
			break;
		memset(&v, 0, sizeof(v));
		v.noop = hdr[4] == 1;
		v.len = (uint16_t)len;
		if (len > 0 && read(fd, v.bytes, len) != (ssize_t)len)
			break;
		replica_decided(r, r->applied, &v);
		good += (off_t)(BANK_LOG_RECORD_HEADER + len);
	}
	r->replaying = false;
	if (ftruncate(fd, good) != 0 || lseek(fd, good, SEEK_SET) < 0) {
		fprintf(stderr, "bank: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	r->log_fd = fd;
	r->durable = r->applied;
	if (r->applied > 0)
		say(r, "replayed %" PRIu64 " applied slots from %s",
		    r->applied, path);
	return 0;
}

static int replica_setup(struct replica *r)
{
	char err[ROLLCALL_ERR_BYTES];
	if (hosts_load(&r->hosts, r->hostsfile, err, sizeof(err)) != 0) {
		fprintf(stderr, "bank: %s\n", err);
		return -1;
	}
	r->n = r->hosts.count;
	if (r->self == 0) {
		char name[256];
		if (gethostname(name, sizeof(name)) == 0) {
			name[sizeof(name) - 1] = '\0';
			r->self = hosts_find(&r->hosts, name);
		}
		if (r->self == 0) {
			fprintf(stderr, "bank: %s: this host's name is not in "
				"the file; pass --id N\n", r->hostsfile);
			return -1;
		}
	}
	if (r->self > r->n || r->n > PAXOS_ACCEPTORS_MAX) {
		fprintf(stderr, "bank: --id %u: %s has %u entries (at most "
			"%d replicas)\n", r->self, r->hostsfile, r->n,
			PAXOS_ACCEPTORS_MAX);
		return -1;
	}
	if (r->keyring_path != NULL &&
	    keyring_load(&r->keyring, r->keyring_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "bank: %s\n", err);
		return -1;
	}
	struct paxos_state *st = calloc(1, sizeof(*st));
	bool has = false;
	if (st == NULL || load_acceptor(r, st, &has) != 0) {
		free(st);
		return -1;
	}
	/* Every vote goes to every replica's learner. */
	struct paxos_acceptor_config ac = {
		.self = r->self,
		.nack = true,
		.restored = has ? st : NULL,
	};
	for (unsigned id = 1; id <= r->n; id++)
		ac.learners[ac.learners_count++] = id;
	r->pout.send = on_paxos_send;
	r->pout.save = on_paxos_save;
	r->pout.chosen = on_paxos_chosen;
	r->prop_out.send = on_prop_send;
	paxos_acceptor_create(&r->acc, &ac, &r->pout);
	free(st);
	r->save_fd[0] = r->save_fd[1] = -1;
	r->save_buf = malloc(PAXOS_STATE_BYTES_MAX + 128);
	if (r->save_buf == NULL)
		return -1;
	for (int i = 0; i < 2 && r->state_dir != NULL; i++) {
		char path[sizeof(r->acceptor_path) + 4];
		snprintf(path, sizeof(path), "%s.%d", r->acceptor_path, i);
		r->save_fd[i] = open(path, O_WRONLY | O_CREAT | O_CLOEXEC,
				     0600);
		if (r->save_fd[i] < 0) {
			fprintf(stderr, "bank: %s: %s (--state names a "
				"directory this user can write)\n", path,
				strerror(errno));
			return -1;
		}
	}
	r->peers = calloc(r->n + 1, sizeof(*r->peers));
	r->pend = calloc(BANK_PENDING_SLOTS_MAX, sizeof(*r->pend));
	r->bank = malloc(sizeof(*r->bank));
	if (r->peers == NULL || r->pend == NULL || r->bank == NULL) {
		fprintf(stderr, "bank: out of memory\n");
		return -1;
	}
	bank_create(r->bank);
	r->log = calloc(r->log_window, sizeof(*r->log));
	r->snap_bank = malloc(sizeof(*r->snap_bank));
	if (r->log == NULL || r->snap_bank == NULL || load_snapshot(r) != 0 ||
	    load_log(r) != 0)
		return -1;
	struct paxos_learner_config lc = {
		.self = r->self,
		.decided_below = r->applied,
	};
	for (unsigned id = 1; id <= r->n; id++)
		lc.acceptors[lc.acceptors_count++] = id;
	paxos_learner_create(&r->learner, &lc, &r->pout);
	proposer_create(r);
	for (unsigned id = 1; id <= r->n; id++)
		r->peers[id].id = id;
	uv_loop_init(&r->loop);
	struct rollcall_config rc = {
		.loop = &r->loop,
		.hostsfile = r->hostsfile,
		.hosts = &r->hosts,
		.id = r->self,
		.port = r->port,
		.heartbeat_ms = r->heartbeat_ms,
		.state_dir = r->state_dir,
		.keyring = r->keyring_path,
		.rejoin = true,
		.verbose = r->verbose > 1 ? r->verbose - 1 : 0,
		.ctx = r,
		.on_ready = on_rc_ready,
		.on_view = on_rc_view,
		.on_removed = on_rc_removed,
		.on_fatal = on_rc_fatal,
		.on_line = on_rc_line,
		.on_log = on_rc_log,
		.on_step = on_rc_step,
	};
	if (rollcall_create(&r->rc, &rc, err, sizeof(err)) != 0) {
		fprintf(stderr, "bank: %s\n", err);
		return -1;
	}
	uv_idle_init(&r->loop, &r->flush_idle);
	r->flush_idle.data = r;
	uv_timer_init(&r->loop, &r->status_timer);
	uv_timer_init(&r->loop, &r->paxos_timer);
	r->status_timer.data = r;
	r->paxos_timer.data = r;
	uv_signal_init(&r->loop, &r->sigint);
	uv_signal_init(&r->loop, &r->sigterm);
	r->sigint.data = r;
	r->sigterm.data = r;
	uv_signal_start(&r->sigint, on_signal, SIGINT);
	uv_signal_start(&r->sigterm, on_signal, SIGTERM);
	uv_tcp_init(&r->loop, &r->client_listener);
	return 0;
}

int main(int argc, char **argv)
{
	struct replica *r = &replica_main;
	signal(SIGPIPE, SIG_IGN);
	int status = parse_args(r, argc, argv);
	if (status >= 0)
		return status;
	if (replica_setup(r) != 0)
		return 2;
	if (rollcall_start(r->rc) != 0) {
		fprintf(stderr, "bank: cannot start rollcall\n");
		return 1;
	}
	uv_run(&r->loop, UV_RUN_DEFAULT);
	uv_loop_close(&r->loop);
	say(r, "stopped: applied %" PRIu64 " slots (%" PRIu64 " commands, %"
	    PRIu64 " no-ops, %" PRIu64 " decided twice); %" PRIu64
	    " acceptor saves; dropped %" PRIu64 " malformed client and %"
	    PRIu64 " malformed replica messages, %" PRIu64 " refused (no "
	    "replica, wrong address, or not sealed with our keys)", r->applied,
	    r->bank->applied, r->bank->noops, r->bank->duplicates, r->saves,
	    r->malformed_client, r->malformed_peer, r->strangers);
	vsay(r, "acceptor: %" PRIu64 " voted, %" PRIu64 " refused, %" PRIu64
	     " dropped (table full), %" PRIu64 " dropped (trimmed); proposer: "
	     "%" PRIu64 " rounds, %" PRIu64 " asked again, %" PRIu64
	     " queue full", r->acc.stats.voted, r->acc.stats.refused,
	     r->acc.stats.dropped_full, r->acc.stats.dropped_trimmed,
	     r->prop.stats.rounds, r->prop.stats.resent,
	     r->prop.stats.dropped_queue_full);
	rollcall_destroy(r->rc);
	hosts_destroy(&r->hosts);
	if (r->log_fd >= 0) {
		log_sync(r);
		close(r->log_fd);
	}
	for (int i = 0; i < 2; i++)
		if (r->save_fd[i] >= 0)
			close(r->save_fd[i]);
	free(r->save_buf);
	free(r->log);
	free(r->snap_out);
	free(r->snap_in);
	free(r->snap_bank);
	free(r->pend);
	free(r->bank);
	free(r->peers);
	keyring_wipe(&r->keyring);
	return r->exit_status;
}
