/*
 * Event handlers (--on-change PROGRAM): PROGRAM runs once per event, with
 * the event in its environment and as one JSON line on its stdin
 * (event.h).
 *
 * Through libuv (uv_spawn), so the loop never waits for a handler. One
 * runs at a time; events that arrive meanwhile wait in a queue of
 * HANDLER_QUEUE_MAX, and when it is full the oldest is dropped and
 * counted. A handler running longer than the timeout is killed (its whole
 * process group: it runs in its own session) and counted. A handler that
 * fails, or cannot be started, is counted and logged at -v; nothing of it
 * reaches the protocol. Its stdout and stderr go to /dev/null or to a log
 * file of their own, so they never mix with the output lines on stderr.
 */
#ifndef ROLLCALL_HANDLER_H
#define ROLLCALL_HANDLER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../common/bounds.h"
#include "../common/out.h"

/* The events waiting; a ring that drops its oldest when full. */
struct handler_queue {
	struct out_event ev[HANDLER_QUEUE_MAX];
	unsigned head;
	unsigned count;
};

/* Returns true when the oldest had to be dropped to make room. */
bool handler_queue_push(struct handler_queue *q, const struct out_event *e);

/* The oldest into e; false when empty. */
bool handler_queue_pop(struct handler_queue *q, struct out_event *e);

struct handler_stats {
	uint64_t started;	/* spawned */
	uint64_t succeeded;	/* exit status 0 */
	uint64_t failed;	/* other status, a signal, or not started */
	uint64_t timed_out;	/* killed after the timeout (not in failed) */
	uint64_t dropped;	/* the queue was full */
};

struct handler_run;

struct handler {
	uv_loop_t *loop;
	const char *program;	/* NULL: no handler; events are ignored */
	uint32_t timeout_ms;
	int out_fd;		/* the handlers' stdout and stderr */
	void (*log)(void *ctx, const char *what);	/* -v diagnostics */
	void *log_ctx;
	struct handler_queue queue;
	struct handler_run *running;	/* the one spawned, until it exits */
	bool closed;
	struct handler_stats stats;
};

/*
 * program NULL makes a handler that does nothing. out_path: where the
 * handlers' output is appended (NULL: /dev/null). log may be NULL.
 * Returns 0, or a negative errno when out_path cannot be opened.
 */
int handler_create(struct handler *h, uv_loop_t *loop, const char *program,
		   const char *out_path, uint32_t timeout_ms,
		   void (*log)(void *ctx, const char *what), void *log_ctx);

/* Queue e (it starts at the next handler_kick). */
void handler_push(struct handler *h, const struct out_event *e);

/* Start the oldest queued event if none runs. Never waits for it. */
void handler_kick(struct handler *h);

/*
 * Stop: queued events are dropped, a running handler is left to finish on
 * its own, and every handle is closed (uv_loop_close can then succeed).
 */
void handler_destroy(struct handler *h);

#endif
