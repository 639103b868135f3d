/*
 * The lab program's command line, the handout's exactly:
 *
 *   -h HOSTSFILE   required; lines host:role[,role...]
 *   -v VALUE       a proposer's value, one character
 *   -t SECONDS     how long a proposer waits before it proposes
 *
 * and, for tests and operators, long options the handout does not have:
 *
 *   --id N         take id N instead of matching the hostname
 *   --port P       every peer's port (default LAB_PORT_DEFAULT)
 *   --state DIR    keep the acceptor's and proposer's state in DIR
 *                  (default: $PAXOS_STATE; neither: in memory only)
 *   --verbose      diagnostics on stderr (repeat for more)
 *   --help
 *
 * and one for tests only (tests/paxos/proc.sh's kill_proposer case):
 *
 *   --test-accept-to N  a proposer sends ACCEPT to its first N acceptors
 *                  only, then hears nothing more and kills itself (SIGKILL)
 *                  half a second later: a proposer that died after some
 *                  acceptors accepted, whatever the timing
 *
 * Parses argv only: checks that need the hostsfile (a proposer without -v,
 * -t on a peer that is not a proposer) are the program's. Numbers go
 * through common/cli.c's parsers, so messages read as rollcall's do.
 */
#ifndef PAXOS_LAB_CLI_H
#define PAXOS_LAB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAB_PORT_DEFAULT 7620
/* A value is one character: one byte of ASCII or one UTF-8 sequence. */
#define LAB_VALUE_BYTES_MAX 4

struct lab_cli {
	const char *hostsfile;		/* NULL unless -h was given */
	bool has_value;			/* -v */
	char value[LAB_VALUE_BYTES_MAX + 1];
	size_t value_len;
	bool has_delay;			/* -t */
	uint32_t delay_ms;
	unsigned id;			/* --id, 0 when not given */
	uint16_t port;
	const char *state_dir;		/* --state, NULL when not given */
	int verbose;
	bool help;
	unsigned test_accept_to;	/* --test-accept-to, 0: not given */
};

int lab_cli_parse(struct lab_cli *c, int argc, char **argv, char *err,
		  size_t err_cap);

const char *lab_cli_usage(void);

#endif
