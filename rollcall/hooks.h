/*
 * What applications see of the membership: the status file (status.h)
 * and the event handlers (handler.h), driven from the daemon's outbox.
 *
 * The daemon hands every event over (hooks_on_event) and calls
 * hooks_after_core once the core has returned from each event; the file
 * is rewritten then whenever the role, view or leader changed or an event
 * was reported, and every period otherwise, so "last heard" stays fresh.
 * Events are copied into the handler's queue at once; handlers are
 * started only from the loop, never from inside the core.
 */
#ifndef ROLLCALL_HOOKS_H
#define ROLLCALL_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/out.h"
#include "handler.h"
#include "status.h"

struct hooks_config {
	uv_loop_t *loop;
	const char *status_path;	/* --status; NULL: no file */
	uint32_t status_period_ms;	/* rewritten at least this often */
	const char *on_change;		/* --on-change; NULL: no handler */
	uint32_t on_change_timeout_ms;
	const char *on_change_log;	/* NULL: handlers' output is dropped */
	/* Fill a snapshot's core and transport parts (status_snap_core,
	 * status_snap_transport). */
	void (*snapshot)(void *ctx, struct status_snap *s);
	void (*log)(void *ctx, const char *what);	/* -v diagnostics */
	void *ctx;
};

struct hooks {
	struct hooks_config cfg;
	struct handler handler;
	uv_timer_t timer;
	bool timer_open;
	bool dirty;		/* an event since the last write */
	bool destroyed;
	/* What the file shows: a change of any is written at once. */
	char role[16];
	uint32_t view_id;
	unsigned leader;
	uint64_t status_writes;
	uint64_t status_write_errors;
	struct status_snap snap;
	/* Last: hooks_create leaves it as it is (see there). */
	char buf[STATUS_BYTES_MAX];
};

/*
 * Set up, and write the status file once: a path that cannot be written
 * is an error at start (one line in err), not a surprise later.
 */
int hooks_create(struct hooks *h, const struct hooks_config *cfg, char *err,
		 size_t err_cap);

/* An event the core reported (the outbox's event callback). */
void hooks_on_event(struct hooks *h, const struct out_event *e);

/* The core has returned: write the file if anything shown changed. */
void hooks_after_core(struct hooks *h, const struct mship *core);

/*
 * The last write, with role final_role when not NULL ("stopped"), and
 * close every handle. Safe to call twice.
 */
void hooks_destroy(struct hooks *h, const char *final_role);

#endif
