/*
 * Unit tests for the output lines (common/out.c).
 *
 * These lines are the interface the grading scripts read, so every test
 * compares whole lines byte for byte, newline included, and checks that
 * the returned length is the length of what was written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/bounds.h"
#include "../../common/out.h"
#include "../../common/peerset.h"

/* One spare byte past the bound, poisoned, to catch a write past it. */
static char buf[OUT_LINE_BYTES_MAX + 1];

static void poison(void)
{
	memset(buf, '#', sizeof(buf));
}

static void assert_line(size_t len, const char *want)
{
	assert_int_equal(len, strlen(want));
	assert_int_equal(strlen(buf), len);
	assert_string_equal(buf, want);
	assert_int_equal(buf[OUT_LINE_BYTES_MAX], '#');
}

static struct peerset set_of(const unsigned *ids, size_t n)
{
	struct peerset s;
	peerset_clear(&s);
	for (size_t i = 0; i < n; i++)
		peerset_add(&s, ids[i]);
	return s;
}

static void test_view_line(void **state)
{
	(void)state;
	const unsigned ids[] = { 5, 1, 3, 2 };	/* printed ascending */
	struct peerset s = set_of(ids, 4);
	poison();
	size_t len = out_view(buf, 2, 3, 1, &s);
	assert_line(len,
		    "{peer_id:2, view_id: 3, leader: 1, memb_list: [1,2,3,5]}\n");
}

static void test_view_line_alone(void **state)
{
	(void)state;
	const unsigned ids[] = { 1 };
	struct peerset s = set_of(ids, 1);
	poison();
	size_t len = out_view(buf, 1, 0, 1, &s);
	assert_line(len, "{peer_id:1, view_id: 0, leader: 1, memb_list: [1]}\n");
}

static void test_view_line_empty(void **state)
{
	(void)state;
	struct peerset s;
	peerset_clear(&s);
	poison();
	size_t len = out_view(buf, 4, 7, 2, &s);
	assert_line(len, "{peer_id:4, view_id: 7, leader: 2, memb_list: []}\n");
}

static void test_view_line_multidigit(void **state)
{
	(void)state;
	const unsigned ids[] = { 10, 9, 100, 1024 };
	struct peerset s = set_of(ids, 4);
	poison();
	size_t len = out_view(buf, 10, 4294967295u, 9, &s);
	assert_line(len, "{peer_id:10, view_id: 4294967295, leader: 9, "
			 "memb_list: [9,10,100,1024]}\n");
}

static void test_crashing_line(void **state)
{
	(void)state;
	poison();
	size_t len = out_crashing(buf, 2, 3, 1);
	assert_line(len,
		    "{peer_id:2, view_id: 3, leader: 1, message:\"crashing\"}\n");
}

static void test_unreachable_line(void **state)
{
	(void)state;
	poison();
	size_t len = out_unreachable(buf, 2, 3, 1, 5, false);
	assert_line(len, "{peer_id:2, view_id: 3, leader: 1, "
			 "message:\"peer 5 unreachable\"}\n");
}

static void test_unreachable_leader_line(void **state)
{
	(void)state;
	poison();
	size_t len = out_unreachable(buf, 2, 3, 1, 1, true);
	assert_line(len, "{peer_id:2, view_id: 3, leader: 1, "
			 "message:\"peer 1 (leader) unreachable\"}\n");
}

/*
 * The longest line there can be: every host a member, the largest ids and
 * view id. It must fit the bound with its terminating NUL.
 */
static void test_full_view_fits(void **state)
{
	(void)state;
	struct peerset s;
	peerset_clear(&s);
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		peerset_add(&s, id);

	/* Build the expected line by hand, independently of out.c. */
	static char want[2 * OUT_LINE_BYTES_MAX];
	size_t n = (size_t)snprintf(want, sizeof(want),
				    "{peer_id:%u, view_id: 4294967295, "
				    "leader: %u, memb_list: [",
				    HOSTS_MAX, HOSTS_MAX);
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%u",
				      id == 1 ? "" : ",", id);
	n += (size_t)snprintf(want + n, sizeof(want) - n, "]}\n");
	assert_true(n < OUT_LINE_BYTES_MAX);

	poison();
	size_t len = out_view(buf, HOSTS_MAX, UINT32_MAX, HOSTS_MAX, &s);
	assert_line(len, want);
	assert_true(len + 1 <= OUT_LINE_BYTES_MAX);
}

/* An event's line is the line its kind prints; REMOVED prints none. */
static void test_event_lines(void **state)
{
	(void)state;
	struct out_event e = { .kind = OUT_EVENT_VIEW, .self = 2,
			       .view_id = 3, .leader = 1 };
	peerset_add(&e.members, 1);
	peerset_add(&e.members, 2);
	poison();
	assert_line(out_event_line(buf, &e),
		    "{peer_id:2, view_id: 3, leader: 1, memb_list: [1,2]}\n");
	e.kind = OUT_EVENT_UNREACHABLE;
	e.peer = 1;
	e.peer_is_leader = true;
	poison();
	assert_line(out_event_line(buf, &e),
		    "{peer_id:2, view_id: 3, leader: 1, "
		    "message:\"peer 1 (leader) unreachable\"}\n");
	e.kind = OUT_EVENT_CRASHING;
	poison();
	assert_line(out_event_line(buf, &e),
		    "{peer_id:2, view_id: 3, leader: 1, message:\"crashing\"}\n");
	e.kind = OUT_EVENT_REMOVED;
	assert_int_equal(out_event_line(buf, &e), 0);
	assert_string_equal(out_event_name(OUT_EVENT_REMOVED), "removed");
	assert_string_equal(out_event_name(OUT_EVENT_VIEW), "view");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view_line),
		cmocka_unit_test(test_view_line_alone),
		cmocka_unit_test(test_view_line_empty),
		cmocka_unit_test(test_view_line_multidigit),
		cmocka_unit_test(test_crashing_line),
		cmocka_unit_test(test_unreachable_line),
		cmocka_unit_test(test_unreachable_leader_line),
		cmocka_unit_test(test_full_view_fits),
		cmocka_unit_test(test_event_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
