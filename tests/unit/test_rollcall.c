/*
 * Unit tests for the library (rollcall/rollcall.h), over real sockets.
 *
 * One process, one uv loop, three instances: peers 1..3 on 127.0.0.1..3
 * with one port (derived from the pid, apart from test_transport's range,
 * so parallel runs rarely clash). T is 50 ms. Every wait runs the loop
 * under a deadline timer that fails the test instead of hanging; nothing
 * asserts on how long anything took. Each test stops every instance,
 * checks done was called, and that uv_loop_close then returns 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "../../common/hosts.h"
#include "../../rollcall/rollcall.h"

#define HOSTS_TEXT "127.0.0.1\n127.0.0.2\n127.0.0.3\n"
#define PEERS 3
#define WAIT_MS 10000
#define HB_MS 50
/* Ports 22000..29999, below the kernel's ephemeral range (32768 and up). */
#define PORT_BASE 22000
#define PORT_SLOTS 1000
#define PORTS_PER_RUN 8

struct peer {
	struct fixture *fx;
	unsigned id;
	struct rollcall *rc;
	bool ready;
	unsigned views;
	struct rollcall_view last;	/* the last view installed */
	unsigned unreachable[8];
	unsigned unreachable_count;
	unsigned removed;
	bool stopped;
	unsigned lines;
};

struct fixture {
	uv_loop_t loop;
	uv_timer_t deadline;
	bool timed_out;
	struct hosts hosts;
	uint16_t port;
	struct peer peers[PEERS + 1];
	bool (*until)(struct fixture *fx);
};

static unsigned test_index;

static void on_view(void *ctx, const struct rollcall_view *v)
{
	struct peer *p = ctx;
	p->views++;
	p->last = *v;
}

static void on_unreachable(void *ctx, unsigned peer,
			   const struct rollcall_view *v)
{
	struct peer *p = ctx;
	(void)v;
	if (p->unreachable_count < 8)
		p->unreachable[p->unreachable_count++] = peer;
}

static void on_removed(void *ctx, const struct rollcall_view *v, bool again)
{
	struct peer *p = ctx;
	(void)v;
	(void)again;
	p->removed++;
}

static void on_ready(void *ctx)
{
	((struct peer *)ctx)->ready = true;
}

static void on_line(void *ctx, const char *line, size_t len)
{
	struct peer *p = ctx;
	assert_true(len > 0 && line[0] == '{' && line[len - 1] == '\n');
	p->lines++;
}

/* The last handle closed: the loop may have nothing left to wake it
 * before the deadline, so the wait's condition is checked here too. */
static void on_stopped(void *ctx)
{
	struct peer *p = ctx;
	p->stopped = true;
	if (p->fx != NULL && p->fx->until != NULL && p->fx->until(p->fx))
		uv_stop(&p->fx->loop);
}

static void on_deadline(uv_timer_t *t)
{
	struct fixture *fx = t->data;
	fx->timed_out = true;
	uv_stop(&fx->loop);
}

static void on_check(uv_check_t *c)
{
	struct fixture *fx = c->data;
	if (fx->until != NULL && fx->until(fx))
		uv_stop(&fx->loop);
}

/* Run the loop until until(fx) holds, at most WAIT_MS. */
static void run_until(struct fixture *fx, bool (*until)(struct fixture *))
{
	uv_check_t check;
	fx->until = until;
	fx->timed_out = false;
	uv_check_init(&fx->loop, &check);
	check.data = fx;
	uv_check_start(&check, on_check);
	uv_timer_start(&fx->deadline, on_deadline, WAIT_MS, 0);
	if (!until(fx))
		uv_run(&fx->loop, UV_RUN_DEFAULT);
	uv_timer_stop(&fx->deadline);
	uv_close((uv_handle_t *)&check, NULL);
	uv_run(&fx->loop, UV_RUN_NOWAIT);
	fx->until = NULL;
	assert_false(fx->timed_out);
}

static void peer_create(struct fixture *fx, unsigned id, const char *dir)
{
	struct peer *p = &fx->peers[id];
	char err[ROLLCALL_ERR_BYTES];
	memset(p, 0, sizeof(*p));
	p->fx = fx;
	p->id = id;
	struct rollcall_config cfg = {
		.loop = &fx->loop,
		.hostsfile = "test-hosts",
		.hosts = &fx->hosts,
		.id = id,
		.port = fx->port,
		.heartbeat_ms = HB_MS,
		.state_dir = dir,
		.ctx = p,
		.on_ready = on_ready,
		.on_view = on_view,
		.on_unreachable = on_unreachable,
		.on_removed = on_removed,
		.on_line = on_line,
	};
	int rc = rollcall_create(&p->rc, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("create %u: %s", id, err);
	assert_int_equal(rollcall_start(p->rc), 0);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];
	assert_non_null(fx);
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	uv_timer_init(&fx->loop, &fx->deadline);
	fx->deadline.data = fx;
	assert_int_equal(hosts_parse(&fx->hosts, HOSTS_TEXT,
				     strlen(HOSTS_TEXT), "test-hosts", err,
				     sizeof(err)), 0);
	fx->port = (uint16_t)(PORT_BASE +
			      ((unsigned)getpid() % PORT_SLOTS) * PORTS_PER_RUN +
			      test_index++ % PORTS_PER_RUN);
	*state = fx;
	return 0;
}

static bool all_stopped(struct fixture *fx)
{
	for (unsigned id = 1; id <= PEERS; id++)
		if (fx->peers[id].rc != NULL && !fx->peers[id].stopped)
			return false;
	return true;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	for (unsigned id = 1; id <= PEERS; id++)
		if (fx->peers[id].rc != NULL)
			rollcall_stop(fx->peers[id].rc, on_stopped,
				      &fx->peers[id]);
	run_until(fx, all_stopped);
	for (unsigned id = 1; id <= PEERS; id++)
		rollcall_destroy(fx->peers[id].rc);
	uv_close((uv_handle_t *)&fx->deadline, NULL);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	hosts_destroy(&fx->hosts);
	free(fx);
	return 0;
}

static bool view_is(const struct peer *p, unsigned count)
{
	return p->views > 0 && p->last.members_count == count;
}

static bool three_in_view(struct fixture *fx)
{
	for (unsigned id = 1; id <= PEERS; id++)
		if (!view_is(&fx->peers[id], 3))
			return false;
	return fx->peers[1].last.id == fx->peers[2].last.id &&
	       fx->peers[2].last.id == fx->peers[3].last.id;
}

/* Three instances on one loop form one view; callbacks and readers
 * agree with each other. */
static void test_view_formed(void **state)
{
	struct fixture *fx = *state;
	for (unsigned id = 1; id <= PEERS; id++)
		peer_create(fx, id, NULL);
	run_until(fx, three_in_view);
	for (unsigned id = 1; id <= PEERS; id++) {
		struct peer *p = &fx->peers[id];
		struct rollcall_view v;
		assert_true(p->ready);
		assert_int_equal(p->last.leader, 1);
		assert_int_equal(p->last.members[0], 1);
		assert_int_equal(p->last.members[1], 2);
		assert_int_equal(p->last.members[2], 3);
		assert_true(rollcall_view(p->rc, &v));
		assert_int_equal(v.id, p->last.id);
		assert_int_equal(v.members_count, 3);
		assert_int_equal(rollcall_leader(p->rc), 1);
		assert_int_equal(rollcall_is_leader(p->rc), id == 1);
		assert_int_equal(rollcall_self(p->rc), id);
		assert_int_equal(rollcall_hosts_count(p->rc), 3);
		/* One output line per view installed, at least. */
		assert_true(p->lines >= p->views);
	}
}

static bool three_stopped(struct fixture *fx)
{
	return fx->peers[3].stopped;
}

static bool two_left(struct fixture *fx)
{
	return view_is(&fx->peers[1], 2) && view_is(&fx->peers[2], 2);
}

/* A peer that leaves is reported unreachable, then removed from the view
 * the others install. */
static void test_peer_leaves(void **state)
{
	struct fixture *fx = *state;
	for (unsigned id = 1; id <= PEERS; id++)
		peer_create(fx, id, NULL);
	run_until(fx, three_in_view);
	rollcall_stop(fx->peers[3].rc, on_stopped, &fx->peers[3]);
	run_until(fx, three_stopped);
	unsigned views3 = fx->peers[3].views;
	run_until(fx, two_left);
	for (unsigned id = 1; id <= 2; id++) {
		struct peer *p = &fx->peers[id];
		assert_int_equal(p->unreachable_count, 1);
		assert_int_equal(p->unreachable[0], 3);
		assert_int_equal(p->last.leader, 1);
	}
	/* Nothing is called after stop. */
	assert_int_equal(fx->peers[3].views, views3);
}

static bool leader_gone(struct fixture *fx)
{
	return view_is(&fx->peers[2], 2) && view_is(&fx->peers[3], 2) &&
	       fx->peers[2].last.leader == 2;
}

/* The leader leaves: the next one takes over and is the readers' leader. */
static void test_leader_leaves(void **state)
{
	struct fixture *fx = *state;
	for (unsigned id = 1; id <= PEERS; id++)
		peer_create(fx, id, NULL);
	run_until(fx, three_in_view);
	rollcall_stop(fx->peers[1].rc, on_stopped, &fx->peers[1]);
	run_until(fx, leader_gone);
	assert_true(rollcall_is_leader(fx->peers[2].rc));
	assert_false(rollcall_is_leader(fx->peers[3].rc));
	assert_int_equal(rollcall_leader(fx->peers[3].rc), 2);
	assert_int_equal(fx->peers[3].unreachable[0], 1);
}

/* Errors come back as one line, and nothing is left open. */
static void test_create_errors(void **state)
{
	struct fixture *fx = *state;
	struct rollcall *rc = NULL;
	char err[ROLLCALL_ERR_BYTES];
	struct rollcall_config cfg = {
		.loop = &fx->loop, .hostsfile = "test-hosts",
		.hosts = &fx->hosts, .id = 4, .port = fx->port,
		.heartbeat_ms = HB_MS,
	};
	assert_int_not_equal(rollcall_create(&rc, &cfg, err, sizeof(err)), 0);
	assert_null(rc);
	assert_string_equal(err, "--id 4: test-hosts has only 3 entries");

	cfg.id = 1;
	cfg.hosts = NULL;
	cfg.hostsfile = "/nonexistent/hosts";
	assert_int_not_equal(rollcall_create(&rc, &cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent/hosts"));

	/* A malformed state file stops the start. */
	char dir[] = "/tmp/rollcall-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[sizeof(dir) + 8];
	snprintf(path, sizeof(path), "%s/state", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a state file\n", f);
	fclose(f);
	cfg.hosts = &fx->hosts;
	cfg.hostsfile = "test-hosts";
	cfg.state_dir = dir;
	assert_int_not_equal(rollcall_create(&rc, &cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "move it away"));
	unlink(path);

	/* Created, never started: stop calls done at once, destroy frees. */
	assert_int_equal(rollcall_create(&rc, &cfg, err, sizeof(err)), 0);
	struct peer p = { .stopped = false };
	rollcall_stop(rc, on_stopped, &p);
	assert_true(p.stopped);
	rollcall_destroy(rc);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_view_formed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_peer_leaves, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_leader_leaves, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
