/*
 * rollcall: the daemon. Reads the command line and the hostsfile, then
 * wires the protocol core (membership/) to the transport (common/) on one
 * libuv loop: every message and timer becomes an event for the core, and
 * what the core puts in its outbox becomes writes and output lines.
 *
 * Nothing here decides anything about membership.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "../common/cli.h"
#include "../common/hosts.h"
#include "../common/keyring.h"
#include "../common/seal.h"
#include "../common/state.h"
#include "../common/outbox.h"
#include "../common/savefile.h"
#include "../common/transport.h"
#include "hooks.h"
#include "ready.h"
#include "../membership/mship.h"

#define ROLLCALL_VERSION "0.1.0"
/* How often the keyring file's stat is looked at for a change. */
#define KEYRING_POLL_MS 2000

struct daemon {
	struct outbox outbox;	/* first: the core's outbox is the daemon */
	struct cli cli;
	struct hosts hosts;
	unsigned self;
	uv_loop_t loop;
	uv_timer_t delay_timer;
	uv_timer_t core_timer;
	uv_timer_t stop_timer;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	uv_signal_t sighup;	/* rereads the keyring; only with one */
	uv_fs_poll_t keyring_poll;	/* rereads it when it changes */
	/* --keyring or $ROLLCALL_KEYRING: its path, and its keys (the
	 * transport reads them in place). */
	const char *keyring_path;
	struct keyring keyring;
	struct transport *transport;
	struct mship core;
	struct hooks hooks;	/* --status and --on-change */
	bool hooks_open;
	uint64_t start_ns;
	/* --state: DIR/state, and what it held at start. */
	char state_path[4096];
	struct state restored;
	bool has_restored;
	bool stopping;
	int exit_status;
};

static struct daemon daemon_main;

static int64_t daemon_now_ms(const struct daemon *d)
{
	return (int64_t)((uv_hrtime() - d->start_ns) / 1000000u);
}

/*
 * This process's life: the wall clock in microseconds, so that a restarted
 * peer (same id, new process) is above its earlier lives, and its peers
 * drop whatever the old process still had in flight.
 */
static uint64_t daemon_incarnation(void)
{
	uv_timeval64_t tv;
	if (uv_gettimeofday(&tv) != 0 || tv.tv_sec <= 0)
		return 1;
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Diagnostics: only with -v, never starting with '{'. */
static void daemon_log(const struct daemon *d, const char *what)
{
	if (d->cli.verbose > 0)
		fprintf(stderr, "rollcall[%u]: %s\n", d->self, what);
}

/* ---- The outbox: the core's requests, carried out ---------------------- */

static void on_outbox_send(struct outbox *o, const struct peerset *to,
			   const struct wire_msg *m)
{
	struct daemon *d = (struct daemon *)o;
	if (d->transport != NULL && !d->stopping)
		transport_send(d->transport, to, m);
}

/* One write per line, so lines from a peer never interleave. */
static void on_outbox_print(struct outbox *o, const char *line, size_t len)
{
	(void)o;
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

/* Copied at once for the status file and the handler; acted on once the
 * core has returned (daemon_rearm). */
static void on_outbox_event(struct outbox *o, const struct out_event *e)
{
	struct daemon *d = (struct daemon *)o;
	char line[128];
	if (e->kind == OUT_EVENT_HEARD) {
		/* Not an event handlers are run for: the peer printed
		 * nothing, and the view did not change. */
		snprintf(line, sizeof(line), "peer %u heard again", e->peer);
		daemon_log(d, line);
		return;
	}
	if (e->kind == OUT_EVENT_REMOVED) {
		snprintf(line, sizeof(line), "removed from the group in view "
			 "%u; %s", (unsigned)e->view_id,
			 e->rejoining ? "joining again as a new member"
				      : "staying quiet (--rejoin joins again)");
		daemon_log(d, line);
	}
	if (d->hooks_open)
		hooks_on_event(&d->hooks, e);
}

static void daemon_stop(struct daemon *d, int status);
static void on_stop_timer(uv_timer_t *timer);

static void on_outbox_exit(struct outbox *o)
{
	struct daemon *d = (struct daemon *)o;
	/* Called from inside the core: stop from a fresh loop turn. */
	d->exit_status = 0;
	uv_timer_start(&d->stop_timer, on_stop_timer, 0, 0);
}

/* ---- The state file ------------------------------------------------------ */

/*
 * Write the core's state durably before it sends what depends on it: a
 * temporary file beside the real one, fsync, rename over it, fsync the
 * directory. A few hundred bytes, written on a promise or a view change
 * only, never per heartbeat. A failure is reported (the peer carries on,
 * as if it had no state file, which a restart may then break).
 */
static void on_outbox_save(struct outbox *o, const struct state *s)
{
	struct daemon *d = (struct daemon *)o;
	char buf[STATE_BYTES_MAX];
	size_t len;
	if (d->state_path[0] == '\0' || state_encode(s, buf, sizeof(buf),
						      &len) != 0)
		return;
	int rc = savefile_write(d->state_path, buf, len);
	if (rc != 0)
		fprintf(stderr, "rollcall[%u]: cannot write %s: %s\n", d->self,
			d->state_path, strerror(-rc));
}

/*
 * Read DIR/state, if there is one. A missing file is a first start; an
 * unreadable or malformed one stops the peer with a message (starting
 * without it could break a promise its last life made).
 */
static int daemon_state_load(struct daemon *d)
{
	const char *dir = d->cli.state_dir;
	if (dir == NULL)
		dir = getenv("ROLLCALL_STATE");
	if (dir == NULL || dir[0] == '\0')
		return 0;
	int n = snprintf(d->state_path, sizeof(d->state_path), "%s/state", dir);
	if (n < 0 || (size_t)n >= sizeof(d->state_path)) {
		fprintf(stderr, "rollcall: --state: directory name too long\n");
		return -1;
	}
	int fd = open(d->state_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* Make sure we can write it before we promise anything. */
		fd = open(d->state_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  0600);
		if (fd < 0) {
			fprintf(stderr, "rollcall: %s: %s (--state names a "
				"directory this user can write)\n",
				d->state_path, strerror(errno));
			return -1;
		}
		close(fd);
		unlink(d->state_path);
		return 0;
	}
	if (fd < 0) {
		fprintf(stderr, "rollcall: %s: %s\n", d->state_path,
			strerror(errno));
		return -1;
	}
	char buf[STATE_BYTES_MAX + 1];
	ssize_t len = read(fd, buf, sizeof(buf));
	close(fd);
	unsigned line = 0;
	int rc = len < 0 ? STATE_EFORMAT
			 : state_decode(buf, (size_t)len, &d->restored, &line);
	if (len < 0 || (size_t)len > STATE_BYTES_MAX || rc != 0) {
		fprintf(stderr, "rollcall: %s:%u: %s (move it away to start "
			"this peer afresh)\n", d->state_path, line,
			len < 0 ? strerror(errno) : state_strerror(rc));
		return -1;
	}
	d->has_restored = true;
	return 0;
}

/* ---- Feeding the core --------------------------------------------------- */

static void on_core_timer(uv_timer_t *timer);

/* After every event, sleep until the core's next deadline. */
static void daemon_rearm(struct daemon *d)
{
	if (d->hooks_open)
		hooks_after_core(&d->hooks, &d->core);
	if (d->stopping)
		return;
	int64_t next = mship_next_deadline(&d->core);
	if (next == MSHIP_NEVER) {
		uv_timer_stop(&d->core_timer);
		return;
	}
	int64_t wait = next - daemon_now_ms(d);
	uv_timer_start(&d->core_timer, on_core_timer,
		       wait > 0 ? (uint64_t)wait : 0, 0);
}

static void on_core_timer(uv_timer_t *timer)
{
	struct daemon *d = timer->data;
	mship_on_tick(&d->core, daemon_now_ms(d));
	daemon_rearm(d);
}

static void on_transport_ready(void *ctx)
{
	struct daemon *d = ctx;
	daemon_log(d, "listening; protocol starts");
	mship_start(&d->core, daemon_now_ms(d));
	daemon_rearm(d);
}

static void on_transport_message(void *ctx, const struct wire_msg *m)
{
	struct daemon *d = ctx;
	if (d->stopping)
		return;
	mship_on_message(&d->core, daemon_now_ms(d), m);
	daemon_rearm(d);
}

static void on_transport_fatal(void *ctx, const char *reason)
{
	struct daemon *d = ctx;
	fprintf(stderr, "rollcall: %s\n", reason);
	d->exit_status = 1;
	uv_timer_start(&d->stop_timer, on_stop_timer, 0, 0);
}

static void daemon_begin(struct daemon *d)
{
	struct transport_config tc = {
		.loop = &d->loop,
		.hosts = &d->hosts,
		.self = d->self,
		.port = d->cli.port,
		.verbose = d->cli.verbose,
		.drop_udp_percent = d->cli.drop_udp_percent,
		.keyring = d->keyring_path != NULL ? &d->keyring : NULL,
	};
	struct transport_events ev = {
		.ctx = d,
		.on_ready = on_transport_ready,
		.on_message = on_transport_message,
		.on_fatal = on_transport_fatal,
	};
	int rc = transport_new(&d->transport, &tc, &ev);
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
	d->transport = NULL;
	uv_close((uv_handle_t *)&d->delay_timer, on_handle_closed);
	uv_close((uv_handle_t *)&d->core_timer, on_handle_closed);
	uv_close((uv_handle_t *)&d->stop_timer, on_handle_closed);
	uv_close((uv_handle_t *)&d->sigint, on_handle_closed);
	uv_close((uv_handle_t *)&d->sigterm, on_handle_closed);
	uv_close((uv_handle_t *)&d->sighup, on_handle_closed);
	uv_close((uv_handle_t *)&d->keyring_poll, on_handle_closed);
}

static void daemon_stop(struct daemon *d, int status)
{
	if (d->stopping)
		return;
	d->stopping = true;
	d->exit_status = status;
	/* The last status, while the transport's counters can still be read. */
	if (d->hooks_open)
		hooks_destroy(&d->hooks, d->core.role == MSHIP_CRASHED ?
			      NULL : "stopped");
	uv_timer_stop(&d->core_timer);
	uv_timer_stop(&d->delay_timer);
	if (d->transport != NULL)
		transport_close(d->transport, daemon_close_handles, d);
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

/*
 * Read the keyring file again (SIGHUP, or the file changed). Either way
 * one line says so whatever -v says, since each step of a rotation must
 * be seen done everywhere before the next: the keys' count and the id
 * of the sealing key (public: a hash's first bytes). A file that does not
 * load keeps the keys in use.
 */
static void daemon_keyring_reread(struct daemon *d, const char *why)
{
	struct keyring fresh;
	char err[512];
	if (keyring_load(&fresh, d->keyring_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "rollcall[%u]: keyring not reread (%s), %u keys "
			"kept: %s\n", d->self, why, d->keyring.count, err);
		return;
	}
	d->keyring = fresh;
	keyring_wipe(&fresh);
	fprintf(stderr, "rollcall[%u]: keyring %s reread (%s): %u keys, "
		"sealing with key %02x%02x%02x%02x\n", d->self,
		d->keyring_path, why, d->keyring.count, d->keyring.ids[0][0],
		d->keyring.ids[0][1], d->keyring.ids[0][2],
		d->keyring.ids[0][3]);
}

static void on_sighup(uv_signal_t *sig, int signum)
{
	(void)signum;
	daemon_keyring_reread(sig->data, "SIGHUP");
}

/* A Kubernetes Secret's update and a compose secret rewritten in place
 * reach the file without a signal: its stat changing is one. */
static void on_keyring_change(uv_fs_poll_t *poll, int status,
			      const uv_stat_t *prev, const uv_stat_t *curr)
{
	(void)prev;
	(void)curr;
	if (status == 0)
		daemon_keyring_reread(poll->data, "changed");
}

/* ---- Start-up ----------------------------------------------------------- */

/* --keyring, else $ROLLCALL_KEYRING: load it now, refuse to start on any
 * fault in it. Neither: no keyring, plain messages. */
static int daemon_keyring_load(struct daemon *d)
{
	char err[512];
	d->keyring_path = d->cli.keyring;
	if (d->keyring_path == NULL) {
		d->keyring_path = getenv("ROLLCALL_KEYRING");
		if (d->keyring_path != NULL && d->keyring_path[0] == '\0')
			d->keyring_path = NULL;
	}
	if (d->keyring_path == NULL)
		return 0;
	if (seal_init() != 0) {
		fprintf(stderr, "rollcall: %s\n", seal_strerror(SEAL_EINIT));
		return -1;
	}
	if (keyring_load(&d->keyring, d->keyring_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "rollcall: %s\n", err);
		return -1;
	}
	return 0;
}

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
	if (daemon_keyring_load(d) != 0)
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
	status_snap_core(s, &d->core, daemon_now_ms(d));
	status_snap_transport(s, d->transport != NULL ?
			      transport_stats(d->transport) : NULL);
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
	uv_loop_init(&d->loop);
	uv_timer_init(&d->loop, &d->delay_timer);
	uv_timer_init(&d->loop, &d->core_timer);
	uv_timer_init(&d->loop, &d->stop_timer);
	d->delay_timer.data = d;
	d->core_timer.data = d;
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
	uv_fs_poll_init(&d->loop, &d->keyring_poll);
	d->keyring_poll.data = d;
	if (d->keyring_path != NULL) {
		uv_signal_start(&d->sighup, on_sighup, SIGHUP);
		uv_fs_poll_start(&d->keyring_poll, on_keyring_change,
				 d->keyring_path, KEYRING_POLL_MS);
	}
	uv_unref((uv_handle_t *)&d->sighup);
	uv_unref((uv_handle_t *)&d->keyring_poll);
	/* The signal handles must not keep a finished peer alive. */
	uv_unref((uv_handle_t *)&d->sigint);
	uv_unref((uv_handle_t *)&d->sigterm);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	struct daemon *d = &daemon_main;
	d->outbox.send = on_outbox_send;
	d->outbox.print = on_outbox_print;
	d->outbox.exit = on_outbox_exit;
	d->outbox.event = on_outbox_event;
	d->outbox.save = on_outbox_save;

	int status = daemon_configure(d, argc, argv);
	if (status < 0 && daemon_state_load(d) != 0)
		status = 2;
	if (status >= 0) {
		hosts_destroy(&d->hosts);
		return status;
	}
	struct mship_config mc = {
		.self = d->self,
		.hosts_count = d->hosts.count,
		.heartbeat_ms = d->cli.heartbeat_ms,
		.crash_ms = d->cli.crash_ms,
		.testcase4 = d->cli.testcase4,
		.incarnation = daemon_incarnation(),
		.rejoin = d->cli.rejoin,
		.restored = d->has_restored ? &d->restored : NULL,
		/* The most issue 10 allows: a heartbeat a quarter period
		 * late still counts. */
		.allowance_ms = d->cli.heartbeat_ms / 4,
		.probe_ms = 2 * d->cli.heartbeat_ms + d->cli.heartbeat_ms / 4,
	};
	mship_create(&d->core, &mc, &d->outbox);
	daemon_init_loop(d);
	d->start_ns = uv_hrtime();
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
	hosts_destroy(&d->hosts);
	keyring_wipe(&d->keyring);
	return d->exit_status;
}
