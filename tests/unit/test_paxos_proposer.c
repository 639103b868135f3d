/*
 * The proposer's paths too long for a scenario file: promises that
 * report a slot beyond its table of PAXOS_SLOTS_MAX slots, and a long
 * pipelined run. A recording outbox keeps what it sends and what it
 * sees chosen; the acceptors are played by hand.
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

#define REC_MAX 4096

struct rec {
	struct paxos_outbox out;
	unsigned sent_count;
	struct {
		unsigned to;
		enum paxos_msg_type type;
		uint64_t slot, ballot;
		struct paxos_value value;
	} sent[REC_MAX];
	unsigned chosen_count;
	struct {
		uint64_t slot;
		struct paxos_value value;
	} chosen[REC_MAX];
};

static struct rec rec;
static struct paxos_proposer prop;
static struct paxos_msg msg;

static void on_send(struct paxos_outbox *o, unsigned to,
		    const struct paxos_msg *m)
{
	(void)o;
	assert_true(rec.sent_count < REC_MAX);
	rec.sent[rec.sent_count].to = to;
	rec.sent[rec.sent_count].type = m->type;
	rec.sent[rec.sent_count].slot = m->slot;
	rec.sent[rec.sent_count].ballot = m->ballot;
	rec.sent[rec.sent_count].value = m->value;
	rec.sent_count++;
}

static void on_chosen(struct paxos_outbox *o, uint64_t slot, uint64_t ballot,
		      const struct paxos_value *v)
{
	(void)o;
	(void)ballot;
	assert_true(rec.chosen_count < REC_MAX);
	rec.chosen[rec.chosen_count].slot = slot;
	rec.chosen[rec.chosen_count].value = *v;
	rec.chosen_count++;
}

static void setup_proposer(unsigned window)
{
	struct paxos_proposer_config c;

	memset(&rec, 0, sizeof(rec));
	rec.out.send = on_send;
	rec.out.chosen = on_chosen;
	memset(&c, 0, sizeof(c));
	c.self = 1;
	c.acceptors[0] = 2;
	c.acceptors[1] = 3;
	c.acceptors[2] = 4;
	c.acceptors_count = 3;
	c.window = window;
	c.retry_ms = 100;
	c.retries_max = 3;
	c.backoff_min_ms = 10;
	c.backoff_max_ms = 20;
	c.seed = 1;
	paxos_proposer_create(&prop, &c, &rec.out);
}

static void value(struct paxos_value *v, const char *s)
{
	assert_int_equal(paxos_value_set(v, s, strlen(s)), 0);
}

static void promise(unsigned from, uint64_t slot, uint64_t ballot)
{
	memset(&msg, 0, offsetof(struct paxos_msg, entries));
	msg.type = PAXOS_PROMISE;
	msg.from = from;
	msg.slot = slot;
	msg.ballot = ballot;
}

static void add_entry(uint64_t slot, uint64_t vballot, const char *v)
{
	struct paxos_entry *e = &msg.entries[msg.entries_count++];
	e->slot = slot;
	e->vballot = vballot;
	value(&e->value, v);
}

/* Two acceptors vote for every ACCEPT sent since index from, in turn;
 * returns the new end of the record. */
static unsigned vote_all(unsigned from)
{
	unsigned i, end = rec.sent_count;

	for (i = from; i < rec.sent_count; i++) {
		if (rec.sent[i].type != PAXOS_ACCEPT || rec.sent[i].to == 4)
			continue;
		memset(&msg, 0, offsetof(struct paxos_msg, entries));
		msg.type = PAXOS_ACCEPTED;
		msg.from = rec.sent[i].to;
		msg.slot = rec.sent[i].slot;
		msg.ballot = rec.sent[i].ballot;
		msg.value = rec.sent[i].value;
		paxos_proposer_step(&prop, 10, &msg);
	}
	return end;
}

/*
 * A promise reports slot 70, beyond the table (slots 0..63): the
 * proposer fills the whole table (the reported slot 0, no-ops for the
 * rest), takes no command meanwhile, and once those 64 slots are decided
 * runs phase 1 again from slot 64, which brings slot 70 into its table;
 * it proposes the reported value there, and only then its own command.
 */
static void test_report_beyond_table(void **state)
{
	struct paxos_value mine, v;
	unsigned i, from = 0;
	uint64_t b1 = paxos_ballot(1, 1), b2;
	bool saw70 = false;

	(void)state;
	setup_proposer(PAXOS_WINDOW_MAX);
	value(&mine, "mine");
	assert_int_equal(paxos_proposer_propose(&prop, 0, &mine), 0);
	promise(2, 0, b1);
	add_entry(0, paxos_ballot(0, 5), "A");
	add_entry(70, paxos_ballot(0, 5), "Z");
	paxos_proposer_step(&prop, 1, &msg);
	promise(3, 0, b1);
	paxos_proposer_step(&prop, 1, &msg);
	assert_int_equal(prop.phase, PAXOS_LEADING);
	/* The whole table goes out: 64 slots to three acceptors. */
	assert_int_equal(rec.sent_count, 3 + 3 * PAXOS_SLOTS_MAX);
	for (i = 3; i < rec.sent_count; i++) {
		assert_int_equal(rec.sent[i].type, PAXOS_ACCEPT);
		assert_true(rec.sent[i].slot == (i - 3) / 3);
		if (rec.sent[i].slot == 0) {
			value(&v, "A");
			assert_true(paxos_value_equal(&rec.sent[i].value, &v));
		} else {
			assert_true(rec.sent[i].value.noop);
		}
	}
	assert_int_equal(prop.queue_count, 1);
	from = vote_all(3);
	/* All 64 decided: a new round, from slot 64. */
	assert_true(prop.decided_below == PAXOS_SLOTS_MAX);
	assert_int_equal(prop.phase, PAXOS_PREPARING);
	assert_int_equal(rec.sent[from].type, PAXOS_PREPARE);
	assert_true(rec.sent[from].slot == PAXOS_SLOTS_MAX);
	b2 = rec.sent[from].ballot;
	assert_true(b2 > b1);
	from = rec.sent_count;
	promise(2, PAXOS_SLOTS_MAX, b2);
	add_entry(70, paxos_ballot(0, 5), "Z");
	paxos_proposer_step(&prop, 20, &msg);
	promise(4, PAXOS_SLOTS_MAX, b2);
	paxos_proposer_step(&prop, 20, &msg);
	/* Slots 64..69 no-ops, 70 Z, 71 ours. */
	for (i = from; i < rec.sent_count; i++) {
		uint64_t slot = rec.sent[i].slot;
		assert_int_equal(rec.sent[i].type, PAXOS_ACCEPT);
		assert_true(slot >= 64 && slot <= 71);
		if (slot < 70)
			assert_true(rec.sent[i].value.noop);
		if (slot == 70) {
			value(&v, "Z");
			assert_true(paxos_value_equal(&rec.sent[i].value, &v));
			saw70 = true;
		}
		if (slot == 71)
			assert_true(paxos_value_equal(&rec.sent[i].value,
						      &mine));
	}
	assert_true(saw70);
	assert_int_equal(rec.sent[rec.sent_count - 1].slot, 71);
	vote_all(from);
	assert_true(prop.decided_below == 72);
	assert_true(paxos_proposer_idle(&prop));
}

/* 200 commands through a window of 4: each chosen once, in order of
 * slots, never more than 4 slots in flight. */
static void test_long_pipeline(void **state)
{
	struct paxos_value v;
	char buf[16];
	unsigned i, from;
	uint64_t b = paxos_ballot(1, 1), low, high;

	(void)state;
	setup_proposer(4);
	paxos_proposer_prepare(&prop, 0);
	promise(2, 0, b);
	paxos_proposer_step(&prop, 1, &msg);
	promise(3, 0, b);
	paxos_proposer_step(&prop, 1, &msg);
	from = rec.sent_count;
	for (i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "c%u", i);
		value(&v, buf);
		if (paxos_proposer_propose(&prop, 2, &v) == -ENOSPC) {
			from = vote_all(from);
			assert_int_equal(paxos_proposer_propose(&prop, 2, &v),
					 0);
		}
		low = prop.decided_below;
		high = prop.sent_below;
		assert_true(high - low <= 4);
	}
	while (!paxos_proposer_idle(&prop)) {
		unsigned before = rec.sent_count;
		from = vote_all(from);
		assert_true(rec.sent_count > before ||
			    paxos_proposer_idle(&prop));
	}
	assert_int_equal(rec.chosen_count, 200);
	for (i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "c%u", i);
		value(&v, buf);
		assert_true(rec.chosen[i].slot == i);
		assert_true(paxos_value_equal(&rec.chosen[i].value, &v));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_beyond_table),
		cmocka_unit_test(test_long_pipeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
