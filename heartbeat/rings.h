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
	unsigned n;	/* members */
	uint16_t order[RINGS_K][HOSTS_MAX];
	uint16_t pos[RINGS_K][HOSTS_MAX + 1];
};

/* Build the rings of members (at least one). */
void rings_build(struct rings *r, const struct peerset *members);

/* The observers of peer (a member; empty with fewer than two members). */
struct peerset rings_observers(const struct rings *r, unsigned peer);

/* The subjects of peer: the members it watches. */
struct peerset rings_subjects(const struct rings *r, unsigned peer);

#endif
