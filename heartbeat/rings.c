/*
 * K rings over a member list (see rings.h). Each ring is the members
 * sorted by a 64-bit mix of (ring, id), ties (which a good mix makes
 * rare) broken by id, so the order depends on the list alone. The hosts
 * are sorted once; a view's rings are that order filtered.
 */
#include "rings.h"

#include <stdlib.h>

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t rings__mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

struct rings__key {
	uint64_t key;
	uint16_t id;
};

static int rings__cmp(const void *a, const void *b)
{
	const struct rings__key *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void rings_create(struct rings *r, unsigned hosts_count)
{
	static struct rings__key keys[HOSTS_MAX];
	r->hosts_count = hosts_count;
	r->n = 0;
	for (unsigned i = 0; i < RINGS_K; i++) {
		for (unsigned id = 1; id <= hosts_count; id++) {
			keys[id - 1].key =
				rings__mix(((uint64_t)(i + 1) << 32) | id);
			keys[id - 1].id = (uint16_t)id;
		}
		qsort(keys, hosts_count, sizeof(keys[0]), rings__cmp);
		for (unsigned j = 0; j < hosts_count; j++)
			r->all[i][j] = keys[j].id;
	}
}

void rings_build(struct rings *r, const struct peerset *members)
{
	for (unsigned i = 0; i < RINGS_K; i++) {
		unsigned n = 0;
		for (unsigned j = 0; j < r->hosts_count; j++) {
			unsigned id = r->all[i][j];
			if (!peerset_has(members, id))
				continue;
			r->order[i][n] = (uint16_t)id;
			r->pos[i][id] = (uint16_t)n;
			n++;
		}
		r->n = n;
	}
}

struct peerset rings_observers(const struct rings *r, unsigned peer)
{
	struct peerset s;
	peerset_clear(&s);
	if (r->n < 2)
		return s;
	for (unsigned i = 0; i < RINGS_K; i++) {
		unsigned p = r->pos[i][peer];
		peerset_add(&s, r->order[i][(p + 1) % r->n]);
	}
	return s;
}

struct peerset rings_subjects(const struct rings *r, unsigned peer)
{
	struct peerset s;
	peerset_clear(&s);
	if (r->n < 2)
		return s;
	for (unsigned i = 0; i < RINGS_K; i++) {
		unsigned p = r->pos[i][peer];
		peerset_add(&s, r->order[i][(p + r->n - 1) % r->n]);
	}
	return s;
}
