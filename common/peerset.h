/*
 * A set of peer ids (1..HOSTS_MAX) as a fixed bitmap.
 *
 * Member lists, the OKs a leader waits for and the peers already reported
 * unreachable are all sets of ids. A bitmap keeps them sorted for free (the
 * output wants ascending ids), costs no allocation, and copies by value.
 * Ids outside 1..HOSTS_MAX are a programmer error here: callers check ids
 * from the network before they reach a set.
 */
#ifndef ROLLCALL_PEERSET_H
#define ROLLCALL_PEERSET_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bounds.h"

#define PEERSET_WORDS ((HOSTS_MAX + 1 + 63) / 64)

struct peerset {
	uint64_t bits[PEERSET_WORDS];
};

static inline void peerset_clear(struct peerset *s)
{
	memset(s, 0, sizeof(*s));
}

static inline bool peerset_has(const struct peerset *s, unsigned id)
{
	if (id == 0 || id > HOSTS_MAX)
		return false;
	return (s->bits[id / 64] >> (id % 64)) & 1;
}

static inline void peerset_add(struct peerset *s, unsigned id)
{
	assert(id >= 1 && id <= HOSTS_MAX);
	s->bits[id / 64] |= UINT64_C(1) << (id % 64);
}

static inline void peerset_del(struct peerset *s, unsigned id)
{
	assert(id >= 1 && id <= HOSTS_MAX);
	s->bits[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

static inline unsigned peerset_count(const struct peerset *s)
{
	unsigned n = 0;
	for (unsigned w = 0; w < PEERSET_WORDS; w++)
		n += (unsigned)__builtin_popcountll(s->bits[w]);
	return n;
}

static inline bool peerset_empty(const struct peerset *s)
{
	for (unsigned w = 0; w < PEERSET_WORDS; w++)
		if (s->bits[w])
			return false;
	return true;
}

static inline bool peerset_equal(const struct peerset *a,
				 const struct peerset *b)
{
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

/* The smallest id in s greater than after, or 0 when there is none. */
static inline unsigned peerset_next(const struct peerset *s, unsigned after)
{
	unsigned id = after + 1;
	while (id <= HOSTS_MAX) {
		uint64_t word = s->bits[id / 64] >> (id % 64);
		if (word)
			return id + (unsigned)__builtin_ctzll(word);
		id = (id / 64 + 1) * 64;
	}
	return 0;
}

static inline unsigned peerset_first(const struct peerset *s)
{
	return peerset_next(s, 0);
}

/* The largest id in s, or 0 when s is empty. */
static inline unsigned peerset_last(const struct peerset *s)
{
	for (unsigned w = PEERSET_WORDS; w-- > 0;)
		if (s->bits[w])
			return w * 64 + 63 - (unsigned)__builtin_clzll(s->bits[w]);
	return 0;
}

/* How many ids in s are below id: id's place in s, from 0. */
static inline unsigned peerset_rank(const struct peerset *s, unsigned id)
{
	unsigned n = 0, w = id / 64;
	for (unsigned i = 0; i < w && i < PEERSET_WORDS; i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	if (w < PEERSET_WORDS && id % 64)
		n += (unsigned)__builtin_popcountll(
			s->bits[w] & ((UINT64_C(1) << (id % 64)) - 1));
	return n;
}

/* a = a minus b */
static inline void peerset_subtract(struct peerset *a, const struct peerset *b)
{
	for (unsigned w = 0; w < PEERSET_WORDS; w++)
		a->bits[w] &= ~b->bits[w];
}

/* a = a plus b */
static inline void peerset_union(struct peerset *a, const struct peerset *b)
{
	for (unsigned w = 0; w < PEERSET_WORDS; w++)
		a->bits[w] |= b->bits[w];
}

#define peerset_foreach(s, id) \
	for (unsigned id = peerset_first(s); id != 0; id = peerset_next(s, id))

#endif
