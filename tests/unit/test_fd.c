/*
 * Unit tests for the failure detector (heartbeat/fd.c).
 *
 * Literal times throughout, with T = 100 ms and so a timeout of 200 ms: a
 * peer last heard at 1000 is alive at 1199 and dead at 1200, not a
 * millisecond either side (the daemon's 2T + T/4 in one test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../common/peerset.h"
#include "../../heartbeat/fd.h"

/* struct fd holds a deadline per possible host: keep it off the stack. */
static struct fd d;

static int setup(void **state)
{
	(void)state;
	fd_create(&d, 200);
	return 0;
}

/* Expire at now; returns the dead set, asserting how many died. */
static struct peerset expire(int64_t now_ms, unsigned want_count)
{
	struct peerset dead;
	peerset_clear(&dead);
	assert_int_equal(fd_expire(&d, now_ms, &dead), want_count);
	assert_int_equal(peerset_count(&dead), want_count);
	return dead;
}

static void test_nothing_watched(void **state)
{
	(void)state;
	assert_true(fd_next_deadline(&d) == FD_NEVER);
	expire(0, 0);
	expire(INT64_MAX - 1, 0);
	assert_true(fd_next_deadline(&d) == FD_NEVER);
}

static void test_dead_at_timeout_exactly(void **state)
{
	(void)state;
	fd_watch(&d, 3, 1000);
	assert_int_equal(fd_next_deadline(&d), 1200);
	expire(1000, 0);
	expire(1199, 0);
	assert_true(peerset_has(&d.watched, 3));
	struct peerset dead = expire(1200, 1);
	assert_true(peerset_has(&dead, 3));
	/* Expired peers are no longer watched, and never die twice. */
	assert_false(peerset_has(&d.watched, 3));
	assert_true(fd_next_deadline(&d) == FD_NEVER);
	expire(5000, 0);
}

static void test_heard_pushes_deadline(void **state)
{
	(void)state;
	fd_watch(&d, 3, 1000);
	fd_heard(&d, 3, 1150);
	assert_int_equal(fd_next_deadline(&d), 1350);
	expire(1200, 0);
	expire(1349, 0);
	struct peerset dead = expire(1350, 1);
	assert_true(peerset_has(&dead, 3));
}

/* A heartbeat delivered late (an older time) must not shorten the wait. */
static void test_late_heartbeat_keeps_deadline(void **state)
{
	(void)state;
	fd_watch(&d, 3, 1000);
	fd_heard(&d, 3, 1150);
	fd_heard(&d, 3, 1050);
	assert_int_equal(fd_next_deadline(&d), 1350);
	fd_heard(&d, 3, 1150);
	assert_int_equal(fd_next_deadline(&d), 1350);
	expire(1349, 0);
	expire(1350, 1);
}

static void test_heard_unwatched_ignored(void **state)
{
	(void)state;
	fd_heard(&d, 4, 1000);
	assert_false(peerset_has(&d.watched, 4));
	assert_true(fd_next_deadline(&d) == FD_NEVER);
	expire(10000, 0);
}

static void test_watch_again_restarts(void **state)
{
	(void)state;
	fd_watch(&d, 3, 1000);
	fd_watch(&d, 3, 1500);
	assert_int_equal(fd_next_deadline(&d), 1700);
	expire(1699, 0);
	expire(1700, 1);
}

static void test_unwatch(void **state)
{
	(void)state;
	fd_watch(&d, 3, 1000);
	fd_watch(&d, 4, 1100);
	fd_unwatch(&d, 3);
	assert_false(peerset_has(&d.watched, 3));
	assert_int_equal(fd_next_deadline(&d), 1300);
	struct peerset dead = expire(1300, 1);
	assert_true(peerset_has(&dead, 4));
	assert_false(peerset_has(&dead, 3));
	/* Unwatching what is not watched is harmless. */
	fd_unwatch(&d, 3);
	assert_true(fd_next_deadline(&d) == FD_NEVER);
}

static void test_next_deadline_is_minimum(void **state)
{
	(void)state;
	fd_watch(&d, 2, 1000);	/* 1200 */
	fd_watch(&d, 5, 900);	/* 1100 */
	fd_watch(&d, 9, 1050);	/* 1250 */
	assert_int_equal(fd_next_deadline(&d), 1100);
	fd_heard(&d, 5, 1080);	/* 1280 */
	assert_int_equal(fd_next_deadline(&d), 1200);
	fd_heard(&d, 2, 1100);	/* 1300 */
	assert_int_equal(fd_next_deadline(&d), 1250);
	struct peerset dead = expire(1250, 1);
	assert_true(peerset_has(&dead, 9));
	assert_int_equal(fd_next_deadline(&d), 1280);
}

/* Expire adds to the dead set it is given; it does not clear it. */
static void test_expire_several_adds_to_set(void **state)
{
	(void)state;
	fd_watch(&d, 2, 1000);	/* 1200 */
	fd_watch(&d, 3, 1010);	/* 1210 */
	fd_watch(&d, 4, 1020);	/* 1220 */
	fd_watch(&d, HOSTS_MAX, 1000);	/* 1200, the largest id */
	struct peerset dead;
	peerset_clear(&dead);
	peerset_add(&dead, 7);
	assert_int_equal(fd_expire(&d, 1210, &dead), 3);
	assert_int_equal(peerset_count(&dead), 4);
	assert_true(peerset_has(&dead, 7));
	assert_true(peerset_has(&dead, 2));
	assert_true(peerset_has(&dead, 3));
	assert_true(peerset_has(&dead, HOSTS_MAX));
	assert_false(peerset_has(&dead, 4));
	assert_false(peerset_has(&d.watched, 2));
	assert_false(peerset_has(&d.watched, 3));
	assert_false(peerset_has(&d.watched, HOSTS_MAX));
	assert_true(peerset_has(&d.watched, 4));
	assert_int_equal(fd_next_deadline(&d), 1220);
}

/*
 * The daemon's timeout, 2T + T/4 = 225 (issue 10): a peer heard at 1000
 * whose beat at 1100 is lost and whose beat at 1200 comes 24 ms late is
 * never dead; silent from 1224, it is dead at 1449, not at 1448.
 */
static void test_allowance_covers_one_lost_beat(void **state)
{
	(void)state;
	fd_create(&d, 2 * 100 + 100 / 4);
	fd_watch(&d, 4, 1000);
	expire(1200, 0);
	expire(1223, 0);
	fd_heard(&d, 4, 1224);
	assert_int_equal(fd_next_deadline(&d), 1449);
	expire(1448, 0);
	struct peerset dead = expire(1449, 1);
	assert_true(peerset_has(&dead, 4));
}

/*
 * Indirect evidence (timeout 200). 3 is heard directly at 1000, then only
 * through others: a report at 1180 that another heard it 30 ms before
 * moves its deadline to 1150 + 200 = 1350; one at 1300 with age 100 (heard
 * at 1200) to 1400. An older report (age 250 at 1300: 1050) moves nothing.
 * Alive through others only, from 1200 (200 after the last direct hearing)
 * it is degraded; dead at 1400, not before, and then no longer degraded.
 */
static void test_indirect_evidence_keeps_alive(void **state)
{
	(void)state;
	fd_watch(&d, 3, 900);
	fd_heard_direct(&d, 3, 1000);
	fd_heard_via(&d, 3, 1180 - 30);
	assert_int_equal(fd_next_deadline(&d), 1350);
	assert_false(fd_degraded(&d, 3, 1199));
	assert_true(fd_degraded(&d, 3, 1200));
	expire(1200, 0);
	fd_heard_via(&d, 3, 1300 - 100);
	fd_heard_via(&d, 3, 1300 - 250);
	assert_int_equal(fd_next_deadline(&d), 1400);
	expire(1399, 0);
	assert_true(fd_degraded(&d, 3, 1399));
	struct peerset dead = expire(1400, 1);
	assert_true(peerset_has(&dead, 3));
	assert_false(fd_degraded(&d, 3, 1400));
	/* Unwatched: reports of it move nothing. */
	fd_heard_via(&d, 3, 1400);
	assert_true(fd_next_deadline(&d) == FD_NEVER);
}

/*
 * Without any report a peer cut off from everyone dies at its direct
 * deadline: silent since 1000, dead at 1200.
 */
static void test_no_evidence_dies_at_timeout(void **state)
{
	(void)state;
	fd_watch(&d, 5, 900);
	fd_heard_direct(&d, 5, 1000);
	expire(1199, 0);
	assert_false(fd_degraded(&d, 5, 1199));
	struct peerset dead = expire(1200, 1);
	assert_true(peerset_has(&dead, 5));
}

/*
 * What a heartbeat says we heard: watched peers heard directly less than
 * the timeout ago, ascending, at most max; never those only watched (not
 * heard since), only reported by others, or heard 200 ago or more. A pause
 * of ours (fd_heard) is no hearing.
 */
static void test_direct_ages(void **state)
{
	(void)state;
	uint16_t peers[4];
	uint32_t ages[4];
	fd_watch(&d, 2, 1000);
	fd_watch(&d, 4, 1000);
	fd_watch(&d, 6, 1000);
	fd_watch(&d, 8, 1000);
	fd_watch(&d, 9, 1000);
	fd_heard_direct(&d, 2, 1050);
	fd_heard_direct(&d, 4, 1101);
	fd_heard_via(&d, 6, 1200);
	fd_heard(&d, 8, 1200);
	fd_heard_direct(&d, 9, 1240);
	/* 2, heard 200 ago, is no longer said heard. */
	assert_int_equal(fd_direct_ages(&d, 1250, 4, peers, ages), 2);
	assert_int_equal(peers[0], 4);
	assert_int_equal(ages[0], 149);
	assert_int_equal(peers[1], 9);
	assert_int_equal(ages[1], 10);
	assert_int_equal(fd_direct_ages(&d, 1249, 4, peers, ages), 3);
	assert_int_equal(peers[0], 2);
	assert_int_equal(ages[0], 199);
	assert_int_equal(peers[1], 4);
	assert_int_equal(ages[1], 148);
	assert_int_equal(peers[2], 9);
	assert_int_equal(ages[2], 9);
	/* At most max, the lowest ids first. */
	assert_int_equal(fd_direct_ages(&d, 1249, 1, peers, ages), 1);
	assert_int_equal(peers[0], 2);
	/* Watched afresh: not heard since. */
	fd_watch(&d, 4, 1249);
	assert_int_equal(fd_direct_ages(&d, 1249, 4, peers, ages), 2);
	assert_int_equal(peers[1], 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nothing_watched, setup),
		cmocka_unit_test_setup(test_dead_at_timeout_exactly, setup),
		cmocka_unit_test_setup(test_heard_pushes_deadline, setup),
		cmocka_unit_test_setup(test_late_heartbeat_keeps_deadline,
				       setup),
		cmocka_unit_test_setup(test_heard_unwatched_ignored, setup),
		cmocka_unit_test_setup(test_watch_again_restarts, setup),
		cmocka_unit_test_setup(test_unwatch, setup),
		cmocka_unit_test_setup(test_next_deadline_is_minimum, setup),
		cmocka_unit_test_setup(test_expire_several_adds_to_set, setup),
		cmocka_unit_test_setup(test_allowance_covers_one_lost_beat,
				       setup),
		cmocka_unit_test_setup(test_indirect_evidence_keeps_alive,
				       setup),
		cmocka_unit_test_setup(test_no_evidence_dies_at_timeout,
				       setup),
		cmocka_unit_test_setup(test_direct_ages, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
