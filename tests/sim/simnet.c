/*
 * The simulator's network and the outbox of each simulated peer.
 *
 * TCP (every message but HEARTBEAT) is modelled per ordered pair of peers
 * as one connection: a message takes a seeded delay but never overtakes an
 * earlier one on the same pair. A connection breaks when either end dies:
 * what is in flight towards a dead peer is lost, and nothing is delivered
 * from or to a previous life of a restarted peer. When a peer is killed,
 * each of its outgoing connections is either reset (what it had sent and
 * was still in flight is lost) or closed gracefully (it is still
 * delivered), a coin per connection; a voluntary exit (-c, -t) closes them
 * all gracefully, as the daemon drains them. A message sent to a peer that
 * is not running is lost.
 *
 * UDP (HEARTBEAT) datagrams are each lost, duplicated or delayed on their
 * own, so they also arrive out of order.
 *
 * Partitions (sim.h, struct sim_cut) are iptables DROP rules: a datagram
 * is lost when its direction is cut at the moment it is sent or at the
 * moment it arrives. A TCP connection is cut while either of its
 * directions is (a one-way cut stops the ACKs, so data stalls both ways);
 * its spell is the union of the overlapping cuts that cut it. The first
 * message the spell holds on a connection (sent into it, or on the wire
 * as it began) starts TCP's retransmission timer. If the heal comes
 * within SIM_TCP_BREAK_MS of that, everything held arrives after the
 * heal, in order, at the first retransmission (RTO SIM_TCP_RTO_MS,
 * doubling: +200, +600, +1400, +3000 ms). Otherwise the connection
 * breaks SIM_TCP_BREAK_MS after it: what was on it is lost, and what is
 * sent afterwards waits in the daemon's send queue (the transport keeps
 * frames it has not written) and arrives once it reconnects after the
 * heal, after a backoff of BACKOFF_MIN_MS..BACKOFF_MAX_MS. The spells are
 * known in advance (the seed plans every cut before the run), so each
 * message's fate is decided when it is sent, and FIFO order per pair is
 * kept as before.
 *
 * The peers' outboxes feed this model, record every line for the
 * invariants (siminv.c), keep the last state each peer saved (its disk),
 * and carry the crash triggers: a peer can be killed from inside its own
 * send, after only some recipients got it.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/bounds.h"

static void *sim__grow(void *ptr, size_t *cap, size_t elem, size_t need)
{
	if (need <= *cap)
		return ptr;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(ptr, n * elem);
	if (q == NULL) {
		fprintf(stderr, "sim: out of memory\n");
		exit(3);
	}
	*cap = n;
	return q;
}

/* ---- The event queue: a binary heap on (key, seq) ------------------------- */

static bool ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

/* Into the heap, after every event with a smaller key or an equal one. */
static void sim__push_ev(struct sim *s, struct sim_ev ev)
{
	s->heap = sim__grow(s->heap, &s->heap_cap, sizeof(*s->heap),
			    s->heap_count + 1);
	ev.seq = s->seq++;
	size_t i = s->heap_count++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_before(&ev, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = ev;
}

void sim_push(struct sim *s, int64_t key, enum sim_ev_kind kind,
	      unsigned from, unsigned to, uint32_t arg)
{
	struct sim_ev ev = {
		.key = key,
		.kind = (uint8_t)kind,
		.from = (uint16_t)from,
		.to = (uint16_t)to,
		.arg = arg,
	};
	if (from != 0) {
		ev.from_life = s->peers[from].life;
		if (s->peers[from].m != NULL)
			ev.from_inc = s->peers[from].m->incarnation;
	}
	if (to != 0)
		ev.to_life = s->peers[to].life;
	sim__push_ev(s, ev);
}

void sim_repush(struct sim *s, const struct sim_ev *ev, int64_t key)
{
	struct sim_ev again = *ev;
	again.key = key;
	sim__push_ev(s, again);
}

bool sim_pop(struct sim *s, struct sim_ev *ev)
{
	if (s->heap_count == 0)
		return false;
	*ev = s->heap[0];
	struct sim_ev last = s->heap[--s->heap_count];
	size_t i = 0, n = s->heap_count;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ev_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (n > 0)
		s->heap[i] = last;
	return true;
}

/* ---- Message slots: one copy per TCP send, shared by its recipients ------ */

static uint32_t slot_new(struct sim *s, const struct wire_msg *m)
{
	uint32_t i;
	if (s->slot_free_count > 0) {
		i = s->slot_free[--s->slot_free_count];
	} else {
		size_t cap = s->slots_cap;
		s->slots = sim__grow(s->slots, &s->slots_cap, sizeof(*s->slots),
				     s->slots_count + 1);
		if (s->slots_cap != cap) {
			size_t fcap = cap;
			s->slot_free = sim__grow(s->slot_free, &fcap,
						 sizeof(*s->slot_free),
						 s->slots_cap);
		}
		i = (uint32_t)s->slots_count++;
	}
	s->slots[i].msg = *m;
	s->slots[i].refs = 0;
	return i;
}

static void slot_unref(struct sim *s, uint32_t i)
{
	if (--s->slots[i].refs == 0)
		s->slot_free[s->slot_free_count++] = i;
}

void simnet_create(struct sim *s)
{
	unsigned n = s->cfg.peers;
	s->peers = calloc(n + 1, sizeof(*s->peers));
	s->tcp_last_key = calloc((size_t)n * n, sizeof(*s->tcp_last_key));
	if (s->peers == NULL || s->tcp_last_key == NULL) {
		fprintf(stderr, "sim: out of memory\n");
		exit(3);
	}
}

void simnet_destroy(struct sim *s)
{
	if (s->peers != NULL) {
		for (unsigned id = 1; id <= s->cfg.peers; id++)
			free(s->peers[id].m);
	}
	free(s->peers);
	free(s->tcp_last_key);
	free(s->tcp_cut);
	free(s->heap);
	free(s->slots);
	free(s->slot_free);
	s->peers = NULL;
}

/* ---- Formatting for the trace ------------------------------------------- */

/* Ascending ids, runs as ranges: "1-4,7". */
size_t sim_fmt_set(char *buf, size_t cap, const struct peerset *set)
{
	size_t len = 0;
	buf[0] = '\0';
	unsigned id = peerset_first(set);
	while (id != 0 && len + 16 < cap) {
		unsigned last = id;
		while (peerset_has(set, last + 1))
			last++;
		int n;
		if (last == id)
			n = snprintf(buf + len, cap - len, "%s%u",
				     len ? "," : "", id);
		else
			n = snprintf(buf + len, cap - len, "%s%u-%u",
				     len ? "," : "", id, last);
		len += (size_t)n;
		id = peerset_next(set, last);
	}
	if (id != 0 && len + 4 < cap)
		len += (size_t)snprintf(buf + len, cap - len, ",..");
	return len;
}

size_t sim_fmt_msg(char *buf, size_t cap, const struct wire_msg *m)
{
	char set[96];
	int n;
	switch (m->type) {
	case WIRE_REQ:
	case WIRE_OK:
		n = snprintf(buf, cap, "%s(v%u r%u %s %u%s)",
			     wire_type_name(m->type), (unsigned)m->view_id,
			     (unsigned)m->request_id, wire_op_name(m->op),
			     (unsigned)m->peer, m->more.count > 0 ? " +" : "");
		if (n > 0 && (size_t)n < cap && m->more.count > 0) {
			/* The batch's size: "+2" for three changes. */
			n--;
			n += snprintf(buf + n, cap - (size_t)n, "%u)",
				      (unsigned)m->more.count);
		}
		break;
	case WIRE_NEWVIEW:
		sim_fmt_set(set, sizeof(set), &m->members);
		n = snprintf(buf, cap, "NEWVIEW(v%u L%u [%s])",
			     (unsigned)m->view_id, (unsigned)m->leader, set);
		break;
	case WIRE_NEWLEADER:
		n = snprintf(buf, cap, "NEWLEADER(v%u r%u)",
			     (unsigned)m->view_id, (unsigned)m->request_id);
		break;
	case WIRE_REDIRECT:
		n = snprintf(buf, cap, "REDIRECT(v%u L%u)",
			     (unsigned)m->view_id, (unsigned)m->leader);
		break;
	default:
		n = snprintf(buf, cap, "%s(v%u)", wire_type_name(m->type),
			     (unsigned)m->view_id);
		break;
	}
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---- The wire: every message must survive the real codec ------------------ */

/*
 * Encode and decode each message as the daemon would: the cores must only
 * send what the wire can carry, and a peer receives what the codec
 * decodes, not the sender's struct.
 */
static bool sim__wire(struct sim *s, struct sim_peer *p,
		      const struct wire_msg *m, bool datagram,
		      struct wire_msg *out)
{
	static char buf[FRAME_BYTES_MAX];
	size_t len;
	int rc = wire_encode(m, buf, sizeof(buf), &len);
	if (rc == 0 && datagram && len > DATAGRAM_BYTES_MAX)
		rc = WIRE_ETOOBIG;
	if (rc == 0)
		rc = wire_decode(buf, len, out);
	if (rc < 0) {
		sim_fail(s, "core/wire", "peer %u sent a %s the codec refuses: %s",
			 p->id, wire_type_name(m->type), wire_strerror(rc));
		return false;
	}
	char a[SIM_MSG_TEXT_BYTES], b[SIM_MSG_TEXT_BYTES];
	sim_fmt_msg(a, sizeof(a), m);
	sim_fmt_msg(b, sizeof(b), out);
	if (strcmp(a, b) != 0 || out->from != m->from) {
		sim_fail(s, "core/wire", "peer %u sent %s; the wire carries %s",
			 p->id, a, b);
		return false;
	}
	return true;
}

/* ---- Partitions ------------------------------------------------------------ */

static bool cut_in_force(const struct sim_cut *c, int64_t key)
{
	return key >= c->start_key && key < c->end_key;
}

/* Does c drop packets from -> to (whenever it is in force)? */
static bool cut_drops(const struct sim_cut *c, unsigned from, unsigned to)
{
	bool from_in = peerset_has(&c->side, from);
	bool to_in = peerset_has(&c->side, to);
	if (from_in == to_in)
		return false;
	if (c->dir == CUT_BOTH)
		return true;
	return c->dir == CUT_OUT ? from_in : to_in;
}

bool simnet_blocked(const struct sim *s, unsigned from, unsigned to,
		    int64_t key)
{
	for (unsigned i = 0; i < s->cuts_count; i++)
		if (cut_in_force(&s->cuts[i], key) &&
		    cut_drops(&s->cuts[i], from, to))
			return true;
	return false;
}

bool simnet_cut_now(const struct sim *s, int64_t key)
{
	for (unsigned i = 0; i < s->cuts_count; i++)
		if (cut_in_force(&s->cuts[i], key))
			return true;
	return false;
}

/*
 * The spell during which the connection a - b is cut that overlaps keys
 * [from_key, to_key]: the union of the overlapping cuts of that pair.
 * False when the message crosses no cut of the pair.
 */
static bool cut_spell(const struct sim *s, unsigned a, unsigned b,
		      int64_t from_key, int64_t to_key, int64_t *start,
		      int64_t *end)
{
	bool found = false;
	int64_t st = 0, en = 0;
	/* Grow the spell until no cut of the pair touches it; each pass
	 * takes in at least one more cut, so at most cuts_count passes. */
	for (unsigned pass = 0; pass <= s->cuts_count; pass++) {
		bool grew = false;
		for (unsigned i = 0; i < s->cuts_count; i++) {
			const struct sim_cut *c = &s->cuts[i];
			if (!cut_drops(c, a, b) && !cut_drops(c, b, a))
				continue;
			int64_t lo = found ? st : from_key;
			int64_t hi = found ? en : to_key;
			if (c->start_key > hi || c->end_key <= lo)
				continue;
			if (found && c->start_key >= st && c->end_key <= en)
				continue;
			if (!found) {
				st = c->start_key;
				en = c->end_key;
				found = true;
			} else {
				st = c->start_key < st ? c->start_key : st;
				en = c->end_key > en ? c->end_key : en;
			}
			grew = true;
		}
		if (!grew)
			break;
	}
	*start = st;
	*end = en;
	return found;
}

/* The same seeded backoff for every message of one broken connection. */
static int64_t cut_reconnect_ms(const struct sim *s, unsigned from,
				unsigned to, int64_t start_key)
{
	struct rng r;
	rng_seed(&r, s->cfg.seed ^ (uint64_t)start_key,
		 100 + (uint64_t)from * HOSTS_MAX + to);
	return rng_range(&r, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
}

/* The connection from -> to: when its first message met the spell that
 * starts at st (t0 if this message is that first). */
static int64_t cut_first_key(struct sim *s, unsigned from, unsigned to,
			     int64_t st, int64_t t0)
{
	size_t n = s->cfg.peers;
	if (s->tcp_cut == NULL) {
		s->tcp_cut = calloc(n * n, sizeof(*s->tcp_cut));
		if (s->tcp_cut == NULL) {
			fprintf(stderr, "sim: out of memory\n");
			exit(3);
		}
	}
	struct sim_tcp_cut *c = &s->tcp_cut[(size_t)(from - 1) * n + (to - 1)];
	/* Sends come in time order, so the first to meet a spell met it
	 * earliest; the key is stored + 1 so that 0 means none. */
	if (c->spell_key != st + 1) {
		c->spell_key = st + 1;
		c->first_key = t0;
	}
	return c->first_key;
}

/*
 * When a TCP message from -> to sent now and due at key arrives, given
 * the cuts: key itself, later, or never (false: lost with the connection).
 * TCP's retransmission timer runs from the first segment the cut held on
 * this connection: it retransmits at +RTO, doubling, and gives up (the
 * connection breaks) SIM_TCP_BREAK_MS after it.
 */
static bool cut_tcp(struct sim *s, unsigned from, unsigned to, int64_t *key)
{
	int64_t lo = s->now_key, hi = *key, flight = *key - s->now_key;
	int64_t st, en;
	bool held = false;
	/* The retransmission may run into a later spell: each pass moves
	 * past one, so at most one pass per cut. */
	for (unsigned n = 0; n <= s->cuts_count; n++) {
		if (!cut_spell(s, from, to, lo, hi, &st, &en))
			break;
		/* When it was sent (into the cut, or just before it, and
		 * lost on the wire), or, retransmitted into a later cut,
		 * when that cut began. */
		int64_t t0 = n == 0 ? s->now_key : st;
		int64_t first = cut_first_key(s, from, to, st, t0);
		int64_t broken = first + SIM_KEY(SIM_TCP_BREAK_MS);
		if (en <= broken) {
			int64_t rto = SIM_KEY(SIM_TCP_RTO_MS), at = first + rto;
			while (at < en) {
				rto *= 2;
				at += rto;
			}
			*key = at + flight;
		} else if (t0 < broken) {
			s->stats.cut_lost++;
			return false;	/* on the connection when it broke */
		} else {
			/* Queued by the daemon while it reconnects. */
			*key = en + SIM_KEY(cut_reconnect_ms(s, from, to, st)) +
			       flight;
		}
		held = true;
		lo = en + 1;
		hi = *key;
	}
	if (held)
		s->stats.cut_held++;
	return true;
}

/* ---- Sending ---------------------------------------------------------------- */

static int64_t sim__delay(struct sim *s)
{
	int64_t d = rng_range(&s->rng_net, s->cfg.delay_min_ms,
			      s->cfg.delay_max_ms);
	return d;
}

/* A random place inside the millisecond, for ordering within it. */
static int64_t sim__sub(struct rng *r)
{
	return (int64_t)rng_below(r, (uint64_t)1 << SIM_SUB_BITS);
}

static void sim__udp(struct sim *s, struct sim_peer *from, unsigned to,
		     const struct wire_msg *m)
{
	struct sim_peer *q = &s->peers[to];
	bool faulty = s->now_ms < s->cfg.loss_until_ms;
	bool lossy = faulty && (s->cfg.lossy_peer == 0 ||
				from->id == s->cfg.lossy_peer ||
				(to == s->cfg.lossy_peer && !s->cfg.lossy_out));
	if (!q->running ||
	    (lossy && rng_chance(&s->rng_net, s->cfg.udp_loss)) ||
	    simnet_blocked(s, from->id, to, s->now_key)) {
		s->stats.dropped++;
		return;
	}
	unsigned copies =
		faulty && rng_chance(&s->rng_net, s->cfg.udp_dup) ? 2 : 1;
	for (unsigned c = 0; c < copies; c++) {
		int64_t key = SIM_KEY(s->now_ms + sim__delay(s)) +
			      sim__sub(&s->rng_net);
		if (simnet_blocked(s, from->id, to, key)) {
			s->stats.dropped++;
			continue;
		}
		struct sim_ev ev = {
			.key = key,
			.kind = EV_UDP,
			.from = (uint16_t)from->id,
			.to = (uint16_t)to,
			.from_life = from->life,
			.to_life = q->life,
			.arg = m->view_id,
			.from_inc = m->incarnation,
			.hb_leader = m->leader,
			.hb_beat = m->beat,
			.hb_ballot = m->ballot,
		};
		if (m->type != WIRE_HEARTBEAT ||
		    !peerset_empty(&m->suspects) || m->heard_count > 0) {
			uint32_t slot = slot_new(s, m);
			s->slots[slot].refs++;
			ev.hb_slot = slot + 1;
		}
		sim__push_ev(s, ev);
	}
}

static void sim__tcp(struct sim *s, struct sim_peer *from, unsigned to,
		     uint32_t slot)
{
	struct sim_peer *q = &s->peers[to];
	if (!q->running) {
		s->stats.dropped++;
		return;
	}
	int64_t delay = sim__delay(s);
	if (s->cfg.tcp_tail > 0 && rng_chance(&s->rng_net, s->cfg.tcp_tail))
		delay += rng_range(&s->rng_net, 50, 400);
	int64_t key = SIM_KEY(s->now_ms + delay) + sim__sub(&s->rng_net);
	if (s->cuts_count > 0 && !cut_tcp(s, from->id, to, &key)) {
		s->stats.dropped++;
		if (s->opts.verbose)
			simtrace_add(s, " | to %u: lost, the cut broke the "
				     "connection", to);
		return;
	}
	int64_t *last = &s->tcp_last_key[(size_t)(from->id - 1) * s->cfg.peers +
					  (to - 1)];
	if (key <= *last)
		key = *last + 1;
	*last = key;
	s->slots[slot].refs++;
	sim_push(s, key, EV_TCP, from->id, to, slot);
}

static bool sim__role_matches(const struct sim_trigger *t,
			      const struct mship *m)
{
	if (t->role >= 0 && (int)m->role != t->role)
		return false;
	if (t->recon && !m->recon.active)
		return false;
	return true;
}

/* The first armed trigger of this kind that this step matches; -1 if none. */
static int sim__trigger(struct sim *s, enum sim_trigger_kind kind,
			const struct sim_peer *p, enum wire_type type)
{
	for (unsigned i = 0; i < s->triggers_count; i++) {
		struct sim_trigger *t = &s->triggers[i];
		bool recv = kind != TRIG_SEND;
		bool t_recv = t->kind != TRIG_SEND;
		if (recv != t_recv || t->type != type ||
		    !sim__role_matches(t, p->m))
			continue;
		if (s->now_ms > t->until_ms)
			continue;
		/* Not always the first match: sometimes a later one. */
		if (rng_chance(&s->rng_fault, 0.4))
			continue;
		return (int)i;
	}
	return -1;
}

static struct sim_trigger sim__trigger_take(struct sim *s, int i)
{
	struct sim_trigger t = s->triggers[i];
	s->triggers[i] = s->triggers[--s->triggers_count];
	return t;
}

/*
 * A core calling its outbox once its process is gone: killed inside this
 * very call (a trigger), which the world simply never sees, or after it
 * exited of its own accord, which is a core bug.
 */
static bool sim__gone(struct sim *s, const struct sim_peer *p,
		      const char *did, const char *what)
{
	if (p->running)
		return false;
	if (p->exited)
		sim_fail(s, "core/after-exit", "peer %u %s %s after it exited",
			 p->id, did, what);
	return true;
}


/* Whether an OK's batch holds the ADD of peer id. */
static bool sim__confirms_own_add(const struct wire_msg *m, unsigned id)
{
	if (m->op == WIRE_OP_ADD && m->peer == id)
		return true;
	for (unsigned i = 0; i < m->more.count; i++) {
		if (m->more.at[i].op == WIRE_OP_ADD && m->more.at[i].peer == id)
			return true;
	}
	return false;
}

static void sim_out_send_by(struct outbox *o, const struct peerset *to,
			    const struct wire_msg *m, bool datagram)
{
	struct sim_peer *p = (struct sim_peer *)(void *)o;
	struct sim *s = p->sim;
	if (sim__gone(s, p, "sent", wire_type_name(m->type)))
		return;
	if (m->from != p->id)
		sim_fail(s, "core/send", "peer %u sent %s as from %u", p->id,
			 wire_type_name(m->type), (unsigned)m->from);
	peerset_foreach(to, id) {
		if (id == p->id || id > s->cfg.peers) {
			sim_fail(s, "core/send", "peer %u sent %s to peer %u",
				 p->id, wire_type_name(m->type), id);
			return;
		}
	}
	struct wire_msg w;
	if (!sim__wire(s, p, m, datagram, &w))
		return;
	/* The life that confirms the ADD of itself, first in the batch or
	 * further on, is the one a view that adds it admits (integrity:
	 * removing it later needs its failure). */
	if (m->type == WIRE_OK && sim__confirms_own_add(m, p->id))
		p->confirmed_life = p->life;

	if (m->type == WIRE_JOIN)
		s->joined[p->id] = true;
	if (m->type == WIRE_HEARTBEAT) {
		s->stats.heartbeats++;
		if (s->opts.verbose >= 2) {
			char set[96];
			sim_fmt_set(set, sizeof(set), to);
			simtrace_add(s, " | sends HEARTBEAT to [%s]", set);
			s->cur_acts--;	/* a detail: not an act */
		}
	} else if (datagram) {
		char text[SIM_MSG_TEXT_BYTES], set[96];
		sim_fmt_msg(text, sizeof(text), &w);
		sim_fmt_set(set, sizeof(set), to);
		simtrace_add(s, " | sends %s to [%s] by datagram", text, set);
		s->cur_interesting = true;
	}
	if (datagram) {
		peerset_foreach(to, id) sim__udp(s, p, id, &w);
		return;
	}
	if (m->type == WIRE_NEWVIEW)
		siminv_on_newview_sent(s, p, &w);
	/* -t: the REQ(DEL) sent just before crashing names a live victim. */
	if (p->m->cfg.testcase4 && m->type == WIRE_REQ &&
	    m->op == WIRE_OP_DEL && m->peer >= 1 && m->peer <= s->cfg.peers)
		s->removable[m->peer] = true;

	char text[SIM_MSG_TEXT_BYTES], set[96];
	sim_fmt_msg(text, sizeof(text), &w);
	sim_fmt_set(set, sizeof(set), to);
	simtrace_add(s, " | sends %s to [%s]", text, set);
	s->cur_interesting = true;

	uint32_t slot = slot_new(s, &w);
	int ti = s->opts.partial ? sim__trigger(s, TRIG_SEND, p, m->type) : -1;
	if (ti < 0) {
		peerset_foreach(to, id) sim__tcp(s, p, id, slot);
	} else {
		/* Crash mid fan-out: k of the n recipients got it, k random. */
		sim__trigger_take(s, ti);
		unsigned n = peerset_count(to);
		unsigned k = (unsigned)rng_below(&s->rng_fault, n + 1);
		struct peerset got;
		peerset_clear(&got);
		unsigned left = n;
		peerset_foreach(to, id) {
			if (rng_below(&s->rng_fault, left) < k) {
				peerset_add(&got, id);
				k--;
			}
			left--;
		}
		peerset_foreach(&got, id) sim__tcp(s, p, id, slot);
		sim_fmt_set(set, sizeof(set), &got);
		char why[160];
		snprintf(why, sizeof(why), "inside its send, only [%s] got it",
			 set);
		sim_peer_kill(s, p, why);
		peerset_foreach(&got, id) peerset_add(&p->fin_to, id);
	}
	if (s->slots[slot].refs == 0)
		s->slot_free[s->slot_free_count++] = slot;
}

static void sim_out_send(struct outbox *o, const struct peerset *to,
			 const struct wire_msg *m)
{
	sim_out_send_by(o, to, m, false);
}

static void sim_out_send_datagram(struct outbox *o, const struct peerset *to,
				  const struct wire_msg *m)
{
	sim_out_send_by(o, to, m, true);
}

static void sim_out_print(struct outbox *o, const char *line, size_t len)
{
	struct sim_peer *p = (struct sim_peer *)(void *)o;
	struct sim *s = p->sim;
	if (sim__gone(s, p, "printed", "a line"))
		return;
	siminv_on_print(s, p, line, len);
}

static void sim_out_exit(struct outbox *o)
{
	struct sim_peer *p = (struct sim_peer *)(void *)o;
	struct sim *s = p->sim;
	if (sim__gone(s, p, "exited", "again"))
		return;
	p->running = false;
	p->exited = true;
	/* The daemon drains its connections before it exits. */
	peerset_clear(&p->fin_to);
	for (unsigned id = 1; id <= s->cfg.peers; id++)
		if (id != p->id)
			peerset_add(&p->fin_to, id);
	s->removable[p->id] = true;
	s->stats.exits++;
	p->tick_gen++;
	p->tick_pending = false;
	simtrace_add(s, " | EXITS");
	s->cur_interesting = true;
	sim_on_death(s, p);
}

/*
 * The peer's disk: save returns once the state is kept (the daemon
 * writes, fsyncs and renames), so a kill at any later moment leaves it
 * there for the next life. Under MSHIP_HAS_RESTORED the state goes
 * through its codec as the daemon's file would.
 */
static void sim_out_save(struct outbox *o, const struct state *st)
{
	struct sim_peer *p = (struct sim_peer *)(void *)o;
	struct sim *s = p->sim;
	if (sim__gone(s, p, "saved", "its state"))
		return;
	s->stats.saves++;
#ifdef MSHIP_HAS_RESTORED
	static char buf[STATE_BYTES_MAX];
	size_t len;
	struct state back;
	int rc = state_encode(st, buf, sizeof(buf), &len);
	if (rc == 0)
		rc = state_decode(buf, len, &back, NULL);
	if (rc < 0) {
		sim_fail(s, "core/state", "peer %u saved a state its codec "
			 "refuses: %s", p->id, state_strerror(rc));
		return;
	}
	p->saved = back;
#else
	p->saved = *st;
#endif
	p->saved_set = true;
	if (s->opts.verbose >= 2) {
		simtrace_add(s, " | saves its state");
		s->cur_acts--;	/* a detail: not an act */
	}
}

/* ---- Lives -------------------------------------------------------------- */

void sim_peer_start(struct sim *s, unsigned id)
{
	struct sim_peer *p = &s->peers[id];
	if (p->m == NULL) {
		p->m = malloc(sizeof(*p->m));
		if (p->m == NULL) {
			fprintf(stderr, "sim: out of memory\n");
			exit(3);
		}
	}
	struct mship_config cfg = {
		.self = id,
		.hosts_count = s->cfg.peers,
		.heartbeat_ms = s->cfg.heartbeat_ms,
		.crash_ms = -1,
		.testcase4 = false,
		/* Each process a higher one than any before it (rejoins
		 * included), as the daemon's clock gives. */
		.incarnation = (p->life > 0 ? p->m->incarnation : 0) + 1,
		.rejoin = s->opts.rejoin,
		.allowance_ms = s->cfg.heartbeat_ms / 4,
		.probe_ms = 2 * s->cfg.heartbeat_ms + s->cfg.heartbeat_ms / 4,
	};
	/* -c and -t are the first life's command line only. */
	if (p->life == 0) {
		cfg.crash_ms = p->first_crash_ms;
		cfg.testcase4 = id == 1 && s->cfg.tflag;
	}
	/* A restart finds what its last life saved, unless --amnesia (or a
	 * core without the field: then every restart is amnesiac). */
	bool restore = p->life > 0 && p->saved_set && !s->opts.amnesia;
#ifdef MSHIP_HAS_RESTORED
	if (restore)
		p->restored = p->saved;
	cfg.restored = restore ? &p->restored : NULL;
#else
	restore = false;	/* this core cannot take it back */
#endif
	p->sim = s;
	p->id = id;
	p->out.send = sim_out_send;
	p->out.send_datagram = sim_out_send_datagram;
	p->out.print = sim_out_print;
	p->out.exit = sim_out_exit;
	p->out.event = NULL;
	p->out.save = sim_out_save;
	p->life++;
	p->running = true;
	p->exited = false;
	p->killed = false;
	p->started_ms = s->now_ms;
	p->frozen_until_ms = 0;
	peerset_clear(&p->fin_to);
	p->installed = false;
	p->forgot = p->life > 1 && !restore;
	p->announced = false;
	p->view_id = 0;
	p->leader = 0;
	peerset_clear(&p->members);
	peerset_clear(&p->reported);
	peerset_clear(&p->ok_from);
	mship_create(p->m, &cfg, &p->out);
	p->incarnation = p->m->incarnation;
	char extra[64] = "";
	if (cfg.crash_ms >= 0 || cfg.testcase4)
		snprintf(extra, sizeof(extra), " with%s%s",
			 cfg.crash_ms >= 0 ? " -c" : "",
			 cfg.testcase4 ? " -t" : "");
	simtrace_begin(s, p, true, "starts (life %u)%s%s", p->life, extra,
		       !restore ? "" : " with its saved state");
	mship_start(p->m, s->now_ms);
	sim_after_step(s, p, true);
	simtrace_end(s);
}

void sim_peer_kill(struct sim *s, struct sim_peer *p, const char *why)
{
	if (!p->running)
		return;
	p->running = false;
	p->killed = true;
	peerset_clear(&p->fin_to);
	for (unsigned id = 1; id <= s->cfg.peers; id++)
		if (id != p->id && rng_chance(&s->rng_fault, 0.5))
			peerset_add(&p->fin_to, id);
	s->removable[p->id] = true;
	s->stats.kills++;
	p->tick_gen++;
	p->tick_pending = false;
	simtrace_add(s, " | KILLED %u (%s)", p->id, why);
	s->cur_interesting = true;
	sim_on_death(s, p);
}

/* ---- Events in ------------------------------------------------------------ */

void sim_schedule_tick(struct sim *s, struct sim_peer *p)
{
	if (!p->running) {
		p->tick_pending = false;
		return;
	}
	int64_t d = mship_next_deadline(p->m);
	if (p->tick_pending && d == p->tick_deadline_ms)
		return;
	p->tick_gen++;
	p->tick_deadline_ms = d;
	p->tick_pending = d != MSHIP_NEVER;
	if (!p->tick_pending)
		return;
	int64_t key = SIM_KEY(d) + sim__sub(&s->rng_sched);
	if (key <= s->now_key)
		key = s->now_key + 1;
	sim_push(s, key, EV_TICK, 0, p->id, p->tick_gen);
}

/*
 * exact: recompute the deadline. After a heartbeat it is not: a heartbeat
 * only moves a detector deadline later, so the tick already scheduled is
 * early at worst, and is rescheduled when it comes (sim_tick checks that
 * no deadline ever moved earlier unseen).
 */
void sim_after_step(struct sim *s, struct sim_peer *p, bool exact)
{
	if (!p->running)
		return;
	if (p->m->incarnation != p->incarnation) {
		/* Removed and joining again: what it reported is of its
		 * old membership, and every peer it sees is a new one; the
		 * view that admits it is the first of this membership (its
		 * commit is judged against the group's view before, not
		 * against an empty one of ours). */
		p->incarnation = p->m->incarnation;
		p->installed = false;
		peerset_clear(&p->reported);
		peerset_clear(&p->members);
		/* Its old membership is over by its own word: removing it
		 * is no false removal. */
		s->removable[p->id] = true;
	}
	siminv_check_peer(s, p);
	if (exact)
		sim_schedule_tick(s, p);
}

void sim_deliver(struct sim *s, const struct sim_ev *ev)
{
	struct sim_peer *p = &s->peers[ev->from];
	struct sim_peer *q = &s->peers[ev->to];
	bool tcp = ev->kind == EV_TCP;
	struct wire_msg msg;
	if (tcp) {
		msg = s->slots[ev->arg].msg;
		slot_unref(s, ev->arg);
	} else if (ev->hb_slot != 0) {
		msg = s->slots[ev->hb_slot - 1].msg;
		slot_unref(s, ev->hb_slot - 1);
	} else {
		memset(&msg, 0, sizeof(msg));
		msg.type = WIRE_HEARTBEAT;
		msg.from = (uint16_t)ev->from;
		msg.incarnation = ev->from_inc;
		msg.view_id = ev->arg;
		msg.leader = ev->hb_leader;
		msg.beat = ev->hb_beat;
		msg.ballot = ev->hb_ballot;
	}
	bool ok = q->running && q->life == ev->to_life;
	if (p->life != ev->from_life)
		ok = false;	/* from a previous life of the sender */
	else if (!p->running && tcp && !peerset_has(&p->fin_to, ev->to))
		ok = false;	/* the sender died and reset the connection */
	if (!ok) {
		s->stats.dropped++;
		return;
	}
	s->stats.delivered++;
	if (msg.type == WIRE_OK && msg.from >= 1 && msg.from <= s->cfg.peers)
		peerset_add(&q->ok_from, msg.from);
	/* Heard again: a peer may report the sender unreachable once more
	 * (its detector held it dead and was wrong), only after this. */
	if (msg.incarnation >= q->m->lives[msg.from])
		peerset_del(&q->reported, msg.from);
	bool hb = msg.type == WIRE_HEARTBEAT;
	if (hb && s->opts.verbose < 2) {
		/* The common case, kept cheap: traced only if it does more
		 * than note the heartbeat (a member refusing a NEWLEADER). */
		s->cur = q;
		s->cur_open = false;
		s->cur_interesting = false;
		mship_on_message(q->m, s->now_ms, &msg);
		bool more = s->cur_open;
		sim_after_step(s, q, more);
		if (more)
			simtrace_end(s);
		else
			s->trace_hidden++;
		s->cur = NULL;
		return;
	}
	char text[SIM_MSG_TEXT_BYTES];
	sim_fmt_msg(text, sizeof(text), &msg);
	simtrace_begin(s, q, !hb, "gets %s from %u", text, ev->from);
	s->cur_acts = 0;
	int ti = sim__trigger(s, TRIG_RECV_BEFORE, q, msg.type);
	if (ti >= 0 && s->triggers[ti].kind == TRIG_RECV_BEFORE) {
		sim__trigger_take(s, ti);
		sim_peer_kill(s, q, "before handling it");
		simtrace_end(s);
		return;
	}
	mship_on_message(q->m, s->now_ms, &msg);
	if (q->running && ti >= 0 && s->triggers[ti].kind == TRIG_RECV_AFTER) {
		sim__trigger_take(s, ti);
		sim_peer_kill(s, q, "right after handling it");
	}
	/* A heartbeat's tick is scheduled exactly, as untraced (above), if
	 * it did more than note the heartbeat: -vv replays the same run. */
	sim_after_step(s, q, !hb || s->cur_acts > 0);
	simtrace_end(s);
}

void sim_tick(struct sim *s, const struct sim_ev *ev)
{
	struct sim_peer *p = &s->peers[ev->to];
	if (!p->running || ev->arg != p->tick_gen)
		return;
	p->tick_pending = false;
	int64_t d = mship_next_deadline(p->m);
	if (d < p->tick_deadline_ms) {
		sim_fail(s, "sim/deadline",
			 "peer %u's deadline moved from %lld to %lld unseen",
			 p->id, (long long)p->tick_deadline_ms, (long long)d);
		return;
	}
	if (d > s->now_ms) {
		sim_schedule_tick(s, p);
		return;
	}
	s->stats.ticks++;
	struct peerset watched = p->m->fd.watched;
	s->cur = p;
	s->cur_interesting = false;
	simtrace_begin(s, p, false, "tick");
	s->tick_peer = p;
	s->tick_watched = watched;
	mship_on_tick(p->m, s->now_ms);
	s->tick_peer = NULL;
	/* Whatever left the detector's watch during a tick, it declared dead. */
	peerset_subtract(&watched, &p->m->fd.watched);
	if (!peerset_empty(&watched)) {
		char set[96];
		sim_fmt_set(set, sizeof(set), &watched);
		simtrace_add(s, " | detector: [%s] dead", set);
		s->cur_interesting = true;
		peerset_foreach(&watched, id) siminv_on_suspect(s, p, id);
	}
	if (p->running && mship_next_deadline(p->m) <= s->now_ms)
		sim_fail(s, "core/deadline",
			 "peer %u's next deadline %lld is not after the tick at "
			 "%lld: it would spin",
			 p->id, (long long)mship_next_deadline(p->m),
			 (long long)s->now_ms);
	sim_after_step(s, p, true);
	simtrace_end(s);
}

/* ---- The partition model, as literal cases (--self-test) ------------------ */

struct cut_case {
	const char *what;
	bool fresh;		/* on a connection that carried nothing yet */
	unsigned from, to;
	int64_t sent_ms, due_ms;
	int64_t want_ms;	/* -1: lost; else when it arrives (or from,
				 * to, with want_hi_ms, a range) */
	int64_t want_hi_ms;
};

static void cut_set(struct sim *s, unsigned i, unsigned side_mask,
		    enum sim_cut_dir dir, int64_t from_ms, int64_t to_ms)
{
	struct sim_cut *c = &s->cuts[i];
	peerset_clear(&c->side);
	for (unsigned id = 1; id <= 3; id++)
		if (side_mask & (1u << id))
			peerset_add(&c->side, id);
	c->dir = dir;
	c->start_key = SIM_KEY(from_ms);
	c->end_key = SIM_KEY(to_ms);
	if (s->cuts_count <= i)
		s->cuts_count = i + 1;
}

static int cut_check(struct sim *s, const struct cut_case *k)
{
	if (k->fresh) {
		free(s->tcp_cut);
		s->tcp_cut = NULL;
	}
	s->now_key = SIM_KEY(k->sent_ms);
	int64_t key = SIM_KEY(k->due_ms);
	bool got = cut_tcp(s, k->from, k->to, &key);
	int64_t at = got ? SIM_MS(key) : -1;
	int64_t hi = k->want_hi_ms ? k->want_hi_ms : k->want_ms;
	if (at >= k->want_ms && at <= hi && (at < 0) == (k->want_ms < 0))
		return 0;
	printf("self-test FAIL: %s: TCP %u->%u sent at %lld due %lld arrives "
	       "at %lld, want %lld..%lld (-1: lost)\n", k->what, k->from,
	       k->to, (long long)k->sent_ms, (long long)k->due_ms,
	       (long long)at, (long long)k->want_ms, (long long)hi);
	return 1;
}

static int udp_check(const struct sim *s, const char *what, unsigned from,
		     unsigned to, int64_t at_ms, bool want_lost)
{
	if (simnet_blocked(s, from, to, SIM_KEY(at_ms)) == want_lost)
		return 0;
	printf("self-test FAIL: %s: UDP %u->%u at %lld %s\n", what, from, to,
	       (long long)at_ms, want_lost ? "crosses" : "is lost");
	return 1;
}

int simnet_self_test(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return 1;
	s->cfg.peers = 3;
	s->cfg.seed = 1;
	int bad = 0;

	/* Peer 1 cut off both ways for 500 ms: TCP is only late, to the
	 * first retransmission after the heal (RTO 200, then 400 ms). */
	cut_set(s, 0, 1u << 1, CUT_BOTH, 1000, 1500);
	bad += udp_check(s, "both ways", 1, 2, 1100, true);
	bad += udp_check(s, "both ways", 2, 1, 1100, true);
	bad += udp_check(s, "both ways, same side", 2, 3, 1100, false);
	bad += udp_check(s, "both ways, healed", 1, 2, 1500, false);
	bad += udp_check(s, "both ways, not yet", 1, 2, 999, false);
	const struct cut_case short_cut[] = {
		{ "short cut", true, 1, 2, 1100, 1105, 1705, 0 },
		{ "short cut, the other way", true, 2, 1, 1100, 1103, 1703, 0 },
		{ "short cut, on the wire as it begins", true, 1, 2, 990, 1010,
		  1610, 0 },
		{ "short cut, same side", true, 2, 3, 1100, 1105, 1105, 0 },
		{ "short cut, arrives before it", true, 1, 2, 900, 950, 950, 0 },
	};
	for (size_t i = 0; i < sizeof(short_cut) / sizeof(short_cut[0]); i++)
		bad += cut_check(s, &short_cut[i]);

	/* Peer 1's packets out dropped for 4 s: one way for UDP, both ways
	 * for TCP. A connection the cut holds from 1100 breaks at 4100:
	 * what was on it is lost, what is sent after waits for the
	 * reconnection after the heal; one idle until 4500 does not break. */
	s->cuts_count = 0;
	cut_set(s, 0, 1u << 1, CUT_OUT, 1000, 5000);
	bad += udp_check(s, "one way", 1, 2, 1100, true);
	bad += udp_check(s, "one way, the other way", 2, 1, 1100, false);
	const struct cut_case long_cut[] = {
		{ "long cut", true, 1, 2, 1100, 1105, -1, 0 },
		{ "long cut, after the break", false, 1, 2, 4100, 4105,
		  5000 + BACKOFF_MIN_MS + 5, 5000 + BACKOFF_MAX_MS + 5 },
		{ "long cut, the way it lets through", true, 2, 1, 1100, 1105,
		  -1, 0 },
		{ "long cut, an idle connection", true, 1, 3, 4500, 4505, 5105,
		  0 },
	};
	for (size_t i = 0; i < sizeof(long_cut) / sizeof(long_cut[0]); i++)
		bad += cut_check(s, &long_cut[i]);

	/* Overlapping cuts: peer 1 both ways 1000..2000, peers 1 and 2 not
	 * hearing the rest 1800..2600. The connection 1 - 3 is cut by both,
	 * one spell to 2600; 1 - 2 by the first only; 2 - 3 by the second. */
	s->cuts_count = 0;
	cut_set(s, 0, 1u << 1, CUT_BOTH, 1000, 2000);
	cut_set(s, 1, 1u << 1 | 1u << 2, CUT_IN, 1800, 2600);
	const struct cut_case overlap[] = {
		{ "overlapping cuts", true, 1, 3, 1100, 1105, 4105, 0 },
		{ "overlapping cuts, the first", true, 1, 2, 1100, 1105, 2505, 0 },
		{ "overlapping cuts, the second", true, 2, 3, 1900, 1905, 3305,
		  0 },
	};
	for (size_t i = 0; i < sizeof(overlap) / sizeof(overlap[0]); i++)
		bad += cut_check(s, &overlap[i]);
	bad += udp_check(s, "overlapping cuts", 3, 2, 2100, true);
	bad += udp_check(s, "overlapping cuts", 2, 3, 2100, false);

	/* A retransmission (at 1700) that runs into a later, long cut: the
	 * connection breaks in that one. */
	s->cuts_count = 0;
	cut_set(s, 0, 1u << 1, CUT_BOTH, 1000, 1500);
	cut_set(s, 1, 1u << 1, CUT_BOTH, 1550, 6000);
	const struct cut_case chain[] = {
		{ "into a later cut", true, 1, 2, 1100, 1105, -1, 0 },
	};
	bad += cut_check(s, &chain[0]);
	free(s->tcp_cut);
	free(s);
	printf("self-test: %s\n", bad ? "FAILED" : "the partition model holds");
	return bad;
}
