/*
 * Unit tests for reconciliation bookkeeping (reconcile/recon.c).
 *
 * A round begins with the new leader's own state as the first answer;
 * each fresh OK adds one; the changes to finish are those asked in the
 * new leader's view or later, kept once each in view order (the latest
 * is recon_latest). Stale and repeated answers change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/peerset.h"
#include "../../common/wire.h"
#include "../../reconcile/recon.h"

static struct recon r;

static int setup(void **state)
{
	(void)state;
	memset(&r, 0, sizeof(r));
	return 0;
}

static struct peerset ask_of(unsigned a, unsigned b, unsigned c)
{
	struct peerset s;
	peerset_clear(&s);
	if (a)
		peerset_add(&s, a);
	if (b)
		peerset_add(&s, b);
	if (c)
		peerset_add(&s, c);
	return s;
}

/* An OK answering NEWLEADER, as mship sends it. */
static struct wire_msg ok_of(unsigned from, uint32_t request_id,
			     uint32_t view_id, enum wire_op op, unsigned peer)
{
	struct wire_msg m;
	memset(&m, 0, sizeof(m));
	m.type = WIRE_OK;
	m.from = (uint16_t)from;
	m.view_id = view_id;
	m.request_id = request_id;
	m.op = op;
	m.peer = (uint16_t)peer;
	return m;
}

static const struct recon_op nothing = { .op = WIRE_OP_NOTHING };

static void test_begin_with_own_op(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 4, 0);
	struct recon_op own = { .op = WIRE_OP_DEL, .peer = 5, .view_id = 4 };
	recon_begin(&r, 7, &ask, 4, &own);
	assert_true(r.active);
	assert_int_equal(r.request_id, 7);
	assert_int_equal(r.view_id_max, 4);
	assert_int_equal(recon_latest(&r).op, WIRE_OP_DEL);
	assert_int_equal(recon_latest(&r).peer, 5);
	assert_int_equal(recon_latest(&r).view_id, 4);
	assert_true(peerset_equal(&r.waiting, &ask));
	assert_false(recon_done(&r));
}

static void test_begin_with_nothing(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 0, 0);
	recon_begin(&r, 1, &ask, 6, &nothing);
	assert_int_equal(recon_latest(&r).op, WIRE_OP_NOTHING);
	assert_int_equal(recon_latest(&r).peer, 0);
	assert_int_equal(r.view_id_max, 6);
}

static void test_answers_nothing(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 4, 5);
	recon_begin(&r, 2, &ask, 4, &nothing);
	struct wire_msg ok = ok_of(3, 2, 4, WIRE_OP_NOTHING, 0);
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	assert_false(recon_done(&r));
	ok = ok_of(4, 2, 4, WIRE_OP_NOTHING, 0);
	assert_int_equal(recon_answer(&r, 4, &ok), 1);
	assert_false(recon_done(&r));
	/* A member a view ahead of the new leader raises the floor. */
	ok = ok_of(5, 2, 5, WIRE_OP_NOTHING, 0);
	assert_int_equal(recon_answer(&r, 5, &ok), 1);
	assert_true(recon_done(&r));
	assert_int_equal(recon_latest(&r).op, WIRE_OP_NOTHING);
	assert_int_equal(r.view_id_max, 5);
}

/* Testcase 4: the new leader knows nothing; the others all saw DEL 5. */
static void test_others_pending_adopted(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 4, 5);
	recon_begin(&r, 1, &ask, 4, &nothing);
	for (unsigned from = 3; from <= 5; from++) {
		struct wire_msg ok = ok_of(from, 1, 4, WIRE_OP_DEL, 5);
		assert_int_equal(recon_answer(&r, from, &ok), 1);
	}
	assert_true(recon_done(&r));
	assert_int_equal(recon_latest(&r).op, WIRE_OP_DEL);
	assert_int_equal(recon_latest(&r).peer, 5);
	assert_int_equal(recon_latest(&r).view_id, 4);
	assert_int_equal(r.view_id_max, 4);
}

static void test_highest_view_wins(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 4, 5);
	struct recon_op own = { .op = WIRE_OP_ADD, .peer = 6, .view_id = 2 };
	recon_begin(&r, 9, &ask, 2, &own);

	struct wire_msg ok = ok_of(3, 9, 3, WIRE_OP_DEL, 4);
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	assert_int_equal(recon_latest(&r).op, WIRE_OP_DEL);
	assert_int_equal(recon_latest(&r).peer, 4);
	assert_int_equal(recon_latest(&r).view_id, 3);

	/* Older than the one held: kept out. */
	ok = ok_of(4, 9, 2, WIRE_OP_ADD, 6);
	assert_int_equal(recon_answer(&r, 4, &ok), 1);
	assert_int_equal(recon_latest(&r).op, WIRE_OP_DEL);
	assert_int_equal(recon_latest(&r).peer, 4);

	/* Newer: replaces it. */
	ok = ok_of(5, 9, 5, WIRE_OP_ADD, 7);
	assert_int_equal(recon_answer(&r, 5, &ok), 1);
	assert_true(recon_done(&r));
	assert_int_equal(recon_latest(&r).op, WIRE_OP_ADD);
	assert_int_equal(recon_latest(&r).peer, 7);
	assert_int_equal(recon_latest(&r).view_id, 5);
	assert_int_equal(r.view_id_max, 5);
}

static void test_stale_request_id_ignored(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 0, 0);
	recon_begin(&r, 5, &ask, 4, &nothing);
	struct wire_msg ok = ok_of(3, 4, 9, WIRE_OP_DEL, 2);
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	ok = ok_of(3, 6, 9, WIRE_OP_DEL, 2);
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	assert_false(recon_done(&r));
	assert_int_equal(recon_latest(&r).op, WIRE_OP_NOTHING);
	assert_int_equal(r.view_id_max, 4);
	assert_true(peerset_has(&r.waiting, 3));
}

static void test_double_answer_ignored(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 4, 0);
	recon_begin(&r, 5, &ask, 4, &nothing);
	struct wire_msg ok = ok_of(3, 5, 4, WIRE_OP_NOTHING, 0);
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	ok = ok_of(3, 5, 8, WIRE_OP_DEL, 4);
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	assert_int_equal(recon_latest(&r).op, WIRE_OP_NOTHING);
	assert_int_equal(r.view_id_max, 4);
	assert_false(recon_done(&r));
}

static void test_unasked_ignored(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 0, 0);
	recon_begin(&r, 5, &ask, 4, &nothing);
	struct wire_msg ok = ok_of(4, 5, 8, WIRE_OP_DEL, 3);
	assert_int_equal(recon_answer(&r, 4, &ok), 0);
	assert_int_equal(recon_latest(&r).op, WIRE_OP_NOTHING);
	assert_int_equal(r.view_id_max, 4);
}

static void test_inactive_ignores_answers(void **state)
{
	(void)state;
	struct wire_msg ok = ok_of(3, 0, 4, WIRE_OP_NOTHING, 0);
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	assert_false(recon_done(&r));
}

static void test_drop_makes_done(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 4, 0);
	recon_begin(&r, 5, &ask, 4, &nothing);
	struct wire_msg ok = ok_of(3, 5, 4, WIRE_OP_NOTHING, 0);
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	recon_drop(&r, 9);	/* never asked: harmless */
	assert_false(recon_done(&r));
	recon_drop(&r, 4);
	assert_true(recon_done(&r));
	/* A late answer from the dropped peer is not counted. */
	ok = ok_of(4, 5, 7, WIRE_OP_DEL, 3);
	assert_int_equal(recon_answer(&r, 4, &ok), 0);
	assert_int_equal(recon_latest(&r).op, WIRE_OP_NOTHING);
	assert_int_equal(r.view_id_max, 4);
}

static void test_empty_ask_done_at_once(void **state)
{
	(void)state;
	struct peerset ask;
	peerset_clear(&ask);
	struct recon_op own = { .op = WIRE_OP_ADD, .peer = 3, .view_id = 2 };
	recon_begin(&r, 1, &ask, 2, &own);
	assert_true(recon_done(&r));
	assert_int_equal(recon_latest(&r).op, WIRE_OP_ADD);
	assert_int_equal(recon_latest(&r).peer, 3);
}

/*
 * Several pending changes, kept once each in the order of the views they
 * were asked in: the new leader (view 4, nothing pending) hears ADD 6
 * asked in view 5 first, then DEL 5 asked in view 4, then DEL 5 again,
 * then a change asked in view 3, which a NEWVIEW it installed finished.
 */
static void test_pending_changes_in_view_order(void **state)
{
	(void)state;
	struct peerset ask = ask_of(3, 4, 5);
	peerset_add(&ask, 6);
	recon_begin(&r, 3, &ask, 4, &nothing);
	assert_int_equal(r.ops_count, 0);

	struct wire_msg ok = ok_of(3, 3, 5, WIRE_OP_ADD, 6);
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	assert_int_equal(r.ops_count, 1);

	/* Asked in an older view, reported later: it goes first. */
	ok = ok_of(4, 3, 4, WIRE_OP_DEL, 5);
	assert_int_equal(recon_answer(&r, 4, &ok), 1);
	assert_int_equal(r.ops_count, 2);
	assert_int_equal(r.ops[0].op, WIRE_OP_DEL);
	assert_int_equal(r.ops[0].peer, 5);
	assert_int_equal(r.ops[0].view_id, 4);
	assert_int_equal(r.ops[1].op, WIRE_OP_ADD);
	assert_int_equal(r.ops[1].peer, 6);
	assert_int_equal(r.ops[1].view_id, 5);
	/* The latest is the one asked in the highest view, not the last
	 * heard. */
	assert_int_equal(recon_latest(&r).op, WIRE_OP_ADD);
	assert_int_equal(recon_latest(&r).peer, 6);
	assert_int_equal(recon_latest(&r).view_id, 5);

	/* The same change from another member: kept once. */
	ok = ok_of(5, 3, 4, WIRE_OP_DEL, 5);
	assert_int_equal(recon_answer(&r, 5, &ok), 1);
	assert_int_equal(r.ops_count, 2);

	/* Asked in view 3, below the new leader's view 4: ignored. */
	ok = ok_of(6, 3, 3, WIRE_OP_ADD, 2);
	assert_int_equal(recon_answer(&r, 6, &ok), 1);
	assert_true(recon_done(&r));
	assert_int_equal(r.ops_count, 2);
	assert_int_equal(r.ops[0].op, WIRE_OP_DEL);
	assert_int_equal(r.ops[0].peer, 5);
	assert_int_equal(r.ops[0].view_id, 4);
	assert_int_equal(r.ops[1].op, WIRE_OP_ADD);
	assert_int_equal(r.ops[1].peer, 6);
	assert_int_equal(r.ops[1].view_id, 5);
	assert_int_equal(recon_latest(&r).view_id, 5);
	assert_int_equal(r.view_id_max, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_begin_with_own_op, setup),
		cmocka_unit_test_setup(test_begin_with_nothing, setup),
		cmocka_unit_test_setup(test_answers_nothing, setup),
		cmocka_unit_test_setup(test_others_pending_adopted, setup),
		cmocka_unit_test_setup(test_highest_view_wins, setup),
		cmocka_unit_test_setup(test_stale_request_id_ignored, setup),
		cmocka_unit_test_setup(test_double_answer_ignored, setup),
		cmocka_unit_test_setup(test_unasked_ignored, setup),
		cmocka_unit_test_setup(test_inactive_ignores_answers, setup),
		cmocka_unit_test_setup(test_drop_makes_done, setup),
		cmocka_unit_test_setup(test_empty_ask_done_at_once, setup),
		cmocka_unit_test_setup(test_pending_changes_in_view_order,
				       setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
