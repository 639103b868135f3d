/*
 * The roles of the lab's peers (lab.h), from the hostsfile in its roles
 * form: which peer this is, what it does, whom its proposer talks to, and
 * whether -v and -t fit. Every mistake is one line naming the file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"

/* "acceptor1,acceptor2": this peer's roles, for messages. */
static void lab_roles_text(const struct lab *l, unsigned id, char *buf,
			   size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned r = l->hosts.roles_first[id];
	     r < l->hosts.roles_first[id + 1] && o < cap; r++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s%u",
				      o ? "," : "",
				      hosts_role_name(l->hosts.roles[r].kind),
				      (unsigned)l->hosts.roles[r].k);
}

/*
 * Every peer's roles: one proposerK a peer and one peer a K; each
 * proposer's acceptors and learners within the core's bounds. The file
 * and line of a mistake are named.
 */
int lab_roles(struct lab *l)
{
	const struct hosts *h = &l->hosts;
	static unsigned line_of_k[HOSTS_MAX + 1];

	memset(line_of_k, 0, sizeof(line_of_k));
	for (unsigned id = 1; id <= h->count; id++) {
		unsigned end = h->roles_first[id + 1];

		for (unsigned r = h->roles_first[id]; r < end; r++) {
			const struct hosts_role *x = &h->roles[r];

			if (x->kind != HOSTS_PROPOSER)
				continue;
			if (l->k_of[id] != 0) {
				fprintf(stderr, "paxos-peer: %s: peer %u (%s) "
					"is proposer%u and proposer%u; a peer "
					"is one proposer at most\n",
					l->cli.hostsfile, id, h->names[id],
					l->k_of[id], x->k);
				return -1;
			}
			if (line_of_k[x->k] != 0) {
				fprintf(stderr, "paxos-peer: %s: proposer%u on "
					"peers %u and %u; give each proposer "
					"its own number\n", l->cli.hostsfile,
					x->k, line_of_k[x->k], id);
				return -1;
			}
			l->k_of[id] = x->k;
			line_of_k[x->k] = id;
		}
	}
	for (unsigned r = h->roles_first[l->self];
	     r < h->roles_first[l->self + 1]; r++) {
		const struct hosts_role *x = &h->roles[r];

		if (x->kind == HOSTS_ACCEPTOR) {
			l->is_acceptor = true;
			peerset_add(&l->serves, x->k);
		} else if (x->kind == HOSTS_LEARNER) {
			l->is_learner = true;
		}
	}
	l->proposer_k = l->k_of[l->self];
	return 0;
}

/* The proposer's acceptors (acceptorK) and whom it tells (those and
 * learnerK), within the core's bounds. */
int lab_proposer_config(struct lab *l, struct paxos_proposer_config *pc)
{
	const struct hosts *h = &l->hosts;
	unsigned k = l->proposer_k;

	for (unsigned id = 1; id <= h->count; id++) {
		bool acc = hosts_has_role(h, id, HOSTS_ACCEPTOR, k);
		bool learn = hosts_has_role(h, id, HOSTS_LEARNER, k);

		if (acc && pc->acceptors_count == PAXOS_ACCEPTORS_MAX) {
			fprintf(stderr, "paxos-peer: %s: more than %d peers "
				"are acceptor%u\n", l->cli.hostsfile,
				PAXOS_ACCEPTORS_MAX, k);
			return -1;
		}
		if ((acc || learn) &&
		    pc->learners_count == PAXOS_LEARNERS_MAX) {
			fprintf(stderr, "paxos-peer: %s: more than %d peers "
				"are acceptor%u or learner%u\n",
				l->cli.hostsfile, PAXOS_LEARNERS_MAX, k, k);
			return -1;
		}
		if (acc)
			pc->acceptors[pc->acceptors_count++] = id;
		if (acc || learn)
			pc->learners[pc->learners_count++] = id;
	}
	if (pc->acceptors_count == 0) {
		fprintf(stderr, "paxos-peer: %s: peer %u is proposer%u, but no "
			"peer is acceptor%u; add the role to its acceptors' "
			"lines\n", l->cli.hostsfile, l->self, k, k);
		return -1;
	}
	return 0;
}

/* Our id: --id, or the line that matches our hostname. */
int lab_find_self(struct lab *l)
{
	char name[256];

	if (l->cli.id != 0) {
		if (l->cli.id > l->hosts.count) {
			fprintf(stderr, "paxos-peer: --id %u: %s has only %u "
				"peers\n", l->cli.id, l->cli.hostsfile,
				l->hosts.count);
			return -1;
		}
		l->self = l->cli.id;
		return 0;
	}
	if (gethostname(name, sizeof(name)) != 0) {
		fprintf(stderr, "paxos-peer: cannot read the hostname: %s; "
			"pass --id N\n", strerror(errno));
		return -1;
	}
	name[sizeof(name) - 1] = '\0';
	l->self = hosts_find(&l->hosts, name);
	if (l->self == 0) {
		fprintf(stderr, "paxos-peer: %s: hostname '%s' is not in the "
			"file; add it or pass --id N\n", l->cli.hostsfile,
			name);
		return -1;
	}
	return 0;
}

/* -v and -t belong to proposers, and a proposer needs -v. */
int lab_check_flags(struct lab *l)
{
	char roles[256];

	lab_roles_text(l, l->self, roles, sizeof(roles));
	if (l->proposer_k != 0 && !l->cli.has_value) {
		fprintf(stderr, "paxos-peer: -v: required: peer %u (%s) is "
			"proposer%u; give its value (example: -v X)\n",
			l->self, l->hosts.names[l->self], l->proposer_k);
		return -1;
	}
	if (l->proposer_k == 0 && l->cli.has_value) {
		fprintf(stderr, "paxos-peer: -v: peer %u (%s) is not a "
			"proposer (its roles: %s); only a proposer takes a "
			"value\n", l->self, l->hosts.names[l->self], roles);
		return -1;
	}
	if (l->proposer_k == 0 && l->cli.has_delay) {
		fprintf(stderr, "paxos-peer: -t: peer %u (%s) is not a "
			"proposer (its roles: %s); only a proposer waits "
			"before proposing\n", l->self,
			l->hosts.names[l->self], roles);
		return -1;
	}
	return 0;
}
