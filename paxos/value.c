/*
 * Values and message names: the small pieces every role shares.
 */
#include <errno.h>
#include <string.h>

#include "paxos.h"

bool paxos_value_equal(const struct paxos_value *a,
		       const struct paxos_value *b)
{
	if (a->noop != b->noop || a->len != b->len)
		return false;
	return a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0;
}

int paxos_value_set(struct paxos_value *v, const void *bytes, size_t len)
{
	if (len > PAXOS_VALUE_BYTES_MAX)
		return -EINVAL;
	v->noop = false;
	v->len = (uint16_t)len;
	if (len > 0)
		memcpy(v->bytes, bytes, len);
	return 0;
}

void paxos_value_noop(struct paxos_value *v)
{
	v->noop = true;
	v->len = 0;
}

const char *paxos_msg_type_name(enum paxos_msg_type t)
{
	switch (t) {
	case PAXOS_PREPARE:
		return "prepare";
	case PAXOS_PROMISE:
		return "promise";
	case PAXOS_ACCEPT:
		return "accept";
	case PAXOS_ACCEPTED:
		return "accepted";
	case PAXOS_NACK:
		return "nack";
	case PAXOS_CHOSEN:
		return "chosen";
	}
	return "?";
}
