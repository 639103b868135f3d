/*
 * The acceptor's saved state as text (paxos/state.c): what is written
 * reads back the same, and a file that is cut short, edited or hostile is
 * refused with its line and the reason, never half-read.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../paxos/paxos.h"

static struct paxos_state st, back;
static char buf[PAXOS_STATE_BYTES_MAX];

static void fill_full(struct paxos_state *s)
{
	memset(s, 0, sizeof(*s));
	s->promised = paxos_ballot(PAXOS_ROUND_MAX, PAXOS_ID_MAX);
	s->trimmed = 10;
	for (unsigned i = 0; i < PAXOS_SLOTS_MAX; i++) {
		struct paxos_entry *e = &s->entries[i];
		e->slot = 10 + 2 * i;
		e->vballot = paxos_ballot(i + 1, 3);
		if (i % 3 == 0) {
			paxos_value_noop(&e->value);
		} else {
			uint8_t bytes[PAXOS_VALUE_BYTES_MAX];
			for (unsigned k = 0; k < sizeof(bytes); k++)
				bytes[k] = (uint8_t)(k * 7 + i);
			paxos_value_set(&e->value, bytes,
					i % 3 == 1 ? sizeof(bytes) : i);
		}
	}
	s->entries_count = PAXOS_SLOTS_MAX;
}

static void test_round_trip_full(void **state)
{
	char err[128];
	(void)state;
	fill_full(&st);
	int n = paxos_state_encode(&st, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(paxos_state_decode(&back, buf, (size_t)n, err,
					    sizeof(err)), 0);
	assert_true(back.promised == st.promised);
	assert_true(back.trimmed == st.trimmed);
	assert_int_equal(back.entries_count, st.entries_count);
	for (unsigned i = 0; i < st.entries_count; i++) {
		assert_true(back.entries[i].slot == st.entries[i].slot);
		assert_true(back.entries[i].vballot == st.entries[i].vballot);
		assert_true(paxos_value_equal(&back.entries[i].value,
					      &st.entries[i].value));
	}
	/* One byte short of room: refused, not cut. */
	assert_int_equal(paxos_state_encode(&st, buf, (size_t)n), -ENOSPC);
}

static void test_round_trip_empty(void **state)
{
	(void)state;
	memset(&st, 0, sizeof(st));
	int n = paxos_state_encode(&st, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf, "paxos-acceptor 1\npromised 0 trimmed 0\n");
	assert_int_equal(paxos_state_decode(&back, buf, (size_t)n, NULL, 0),
			 0);
	assert_int_equal(back.entries_count, 0);
}

/* text is refused, with reason in the message. */
static void refused(const char *text, const char *reason)
{
	char err[160] = "";
	back.promised = 77;
	assert_int_equal(paxos_state_decode(&back, text, strlen(text), err,
					    sizeof(err)), -EINVAL);
	if (strstr(err, reason) == NULL)
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err,
			 reason);
	/* Nothing half-read. */
	assert_true(back.promised == 77);
}

static void test_bad_files(void **state)
{
	(void)state;
	refused("", "not a paxos acceptor state");
	refused("paxos-acceptor 2\n", "not a paxos acceptor state");
	refused("paxos-acceptor 1", "line 1: no newline");
	refused("paxos-acceptor 1\npromised 5 trimmed 0", "line 2: no newline");
	refused("paxos-acceptor 1\npromised x trimmed 0\n", "not a number");
	refused("paxos-acceptor 1\npromised 99999999999999999999 trimmed 0\n",
		"too large");
	refused("paxos-acceptor 1\npromised 5\n", "promised B trimmed S");
	refused("paxos-acceptor 1\npromised 5 trimmed 0 extra\n",
		"unexpected");
	refused("paxos-acceptor 1\npromised 65537 trimmed 0\n"
		"slot 3 65537 41\nslot 2 65537 42\n",
		"line 4: slot 2 not above slot 3");
	refused("paxos-acceptor 1\npromised 65537 trimmed 5\n"
		"slot 3 65537 41\n", "below trimmed");
	refused("paxos-acceptor 1\npromised 65537 trimmed 0\n"
		"slot 3 131073 41\n", "above the promise");
	refused("paxos-acceptor 1\npromised 65537 trimmed 0\n"
		"slot 3 0 41\n", "is 0");
	refused("paxos-acceptor 1\npromised 65537 trimmed 0\n"
		"slot 3 65537 4\n", "hex");
	refused("paxos-acceptor 1\npromised 65537 trimmed 0\n"
		"slot 3 65537 4G\n", "hex");
	refused("paxos-acceptor 1\npromised 65537 trimmed 0\nslot 3 65537\n",
		"value missing");
	refused("paxos-acceptor 1\npromised 65537 trimmed 0\nbogus\n",
		"slot S BALLOT VALUE");
}

static void test_too_many_slots(void **state)
{
	char text[PAXOS_STATE_BYTES_MAX];
	size_t n = 0;
	(void)state;
	n += (size_t)snprintf(text, sizeof(text),
			      "paxos-acceptor 1\npromised 65537 trimmed 0\n");
	for (unsigned i = 0; i <= PAXOS_SLOTS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "slot %u 65537 noop\n", i);
	refused(text, "more than");
}

static void test_value_too_long(void **state)
{
	static char text[PAXOS_STATE_BYTES_MAX];
	size_t n;
	(void)state;
	n = (size_t)snprintf(text, sizeof(text),
			     "paxos-acceptor 1\npromised 65537 trimmed 0\n"
			     "slot 1 65537 ");
	for (unsigned i = 0; i < PAXOS_VALUE_BYTES_MAX + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "ab");
	snprintf(text + n, sizeof(text) - n, "\n");
	refused(text, "at most");
}

static void test_ballots_and_values(void **state)
{
	struct paxos_value a, b;
	(void)state;
	assert_true(paxos_ballot(3, 1) < paxos_ballot(3, 5));
	assert_true(paxos_ballot(3, 5) < paxos_ballot(4, 1));
	assert_true(paxos_ballot_round(paxos_ballot(7, 9)) == 7);
	assert_int_equal(paxos_ballot_id(paxos_ballot(7, 9)), 9);
	assert_int_equal(paxos_quorum(3), 2);
	assert_int_equal(paxos_quorum(4), 3);
	assert_int_equal(paxos_quorum(5), 3);
	assert_int_equal(paxos_value_set(&a, "X", 1), 0);
	assert_int_equal(paxos_value_set(&b, "X", 1), 0);
	assert_true(paxos_value_equal(&a, &b));
	paxos_value_noop(&b);
	assert_false(paxos_value_equal(&a, &b));
	assert_int_equal(paxos_value_set(&a, buf, PAXOS_VALUE_BYTES_MAX + 1),
			 -EINVAL);
	assert_string_equal(paxos_msg_type_name(PAXOS_PROMISE), "promise");
	assert_string_equal(paxos_msg_type_name((enum paxos_msg_type)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_too_many_slots),
		cmocka_unit_test(test_value_too_long),
		cmocka_unit_test(test_ballots_and_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
