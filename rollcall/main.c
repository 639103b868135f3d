/*
 * rollcall: the daemon. Reads the command line and the hostsfile, then
 * wires the protocol core (membership/) to the transport (common/) on one
 * libuv loop: every message and timer becomes an event for the core, and
 * what the core puts in its outbox becomes writes and output lines.
 *
 * Nothing here decides anything about membership.
 */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "../common/cli.h"
#include "../common/fdio.h"
#include "../common/hosts.h"
#include "../common/out.h"
#include "../common/transport.h"
#include "hooks.h"
#include "ready.h"
#include "rollcall.h"
#include "../membership/mship.h"

#define ROLLCALL_VERSION "0.1.0"

struct daemon {
	struct cli cli;
	struct hosts hosts;
	unsigned self;
	uv_loop_t loop;
	uv_timer_t delay_timer;
	uv_timer_t stop_timer;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	uv_signal_t sighup;	/* rereads the keyring; only with one */
	bool keyed;		/* --keyring or $ROLLCALL_KEYRING given */
	struct rollcall *rc;	/* the protocol, as a library */
	bool rc_started;
	struct hooks hooks;	/* --status and --on-change */
	bool hooks_open;
	bool stopping;
	int exit_status;
};

static struct daemon daemon_main;

/* Diagnostics: only with -v, never starting with '{'. */
static void daemon_log(const struct daemon *d, const char *what)
{
	if (d->cli.verbose > 0)
		fprintf(stderr, "rollcall[%u]: %s\n", d->self, what);
}

/* ---- The library's callbacks -------------------------------------------- */

/* One write per line, so lines from a peer never interleave. */
static void on_rc_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	(void)fd_write_all(STDERR_FILENO, line, len);
}

/* A failure to keep the state: always said. */
static void on_rc_log(void *ctx, const char *what)
{
	const struct daemon *d = ctx;
	fprintf(stderr, "rollcall[%u]: %s\n", d->self, what);
}

/* The status file and the handlers take the events as the core made
 * them (common/out.h). */
static void daemon_event(struct daemon *d, enum out_event_kind kind,
			 const struct rollcall_view *v, unsigned peer,
			 bool rejoining)
{
	if (!d->hooks_open)
		return;
	struct out_event e = {
		.kind = kind, .self = d->self, .peer = peer,
		.rejoining = rejoining,
	};
	if (v != NULL) {
		e.view_id = v->id;
		e.leader = v->leader;
		for (unsigned i = 0; i < v->members_count; i++)
			peerset_add(&e.members, v->members[i]);
	}
	e.peer_is_leader = peer != 0 && peer == e.leader;
	hooks_on_event(&d->hooks, &e);
}

static void on_rc_view(void *ctx, const struct rollcall_view *v)
{
	daemon_event(ctx, OUT_EVENT_VIEW, v, 0, false);
}

static void on_rc_unreachable(void *ctx, unsigned peer,
			      const struct rollcall_view *v)
{
	daemon_event(ctx, OUT_EVENT_UNREACHABLE, v, peer, false);
}

static void on_rc_removed(void *ctx, const struct rollcall_view *v,
			  bool rejoining)
{
	struct daemon *d = ctx;
	char line[128];
	snprintf(line, sizeof(line), "removed from the group in view "
		 "%u; %s", (unsigned)v->id,
		 rejoining ? "joining again as a new member"
			   : "staying quiet (--rejoin joins again)");
	daemon_log(d, line);
	daemon_event(d, OUT_EVENT_REMOVED, v, 0, rejoining);
}

/* Not an event handlers are run for: the peer printed nothing, and the
 * view did not change. */
static void on_rc_heard(void *ctx, unsigned peer)
{
	char line[64];
	snprintf(line, sizeof(line), "peer %u heard again", peer);
	daemon_log(ctx, line);
}

static void on_rc_step(void *ctx)
{
	struct daemon *d = ctx;
	if (d->hooks_open)
		hooks_after_core(&d->hooks, rollcall_core(d->rc));
}

static void on_rc_ready(void *ctx)
{
	daemon_log(ctx, "listening; protocol starts");
}

static void daemon_stop(struct daemon *d, int status);
static void on_stop_timer(uv_timer_t *timer);

/* -c or -t fired: the crashing line is out; stop from a fresh loop turn. */
static void on_rc_crash(void *ctx, const struct rollcall_view *v)
{
	struct daemon *d = ctx;
	daemon_event(d, OUT_EVENT_CRASHING, v, 0, false);
	if (d->hooks_open)
		hooks_after_core(&d->hooks, rollcall_core(d->rc));
	d->exit_status = 0;
	uv_timer_start(&d->stop_timer, on_stop_timer, 0, 0);
}

static void on_rc_fatal(void *ctx, const char *reason)
{
	struct daemon *d = ctx;
	fprintf(stderr, "rollcall: %s\n", reason);
	d->exit_status = 1;
	uv_timer_start(&d->stop_timer, on_stop_timer, 0, 0);
}

static void daemon_begin(struct daemon *d)
{
	d->rc_started = true;
	int rc = rollcall_start(d->rc);
	if (rc != 0) {
		fprintf(stderr, "rollcall: cannot start the transport: %s\n",
			uv_strerror(rc));
		daemon_stop(d, 1);
	}
}

static void on_delay_done(uv_timer_t *timer)
{
	daemon_begin(timer->data);
}

/* ---- Stopping: close every handle so uv_loop_close returns 0 ----------- */

static void on_handle_closed(uv_handle_t *handle)
{
	(void)handle;
}

static void daemon_close_handles(void *ctx)
{
	struct daemon *d = ctx;
	uv_close((uv_handle_t *)&d->delay_timer, on_handle_closed);
	uv_close((uv_handle_t *)&d->stop_timer, on_handle_closed);
	uv_close((uv_handle_t *)&d->sigint, on_handle_closed);
	uv_close((uv_handle_t *)&d->sigterm, on_handle_closed);
	uv_close((uv_handle_t *)&d->sighup, on_handle_closed);
}

static void daemon_stop(struct daemon *d, int status)
{
	if (d->stopping)
		return;
	d->stopping = true;
	d->exit_status = status;
	/* The last status, while the transport's counters can still be read. */
	if (d->hooks_open)
		hooks_destroy(&d->hooks, rollcall_core(d->rc)->role ==
			      MSHIP_CRASHED ? NULL : "stopped");
	uv_timer_stop(&d->delay_timer);
	if (d->rc_started)
		rollcall_stop(d->rc, daemon_close_handles, d);
	else
		daemon_close_handles(d);
}

static void on_stop_timer(uv_timer_t *timer)
{
	struct daemon *d = timer->data;
	daemon_stop(d, d->exit_status);
}

static void on_signal(uv_signal_t *sig, int signum)
{
	struct daemon *d = sig->data;
	(void)signum;
	daemon_log(d, "signal: closing");
	daemon_stop(d, 0);
}

/* The keyring read again (the library says so in one line, whatever -v
 * says; a file that does not load keeps the keys in use). The library
 * also rereads it by itself when the file changes. */
static void on_sighup(uv_signal_t *sig, int signum)
{
	struct daemon *d = sig->data;
	(void)signum;
	rollcall_keyring_reread(d->rc, "SIGHUP");
}

/* ---- Start-up ----------------------------------------------------------- */

/* Our id: --id, or the hostsfile entry that matches our hostname. */
static int daemon_find_self(struct daemon *d)
{
	if (d->cli.id != 0) {
		if (d->cli.id > d->hosts.count) {
			fprintf(stderr,
				"rollcall: --id %u: %s has only %u entries\n",
				d->cli.id, d->cli.hostsfile, d->hosts.count);
			return -1;
		}
		d->self = d->cli.id;
		return 0;
	}
	char name[256];
	if (gethostname(name, sizeof(name)) != 0) {
		fprintf(stderr, "rollcall: cannot read the hostname: %s; "
				"pass --id N\n", strerror(errno));
		return -1;
	}
	name[sizeof(name) - 1] = '\0';
	d->self = hosts_find(&d->hosts, name);
	if (d->self == 0) {
		fprintf(stderr,
			"rollcall: %s: hostname '%s' is not in the file; add "
			"it or pass --id N\n", d->cli.hostsfile, name);
		return -1;
	}
	return 0;
}

/* --ready FILE: one line, exit 0 when the file shows a peer in a view. */
static int daemon_ready(const struct cli *c)
{
	char why[160];
	bool ok = ready_check_file(c->ready_path, why, sizeof(why));
	fprintf(ok ? stdout : stderr, "rollcall: --ready %s: %s\n",
		c->ready_path, why);
	return ok ? 0 : 1;
}

static int daemon_configure(struct daemon *d, int argc, char **argv)
{
	char err[512];
	if (cli_parse(&d->cli, argc, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "rollcall: %s\n", err);
		return 2;
	}
	if (d->cli.help) {
		fputs(cli_usage(), stdout);
		return 0;
	}
	if (d->cli.version) {
		printf("rollcall %s (wire version %d)\n", ROLLCALL_VERSION,
		       WIRE_VERSION);
		return 0;
	}
	if (d->cli.ready_path != NULL)
		return daemon_ready(&d->cli);
	if (hosts_load(&d->hosts, d->cli.hostsfile, err, sizeof(err)) != 0) {
		fprintf(stderr, "rollcall: %s\n", err);
		return 2;
	}
	if (daemon_find_self(d) != 0)
		return 2;
	return -1;
}

static void on_hooks_log(void *ctx, const char *what)
{
	daemon_log(ctx, what);
}

/* The one place the status file reads the core (and the transport). */
static void on_hooks_snapshot(void *ctx, struct status_snap *s)
{
	struct daemon *d = ctx;
	status_snap_core(s, rollcall_core(d->rc), rollcall_now_ms(d->rc));
	status_snap_transport(s, rollcall_transport_stats(d->rc));
}

/* --status and --on-change; a status file that cannot be written is a
 * mistake to say at once, as a wrong flag is. */
static int daemon_hooks_start(struct daemon *d)
{
	char err[600];
	struct hooks_config hc = {
		.loop = &d->loop,
		.status_path = d->cli.status_path,
		.status_period_ms = d->cli.heartbeat_ms,
		.on_change = d->cli.on_change,
		.on_change_timeout_ms = d->cli.on_change_timeout_ms,
		.on_change_log = d->cli.on_change_log,
		.snapshot = on_hooks_snapshot,
		.log = on_hooks_log,
		.ctx = d,
	};
	if (hooks_create(&d->hooks, &hc, err, sizeof(err)) != 0) {
		fprintf(stderr, "rollcall: %s\n", err);
		return -1;
	}
	d->hooks_open = true;
	return 0;
}

static void daemon_init_loop(struct daemon *d)
{
	uv_timer_init(&d->loop, &d->delay_timer);
	uv_timer_init(&d->loop, &d->stop_timer);
	d->delay_timer.data = d;
	d->stop_timer.data = d;
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sigterm);
	d->sigint.data = d;
	d->sigterm.data = d;
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	/* Without a keyring, SIGHUP keeps its default: it ends the peer. */
	uv_signal_init(&d->loop, &d->sighup);
	d->sighup.data = d;
	if (d->keyed)
		uv_signal_start(&d->sighup, on_sighup, SIGHUP);
	uv_unref((uv_handle_t *)&d->sighup);
	/* The signal handles must not keep a finished peer alive. */
	uv_unref((uv_handle_t *)&d->sigint);
	uv_unref((uv_handle_t *)&d->sigterm);
}

/* The protocol on our loop; its errors are the daemon's exit 2. */
static int daemon_create(struct daemon *d)
{
	char err[ROLLCALL_ERR_BYTES];
	const char *dir = d->cli.state_dir;
	if (dir == NULL)
		dir = getenv("ROLLCALL_STATE");
	/* --keyring, else $ROLLCALL_KEYRING; neither: plain messages. */
	const char *keyring = d->cli.keyring;
	if (keyring == NULL)
		keyring = getenv("ROLLCALL_KEYRING");
	if (keyring != NULL && keyring[0] == '\0')
		keyring = NULL;
	d->keyed = keyring != NULL;
	struct rollcall_config rc = {
		.loop = &d->loop,
		.hostsfile = d->cli.hostsfile,
		.hosts = &d->hosts,
		.id = d->self,
		.port = d->cli.port,
		.heartbeat_ms = d->cli.heartbeat_ms,
		.state_dir = dir,
		.keyring = keyring,
		.rejoin = d->cli.rejoin,
		.verbose = d->cli.verbose,
		.crash_ms = d->cli.crash_ms,
		.testcase4 = d->cli.testcase4,
		.drop_udp_percent = d->cli.drop_udp_percent,
		.ctx = d,
		.on_ready = on_rc_ready,
		.on_view = on_rc_view,
		.on_unreachable = on_rc_unreachable,
		.on_removed = on_rc_removed,
		.on_heard = on_rc_heard,
		.on_crash = on_rc_crash,
		.on_fatal = on_rc_fatal,
		.on_line = on_rc_line,
		.on_log = on_rc_log,
		.on_step = on_rc_step,
	};
	if (rollcall_create(&d->rc, &rc, err, sizeof(err)) != 0) {
		fprintf(stderr, "rollcall: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	/* A peer of a large group holds a connection to and from each of
	 * many others (a leader: every member, both ways): the soft limit on
	 * descriptors, often 1024, goes up to the hard one. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	    nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}
	struct daemon *d = &daemon_main;

	int status = daemon_configure(d, argc, argv);
	if (status >= 0) {
		hosts_destroy(&d->hosts);
		return status;
	}
	uv_loop_init(&d->loop);
	if (daemon_create(d) != 0) {
		uv_loop_close(&d->loop);
		hosts_destroy(&d->hosts);
		return 2;
	}
	daemon_init_loop(d);
	if (daemon_hooks_start(d) != 0)
		daemon_stop(d, 2);
	else if (d->cli.delay_ms > 0)
		uv_timer_start(&d->delay_timer, on_delay_done, d->cli.delay_ms,
			       0);
	else
		daemon_begin(d);

	uv_run(&d->loop, UV_RUN_DEFAULT);
	int rc = uv_loop_close(&d->loop);
	if (rc != 0 && d->cli.verbose > 0)
		fprintf(stderr, "rollcall[%u]: loop close: %s\n", d->self,
			uv_strerror(rc));
	rollcall_destroy(d->rc);
	hosts_destroy(&d->hosts);
	return d->exit_status;
}
