/*
 * The hooks: when the status file is written, and the handler fed.
 */
#include "hooks.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static void hooks_log(const struct hooks *h, const char *what)
{
	if (h->cfg.log != NULL)
		h->cfg.log(h->cfg.ctx, what);
}

static int64_t hooks_unix_ms(void)
{
	uv_timeval64_t tv;
	if (uv_gettimeofday(&tv) != 0)
		return 0;
	return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The snapshot's own part: the handler's counters and the file's. */
static void hooks_snap_own(struct hooks *h, struct status_snap *s)
{
	const struct handler_stats *hs = &h->handler.stats;
	struct status_counters *c = &s->hooks;
	c->count = 0;
	status_counters_add(c, "handler_started", hs->started);
	status_counters_add(c, "handler_succeeded", hs->succeeded);
	status_counters_add(c, "handler_failed", hs->failed);
	status_counters_add(c, "handler_timed_out", hs->timed_out);
	status_counters_add(c, "handler_dropped", hs->dropped);
	status_counters_add(c, "handler_queued", h->handler.queue.count);
	status_counters_add(c, "status_writes", h->status_writes);
	status_counters_add(c, "status_write_errors", h->status_write_errors);
}

static void hooks_take(struct hooks *h, const char *final_role)
{
	h->cfg.snapshot(h->cfg.ctx, &h->snap);
	if (final_role != NULL)
		h->snap.role = final_role;
}

static int hooks_write(struct hooks *h, char *err, size_t err_cap)
{
	struct status_snap *s = &h->snap;
	hooks_snap_own(h, s);
	s->written_unix_ms = hooks_unix_ms();
	int len = status_render(h->buf, sizeof(h->buf), s);
	if (len < 0) {
		snprintf(err, err_cap, "--status %s: the state does not fit "
			 "in %d bytes", h->cfg.status_path, STATUS_BYTES_MAX);
		h->status_write_errors++;
		return len;
	}
	int rc = status_write_atomic(h->cfg.status_path, h->buf, (size_t)len,
				     err, err_cap);
	if (rc != 0) {
		h->status_write_errors++;
		return rc;
	}
	h->status_writes++;
	h->dirty = false;
	snprintf(h->role, sizeof(h->role), "%s", s->role);
	h->view_id = s->view_id;
	h->leader = s->leader;
	return 0;
}

/* A write while running: a failure is logged (-v), counted, survived. */
static void hooks_write_now(struct hooks *h)
{
	char err[512];
	if (hooks_write(h, err, sizeof(err)) != 0)
		hooks_log(h, err);
}

static void on_status_timer(uv_timer_t *timer)
{
	struct hooks *h = timer->data;
	hooks_take(h, NULL);
	hooks_write_now(h);
}

static void on_hooks_timer_closed(uv_handle_t *handle)
{
	(void)handle;
}

int hooks_create(struct hooks *h, const struct hooks_config *cfg, char *err,
		 size_t err_cap)
{
	/* All but buf, which is written before it is read: without
	 * --status its 64 KiB are never touched, so never in memory. */
	memset(h, 0, offsetof(struct hooks, buf));
	h->cfg = *cfg;
	int rc = handler_create(&h->handler, cfg->loop, cfg->on_change,
				cfg->on_change_log, cfg->on_change_timeout_ms,
				cfg->log, cfg->ctx);
	if (rc != 0) {
		snprintf(err, err_cap, "--on-change-log %s: cannot open it: %s",
			 cfg->on_change_log != NULL ? cfg->on_change_log :
			 "/dev/null", strerror(-rc));
		return rc;
	}
	if (cfg->status_path == NULL)
		return 0;
	hooks_take(h, NULL);
	rc = hooks_write(h, err, err_cap);
	if (rc != 0) {
		handler_destroy(&h->handler);
		return rc;
	}
	uv_timer_init(cfg->loop, &h->timer);
	h->timer.data = h;
	h->timer_open = true;
	uv_timer_start(&h->timer, on_status_timer, cfg->status_period_ms,
		       cfg->status_period_ms);
	/* The file follows the peer; it must not keep a stopped one alive. */
	uv_unref((uv_handle_t *)&h->timer);
	return 0;
}

void hooks_on_event(struct hooks *h, const struct out_event *e)
{
	if (h->destroyed)
		return;
	h->dirty = true;
	handler_push(&h->handler, e);
}

void hooks_after_core(struct hooks *h, const struct mship *core)
{
	if (h->destroyed)
		return;
	handler_kick(&h->handler);
	/* Most events are heartbeats that change nothing shown: the full
	 * snapshot (every member, every counter) waits for the timer. */
	if (h->cfg.status_path == NULL ||
	    (!h->dirty &&
	     !status_core_changed(core, h->role, h->view_id, h->leader)))
		return;
	hooks_take(h, NULL);
	hooks_write_now(h);
}

void hooks_destroy(struct hooks *h, const char *final_role)
{
	if (h->destroyed)
		return;
	h->destroyed = true;
	handler_destroy(&h->handler);
	if (h->cfg.status_path == NULL)
		return;
	hooks_take(h, final_role);
	hooks_write_now(h);
	if (h->timer_open)
		uv_close((uv_handle_t *)&h->timer, on_hooks_timer_closed);
	h->timer_open = false;
}
