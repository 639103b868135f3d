/*
 * Fuzz the Paxos acceptor's state-file decoder: the input is a whole
 * file's bytes (a crash may cut it short, a person may edit it).
 *
 * A refused file leaves the output untouched and says why in one line
 * that names the line. An accepted one keeps every bound (slots, value
 * bytes), its slots ascend from trimmed, no vote is above the promise,
 * and it encodes back to text that decodes to the same state.
 */
#include <string.h>

#include "../../paxos/paxos.h"
#include "fuzz.h"

static void check_state(const struct paxos_state *s)
{
	fuzz_check(s->entries_count <= PAXOS_SLOTS_MAX);
	for (unsigned i = 0; i < s->entries_count; i++) {
		const struct paxos_entry *e = &s->entries[i];
		fuzz_check(e->slot >= s->trimmed);
		fuzz_check(i == 0 || e->slot > s->entries[i - 1].slot);
		fuzz_check(e->vballot != 0 && e->vballot <= s->promised);
		fuzz_check(e->value.len <= PAXOS_VALUE_BYTES_MAX);
		fuzz_check(!e->value.noop || e->value.len == 0);
	}
}

static void check_same(const struct paxos_state *a,
		       const struct paxos_state *b)
{
	fuzz_check(a->promised == b->promised && a->trimmed == b->trimmed);
	fuzz_check(a->entries_count == b->entries_count);
	for (unsigned i = 0; i < a->entries_count; i++) {
		fuzz_check(a->entries[i].slot == b->entries[i].slot);
		fuzz_check(a->entries[i].vballot == b->entries[i].vballot);
		fuzz_check(paxos_value_equal(&a->entries[i].value,
					     &b->entries[i].value));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct paxos_state s, back;
	static char text[PAXOS_STATE_BYTES_MAX];
	char err[160];
	int rc, n;

	memset(&s, 0, sizeof(s));
	s.promised = 42;
	err[0] = '\0';
	rc = paxos_state_decode(&s, (const char *)data, size, err,
				sizeof(err));
	if (rc != 0) {
		fuzz_check(rc < 0);
		fuzz_check(s.promised == 42 && s.entries_count == 0);
		fuzz_check(strncmp(err, "line ", 5) == 0);
		fuzz_check(memchr(err, '\n', strlen(err)) == NULL);
		return 0;
	}
	check_state(&s);
	n = paxos_state_encode(&s, text, sizeof(text));
	fuzz_check(n > 0);
	fuzz_check(paxos_state_decode(&back, text, (size_t)n, NULL, 0) == 0);
	check_same(&s, &back);
	return 0;
}
