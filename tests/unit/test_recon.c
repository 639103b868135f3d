/*
 * Unit tests for reconciliation bookkeeping (reconcile/recon.c) and the
 * quorum rule it counts against (quorum_holds, common/quorum.h).
 *
 * A round begins with the new leader's own promise and accepted change as
 * the first answer; it is done once the promises make a quorum of the
 * view; the change to finish is the one accepted at the highest ballot in
 * that view. Answers for another round, ballot or view, refusals and
 * repeats change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/peerset.h"
#include "../../common/state.h"
#include "../../common/wire.h"
#include "../../common/quorum.h"
#include "../../membership/mship.h"
#include "../../reconcile/recon.h"

static struct recon r;

static struct peerset set_of(const char *ids)
{
	struct peerset s;
	peerset_clear(&s);
	for (const char *p = ids; *p; p++)
		if (*p >= '1' && *p <= '9')
			peerset_add(&s, (unsigned)(*p - '0'));
	return s;
}

static bool quorum(const char *view, const char *have)
{
	struct peerset v = set_of(view), h = set_of(have);
	return quorum_holds(&v, &h);
}

/* Majorities, and the half holding the lowest id (testcase 3's [1,2]). */
static void test_quorum_rule(void **state)
{
	(void)state;
	assert_true(quorum("12345", "123"));
	assert_true(quorum("12345", "345"));
	assert_false(quorum("12345", "12"));
	assert_true(quorum("1234", "12"));
	assert_true(quorum("1234", "14"));
	assert_false(quorum("1234", "34"));
	assert_true(quorum("1234", "234"));
	assert_true(quorum("12", "1"));
	assert_false(quorum("12", "2"));
	assert_true(quorum("1", "1"));
	assert_false(quorum("1", ""));
	/* Members outside the view count for nothing. */
	assert_false(quorum("123", "156"));
}

static struct wire_msg answer(unsigned from, uint64_t ballot, uint32_t view,
			      enum wire_op op, unsigned peer, uint64_t acc)
{
	struct wire_msg ok;
	memset(&ok, 0, sizeof(ok));
	ok.type = WIRE_OK;
	ok.from = (uint16_t)from;
	ok.request_id = 7;
	ok.ballot = ballot;
	ok.view_id = view;
	ok.op = op;
	ok.peer = (uint16_t)peer;
	ok.leader = op == WIRE_OP_NOTHING ? 0 : 1;
	ok.acc_ballot = acc;
	return ok;
}

static void begin5(const struct recon_op *own)
{
	struct peerset view = set_of("12345"), ask = set_of("1345");
	recon_begin(&r, 7, BALLOT_MAKE(2, 2), 4, &view, &ask, 2, own, 0);
}

/* Done at a quorum of promises, ours included, not when all answered. */
static void test_done_at_quorum(void **state)
{
	(void)state;
	struct recon_op none = { .op = WIRE_OP_NOTHING };
	begin5(&none);
	assert_false(recon_done(&r));
	struct wire_msg ok = answer(3, BALLOT_MAKE(2, 2), 4, WIRE_OP_NOTHING,
				    0, 0);
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	assert_false(recon_done(&r));
	ok.from = 4;
	assert_int_equal(recon_answer(&r, 4, &ok), 1);
	assert_true(recon_done(&r));
	assert_int_equal(r.best.op, WIRE_OP_NOTHING);
}

/* The change accepted at the highest ballot wins, whoever reports it. */
static void test_highest_ballot_wins(void **state)
{
	(void)state;
	struct recon_op own = { .op = WIRE_OP_ADD, .peer = 6, .leader = 1,
				.ballot = BALLOT_MAKE(1, 1) };
	begin5(&own);
	struct wire_msg ok = answer(3, BALLOT_MAKE(2, 2), 4, WIRE_OP_DEL, 5,
				    BALLOT_MAKE(1, 3));
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	assert_int_equal(r.best.op, WIRE_OP_DEL);
	assert_int_equal(r.best.peer, 5);
	assert_int_equal(r.best.ballot, BALLOT_MAKE(1, 3));
	ok = answer(4, BALLOT_MAKE(2, 2), 4, WIRE_OP_ADD, 6,
		    BALLOT_MAKE(1, 1));
	assert_int_equal(recon_answer(&r, 4, &ok), 1);
	assert_int_equal(r.best.op, WIRE_OP_DEL);
}

/* Another round, ballot or a later view, a refusal, a repeat: ignored. A
 * change accepted in an older view was decided since: not a candidate. */
static void test_ignored_answers(void **state)
{
	(void)state;
	struct recon_op none = { .op = WIRE_OP_NOTHING };
	begin5(&none);
	struct wire_msg ok = answer(3, BALLOT_MAKE(1, 1), 4, WIRE_OP_NOTHING,
				    0, 0);
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	ok = answer(3, BALLOT_MAKE(2, 2), 5, WIRE_OP_NOTHING, 0, 0);
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	ok = answer(3, BALLOT_MAKE(2, 2), 4, WIRE_OP_NOTHING, 0, 0);
	ok.request_id = 8;
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	ok = answer(3, BALLOT_MAKE(2, 2), 4, WIRE_OP_REFUSE, 1, 0);
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	ok = answer(9, BALLOT_MAKE(2, 2), 4, WIRE_OP_NOTHING, 0, 0);
	assert_int_equal(recon_answer(&r, 9, &ok), 0);
	ok = answer(3, BALLOT_MAKE(2, 2), 3, WIRE_OP_DEL, 5, BALLOT_MAKE(1, 1));
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	assert_int_equal(r.best.op, WIRE_OP_NOTHING);
	assert_int_equal(recon_answer(&r, 3, &ok), 0);
	assert_false(recon_done(&r));
}

/*
 * A new leader that gave up its own change at ballot (1,2) knows nothing
 * accepted at or below it was decided: those answers promise, but the
 * change is not finished; one above it is.
 */
static void test_void_ballot_ignored(void **state)
{
	(void)state;
	struct peerset view = set_of("12345"), ask = set_of("1345");
	struct recon_op own = { .op = WIRE_OP_DEL, .peer = 5, .leader = 2,
				.ballot = BALLOT_MAKE(1, 2) };
	recon_begin(&r, 7, BALLOT_MAKE(2, 2), 4, &view, &ask, 2, &own,
		    BALLOT_MAKE(1, 2));
	assert_int_equal(r.best.op, WIRE_OP_NOTHING);
	struct wire_msg ok = answer(3, BALLOT_MAKE(2, 2), 4, WIRE_OP_DEL, 5,
				    BALLOT_MAKE(1, 2));
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	ok = answer(4, BALLOT_MAKE(2, 2), 4, WIRE_OP_ADD, 6,
		    BALLOT_MAKE(1, 1));
	assert_int_equal(recon_answer(&r, 4, &ok), 1);
	assert_true(recon_done(&r));
	assert_int_equal(r.best.op, WIRE_OP_NOTHING);
	ok = answer(5, BALLOT_MAKE(2, 2), 4, WIRE_OP_ADD, 6,
		    BALLOT_MAKE(1, 4));
	assert_int_equal(recon_answer(&r, 5, &ok), 1);
	assert_int_equal(r.best.op, WIRE_OP_ADD);
	assert_int_equal(r.best.ballot, BALLOT_MAKE(1, 4));
}

/* A batch is one value: the highest ballot's whole batch wins, its
 * further changes with it. */
static void test_batch_kept_whole(void **state)
{
	(void)state;
	struct recon_op own = { .op = WIRE_OP_DEL, .peer = 5, .leader = 1,
				.ballot = BALLOT_MAKE(1, 1) };
	begin5(&own);
	struct wire_msg ok = answer(3, BALLOT_MAKE(2, 2), 4, WIRE_OP_ADD, 6,
				    BALLOT_MAKE(1, 3));
	wire_changes_push(&ok.more, WIRE_OP_ADD, 7);
	wire_changes_push(&ok.more, WIRE_OP_DEL, 5);
	assert_int_equal(recon_answer(&r, 3, &ok), 1);
	assert_int_equal(r.best.op, WIRE_OP_ADD);
	assert_int_equal(r.best.peer, 6);
	assert_int_equal(r.best.more.count, 2);
	assert_int_equal(r.best.more.at[0].peer, 7);
	assert_int_equal(r.best.more.at[1].op, WIRE_OP_DEL);
	assert_int_equal(r.best.ballot, BALLOT_MAKE(1, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quorum_rule),
		cmocka_unit_test(test_batch_kept_whole),
		cmocka_unit_test(test_done_at_quorum),
		cmocka_unit_test(test_highest_ballot_wins),
		cmocka_unit_test(test_ignored_answers),
		cmocka_unit_test(test_void_ballot_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
