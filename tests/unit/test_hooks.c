/*
 * Unit tests for rollcall/ (the daemon's hooks): the status file's JSON (exact text, a full group
 * fits, a short buffer is refused), the snapshot of a real core, the
 * atomic write, the readiness check on good, other-role and corrupt
 * files, an event's JSON line and environment, and the handler queue
 * dropping its oldest.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/bounds.h"
#include "../../common/transport.h"
#include "../../rollcall/event.h"
#include "../../rollcall/handler.h"
#include "../../rollcall/ready.h"
#include "../../rollcall/status.h"
#include "../../membership/mship.h"
#include "net.h"

static struct status_snap snap;
static char buf[STATUS_BYTES_MAX];
static char why[256];
static struct net net;

/* Peer 2 of [1,2,3], leader 1: 1 heard 40 ms ago, 3 given up for dead. */
static void snap_example(struct status_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->self = 2;
	s->role = "member";
	s->view_id = 4;
	s->leader = 1;
	s->members = net_set("1,2,3");
	s->incarnation = 1764583200123456u;
	s->heard_ago_ms[1] = 40;
	s->heard_ago_ms[3] = STATUS_NOT_HEARD;
	s->degraded = net_set("1");
	status_counters_add(&s->core, "dropped_stale", 3);
	status_counters_add(&s->transport, "frames_in", 12);
	status_counters_add(&s->hooks, "handler_failed", 1);
	s->written_unix_ms = 1764583260123;
}

static void test_render_exact(void **state)
{
	(void)state;
	snap_example(&snap);
	int len = status_render(buf, sizeof(buf), &snap);
	assert_true(len > 0);
	assert_string_equal(buf,
		"{\"peer_id\":2,\n"
		" \"role\":\"member\",\n"
		" \"view_id\":4,\n"
		" \"leader\":1,\n"
		" \"members\":[1,2,3],\n"
		" \"incarnation\":1764583200123456,\n"
		" \"last_heard_ms\":{\"1\":40,\"3\":null},\n"
		" \"degraded\":[1],\n"
		" \"counters\":{\n"
		"  \"core\":{\"dropped_stale\":3},\n"
		"  \"transport\":{\"frames_in\":12},\n"
		"  \"hooks\":{\"handler_failed\":1}},\n"
		" \"written_unix_ms\":1764583260123}\n");
	assert_int_equal(len, (int)strlen(buf));
	assert_true(ready_check_text(buf, (size_t)len, why, sizeof(why)));
	assert_string_equal(why, "member of view 4");
}

/* A joining peer: no members yet, empty list and map. */
static void test_render_joining(void **state)
{
	(void)state;
	memset(&snap, 0, sizeof(snap));
	snap.self = 5;
	snap.role = "joining";
	int len = status_render(buf, sizeof(buf), &snap);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "\"members\":[],"));
	assert_non_null(strstr(buf, "\"last_heard_ms\":{},"));
	assert_non_null(strstr(buf, "\"degraded\":[],"));
	assert_false(ready_check_text(buf, (size_t)len, why, sizeof(why)));
	assert_string_equal(why, "in no view (role joining)");
}

/* The largest state fits the bound; a short buffer is refused whole. */
static void test_render_bounds(void **state)
{
	(void)state;
	memset(&snap, 0, sizeof(snap));
	snap.self = 1;
	snap.role = "leader";
	snap.view_id = UINT32_MAX;
	snap.leader = HOSTS_MAX;
	snap.incarnation = UINT64_MAX;
	snap.written_unix_ms = INT64_MAX;
	for (unsigned id = 1; id <= HOSTS_MAX; id++) {
		peerset_add(&snap.members, id);
		peerset_add(&snap.degraded, id);
		snap.heard_ago_ms[id] = INT64_MAX;
	}
	for (unsigned i = 0; i < STATUS_COUNTERS_MAX + 2; i++) {
		status_counters_add(&snap.core, "a_long_counter_name_xx",
				    UINT64_MAX);
		status_counters_add(&snap.transport, "a_long_counter_name_xx",
				    UINT64_MAX);
		status_counters_add(&snap.hooks, "a_long_counter_name_xx",
				    UINT64_MAX);
	}
	assert_int_equal(snap.core.count, STATUS_COUNTERS_MAX);
	int len = status_render(buf, sizeof(buf), &snap);
	assert_true(len > 0 && len < STATUS_BYTES_MAX);
	assert_true(ready_check_text(buf, (size_t)len, why, sizeof(why)));
	assert_int_equal(status_render(buf, (size_t)len, &snap), -ENOBUFS);
	assert_int_equal(status_render(buf, 0, &snap), -ENOBUFS);
}

/* The snapshot of real cores: three joined on the test network. */
static void test_snap_core(void **state)
{
	(void)state;
	net_create(&net, 3, 100);
	net_start_all(&net, 1, 3);
	net_run_until(&net, 1000);
	const struct mship *m = net_mship(&net, 2);
	memset(&snap, 0, sizeof(snap));
	status_snap_core(&snap, m, 1000);
	assert_int_equal(snap.self, 2);
	assert_string_equal(snap.role, "member");
	assert_int_equal(snap.view_id, m->view_id);
	assert_int_equal(snap.leader, 1);
	assert_true(peerset_equal(&snap.members, &m->members));
	assert_int_equal(peerset_count(&snap.members), 3);
	/* Heartbeats every 100 ms: each other member heard within one. */
	assert_true(snap.heard_ago_ms[1] >= 0 && snap.heard_ago_ms[1] <= 100);
	assert_true(snap.heard_ago_ms[3] >= 0 && snap.heard_ago_ms[3] <= 100);
	assert_int_equal(snap.core.count,
			 sizeof(struct mship_stats) / sizeof(uint64_t));
	assert_string_equal(snap.core.c[0].name, "dropped_stranger");
	status_snap_transport(&snap, NULL);
	assert_int_equal(snap.transport.count, 15);
	assert_int_equal(snap.transport.c[0].value, 0);

	status_snap_core(&snap, net_mship(&net, 1), 1000);
	assert_string_equal(snap.role, "leader");
	net_crash(&net, 3);
	net_run_until(&net, 1150);
	/* Crashed at 1000: not heard for 150 ms, not yet given up. */
	status_snap_core(&snap, net_mship(&net, 1), 1150);
	assert_true(snap.heard_ago_ms[3] >= 150 && snap.heard_ago_ms[3] <= 250);
	net_run_until(&net, 3000);
	status_snap_core(&snap, net_mship(&net, 1), 3000);
	assert_false(peerset_has(&snap.members, 3));
}

static void test_write_atomic(void **state)
{
	char dir[] = "/tmp/rollcall-test-hooks.XXXXXX";
	char path[128], tmp[140], err[512];
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/status.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snap_example(&snap);
	int len = status_render(buf, sizeof(buf), &snap);
	assert_int_equal(status_write_atomic(path, buf, (size_t)len, err,
					     sizeof(err)), 0);
	assert_true(ready_check_file(path, why, sizeof(why)));
	assert_int_equal(access(tmp, F_OK), -1);	/* renamed away */
	/* Rewritten in place with another role. */
	snap.role = "removed";
	len = status_render(buf, sizeof(buf), &snap);
	assert_int_equal(status_write_atomic(path, buf, (size_t)len, err,
					     sizeof(err)), 0);
	assert_false(ready_check_file(path, why, sizeof(why)));
	assert_string_equal(why, "in no view (role removed)");
	unlink(path);
	/* A folder that does not exist: one line naming the file. */
	snprintf(path, sizeof(path), "%s/no/status.json", dir);
	assert_int_equal(status_write_atomic(path, buf, (size_t)len, err,
					     sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_null(strchr(err, '\n'));
	/* The target a folder: rename fails, the temporary file is gone. */
	assert_int_not_equal(status_write_atomic(dir, buf, (size_t)len, err,
						 sizeof(err)), 0);
	assert_non_null(strstr(err, "cannot write it"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", dir);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
	assert_false(ready_check_file(path, why, sizeof(why)));
	assert_non_null(strstr(why, "cannot read"));
}

static bool ready(const char *text)
{
	return ready_check_text(text, strlen(text), why, sizeof(why));
}

static void test_ready_roles(void **state)
{
	(void)state;
	assert_true(ready("{\"role\":\"leader\",\"view_id\":0}"));
	assert_string_equal(why, "leader of view 0");
	assert_true(ready(" {\"view_id\":7, \"x\":[1,{\"a\":null}],"
			  "\"role\" : \"member\"}\n"));
	assert_string_equal(why, "member of view 7");
	const char *not_in_view[] = { "starting", "joining", "removed",
				      "crashed", "stopped", "Member", "" };
	for (size_t i = 0; i < sizeof(not_in_view) / sizeof(*not_in_view);
	     i++) {
		char text[64];
		snprintf(text, sizeof(text), "{\"role\":\"%s\"}",
			 not_in_view[i]);
		assert_false(ready(text));
	}
	/* Only the top-level role counts. */
	assert_false(ready("{\"x\":{\"role\":\"member\"}}"));
	assert_string_equal(why, "not a status file (no \"role\")");
}

static void test_ready_corrupt(void **state)
{
	(void)state;
	const char *bad[] = {
		"", " ", "null", "[]", "\"role\"", "{",
		"{\"role\":\"member\"",		/* cut short */
		"{\"role\":\"member\"}}",	/* text after it */
		"{\"role\":\"member\"} x",
		"{\"role\":\"member\",}",	/* trailing comma */
		"{\"role\":member}",
		"{role:\"member\"}",
		"{\"role\":\"mem\nber\"}",	/* control character */
		"{\"role\":\"m\\qx\"}",		/* bad escape */
		"{\"role\":\"member\",\"a\":tru}",
		"{\"role\":\"member\",\"a\":-}",
		"{\"role\":\"member\",\"a\":[[[[[[[[[[1]]]]]]]]]]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_false(ready(bad[i]));
		assert_non_null(strstr(why, "not a status file"));
	}
	/* A NUL inside: the length, not the terminator, is the text. */
	assert_false(ready_check_text("{\"role\":\"member\"}\0x", 19, why,
				      sizeof(why)));
}

static void test_event_view(void **state)
{
	char line[HANDLER_EVENT_BYTES_MAX], store[HANDLER_EVENT_BYTES_MAX];
	char *vars[EVENT_ENV_VARS_MAX];
	struct out_event e = { .kind = OUT_EVENT_VIEW, .self = 2, .view_id = 4,
			       .leader = 1, .members = net_set("1,2,3,5") };
	(void)state;
	event_json(line, &e);
	assert_string_equal(line, "{\"event\":\"view\",\"peer_id\":2,"
			    "\"view_id\":4,\"leader\":1,\"members\":[1,2,3,5]}\n");
	assert_int_equal(event_env(&e, store, vars), 5);
	assert_string_equal(vars[0], "ROLLCALL_EVENT=view");
	assert_string_equal(vars[1], "ROLLCALL_PEER_ID=2");
	assert_string_equal(vars[2], "ROLLCALL_VIEW_ID=4");
	assert_string_equal(vars[3], "ROLLCALL_LEADER=1");
	assert_string_equal(vars[4], "ROLLCALL_MEMBERS=1,2,3,5");
}

static void test_event_others(void **state)
{
	char line[HANDLER_EVENT_BYTES_MAX], store[HANDLER_EVENT_BYTES_MAX];
	char *vars[EVENT_ENV_VARS_MAX];
	struct out_event e = { .kind = OUT_EVENT_UNREACHABLE, .self = 3,
			       .view_id = 4, .leader = 1, .peer = 1,
			       .peer_is_leader = true,
			       .members = net_set("1,2,3") };
	(void)state;
	event_json(line, &e);
	assert_string_equal(line, "{\"event\":\"unreachable\",\"peer_id\":3,"
			    "\"view_id\":4,\"leader\":1,\"members\":[],"
			    "\"peer\":1,\"peer_is_leader\":true}\n");
	assert_int_equal(event_env(&e, store, vars), 7);
	assert_string_equal(vars[4], "ROLLCALL_MEMBERS=");
	assert_string_equal(vars[5], "ROLLCALL_PEER=1");
	assert_string_equal(vars[6], "ROLLCALL_PEER_IS_LEADER=1");

	struct out_event r = { .kind = OUT_EVENT_REMOVED, .self = 5,
			       .view_id = 6, .leader = 2,
			       .members = net_set("2,3,4") };
	event_json(line, &r);
	assert_string_equal(line, "{\"event\":\"removed\",\"peer_id\":5,"
			    "\"view_id\":6,\"leader\":2,\"members\":[2,3,4]}\n");
	assert_int_equal(event_env(&r, store, vars), 5);
	assert_string_equal(vars[0], "ROLLCALL_EVENT=removed");
	struct out_event c = { .kind = OUT_EVENT_CRASHING, .self = 1,
			       .view_id = 4, .leader = 1 };
	event_json(line, &c);
	assert_string_equal(line, "{\"event\":\"crashing\",\"peer_id\":1,"
			    "\"view_id\":4,\"leader\":1,\"members\":[]}\n");
}

/* A full group's view fits the line and the variables. */
static void test_event_full_group(void **state)
{
	static char line[HANDLER_EVENT_BYTES_MAX], store[HANDLER_EVENT_BYTES_MAX];
	char *vars[EVENT_ENV_VARS_MAX];
	struct out_event e = { .kind = OUT_EVENT_VIEW, .self = HOSTS_MAX,
			       .view_id = UINT32_MAX, .leader = HOSTS_MAX };
	(void)state;
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		peerset_add(&e.members, id);
	size_t len = event_json(line, &e);
	assert_true(len < sizeof(line));
	assert_string_equal(line + len - 8, ",1024]}\n");
	assert_int_equal(event_env(&e, store, vars), 5);
	assert_string_equal(vars[4] + strlen(vars[4]) - 5, ",1024");
}

static void test_queue_drops_oldest(void **state)
{
	static struct handler_queue q;
	struct out_event e = { .kind = OUT_EVENT_VIEW }, got;
	unsigned dropped = 0;
	(void)state;
	memset(&q, 0, sizeof(q));
	assert_false(handler_queue_pop(&q, &got));
	for (uint32_t v = 1; v <= HANDLER_QUEUE_MAX + 5; v++) {
		e.view_id = v;
		dropped += handler_queue_push(&q, &e);
	}
	assert_int_equal(dropped, 5);
	assert_int_equal(q.count, HANDLER_QUEUE_MAX);
	for (uint32_t v = 6; v <= HANDLER_QUEUE_MAX + 5; v++) {
		assert_true(handler_queue_pop(&q, &got));
		assert_int_equal(got.view_id, v);
	}
	assert_false(handler_queue_pop(&q, &got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_exact),
		cmocka_unit_test(test_render_joining),
		cmocka_unit_test(test_render_bounds),
		cmocka_unit_test(test_snap_core),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_ready_roles),
		cmocka_unit_test(test_ready_corrupt),
		cmocka_unit_test(test_event_view),
		cmocka_unit_test(test_event_others),
		cmocka_unit_test(test_event_full_group),
		cmocka_unit_test(test_queue_drops_oldest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
