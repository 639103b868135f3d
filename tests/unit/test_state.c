/*
 * Unit tests for the state file's codec (common/state.c): each form of
 * each line as written and read back, the removal view that a removed
 * peer keeps to relay, and the malformed files it must refuse, with the
 * line it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/bounds.h"
#include "../../common/state.h"

static char buf[STATE_BYTES_MAX];

static void set_of(struct peerset *s, const unsigned *ids, unsigned n)
{
	peerset_clear(s);
	for (unsigned i = 0; i < n; i++)
		peerset_add(s, ids[i]);
}

/* Encode st, check the text, decode it and check it comes back whole. */
static void round_trip(const struct state *st, const char *text)
{
	size_t len = 0;
	assert_int_equal(state_encode(st, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(buf, text, len);
	struct state back;
	unsigned line = 0;
	assert_int_equal(state_decode(buf, len, &back, &line), 0);
	assert_int_equal(back.promised, st->promised);
	assert_int_equal(back.acc_set, st->acc_set);
	if (st->acc_set) {
		assert_int_equal(back.acc_ballot, st->acc_ballot);
		assert_int_equal(back.acc_base, st->acc_base);
		assert_int_equal(back.acc_op, st->acc_op);
		assert_int_equal(back.acc_peer, st->acc_peer);
		assert_int_equal(back.acc_leader, st->acc_leader);
		assert_int_equal(back.acc_more.count, st->acc_more.count);
		assert_memory_equal(back.acc_more.at, st->acc_more.at,
				    st->acc_more.count *
					    sizeof(st->acc_more.at[0]));
	}
	assert_int_equal(back.in_view, st->in_view);
	assert_int_equal(back.view_id, st->view_id);
	assert_true(peerset_equal(&back.members, &st->members));
	if (!peerset_empty(&st->members))
		assert_int_equal(back.view_leader, st->view_leader);
}

static int decode(const char *text, unsigned *line)
{
	struct state st;
	*line = 0;
	return state_decode(text, strlen(text), &st, line);
}

/* A first start's file, a member's, and one with an accepted change. */
static void test_state_forms(void **state)
{
	(void)state;
	struct state st;
	memset(&st, 0, sizeof(st));
	round_trip(&st, "rollcall-state 1\npromised 0\naccepted none\n"
			"view none\n");

	const unsigned five[] = { 1, 2, 3, 4, 5 };
	st.promised = BALLOT_MAKE(2, 2);
	st.in_view = true;
	st.view_id = 4;
	st.view_leader = 1;
	set_of(&st.members, five, 5);
	st.acc_set = true;
	st.acc_ballot = BALLOT_MAKE(1, 1);
	st.acc_base = 4;
	st.acc_op = 2;
	st.acc_peer = 5;
	st.acc_leader = 1;
	round_trip(&st, "rollcall-state 1\npromised 131074\n"
			"accepted 65537 4 2 5 1\nview 4 1 1,2,3,4,5\n");
	/* A batch: its further changes after the leader, op:peer. */
	wire_changes_push(&st.acc_more, WIRE_OP_ADD, 7);
	wire_changes_push(&st.acc_more, WIRE_OP_DEL, 3);
	round_trip(&st, "rollcall-state 1\npromised 131074\n"
			"accepted 65537 4 2 5 1 1:7,2:3\nview 4 1 1,2,3,4,5\n");
}

/* A batch names each peer once, with ADD or DEL, as the wire does. */
static void test_state_batch_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"accepted 1 4 2 5 1 1:5\n",	/* the first change's peer */
		"accepted 1 4 2 5 1 1:7,2:7\n",
		"accepted 1 4 2 5 1 3:7\n",	/* no change */
		"accepted 1 4 2 5 1 1:0\n",
		"accepted 1 4 2 5 1 1:7,\n",
		"accepted 1 4 2 5 1 \n",
		"accepted 1 4 2 5 1 17\n",
		"accepted 1 4 3 5 1\n",	/* PENDING is no change either */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "rollcall-state 1\npromised 1\n%sview none\n", bad[i]);
		unsigned line;
		int rc = decode(text, &line);
		if (rc == 0)
			fail_msg("'%s' decoded", bad[i]);
		assert_int_equal(line, 3);
	}
}

/*
 * Removed: "view none N" keeps the removal view's id (no later life takes
 * one at or below it) and, when known, its leader and list, which the
 * peer relays while it joins again. A file of the older form, without
 * the list, still reads.
 */
static void test_state_removal_view(void **state)
{
	(void)state;
	struct state st;
	memset(&st, 0, sizeof(st));
	const unsigned two_four[] = { 2, 4 };
	st.promised = BALLOT_MAKE(3, 2);
	st.view_id = 5;
	st.view_leader = 2;
	set_of(&st.members, two_four, 2);
	round_trip(&st, "rollcall-state 1\npromised 196610\naccepted none\n"
			"view none 5 2 2,4\n");

	peerset_clear(&st.members);
	round_trip(&st, "rollcall-state 1\npromised 196610\naccepted none\n"
			"view none 5\n");
}

/* What the codec never writes it refuses, naming the line. */
static void test_state_refused(void **state)
{
	(void)state;
	static const char head[] = "rollcall-state 1\npromised 1\n"
				   "accepted none\n";
	static const struct {
		const char *view;
		int err;
	} bad[] = {
		{ "view none 0\n", STATE_EFORMAT },
		{ "view none 5 2\n", STATE_EFORMAT },
		{ "view none 5 3 2,4\n", STATE_ERANGE },	/* leader not listed */
		{ "view none 5 2 4,2\n", STATE_ERANGE },	/* not ascending */
		{ "view none 5 2 2,4,\n", STATE_EFORMAT },
		{ "view 4 1\n", STATE_EFORMAT },
		{ "view 4 0 1,2\n", STATE_ERANGE },
		{ "view none5\n", STATE_EFORMAT },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		strcpy(text, head);
		strcat(text, bad[i].view);
		unsigned line;
		int rc = decode(text, &line);
		if (rc != bad[i].err)
			fail_msg("'%s': %d, want %d", bad[i].view, rc,
				 bad[i].err);
		assert_int_equal(line, 4);
	}
	unsigned line;
	assert_int_equal(decode("rollcall-state 2\n", &line), STATE_EFORMAT);
	assert_int_equal(line, 1);
}

/*
 * The largest state: every field at its widest and a full view of
 * HOSTS_MAX members, four digits each past 999, fits STATE_BYTES_MAX
 * (3 bytes an id did not: a view of 1024 could not be saved) and comes
 * back whole.
 */
static void test_state_full_view_fits(void **state)
{
	(void)state;
	struct state st;
	memset(&st, 0, sizeof(st));
	st.promised = UINT64_MAX;
	st.acc_set = true;
	st.acc_ballot = UINT64_MAX;
	st.acc_base = UINT32_MAX;
	st.acc_op = 2;
	st.acc_peer = HOSTS_MAX;
	st.acc_leader = HOSTS_MAX;
	st.in_view = true;
	st.view_id = UINT32_MAX;
	st.view_leader = HOSTS_MAX;
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		peerset_add(&st.members, id);
	/* And the widest batch, four-digit peers. */
	for (unsigned id = HOSTS_MAX - 1; st.acc_more.count < CHANGES_MAX - 1;
	     id--)
		wire_changes_push(&st.acc_more, WIRE_OP_DEL, id);
	size_t len = 0;
	assert_int_equal(state_encode(&st, buf, sizeof(buf), &len), 0);
	assert_true(len <= STATE_BYTES_MAX);
	struct state back;
	unsigned line = 0;
	assert_int_equal(state_decode(buf, len, &back, &line), 0);
	assert_true(peerset_equal(&back.members, &st.members));
	assert_int_equal(back.view_id, st.view_id);
	assert_int_equal(back.acc_more.count, CHANGES_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_forms),
		cmocka_unit_test(test_state_removal_view),
		cmocka_unit_test(test_state_refused),
		cmocka_unit_test(test_state_batch_refused),
		cmocka_unit_test(test_state_full_view_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
