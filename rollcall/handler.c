/*
 * The handler queue and its one running process. Each run owns its libuv
 * handles (the process, the stdin pipe, the timeout timer) in one
 * allocation, freed when the last of them has closed; the handler itself
 * only points at the run in progress, so the next can start as soon as
 * one exits, while the last run's handles are still closing.
 */
#include "handler.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"

extern char **environ;

bool handler_queue_push(struct handler_queue *q, const struct out_event *e)
{
	bool dropped = false;
	if (q->count == HANDLER_QUEUE_MAX) {
		q->head = (q->head + 1) % HANDLER_QUEUE_MAX;
		q->count--;
		dropped = true;
	}
	q->ev[(q->head + q->count) % HANDLER_QUEUE_MAX] = *e;
	q->count++;
	return dropped;
}

bool handler_queue_pop(struct handler_queue *q, struct out_event *e)
{
	if (q->count == 0)
		return false;
	*e = q->ev[q->head];
	q->head = (q->head + 1) % HANDLER_QUEUE_MAX;
	q->count--;
	return true;
}

struct handler_run {
	struct handler *owner;
	uv_process_t proc;
	uv_pipe_t in;
	uv_write_t write;
	uv_timer_t timer;
	unsigned open;		/* handles not closed yet */
	bool proc_open;		/* uv_spawn was called (even if it failed) */
	bool timed_out;
	char what[64];		/* "the view event of view 4", for the log */
	char line[HANDLER_EVENT_BYTES_MAX];
	char env_store[HANDLER_EVENT_BYTES_MAX];
	char **env;
};

static void handler_log(const struct handler *h, const struct handler_run *r,
			const char *why)
{
	char line[512];
	if (h->log == NULL)
		return;
	snprintf(line, sizeof(line), "handler %.120s, for %s: %s", h->program,
		 r->what, why);
	h->log(h->log_ctx, line);
}

static void on_run_closed(uv_handle_t *handle)
{
	struct handler_run *r = handle->data;
	if (--r->open == 0) {
		free(r->env);
		free(r);
	}
}

static void handler_run_close(struct handler_run *r)
{
	uv_handle_t *hs[] = { (uv_handle_t *)&r->in, (uv_handle_t *)&r->timer,
			      (uv_handle_t *)&r->proc };
	size_t count = r->proc_open ? 3 : 2;
	for (size_t i = 0; i < count; i++)
		if (!uv_is_closing(hs[i]))
			uv_close(hs[i], on_run_closed);
}

/* The daemon's environment, less any ROLLCALL_ of its own, plus ours. */
static int handler_run_env(struct handler_run *r, const struct out_event *e)
{
	size_t n = 0, k = 0;
	while (environ != NULL && environ[n] != NULL)
		n++;
	r->env = malloc((n + EVENT_ENV_VARS_MAX + 1) * sizeof(char *));
	if (r->env == NULL)
		return UV_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ROLLCALL_", 9) != 0)
			r->env[k++] = environ[i];
	k += event_env(e, r->env_store, r->env + k);
	r->env[k] = NULL;
	return 0;
}

static void handler_next(struct handler *h);

static void on_run_write(uv_write_t *req, int status)
{
	struct handler_run *r = req->data;
	(void)status;	/* a handler need not read its stdin */
	/* Closing stdin is the end of the line for a handler that reads
	 * to the end. */
	if (!uv_is_closing((uv_handle_t *)&r->in))
		uv_close((uv_handle_t *)&r->in, on_run_closed);
}

static void on_run_timeout(uv_timer_t *timer)
{
	struct handler_run *r = timer->data;
	char why[64];
	r->timed_out = true;
	snprintf(why, sizeof(why), "still running after %u ms; killed",
		 (unsigned)r->owner->timeout_ms);
	handler_log(r->owner, r, why);
	/* The whole group: a script's children would outlive it. */
	uv_kill(-r->proc.pid, SIGKILL);
}

static void on_run_exit(uv_process_t *proc, int64_t exit_status,
			int term_signal)
{
	struct handler_run *r = proc->data;
	struct handler *h = r->owner;
	char why[64];

	if (r->timed_out) {
		h->stats.timed_out++;
	} else if (exit_status == 0 && term_signal == 0) {
		h->stats.succeeded++;
	} else {
		h->stats.failed++;
		if (term_signal != 0)
			snprintf(why, sizeof(why), "killed by signal %d",
				 term_signal);
		else
			snprintf(why, sizeof(why), "exit status %lld",
				 (long long)exit_status);
		handler_log(h, r, why);
	}
	handler_run_close(r);
	if (h->running == r)
		h->running = NULL;
	handler_next(h);
}

/* Start one run; false when it could not start (counted and logged). */
static bool handler_spawn(struct handler *h, const struct out_event *e)
{
	struct handler_run *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		h->stats.failed++;
		return false;
	}
	r->owner = h;
	snprintf(r->what, sizeof(r->what), "the %s event of view %u",
		 out_event_name(e->kind), (unsigned)e->view_id);
	size_t len = event_json(r->line, e);
	uv_pipe_init(h->loop, &r->in, 0);
	uv_timer_init(h->loop, &r->timer);
	r->in.data = r->timer.data = r->proc.data = r->write.data = r;
	r->open = 2;

	/* libuv's args are char *, though it never writes them. */
	char *program;
	memcpy(&program, &h->program, sizeof(program));
	char *args[] = { program, NULL };
	uv_stdio_container_t stdio[3] = {
		{ .flags = UV_CREATE_PIPE | UV_READABLE_PIPE,
		  .data.stream = (uv_stream_t *)&r->in },
		{ .flags = UV_INHERIT_FD, .data.fd = h->out_fd },
		{ .flags = UV_INHERIT_FD, .data.fd = h->out_fd },
	};
	uv_process_options_t opt = {
		.exit_cb = on_run_exit,
		.file = h->program,
		.args = args,
		.flags = UV_PROCESS_DETACHED,	/* its own process group */
		.stdio_count = 3,
		.stdio = stdio,
	};
	int rc = handler_run_env(r, e);
	if (rc == 0) {
		opt.env = r->env;
		rc = uv_spawn(h->loop, &r->proc, &opt);
		/* uv_spawn initialises the handle even when it fails. */
		r->proc_open = true;
		r->open++;
	}
	if (rc != 0) {
		char why[96];
		h->stats.failed++;
		snprintf(why, sizeof(why), "cannot run it: %s", uv_strerror(rc));
		handler_log(h, r, why);
		handler_run_close(r);
		return false;
	}
	h->stats.started++;
	h->running = r;
	uv_buf_t buf = uv_buf_init(r->line, (unsigned)len);
	if (uv_write(&r->write, (uv_stream_t *)&r->in, &buf, 1,
		     on_run_write) != 0)
		uv_close((uv_handle_t *)&r->in, on_run_closed);
	uv_timer_start(&r->timer, on_run_timeout, h->timeout_ms, 0);
	return true;
}

/* Start the oldest waiting event if none runs; skip those that fail. */
static void handler_next(struct handler *h)
{
	struct out_event e;
	while (!h->closed && h->running == NULL &&
	       handler_queue_pop(&h->queue, &e))
		handler_spawn(h, &e);
}

int handler_create(struct handler *h, uv_loop_t *loop, const char *program,
		   const char *out_path, uint32_t timeout_ms,
		   void (*log)(void *ctx, const char *what), void *log_ctx)
{
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	h->program = program;
	h->timeout_ms = timeout_ms;
	h->log = log;
	h->log_ctx = log_ctx;
	h->out_fd = -1;
	if (program == NULL)
		return 0;
	if (out_path != NULL)
		h->out_fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND |
				 O_CLOEXEC, 0644);
	else
		h->out_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	return h->out_fd < 0 ? -errno : 0;
}

void handler_push(struct handler *h, const struct out_event *e)
{
	if (h->program == NULL || h->closed)
		return;
	if (handler_queue_push(&h->queue, e))
		h->stats.dropped++;
}

void handler_kick(struct handler *h)
{
	handler_next(h);
}

void handler_destroy(struct handler *h)
{
	if (h->closed)
		return;
	h->closed = true;
	h->queue.count = 0;
	if (h->running != NULL)
		handler_run_close(h->running);
	h->running = NULL;
	if (h->out_fd >= 0)
		close(h->out_fd);
	h->out_fd = -1;
}
