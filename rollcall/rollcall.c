/*
 * The library (rollcall.h): the membership core (membership/) wired to the
 * transport (common/) and the state file on the caller's loop.
 *
 * Every message and timer becomes an event for the core; what the core
 * puts in its outbox becomes writes (at once), a save (at once, before
 * the core sends what depends on it) and events, which are queued while
 * the core runs and handed to the caller's callbacks once it returned.
 * Nothing here decides anything about membership, and nothing is printed.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/keyring.h"
#include "../common/outbox.h"
#include "../common/savefile.h"
#include "../common/seal.h"
#include "../common/state.h"
#include "../common/transport.h"
#include "../membership/mship.h"
#include "rollcall.h"

/* Events one core step may report: one unreachable line per member at
 * most, and a handful of others. */
#define ROLLCALL_EVENTS_MAX (HOSTS_MAX + 16)

struct rollcall {
	struct outbox outbox;	/* first: the core's outbox is the instance */
	struct rollcall_config cfg;
	struct hosts own_hosts;	/* when cfg.hostsfile was read here */
	const struct hosts *hosts;
	struct mship core;
	struct transport *transport;
	uv_timer_t core_timer;
	/* A ringed view's member reads its datagrams every T/2 (and before
	 * each core deadline), not as each comes: rollcall_after_step. */
	uv_timer_t read_timer;
	bool udp_batched;
	bool timers_open;
	uint64_t start_ns;
	bool started, stopping, crashed;
	void (*done)(void *ctx);
	void *done_ctx;
	unsigned handles_open;
	/* DIR/state, and what it held at create. */
	char state_path[4096];
	struct state restored;
	bool has_restored;
	/* Events reported by the core step under way, delivered after it. */
	struct out_event events[ROLLCALL_EVENTS_MAX];
	unsigned events_count;
	uint64_t events_dropped;
	struct rollcall_view scratch;	/* the view a callback is shown */
	/* cfg.keyring's keys (the transport reads them in place), and the
	 * poll that rereads the file when its stat changes. */
	bool keyed;
	struct keyring keyring;
	uv_fs_poll_t keyring_poll;
	bool poll_open;
};

int64_t rollcall_now_ms(const struct rollcall *r)
{
	return (int64_t)((uv_hrtime() - r->start_ns) / 1000000u);
}

/*
 * This process's life: the wall clock in microseconds, so that a restarted
 * peer (same id, new process) is above its earlier lives, and its peers
 * drop whatever the old process still had in flight.
 */
static uint64_t rollcall_incarnation(void)
{
	uv_timeval64_t tv;
	if (uv_gettimeofday(&tv) != 0 || tv.tv_sec <= 0)
		return 1;
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void rollcall_log(const struct rollcall *r, const char *what)
{
	if (r->cfg.on_log != NULL)
		r->cfg.on_log(r->cfg.ctx, what);
}

/* ---- The outbox --------------------------------------------------------- */

static void on_outbox_send(struct outbox *o, const struct peerset *to,
			   const struct wire_msg *m)
{
	struct rollcall *r = (struct rollcall *)o;
	if (r->transport != NULL && !r->stopping)
		transport_send(r->transport, to, m);
}

static void on_outbox_send_datagram(struct outbox *o,
				    const struct peerset *to,
				    const struct wire_msg *m)
{
	struct rollcall *r = (struct rollcall *)o;
	if (r->transport != NULL && !r->stopping)
		transport_send_datagram(r->transport, to, m);
}

/* Every line has its event (mship__emit_event): the line is made again
 * from the event when it is delivered. */
static void on_outbox_print(struct outbox *o, const char *line, size_t len)
{
	(void)o;
	(void)line;
	(void)len;
}

static void on_outbox_event(struct outbox *o, const struct out_event *e)
{
	struct rollcall *r = (struct rollcall *)o;
	if (r->events_count == ROLLCALL_EVENTS_MAX) {
		r->events_dropped++;
		return;
	}
	r->events[r->events_count++] = *e;
}

static void on_outbox_exit(struct outbox *o)
{
	((struct rollcall *)o)->crashed = true;
}

/*
 * Write the core's state durably before it sends what depends on it: a
 * temporary file beside the real one, fsync, rename over it, fsync the
 * directory. A few hundred bytes, written on a promise or a view change
 * only, never per heartbeat. A failure is reported (the peer carries on,
 * as if it had no state file, which a restart may then break).
 */
static void on_outbox_save(struct outbox *o, const struct state *s)
{
	struct rollcall *r = (struct rollcall *)o;
	char buf[STATE_BYTES_MAX];
	size_t len;
	if (r->state_path[0] == '\0' || state_encode(s, buf, sizeof(buf),
						      &len) != 0)
		return;
	int rc = savefile_write(r->state_path, buf, len);
	if (rc != 0) {
		char msg[sizeof(r->state_path) + 128];
		snprintf(msg, sizeof(msg), "cannot write %s: %s",
			 r->state_path, strerror(-rc));
		rollcall_log(r, msg);
	}
}

/*
 * Read DIR/state, if there is one. A missing file is a first start; an
 * unreadable or malformed one is an error (starting without it could
 * break a promise its last life made).
 */
static int rollcall_state_load(struct rollcall *r, char *err, size_t cap)
{
	const char *dir = r->cfg.state_dir;
	if (dir == NULL || dir[0] == '\0')
		return 0;
	int n = snprintf(r->state_path, sizeof(r->state_path), "%s/state",
			 dir);
	if (n < 0 || (size_t)n >= sizeof(r->state_path)) {
		r->state_path[0] = '\0';
		snprintf(err, cap, "--state: directory name too long");
		return -EINVAL;
	}
	char buf[STATE_BYTES_MAX];
	size_t len = 0;
	unsigned line = 0;
	int rc = savefile_read(r->state_path, buf, sizeof(buf), &len);
	if (rc == -ENOENT) {
		/* Make sure we can write it before we promise anything. */
		rc = savefile_probe(r->state_path);
		if (rc != 0) {
			snprintf(err, cap, "%s: %s (--state names a directory "
				 "this user can write)", r->state_path,
				 strerror(-rc));
			return -EACCES;
		}
		return 0;
	}
	if (rc != 0 && rc != -EFBIG) {
		snprintf(err, cap, "%s: %s", r->state_path, strerror(-rc));
		return -EIO;
	}
	if (rc == 0)
		rc = state_decode(buf, len, &r->restored, &line);
	if (rc != 0) {
		snprintf(err, cap, "%s:%u: %s (move it away to start this "
			 "peer afresh)", r->state_path, line,
			 rc == -EFBIG ? "over the size of a state file"
				      : state_strerror(rc));
		return -EINVAL;
	}
	r->has_restored = true;
	return 0;
}

/* ---- Events to callbacks ------------------------------------------------ */

static void view_from(struct rollcall_view *v, uint32_t id, unsigned leader,
		      const struct peerset *members)
{
	v->id = id;
	v->leader = leader;
	v->members_count = 0;
	for (unsigned p = 1; p <= HOSTS_MAX; p++)
		if (peerset_has(members, p))
			v->members[v->members_count++] = p;
}

static void rollcall_deliver(struct rollcall *r, const struct out_event *e)
{
	const struct rollcall_config *c = &r->cfg;
	if (c->on_line != NULL) {
		char line[OUT_LINE_BYTES_MAX];
		size_t len = out_event_line(line, e);
		if (len > 0)
			c->on_line(c->ctx, line, len);
	}
	struct rollcall_view *v = &r->scratch;
	view_from(v, e->view_id, e->leader, &e->members);
	switch (e->kind) {
	case OUT_EVENT_VIEW:
		if (c->on_view != NULL)
			c->on_view(c->ctx, v);
		break;
	case OUT_EVENT_UNREACHABLE:
		if (c->on_unreachable != NULL)
			c->on_unreachable(c->ctx, e->peer, v);
		break;
	case OUT_EVENT_REMOVED:
		if (c->on_removed != NULL)
			c->on_removed(c->ctx, v, e->rejoining);
		break;
	case OUT_EVENT_HEARD:
		if (c->on_heard != NULL)
			c->on_heard(c->ctx, e->peer);
		break;
	case OUT_EVENT_CRASHING:
		/* Said after the step (rollcall_after_step), once the core
		 * has gone quiet. */
		break;
	}
}

static void on_core_timer(uv_timer_t *timer);

static void on_read_timer(uv_timer_t *timer)
{
	struct rollcall *r = timer->data;
	if (!r->stopping && !r->crashed && r->transport != NULL)
		transport_udp_read_all(r->transport);
}

/*
 * How this peer reads datagrams. At 1024 peers on 2 cores, a member woken
 * for each of the 6 datagrams a second it gets spent more on the wakeup
 * than on the datagram: the group's idle cost was over a core. A member
 * of a ringed view (not its leader, which hears every member, nor one
 * taking over) reads what came every T/2 instead, and before each of its
 * core's deadlines, so a beat that came is never judged missing; what it
 * hears is then up to T/2 late, which a removal in a ringed view, by its
 * subject's observers, can take. TCP is read as it comes.
 */
static void rollcall_set_reading(struct rollcall *r)
{
	bool batched = r->core.ringed && r->core.role == MSHIP_MEMBER &&
		       !r->crashed;
	if (batched == r->udp_batched || r->transport == NULL)
		return;
	r->udp_batched = batched;
	transport_udp_batch(r->transport, batched);
	uint64_t every = r->cfg.heartbeat_ms / 2;
	if (batched)
		uv_timer_start(&r->read_timer, on_read_timer, every, every);
	else
		uv_timer_stop(&r->read_timer);
}

/*
 * After every core step: the events it reported, in order, then the
 * timer for its next deadline. A callback may stop the instance; then
 * the rest are dropped (none is called after rollcall_stop).
 */
static void rollcall_after_step(struct rollcall *r)
{
	unsigned n = r->events_count;
	for (unsigned i = 0; i < n && !r->stopping; i++)
		rollcall_deliver(r, &r->events[i]);
	r->events_count = 0;
	if (r->stopping)
		return;
	rollcall_set_reading(r);
	if (r->crashed) {
		uv_timer_stop(&r->core_timer);
		if (r->cfg.on_crash != NULL) {
			const struct mship *m = &r->core;
			view_from(&r->scratch, m->view_id, m->leader,
				  &m->members);
			r->cfg.on_crash(r->cfg.ctx, &r->scratch);
		}
		return;
	}
	if (r->cfg.on_step != NULL)
		r->cfg.on_step(r->cfg.ctx);
	if (r->stopping)
		return;
	int64_t next = mship_next_deadline(&r->core);
	if (next == MSHIP_NEVER) {
		uv_timer_stop(&r->core_timer);
		return;
	}
	int64_t wait = next - rollcall_now_ms(r);
	uv_timer_start(&r->core_timer, on_core_timer,
		       wait > 0 ? (uint64_t)wait : 0, 0);
}

static void on_core_timer(uv_timer_t *timer)
{
	struct rollcall *r = timer->data;
	if (r->udp_batched && !r->stopping && !r->crashed)
		transport_udp_read_all(r->transport);
	if (r->stopping || r->crashed)
		return;
	mship_on_tick(&r->core, rollcall_now_ms(r));
	rollcall_after_step(r);
}

static void on_transport_ready(void *ctx)
{
	struct rollcall *r = ctx;
	if (r->stopping)
		return;
	if (r->cfg.on_ready != NULL)
		r->cfg.on_ready(r->cfg.ctx);
	if (r->stopping)
		return;
	mship_start(&r->core, rollcall_now_ms(r));
	rollcall_after_step(r);
}

static void on_transport_message(void *ctx, const struct wire_msg *m)
{
	struct rollcall *r = ctx;
	if (r->stopping || r->crashed)
		return;
	mship_on_message(&r->core, rollcall_now_ms(r), m);
	rollcall_after_step(r);
}

static void on_transport_fatal(void *ctx, const char *reason)
{
	struct rollcall *r = ctx;
	if (!r->stopping && r->cfg.on_fatal != NULL)
		r->cfg.on_fatal(r->cfg.ctx, reason);
}

/* ---- Lifecycle ---------------------------------------------------------- */

int rollcall_create(struct rollcall **out, const struct rollcall_config *cfg,
		    char *err, size_t err_cap)
{
	*out = NULL;
	if (cfg->loop == NULL || (cfg->hosts == NULL && cfg->hostsfile == NULL)) {
		snprintf(err, err_cap, "a loop and a hostsfile are required");
		return -EINVAL;
	}
	if (cfg->heartbeat_ms == 0) {
		snprintf(err, err_cap, "the heartbeat period must be above 0");
		return -EINVAL;
	}
	struct rollcall *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	r->cfg = *cfg;
	const char *file = cfg->hostsfile != NULL ? cfg->hostsfile : "hosts";
	if (cfg->hosts != NULL) {
		r->hosts = cfg->hosts;
	} else {
		if (hosts_load(&r->own_hosts, cfg->hostsfile, err, err_cap)
		    != 0) {
			free(r);
			return -EINVAL;
		}
		r->hosts = &r->own_hosts;
	}
	if (cfg->id == 0 || cfg->id > r->hosts->count) {
		snprintf(err, err_cap, "--id %u: %s has only %u entries",
			 cfg->id, file, r->hosts->count);
		rollcall_destroy(r);
		return -EINVAL;
	}
	if (cfg->keyring != NULL && cfg->keyring[0] != '\0') {
		if (seal_init() != 0) {
			snprintf(err, err_cap, "%s", seal_strerror(SEAL_EINIT));
			rollcall_destroy(r);
			return -EINVAL;
		}
		if (keyring_load(&r->keyring, cfg->keyring, err, err_cap)
		    != 0) {
			rollcall_destroy(r);
			return -EINVAL;
		}
		r->keyed = true;
	}
	int rc = rollcall_state_load(r, err, err_cap);
	if (rc != 0) {
		rollcall_destroy(r);
		return rc;
	}
	r->outbox.send = on_outbox_send;
	r->outbox.send_datagram = on_outbox_send_datagram;
	r->outbox.print = on_outbox_print;
	r->outbox.exit = on_outbox_exit;
	r->outbox.event = on_outbox_event;
	r->outbox.save = on_outbox_save;
	struct mship_config mc = {
		.self = cfg->id,
		.hosts_count = r->hosts->count,
		.heartbeat_ms = cfg->heartbeat_ms,
		.crash_ms = cfg->crash_ms > 0 ? cfg->crash_ms : -1,
		.testcase4 = cfg->testcase4,
		.incarnation = rollcall_incarnation(),
		.rejoin = cfg->rejoin,
		.restored = r->has_restored ? &r->restored : NULL,
		/* A heartbeat a quarter period late still counts. */
		.allowance_ms = cfg->heartbeat_ms / 4,
		/* A new peer 1 asks before founding: two periods and the
		 * allowance for an answer. */
		.probe_ms = 2 * cfg->heartbeat_ms + cfg->heartbeat_ms / 4,
	};
	mship_create(&r->core, &mc, &r->outbox);
	r->start_ns = uv_hrtime();
	*out = r;
	return 0;
}

/* ---- The keyring ------------------------------------------------------- */

int rollcall_keyring_reread(struct rollcall *r, const char *why)
{
	if (!r->keyed)
		return -EINVAL;
	struct keyring fresh;
	char err[512], msg[1024];
	if (keyring_load(&fresh, r->cfg.keyring, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "keyring not reread (%s), %u keys "
			 "kept: %s", why, r->keyring.count, err);
		rollcall_log(r, msg);
		return -EINVAL;
	}
	r->keyring = fresh;
	keyring_wipe(&fresh);
	snprintf(msg, sizeof(msg), "keyring %s reread (%s): %u keys, "
		 "sealing with key %02x%02x%02x%02x", r->cfg.keyring, why,
		 r->keyring.count, r->keyring.ids[0][0], r->keyring.ids[0][1],
		 r->keyring.ids[0][2], r->keyring.ids[0][3]);
	rollcall_log(r, msg);
	return 0;
}

/* A Kubernetes Secret's update and a compose secret rewritten in place
 * reach the file without a signal: its stat changing is one. */
static void on_keyring_change(uv_fs_poll_t *poll, int status,
			      const uv_stat_t *prev, const uv_stat_t *curr)
{
	(void)prev;
	(void)curr;
	struct rollcall *r = poll->data;
	if (status == 0 && !r->stopping)
		rollcall_keyring_reread(r, "changed");
}

int rollcall_start(struct rollcall *r)
{
	if (r->started || r->stopping)
		return -EALREADY;
	r->started = true;
	uv_timer_init(r->cfg.loop, &r->core_timer);
	r->core_timer.data = r;
	uv_timer_init(r->cfg.loop, &r->read_timer);
	r->read_timer.data = r;
	r->timers_open = true;
	struct transport_config tc = {
		.loop = r->cfg.loop,
		.hosts = r->hosts,
		.self = r->cfg.id,
		.port = r->cfg.port,
		.verbose = r->cfg.verbose,
		.drop_udp_percent = r->cfg.drop_udp_percent,
		.keyring = r->keyed ? &r->keyring : NULL,
	};
	if (r->keyed) {
		uint32_t every = r->cfg.keyring_poll_ms != 0
					 ? r->cfg.keyring_poll_ms
					 : ROLLCALL_KEYRING_POLL_MS;
		uv_fs_poll_init(r->cfg.loop, &r->keyring_poll);
		r->keyring_poll.data = r;
		uv_fs_poll_start(&r->keyring_poll, on_keyring_change,
				 r->cfg.keyring, every);
		r->poll_open = true;
	}
	struct transport_events ev = {
		.ctx = r,
		.on_ready = on_transport_ready,
		.on_message = on_transport_message,
		.on_fatal = on_transport_fatal,
	};
	return transport_new(&r->transport, &tc, &ev);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct rollcall *r = h->data;
	if (--r->handles_open == 0 && r->done != NULL)
		r->done(r->done_ctx);
}

static void rollcall_close_timers(void *ctx)
{
	struct rollcall *r = ctx;
	r->transport = NULL;
	r->handles_open = 2;
	r->timers_open = false;
	if (r->poll_open) {
		r->handles_open++;
		r->poll_open = false;
		uv_close((uv_handle_t *)&r->keyring_poll, on_timer_closed);
	}
	uv_close((uv_handle_t *)&r->core_timer, on_timer_closed);
	uv_close((uv_handle_t *)&r->read_timer, on_timer_closed);
}

void rollcall_stop(struct rollcall *r, void (*done)(void *ctx), void *ctx)
{
	if (r->stopping)
		return;
	r->stopping = true;
	r->done = done;
	r->done_ctx = ctx;
	if (!r->started) {
		/* Nothing open: nothing to wait for. */
		if (done != NULL)
			done(ctx);
		return;
	}
	uv_timer_stop(&r->core_timer);
	uv_timer_stop(&r->read_timer);
	if (r->transport != NULL)
		transport_close(r->transport, rollcall_close_timers, r);
	else
		rollcall_close_timers(r);
}

void rollcall_destroy(struct rollcall *r)
{
	if (r == NULL)
		return;
	/* Started and never stopped is the caller's mistake: its handles
	 * are still on the loop. */
	assert(!r->timers_open);
	hosts_destroy(&r->own_hosts);
	keyring_wipe(&r->keyring);
	free(r);
}

/* ---- Reading ------------------------------------------------------------ */

unsigned rollcall_self(const struct rollcall *r)
{
	return r->cfg.id;
}

unsigned rollcall_hosts_count(const struct rollcall *r)
{
	return r->hosts->count;
}

bool rollcall_view(const struct rollcall *r, struct rollcall_view *v)
{
	const struct mship *m = &r->core;
	bool in = (m->role == MSHIP_MEMBER || m->role == MSHIP_LEADER) &&
		  m->view_leader != 0;
	if (!in) {
		v->id = 0;
		v->leader = 0;
		v->members_count = 0;
		return false;
	}
	view_from(v, m->view_id, m->view_leader, &m->members);
	return true;
}

unsigned rollcall_leader(const struct rollcall *r)
{
	const struct mship *m = &r->core;
	if (m->role != MSHIP_MEMBER && m->role != MSHIP_LEADER)
		return 0;
	return m->leader;
}

bool rollcall_is_leader(const struct rollcall *r)
{
	const struct mship *m = &r->core;
	return m->role == MSHIP_LEADER && !m->recon.active &&
	       m->view_leader == r->cfg.id;
}

const struct mship *rollcall_core(const struct rollcall *r)
{
	return &r->core;
}

const struct transport_stats *rollcall_transport_stats(
	const struct rollcall *r)
{
	return r->transport != NULL ? transport_stats(r->transport) : NULL;
}
