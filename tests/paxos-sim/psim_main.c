/*
 * The Paxos simulator's command line: one seed with its trace, or many
 * seeds, in several processes if asked, a line for each failure naming
 * the seed that replays it.
 *
 *   paxos-sim --seeds N [--base B] [--jobs J] [--failures-only]
 *   paxos-sim --seed S            one run, every event printed
 *   options: --acceptors N --proposers N --single --multi
 *            --loss-max P --dup-max P --no-crashes
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "psim.h"

#define KINDS_MAX 16
#define FAIL_LINES_MAX 20	/* failure lines printed; the rest counted */

struct tally {
	uint64_t runs, failed, events, chosen, crashes, rounds;
	int64_t calm_to_done_max_ms;
	double calm_to_done_sum_ms;
	struct {
		char kind[32];
		uint64_t count, smallest;
	} kinds[KINDS_MAX];
	unsigned kinds_count;
};

static bool print_passes = true;

static void usage(void)
{
	fprintf(stderr,
		"usage: rollcall-paxos-sim (--seed S | --seeds N [--base B]) "
		"[options]\n"
		"  --jobs N          run seeds in N processes\n"
		"  --failures-only   print a line for failing seeds only\n"
		"  --acceptors N     3..%d (default: per seed, 3, 5 or 7)\n"
		"  --proposers N     1..%d (default: per seed, 2 or 3)\n"
		"  --single, --multi single decree, or multi-slot (default: "
		"per seed)\n"
		"  --loss-max P      loss per seed in [0, P] (0.3)\n"
		"  --dup-max P       duplication per seed in [0, P] (0.1)\n"
		"  --no-crashes      no crash or restart\n",
		PSIM_ACCEPTORS_MAX, PSIM_PROPOSERS_MAX);
	exit(2);
}

static uint64_t parse_u64(const char *s, const char *what, uint64_t lo,
			  uint64_t hi)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s ? s : "", &end, 10);
	if (!s || errno || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "paxos-sim: bad %s: %s (%" PRIu64 "..%" PRIu64
			")\n", what, s ? s : "(missing)", lo, hi);
		exit(2);
	}
	return v;
}

static double parse_p(const char *s, const char *what)
{
	char *end;
	double v = s ? strtod(s, &end) : -1;
	if (!s || end == s || *end != '\0' || v < 0 || v > 1) {
		fprintf(stderr, "paxos-sim: bad %s (0..1): %s\n", what,
			s ? s : "(missing)");
		exit(2);
	}
	return v;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void opts_str(const struct psim_opts *o, char *buf, size_t cap)
{
	struct psim_opts d;
	size_t n = 0;
	psim_opts_default(&d);
	buf[0] = '\0';
#define ADD(...) (n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, \
					__VA_ARGS__))
	if (o->acceptors)
		ADD(" --acceptors %u", o->acceptors);
	if (o->proposers)
		ADD(" --proposers %u", o->proposers);
	if (o->single >= 0)
		ADD(o->single ? " --single" : " --multi");
	if (o->loss_max != d.loss_max)
		ADD(" --loss-max %g", o->loss_max);
	if (o->dup_max != d.dup_max)
		ADD(" --dup-max %g", o->dup_max);
	if (!o->crashes)
		ADD(" --no-crashes");
#undef ADD
}

static void tally_add(struct tally *t, const struct psim_result *r,
		      const char *opts)
{
	unsigned i;

	t->runs++;
	t->events += r->events;
	t->chosen += r->chosen;
	t->crashes += r->crashes;
	t->rounds += r->rounds;
	if (!r->failed) {
		t->calm_to_done_sum_ms += (double)r->calm_to_done_ms;
		if (r->calm_to_done_ms > t->calm_to_done_max_ms)
			t->calm_to_done_max_ms = r->calm_to_done_ms;
		if (print_passes)
			printf("seed %" PRIu64 ": ok\n", r->seed);
		return;
	}
	t->failed++;
	if (t->failed <= FAIL_LINES_MAX)
		printf("seed %" PRIu64 ": FAIL %s: %s (replay: --seed %" PRIu64
		       "%s)\n", r->seed, r->kind, r->what, r->seed, opts);
	for (i = 0; i < t->kinds_count; i++)
		if (!strcmp(t->kinds[i].kind, r->kind))
			break;
	if (i == t->kinds_count) {
		if (i == KINDS_MAX)
			return;
		t->kinds_count++;
		snprintf(t->kinds[i].kind, sizeof(t->kinds[i].kind), "%s",
			 r->kind);
		t->kinds[i].smallest = r->seed;
	}
	t->kinds[i].count++;
	if (r->seed < t->kinds[i].smallest)
		t->kinds[i].smallest = r->seed;
}

/* Seeds base + j, base + j + jobs, ... in process j; each result goes up
 * one pipe as a whole struct (under PIPE_BUF, so never interleaved). */
static void run_many(const struct psim_opts *o, uint64_t base, uint64_t count,
		     unsigned jobs, struct tally *t, const char *opts)
{
	_Static_assert(sizeof(struct psim_result) <= 4096,
		       "a result must fit one atomic pipe write");
	struct psim_result r;
	int fds[2], status, bad = 0;
	uint64_t done = 0, i;
	unsigned j;

	if (jobs <= 1) {
		for (i = 0; i < count; i++) {
			psim_run(o, base + i, &r);
			tally_add(t, &r, opts);
		}
		return;
	}
	if (pipe(fds) != 0) {
		perror("paxos-sim: pipe");
		exit(3);
	}
	fflush(stdout);
	for (j = 0; j < jobs; j++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("paxos-sim: fork");
			exit(3);
		}
		if (pid > 0)
			continue;
		close(fds[0]);
		for (i = j; i < count; i += jobs) {
			psim_run(o, base + i, &r);
			if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
				_exit(3);
		}
		_exit(0);
	}
	close(fds[1]);
	while (read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		done++;
		tally_add(t, &r, opts);
	}
	close(fds[0]);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	if (bad || done != count) {
		fprintf(stderr, "paxos-sim: a worker failed (%" PRIu64 " of %"
			PRIu64 " seeds done)\n", done, count);
		exit(3);
	}
}

int main(int argc, char **argv)
{
	struct psim_opts o;
	uint64_t seed = 0, seeds = 0, base = 1;
	bool one = false;
	unsigned jobs = 1, i;
	static struct tally t;
	char opts[256];
	double start, secs;

	psim_opts_default(&o);
	for (int a = 1; a < argc; a++) {
		const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
		if (!strcmp(k, "--seed")) {
			seed = parse_u64(v, "seed", 0, UINT64_MAX);
			one = true;
			a++;
		} else if (!strcmp(k, "--seeds")) {
			seeds = parse_u64(v, "seed count", 1, UINT64_MAX / 2);
			a++;
		} else if (!strcmp(k, "--base")) {
			base = parse_u64(v, "base seed", 0, UINT64_MAX / 2);
			a++;
		} else if (!strcmp(k, "--jobs")) {
			jobs = (unsigned)parse_u64(v, "jobs", 1, 256);
			a++;
		} else if (!strcmp(k, "--acceptors")) {
			o.acceptors = (unsigned)parse_u64(v, "acceptors", 1,
							  PSIM_ACCEPTORS_MAX);
			a++;
		} else if (!strcmp(k, "--proposers")) {
			o.proposers = (unsigned)parse_u64(v, "proposers", 1,
							  PSIM_PROPOSERS_MAX);
			a++;
		} else if (!strcmp(k, "--loss-max")) {
			o.loss_max = parse_p(v, "loss");
			a++;
		} else if (!strcmp(k, "--dup-max")) {
			o.dup_max = parse_p(v, "duplication");
			a++;
		} else if (!strcmp(k, "--single")) {
			o.single = 1;
		} else if (!strcmp(k, "--multi")) {
			o.single = 0;
		} else if (!strcmp(k, "--no-crashes")) {
			o.crashes = false;
		} else if (!strcmp(k, "--failures-only")) {
			print_passes = false;
		} else {
			fprintf(stderr, "paxos-sim: unknown option %s\n", k);
			usage();
		}
	}
	if (!one && seeds == 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	opts_str(&o, opts, sizeof(opts));
	start = now_s();
	if (one) {
		struct psim_result r;
		o.verbose = 1;
		psim_run(&o, seed, &r);
		tally_add(&t, &r, opts);
	} else {
		printf("paxos-sim: seeds %" PRIu64 "..%" PRIu64 "%s\n", base,
		       base + seeds - 1, opts);
		run_many(&o, base, seeds, jobs, &t, opts);
	}
	secs = now_s() - start;
	for (i = 0; i < t.kinds_count; i++)
		printf("  %-16s %8" PRIu64 " seeds, smallest %" PRIu64 "\n",
		       t.kinds[i].kind, t.kinds[i].count, t.kinds[i].smallest);
	printf("%" PRIu64 " events in %.2f s: %.2f M events/s; %" PRIu64
	       " slots chosen, %" PRIu64 " crashes, %" PRIu64 " phase-1 "
	       "rounds\n", t.events, secs,
	       secs > 0 ? (double)t.events / secs / 1e6 : 0.0, t.chosen,
	       t.crashes, t.rounds);
	if (t.runs > t.failed)
		printf("after calm, all chosen in %.0f ms on average, %lld at "
		       "most\n", t.calm_to_done_sum_ms /
		       (double)(t.runs - t.failed),
		       (long long)t.calm_to_done_max_ms);
	printf("%" PRIu64 " passed, %" PRIu64 " failed\n", t.runs - t.failed,
	       t.failed);
	return t.failed ? 1 : 0;
}
