/*
 * Who watches whom in a large view: K rings, as Rapid builds them.
 *
 * Ring i orders the view's members by a hash of (i, id), the same on
 * every peer for the same member list. In each ring a member is watched
 * by its successor: its observers are its successors in the K rings
 * (fewer than K when two rings give the same one), and its subjects,
 * those it watches, are its predecessors. Each member has one observer
 * and one subject per ring, so the load is balanced whatever the view.
 * Pure: no I/O, no clock, no allocation.
 */
#ifndef ROLLCALL_RINGS_H
#define ROLLCALL_RINGS_H

#include <stdint.h>

#include "../common/peerset.h"

/* Rings; each member has at most this many observers. */
#define RINGS_K 5

struct rings {
	/* Every host of the hostsfile in each ring's order, built once. */
	unsigned hosts_count;
	uint16_t all[RINGS_K][HOSTS_MAX];
	/* The current members in each ring's order, and each one's place. */
	unsigned n;
	uint16_t order[RINGS_K][HOSTS_MAX];
	uint16_t pos[RINGS_K][HOSTS_MAX + 1];
};

/* Order hosts 1..hosts_count in each ring (once: a sort per ring). */
void rings_create(struct rings *r, unsigned hosts_count);

/* The rings of members, hosts of rings_create's (at least one): the
 * hosts' orders filtered, linear in the hosts. */
void rings_build(struct rings *r, const struct peerset *members);

/* The observers of peer (a member; empty with fewer than two members). */
struct peerset rings_observers(const struct rings *r, unsigned peer);

/* The subjects of peer: the members it watches. */
struct peerset rings_subjects(const struct rings *r, unsigned peer);

#endif
