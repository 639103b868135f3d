/*
 * The command line. Parses argv into a struct cli and nothing else: it
 * reads no file and prints nothing; a wrong flag or value is a one-line
 * message in err and a negative result, which main turns into exit 2.
 *
 *   -h HOSTSFILE        required
 *   -d DELAY            seconds to sleep before starting (decimals allowed)
 *   -c DELAY            seconds after sending JOIN (or, for the starting
 *                       leader, after it starts leading) to crash
 *   -t                  testcase 4 (starting leader only)
 *   --id N              take id N instead of matching the hostname
 *   --port P            TCP and UDP port (default CLI_PORT_DEFAULT)
 *   --heartbeat-ms T    heartbeat period (default CLI_HEARTBEAT_MS_DEFAULT)
 *   --rejoin            join again as a new member once removed
 *   --keyring FILE      seal and open every message with FILE's keys
 *   --test-drop-udp P   tests only: drop P% of incoming datagrams
 *   --status FILE       keep FILE as this peer's state in JSON (rollcall/hooks.h)
 *   --on-change PROG    run PROG for every event (rollcall/hooks.h)
 *   --on-change-timeout DELAY  seconds before a handler is killed
 *   --on-change-log FILE  where handlers' stdout and stderr go
 *   --ready FILE        a mode: check a status file, exit 0 or 1
 *   -v                  diagnostics on stderr (repeat for more)
 *   --help, --version
 *
 * Long options also take the "--name=value" form.
 */
#ifndef ROLLCALL_CLI_H
#define ROLLCALL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_PORT_DEFAULT 7610
#define CLI_HEARTBEAT_MS_DEFAULT 1000
#define CLI_HEARTBEAT_MS_MIN 10
#define CLI_HEARTBEAT_MS_MAX 60000
/* Delays are capped at a day: longer is certainly a typo. */
#define CLI_DELAY_MS_MAX (24 * 3600 * 1000)
/* A handler longer than this is stuck, not busy: killed and counted. */
#define CLI_ON_CHANGE_TIMEOUT_S_DEFAULT 30
#define CLI_ON_CHANGE_TIMEOUT_MS_DEFAULT (CLI_ON_CHANGE_TIMEOUT_S_DEFAULT * 1000)

struct cli {
	const char *hostsfile;	/* NULL unless -h was given */
	uint32_t delay_ms;	/* -d, 0 by default */
	int64_t crash_ms;	/* -c, -1 when not given */
	bool testcase4;		/* -t */
	unsigned id;		/* --id, 0 when not given */
	uint16_t port;
	uint32_t heartbeat_ms;
	bool rejoin;		/* --rejoin */
	const char *state_dir;	/* --state, NULL when not given */
	const char *keyring;	/* --keyring, NULL when not given */
	uint32_t drop_udp_percent;	/* --test-drop-udp, 0 by default */
	const char *status_path;	/* --status, NULL when not given */
	const char *on_change;		/* --on-change, NULL when not given */
	uint32_t on_change_timeout_ms;	/* --on-change-timeout */
	const char *on_change_log;	/* --on-change-log, NULL: /dev/null */
	const char *ready_path;		/* --ready: the mode that checks it */
	unsigned others_given;	/* options other than --ready and -v */
	int verbose;		/* count of -v */
	bool help;
	bool version;
};

/*
 * Fill c from argv. Returns 0, or a negative code with a message in err.
 * With --help or --version the other checks (such as a missing -h) are
 * skipped so that those always work. --ready needs no -h and takes no
 * other option but -v.
 */
int cli_parse(struct cli *c, int argc, char **argv, char *err,
	      size_t err_cap);

/* The --help text, ending in a newline. */
const char *cli_usage(void);

/*
 * The value parsers every program's command line shares (rollcall's and
 * the Paxos lab's), with the same one-line messages: each names flag as
 * written and shows example ("-t 10"). 0, or a negative code with the
 * message in err.
 *
 * cli_parse_seconds: seconds as digits with an optional fraction ("2",
 * "0.5"), no sign, exponent or spaces, rounded to the millisecond, at
 * most CLI_DELAY_MS_MAX. cli_parse_uint: a decimal whole number in
 * [min, max], digits only.
 */
int cli_parse_seconds(const char *flag, const char *example,
		      const char *value, uint32_t *ms_out, char *err,
		      size_t err_cap);
int cli_parse_uint(const char *flag, const char *example, const char *value,
		   uint32_t min, uint32_t max, uint32_t *out, char *err,
		   size_t err_cap);

#endif
