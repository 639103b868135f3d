/*
 * The Paxos lab's peer (paxos-lab/): one struct, shared by the program's
 * files. main.c wires the roles to the transport and prints the lines;
 * roles.c reads the roles from the hostsfile; store.c keeps the state
 * files. The struct's first member is the cores' outbox, so an outbox
 * callback recovers the lab from it.
 */
#ifndef PAXOS_LAB_LAB_H
#define PAXOS_LAB_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../common/bounds.h"
#include "../common/hosts.h"
#include "../common/peerset.h"
#include "../common/transport.h"
#include "../common/wire.h"
#include "../paxos/paxos.h"
#include "cli.h"

/* Messages a peer sends itself (a proposer that is its own acceptor),
 * delivered after the current event; past it they are lost, as on a
 * network. */
#define LAB_LOCAL_MAX 8
#define LAB_PATH_BYTES_MAX 4096
#define LAB_PROPOSER_STATE_BYTES_MAX 64

struct lab {
	/* First: the cores' outbox is the lab. */
	struct paxos_outbox outbox;
	struct lab_cli cli;
	struct hosts hosts;
	unsigned self;

	/* This peer's roles, and every peer's proposer number K (0: none). */
	unsigned proposer_k;
	bool is_acceptor;
	bool is_learner;
	struct peerset serves;		/* K of each acceptorK listed */
	uint16_t k_of[HOSTS_MAX + 1];

	struct paxos_proposer proposer;
	struct paxos_acceptor acceptor;
	struct paxos_learner learner;
	bool chose_printed;

	/* --state: DIR/acceptor and DIR/proposer. */
	char acceptor_path[LAB_PATH_BYTES_MAX];
	char proposer_path[LAB_PATH_BYTES_MAX];
	struct paxos_state restored;
	bool has_restored;
	uint64_t round_saved;		/* highest round used */

	uv_loop_t loop;
	uv_timer_t delay_timer;
	uv_timer_t core_timer;
	uv_timer_t test_timer;		/* --test-accept-to's death */
	unsigned test_accepts;		/* ACCEPTs sent so far */
	bool test_dying;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	struct transport *transport;
	uint64_t start_ns;
	bool ready;
	bool delay_done;
	bool proposed;
	bool stopping;
	int exit_status;

	/* The last PREPARE or ACCEPT handed to each peer, so that a retry
	 * is not queued behind the same message still waiting for its
	 * connection (a peer whose container is not up yet). */
	uint8_t last_type[HOSTS_MAX + 1];
	uint64_t last_ballot[HOSTS_MAX + 1];

	struct paxos_msg local[LAB_LOCAL_MAX];
	unsigned local_head;
	unsigned local_count;
	uint64_t local_dropped;
	struct paxos_msg inbound;	/* the one being handled */
	char frame[FRAME_BYTES_MAX + WIRE_FRAME_HEADER_BYTES];
};

/* ---- roles.c ---- */

/* Our id: --id, or the line that matches our hostname. */
int lab_find_self(struct lab *l);

/* Every peer's proposer number and this peer's roles. */
int lab_roles(struct lab *l);

/* -v and -t belong to proposers, and a proposer needs -v. */
int lab_check_flags(struct lab *l);

/* The proposer's acceptors and learners, from the hostsfile. */
int lab_proposer_config(struct lab *l, struct paxos_proposer_config *pc);

/* ---- store.c ---- */

/* Read what an earlier life saved; 0, or -1 after a one-line message. */
int lab_state_load(struct lab *l);

/* The proposer's round, saved before the first PREPARE that uses it. */
void lab_save_round(struct lab *l, uint64_t round);

/* The acceptor's promise and vote, on disk before its answer leaves. */
void lab_save_acceptor(struct lab *l, const struct paxos_state *s);

#endif
