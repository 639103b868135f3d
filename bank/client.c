/*
 * bank-client: a client of the replicated bank (docs/bank.md).
 *
 * It sends one command at a time and waits for its result. It starts at
 * a replica of the hostsfile (its client port, P + 2), follows REDIRECT
 * to the leader, and moves on to another replica when one redirects
 * without naming a leader, times out, closes, fails or answers FAIL. One
 * connection per replica, kept and reused. Every try of a command carries
 * the same sequence number, so the replicas apply it once whatever the
 * failovers in between, and answer a retry with the first result.
 *
 * Manual mode prompts for account, operation and amount. --benchmark N
 * sends N random commands (every operation, accounts 0..1000, amounts
 * 0..10000), shows a progress bar on a terminal, and prints one JSON line:
 * {"client":"C","commands":N,"ok":N,"rtt_ms":{"mean":..,"min":..,
 *  "median":..,"p99":..,"max":..,"stddev":..}}
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "../common/hosts.h"
#include "bank.h"
#include "link.h"
#include "proto.h"

#define CLIENT_PORT_DEFAULT 7610
#define CLIENT_TIMEOUT_MS_DEFAULT 1000
/* One command gives up after this long (counted not ok). */
#define CLIENT_COMMAND_MS_MAX 60000
/* Pause before trying again after a FAIL or a redirect to nobody. */
#define CLIENT_PAUSE_MS 50
#define CLIENT_BENCHMARK_MAX 10000000

struct client {
	uv_loop_t loop;
	struct hosts hosts;
	const char *hostsfile;
	uint16_t port;
	char id[BANK_CLIENT_ID_BYTES_MAX + 1];
	uint32_t timeout_ms;
	uint32_t delay_ms;		/* --delay-ms: wait before the first */
	uint32_t pace_ms;		/* --pace-ms: wait between commands */
	uv_timer_t pace_timer;
	unsigned long benchmark;	/* 0: manual mode */
	uint64_t rng;
	struct link **links;		/* 1..count: one per replica */
	unsigned server;		/* the replica we talk to */
	uv_timer_t timer;
	uv_signal_t sigint;
	bool tty;
	bool stopping;
	int exit_status;

	/* The command in flight. */
	bool busy;
	bool pausing;		/* the timer is a pause, not a timeout */
	struct bank_cmd cmd;
	uint64_t seq;
	uint64_t started_ns;
	int64_t deadline_ms;		/* gives up at */
	unsigned tries;

	unsigned long sent, ok, failed;
	double *rtt;			/* ms, one per ok command */
	unsigned shown;			/* progress bar, percent */
};

static struct client client_main;

static void next_command(struct client *c);
static void try_send(struct client *c);

static uint64_t rnd(struct client *c)
{
	uint64_t z = (c->rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void client_stop(struct client *c, int status);

/* ---- Connections --------------------------------------------------------- */

static void on_frame(struct link *l, const char *body, size_t len);
static void on_link_close(struct link *l, int err);
static void on_link_connect(struct link *l);

static struct link *server_link(struct client *c, unsigned id)
{
	if (c->links[id] == NULL) {
		struct link_events ev = {
			.ctx = c, .on_frame = on_frame,
			.on_close = on_link_close,
			.on_connect = on_link_connect,
		};
		if (link_dial(&c->loop, c->hosts.names[id],
			      (uint16_t)(c->port + 2), &ev, &c->links[id]) != 0)
			return NULL;
	}
	return c->links[id];
}

/* Move on to the next replica, round the hostsfile. */
static void move_on(struct client *c, unsigned to, const char *why)
{
	if (to == 0 || to > c->hosts.count)
		to = c->server % c->hosts.count + 1;
	if (c->benchmark == 0)
		fprintf(stderr, "bank-client: replica %u: %s; trying replica "
			"%u\n", c->server, why, to);
	c->server = to;
}

static void on_timer(uv_timer_t *t);

static void retry_soon(struct client *c, uint64_t ms)
{
	c->pausing = true;
	uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void on_link_close(struct link *l, int err)
{
	struct client *c = link_ctx(l);
	unsigned id;
	for (id = 1; id <= c->hosts.count; id++)
		if (c->links[id] == l)
			c->links[id] = NULL;
	if (c->stopping || !c->busy)
		return;
	for (id = 1; id <= c->hosts.count; id++)
		if (id == c->server && c->links[id] == NULL) {
			char why[96];
			snprintf(why, sizeof(why), "connection ended (%s)",
				 uv_strerror(err));
			move_on(c, 0, why);
			retry_soon(c, CLIENT_PAUSE_MS);
			return;
		}
}

static void on_link_connect(struct link *l)
{
	struct client *c = link_ctx(l);
	if (c->busy && c->links[c->server] == l)
		try_send(c);
}

/* ---- A command ----------------------------------------------------------- */

static void try_send(struct client *c)
{
	if (!c->busy || c->stopping)
		return;
	if (uv_now(&c->loop) >= (uint64_t)c->deadline_ms) {
		c->failed++;
		c->busy = false;
		fprintf(stderr, "bank-client: seq %" PRIu64 ": no result in %d "
			"ms; giving up on it\n", c->seq, CLIENT_COMMAND_MS_MAX);
		next_command(c);
		return;
	}
	struct link *l = server_link(c, c->server);
	if (l == NULL) {
		move_on(c, 0, "cannot dial");
		retry_soon(c, CLIENT_PAUSE_MS);
		return;
	}
	/* The timeout covers the dial too. */
	c->pausing = false;
	uv_timer_start(&c->timer, on_timer, c->timeout_ms, 0);
	if (!link_is_connected(l))
		return;	/* on_link_connect sends */
	struct bank_client_msg m = { .type = BANK_MSG_REQUEST, .seq = c->seq };
	m.cmd = c->cmd;
	char buf[512];
	int len = bank_client_encode(&m, buf, sizeof(buf));
	c->tries++;
	if (len < 0 || link_send(l, buf, (size_t)len) != 0) {
		move_on(c, 0, "send failed");
		retry_soon(c, CLIENT_PAUSE_MS);
	}
}

static void on_timer(uv_timer_t *t)
{
	struct client *c = t->data;
	if (!c->busy)
		return;
	/* A pause ended (the replica is chosen), or a try timed out (the
	 * next one). */
	if (!c->pausing)
		move_on(c, 0, "timed out");
	c->pausing = false;
	try_send(c);
}

static void show_progress(struct client *c)
{
	if (!c->tty || c->benchmark == 0)
		return;
	unsigned pct = (unsigned)((c->sent * 100) / c->benchmark);
	if (pct == c->shown && c->sent != c->benchmark)
		return;
	c->shown = pct;
	char bar[41];
	unsigned fill = pct * 40 / 100;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 40 - fill);
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %3u%% %lu/%lu", bar, pct, c->sent,
		c->benchmark);
	if (c->sent == c->benchmark)
		fputc('\n', stderr);
	fflush(stderr);
}

static void on_pace(uv_timer_t *t)
{
	next_command(t->data);
}

static void on_result(struct client *c, const struct bank_client_msg *m)
{
	uint64_t ns = uv_hrtime() - c->started_ns;
	c->busy = false;
	uv_timer_stop(&c->timer);
	c->ok++;
	if (c->rtt != NULL)
		c->rtt[c->ok - 1] = (double)ns / 1e6;
	if (c->benchmark > 0 && c->pace_ms > 0) {
		uv_timer_start(&c->pace_timer, on_pace, c->pace_ms, 0);
		return;
	}
	if (c->benchmark == 0) {
		printf("account %" PRId64 ": balance %" PRId64 " NOK%s%s\n",
		       m->result.account, m->result.balance,
		       m->result.error[0] ? "; error: " : "", m->result.error);
		fflush(stdout);
	}
	next_command(c);
}

static void on_frame(struct link *l, const char *body, size_t len)
{
	struct client *c = link_ctx(l);
	struct bank_client_msg m;
	if (bank_client_decode(body, len, &m) != 0) {
		fprintf(stderr, "bank-client: malformed answer from %s; closing "
			"it\n", link_peer_name(l));
		link_close(l);
		on_link_close(l, UV_EPROTO);
		return;
	}
	/* An answer to an earlier try, or from a replica we left. */
	if (!c->busy || m.seq != c->seq || l != c->links[c->server])
		return;
	switch (m.type) {
	case BANK_MSG_RESULT:
		on_result(c, &m);
		break;
	case BANK_MSG_REDIRECT:
		uv_timer_stop(&c->timer);
		if (m.leader != 0 && m.leader <= c->hosts.count &&
		    m.leader != c->server) {
			move_on(c, m.leader, "redirected");
			try_send(c);
		} else {
			move_on(c, 0, "no leader known");
			retry_soon(c, CLIENT_PAUSE_MS);
		}
		break;
	case BANK_MSG_FAIL:
		uv_timer_stop(&c->timer);
		/* By hand, "no quorum" is the answer: said, and the next
		 * command asked for (the same seq is not needed again). */
		if (c->benchmark == 0 && strncmp(m.text, "no quorum", 9) == 0) {
			printf("error: %s\n", m.text);
			fflush(stdout);
			c->busy = false;
			c->failed++;
			next_command(c);
			break;
		}
		/* "catching up" and "busy": the same replica, shortly; any
		 * other failure: the next one. */
		if (strncmp(m.text, "leader catching up", 18) != 0 &&
		    strncmp(m.text, "busy", 4) != 0)
			move_on(c, 0, m.text);
		retry_soon(c, CLIENT_PAUSE_MS);
		break;
	default:
		break;
	}
}

/* ---- Commands: random, or asked for -------------------------------------- */

static bool ask(const char *prompt, char *buf, size_t cap)
{
	fputs(prompt, stdout);
	fflush(stdout);
	if (fgets(buf, (int)cap, stdin) == NULL)
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

static bool parse_i64(const char *s, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return false;
	*v = x;
	return true;
}

/* Manual mode: false at the end of input. */
static bool prompt_command(struct client *c)
{
	char line[128];
	int64_t v;
	for (;;) {
		if (!ask("account: ", line, sizeof(line)))
			return false;
		if (parse_i64(line, &c->cmd.account))
			break;
		printf("an account is a number, e.g. 42\n");
	}
	for (;;) {
		if (!ask("operation (0 balance, 1 deposit, 2 withdrawal): ",
			 line, sizeof(line)))
			return false;
		if (strcmp(line, "balance") == 0)
			v = 0;
		else if (strcmp(line, "deposit") == 0)
			v = 1;
		else if (strcmp(line, "withdrawal") == 0)
			v = 2;
		else if (!parse_i64(line, &v) || v < INT32_MIN || v > INT32_MAX) {
			printf("an operation is 0, 1 or 2 (or its name)\n");
			continue;
		}
		c->cmd.op = (int)v;
		break;
	}
	c->cmd.amount = 0;
	if (c->cmd.op == BANK_BALANCE)
		return true;
	for (;;) {
		if (!ask("amount: ", line, sizeof(line)))
			return false;
		if (parse_i64(line, &c->cmd.amount))
			return true;
		printf("an amount is a whole number of NOK\n");
	}
}

static void next_command(struct client *c)
{
	if (c->stopping)
		return;
	if (c->benchmark > 0) {
		show_progress(c);
		if (c->sent == c->benchmark) {
			client_stop(c, c->ok == c->benchmark ? 0 : 1);
			return;
		}
		c->cmd.account = (int64_t)(rnd(c) % 1001);
		c->cmd.op = (int)(rnd(c) % 3);
		c->cmd.amount = (int64_t)(rnd(c) % 10001);
	} else if (!prompt_command(c)) {
		client_stop(c, 0);
		return;
	}
	snprintf(c->cmd.client, sizeof(c->cmd.client), "%s", c->id);
	c->seq++;
	c->cmd.seq = c->seq;
	c->sent++;
	c->busy = true;
	c->tries = 0;
	c->started_ns = uv_hrtime();
	c->deadline_ms = (int64_t)uv_now(&c->loop) + CLIENT_COMMAND_MS_MAX;
	try_send(c);
}

/* ---- Summary ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void summary(struct client *c)
{
	double mean = 0, min = 0, max = 0, median = 0, p99 = 0, sd = 0;
	unsigned long n = c->ok;
	if (n > 0) {
		qsort(c->rtt, n, sizeof(double), cmp_double);
		for (unsigned long i = 0; i < n; i++)
			mean += c->rtt[i];
		mean /= (double)n;
		for (unsigned long i = 0; i < n; i++)
			sd += (c->rtt[i] - mean) * (c->rtt[i] - mean);
		sd = sqrt(sd / (double)n);
		min = c->rtt[0];
		max = c->rtt[n - 1];
		median = n % 2 ? c->rtt[n / 2]
			       : (c->rtt[n / 2 - 1] + c->rtt[n / 2]) / 2;
		unsigned long k = (unsigned long)ceil(0.99 * (double)n);
		p99 = c->rtt[k > 0 ? k - 1 : 0];
	}
	printf("{\"client\":\"%s\",\"commands\":%lu,\"ok\":%lu,\"rtt_ms\":{"
	       "\"mean\":%.3f,\"min\":%.3f,\"median\":%.3f,\"p99\":%.3f,"
	       "\"max\":%.3f,\"stddev\":%.3f}}\n", c->id, c->sent, c->ok,
	       mean, min, median, p99, max, sd);
	fflush(stdout);
}

/* ---- Start and stop ------------------------------------------------------ */

static void on_closed(uv_handle_t *h)
{
	(void)h;
}

static void client_stop(struct client *c, int status)
{
	if (c->stopping)
		return;
	c->stopping = true;
	c->exit_status = status;
	uv_close((uv_handle_t *)&c->timer, on_closed);
	uv_close((uv_handle_t *)&c->pace_timer, on_closed);
	uv_close((uv_handle_t *)&c->sigint, on_closed);
	for (unsigned id = 1; id <= c->hosts.count; id++) {
		struct link *l = c->links[id];
		c->links[id] = NULL;
		link_close(l);
	}
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	client_stop(s->data, 130);
}

static const char usage[] =
	"usage: bank-client -h HOSTSFILE [--port P] [--id CLIENT]\n"
	"                   [--benchmark N] [--timeout-ms MS] [--seed S]\n"
	"                   [--delay-ms MS] [--pace-ms MS]\n"
	"  Sends bank commands to the replicas of HOSTSFILE (their client\n"
	"  port, P+2; default P 7610), one at a time. Without --benchmark it\n"
	"  prompts for account, operation and amount until end of input.\n"
	"  --benchmark N  N random commands, then one JSON summary line\n"
	"  --timeout-ms   how long one try waits before the next replica\n"
	"                 (default 1000)\n"
	"  --delay-ms MS  wait this long before the first command\n"
	"  --pace-ms MS   wait this long between commands (not timed)\n";

static int parse_args(struct client *c, int argc, char **argv)
{
	unsigned long v;
	char *end;
	c->port = CLIENT_PORT_DEFAULT;
	c->timeout_ms = CLIENT_TIMEOUT_MS_DEFAULT;
	c->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32);
	snprintf(c->id, sizeof(c->id), "c%08" PRIx64, rnd(c) & 0xffffffffu);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		const char *val = i + 1 < argc ? argv[++i] : NULL;
		if (val == NULL) {
			fprintf(stderr, "bank-client: %s needs a value\n%s", a,
				usage);
			return 2;
		}
		errno = 0;
		v = strtoul(val, &end, 10);
		bool num = errno == 0 && end != val && *end == '\0' &&
			   val[0] != '-';
		if (strcmp(a, "-h") == 0) {
			c->hostsfile = val;
		} else if (strcmp(a, "--id") == 0 && val[0] != '\0' &&
			   strlen(val) <= BANK_CLIENT_ID_BYTES_MAX) {
			snprintf(c->id, sizeof(c->id), "%s", val);
		} else if (strcmp(a, "--port") == 0 && num && v > 0 &&
			   v <= 65533) {
			c->port = (uint16_t)v;
		} else if (strcmp(a, "--benchmark") == 0 && num && v > 0 &&
			   v <= CLIENT_BENCHMARK_MAX) {
			c->benchmark = v;
		} else if (strcmp(a, "--timeout-ms") == 0 && num && v >= 10 &&
			   v <= 600000) {
			c->timeout_ms = (uint32_t)v;
		} else if (strcmp(a, "--pace-ms") == 0 && num && v <= 60000) {
			c->pace_ms = (uint32_t)v;
		} else if (strcmp(a, "--delay-ms") == 0 && num &&
			   v <= 3600000) {
			c->delay_ms = (uint32_t)v;
		} else if (strcmp(a, "--seed") == 0 && num) {
			c->rng = v;
		} else {
			fprintf(stderr, "bank-client: %s %s: unknown option or "
				"bad value\n%s", a, val, usage);
			return 2;
		}
	}
	if (c->hostsfile == NULL) {
		fprintf(stderr, "bank-client: -h HOSTSFILE is required\n%s",
			usage);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct client *c = &client_main;
	char err[600];
	signal(SIGPIPE, SIG_IGN);
	int status = parse_args(c, argc, argv);
	if (status >= 0)
		return status;
	if (hosts_load(&c->hosts, c->hostsfile, err, sizeof(err)) != 0) {
		fprintf(stderr, "bank-client: %s\n", err);
		return 2;
	}
	c->links = calloc(c->hosts.count + 1, sizeof(*c->links));
	if (c->benchmark > 0)
		c->rtt = calloc(c->benchmark, sizeof(double));
	if (c->links == NULL || (c->benchmark > 0 && c->rtt == NULL)) {
		fprintf(stderr, "bank-client: out of memory\n");
		return 1;
	}
	c->tty = isatty(STDERR_FILENO) == 1;
	/* Start at a replica of our own choosing: the load spreads, and the
	 * first REDIRECT finds the leader. */
	c->server = (unsigned)(rnd(c) % c->hosts.count) + 1;
	uv_loop_init(&c->loop);
	uv_timer_init(&c->loop, &c->timer);
	c->timer.data = c;
	uv_timer_init(&c->loop, &c->pace_timer);
	c->pace_timer.data = c;
	uv_signal_init(&c->loop, &c->sigint);
	c->sigint.data = c;
	uv_signal_start(&c->sigint, on_signal, SIGINT);
	uv_unref((uv_handle_t *)&c->sigint);
	if (c->delay_ms > 0) {
		uv_sleep(c->delay_ms);
		uv_update_time(&c->loop);
	}
	next_command(c);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_loop_close(&c->loop);
	if (c->benchmark > 0)
		summary(c);
	hosts_destroy(&c->hosts);
	free(c->links);
	free(c->rtt);
	return c->exit_status;
}
