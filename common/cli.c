/*
 * The command-line parser, written by hand rather than with getopt because
 * getopt prints its own messages and rollcall's must be one line naming the
 * flag and what would fix it.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"

#define CLI__STR_(x) #x
#define CLI__STR(x) CLI__STR_(x)

enum cli__key {
	CLI__HOSTSFILE,
	CLI__DELAY,
	CLI__CRASH,
	CLI__TESTCASE4,
	CLI__VERBOSE,
	CLI__ID,
	CLI__PORT,
	CLI__HEARTBEAT,
	CLI__REJOIN,
	CLI__DROP_UDP,
	CLI__STATUS,
	CLI__ON_CHANGE,
	CLI__ON_CHANGE_TIMEOUT,
	CLI__ON_CHANGE_LOG,
	CLI__READY,
	CLI__HELP,
	CLI__VERSION,
	CLI__STATE,
	CLI__KEYRING,
};

/* One table drives both forms, so a flag's name and example live once. */
struct cli__opt {
	char letter;		/* short form, or 0 */
	const char *name;	/* long form without dashes, or NULL */
	enum cli__key key;
	const char *example;	/* NULL when the option takes no value */
};

static const struct cli__opt cli__opts[] = {
	{ 'h', NULL, CLI__HOSTSFILE, "-h hostsfile.txt" },
	{ 'd', NULL, CLI__DELAY, "-d 2 or -d 0.5" },
	{ 'c', NULL, CLI__CRASH, "-c 2 or -c 0.5" },
	{ 't', NULL, CLI__TESTCASE4, NULL },
	{ 'v', NULL, CLI__VERBOSE, NULL },
	{ 0, "id", CLI__ID, "--id 3" },
	{ 0, "port", CLI__PORT, "--port " CLI__STR(CLI_PORT_DEFAULT) },
	{ 0, "heartbeat-ms", CLI__HEARTBEAT,
	  "--heartbeat-ms " CLI__STR(CLI_HEARTBEAT_MS_DEFAULT) },
	{ 0, "rejoin", CLI__REJOIN, NULL },
	{ 0, "state", CLI__STATE, "--state /var/lib/rollcall" },
	{ 0, "keyring", CLI__KEYRING, "--keyring /run/secrets/rollcall-keyring" },
	{ 0, "test-drop-udp", CLI__DROP_UDP, "--test-drop-udp 20" },
	{ 0, "status", CLI__STATUS, "--status /run/rollcall/status.json" },
	{ 0, "on-change", CLI__ON_CHANGE, "--on-change /etc/rollcall/on-change" },
	{ 0, "on-change-timeout", CLI__ON_CHANGE_TIMEOUT,
	  "--on-change-timeout 30 or --on-change-timeout 0.5" },
	{ 0, "on-change-log", CLI__ON_CHANGE_LOG,
	  "--on-change-log /var/log/rollcall-handler.log" },
	{ 0, "ready", CLI__READY, "--ready /run/rollcall/status.json" },
	{ 0, "help", CLI__HELP, NULL },
	{ 0, "version", CLI__VERSION, NULL },
};

#define CLI__OPTS_COUNT (sizeof(cli__opts) / sizeof(cli__opts[0]))

/* Where the parse stands, so that helpers can take the next argument. */
struct cli__args {
	int argc;
	char **argv;
	int i;			/* index of the argument being read */
	char *err;
	size_t err_cap;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int cli__fail(const struct cli__args *a, const char *fmt, ...)
{
	va_list ap;

	if (a->err != NULL && a->err_cap > 0) {
		va_start(ap, fmt);
		vsnprintf(a->err, a->err_cap, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool cli__is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Whole milliseconds in seconds written as digits with an optional
 * fraction ("2", "0.5", ".25"), rounded to the nearest millisecond. Parsed
 * by hand: strtod would accept "nan", "inf", "1e3", hex and leading spaces.
 * Returns 0, or -EINVAL when s is not such a number, or -ERANGE when it is
 * more than CLI_DELAY_MS_MAX.
 */
static int cli__parse_seconds(const char *s, uint32_t *ms_out)
{
	uint64_t whole = 0, frac_ms = 0;
	unsigned frac_digits = 0;
	bool any_digit = false, too_big = false;

	for (; cli__is_digit(*s); s++, any_digit = true) {
		whole = whole * 10 + (uint64_t)(*s - '0');
		/* Stop growing before overflow; anything this big is refused. */
		if (whole > CLI_DELAY_MS_MAX) {
			too_big = true;
			whole = CLI_DELAY_MS_MAX;
		}
	}
	if (*s == '.') {
		for (s++; cli__is_digit(*s); s++, any_digit = true, frac_digits++) {
			if (frac_digits < 3)
				frac_ms = frac_ms * 10 + (uint64_t)(*s - '0');
			else if (frac_digits == 3 && *s >= '5')
				frac_ms++;	/* round half up on the 4th digit */
		}
		for (; frac_digits < 3; frac_digits++)
			frac_ms *= 10;
	}
	if (!any_digit || *s != '\0')
		return -EINVAL;
	uint64_t ms = whole * 1000 + frac_ms;
	if (too_big || ms > CLI_DELAY_MS_MAX)
		return -ERANGE;
	*ms_out = (uint32_t)ms;
	return 0;
}

/* -d and -c: a delay in seconds, with messages that say how to write one. */
static int cli__seconds(const struct cli__args *a, const char *flag,
			const char *example, const char *value,
			uint32_t *ms_out)
{
	if (value[0] == '\0')
		return cli__fail(a, "%s: empty value; give a number of seconds "
				 "(example: %s)", flag, example);
	if (value[0] == '-' && cli__parse_seconds(value + 1, ms_out) != -EINVAL)
		return cli__fail(a, "%s: '%s' is negative; give 0 or more "
				 "seconds (example: %s)", flag, value,
				 example);
	int rc = cli__parse_seconds(value, ms_out);
	if (rc == -ERANGE)
		return cli__fail(a, "%s: '%s' is more than a day; give at most "
				 "%d seconds", flag, value,
				 CLI_DELAY_MS_MAX / 1000);
	if (rc < 0)
		return cli__fail(a, "%s: '%s' is not a number of seconds "
				 "(example: %s)", flag, value, example);
	return 0;
}

/* A decimal integer in [min, max]: digits only, no sign or spaces. */
static int cli__uint(const struct cli__args *a, const char *flag,
		     const char *example, const char *value,
		     uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t n = 0;
	const char *s = value[0] == '-' ? value + 1 : value;

	if (value[0] == '\0')
		return cli__fail(a, "%s: empty value; give a whole number "
				 "(example: %s)", flag, example);
	if (*s == '\0' || strspn(s, "0123456789") != strlen(s))
		return cli__fail(a, "%s: '%s' is not a whole number "
				 "(example: %s)", flag, value, example);
	for (; *s != '\0' && n <= max; s++)
		n = n * 10 + (uint64_t)(*s - '0');
	if (value[0] == '-' || n < min || n > max)
		return cli__fail(a, "%s: '%s' is out of range; give %lu to %lu",
				 flag, value, (unsigned long)min,
				 (unsigned long)max);
	*out = (uint32_t)n;
	return 0;
}

int cli_parse_seconds(const char *flag, const char *example,
		      const char *value, uint32_t *ms_out, char *err,
		      size_t err_cap)
{
	const struct cli__args a = { .err = err, .err_cap = err_cap };

	return cli__seconds(&a, flag, example, value, ms_out);
}

int cli_parse_uint(const char *flag, const char *example, const char *value,
		   uint32_t min, uint32_t max, uint32_t *out, char *err,
		   size_t err_cap)
{
	const struct cli__args a = { .err = err, .err_cap = err_cap };

	return cli__uint(&a, flag, example, value, min, max, out);
}

/* --status, --on-change, --ready: a path, which may not be empty. */
static int cli__path(const struct cli__args *a, const char *flag,
		     const struct cli__opt *o, const char *value,
		     const char **out)
{
	if (value[0] == '\0')
		return cli__fail(a, "%s: empty value; give a path (example: %s)",
				 flag, o->example);
	*out = value;
	return 0;
}

static int cli__hostsfile(struct cli *c, const struct cli__args *a,
			  const char *value)
{
	if (c->hostsfile != NULL)
		return cli__fail(a, "-h: given twice ('%s' then '%s'); give "
				 "one hostsfile", c->hostsfile, value);
	if (value[0] == '\0')
		return cli__fail(a, "-h: empty hostsfile name (example: -h "
				 "hostsfile.txt)");
	c->hostsfile = value;
	return 0;
}

/* Store one option's value; flag is the option as written, for messages. */
static int cli__apply(struct cli *c, const struct cli__args *a,
		      const struct cli__opt *o, const char *flag,
		      const char *value)
{
	uint32_t n;
	int rc = 0;

	if (o->key != CLI__READY && o->key != CLI__VERBOSE)
		c->others_given++;
	switch (o->key) {
	case CLI__HOSTSFILE:
		return cli__hostsfile(c, a, value);
	case CLI__DELAY:
		return cli__seconds(a, flag, o->example, value, &c->delay_ms);
	case CLI__CRASH:
		rc = cli__seconds(a, flag, o->example, value, &n);
		if (rc == 0)
			c->crash_ms = n;
		return rc;
	case CLI__TESTCASE4:
		c->testcase4 = true;
		return 0;
	case CLI__VERBOSE:
		c->verbose++;
		return 0;
	case CLI__ID:
		rc = cli__uint(a, flag, o->example, value, 1, HOSTS_MAX, &n);
		if (rc == 0)
			c->id = n;
		return rc;
	case CLI__PORT:
		rc = cli__uint(a, flag, o->example, value, 1, 65535, &n);
		if (rc == 0)
			c->port = (uint16_t)n;
		return rc;
	case CLI__HEARTBEAT:
		return cli__uint(a, flag, o->example, value,
				 CLI_HEARTBEAT_MS_MIN, CLI_HEARTBEAT_MS_MAX,
				 &c->heartbeat_ms);
	case CLI__REJOIN:
		c->rejoin = true;
		return 0;
	case CLI__STATE:
		if (value[0] == '\0')
			return cli__fail(a, "%s: needs a directory (example: "
					 "%s)", flag, o->example);
		c->state_dir = value;
		return 0;
	case CLI__KEYRING:
		return cli__path(a, flag, o, value, &c->keyring);
	case CLI__DROP_UDP:
		return cli__uint(a, flag, o->example, value, 0, 100,
				 &c->drop_udp_percent);
	case CLI__STATUS:
		return cli__path(a, flag, o, value, &c->status_path);
	case CLI__ON_CHANGE:
		return cli__path(a, flag, o, value, &c->on_change);
	case CLI__ON_CHANGE_TIMEOUT:
		rc = cli__seconds(a, flag, o->example, value, &n);
		if (rc == 0 && n == 0)
			return cli__fail(a, "%s: '%s' is no time; give more "
					 "than 0 seconds (example: %s)", flag,
					 value, o->example);
		if (rc == 0)
			c->on_change_timeout_ms = n;
		return rc;
	case CLI__ON_CHANGE_LOG:
		return cli__path(a, flag, o, value, &c->on_change_log);
	case CLI__READY:
		return cli__path(a, flag, o, value, &c->ready_path);
	case CLI__HELP:
		c->help = true;
		return 0;
	case CLI__VERSION:
		c->version = true;
		return 0;
	}
	return rc;
}

/*
 * The value of an option written without an attached one: the next
 * argument. A hostsfile name that looks like an option ("-h -d 2") is far
 * more likely a forgotten name than a file called "-d".
 */
static const char *cli__next_value(struct cli__args *a,
				   const struct cli__opt *o)
{
	if (a->i + 1 >= a->argc)
		return NULL;
	const char *v = a->argv[a->i + 1];
	if (o->key == CLI__HOSTSFILE && v[0] == '-' && v[1] != '\0')
		return NULL;
	a->i++;
	return v;
}

static int cli__missing(const struct cli__args *a, const char *flag,
			const struct cli__opt *o)
{
	return cli__fail(a, "%s: missing value (example: %s)", flag,
			 o->example);
}

static const struct cli__opt *cli__find_long(const char *name, size_t len)
{
	for (size_t k = 0; k < CLI__OPTS_COUNT; k++) {
		const char *n = cli__opts[k].name;
		if (n != NULL && strlen(n) == len && memcmp(n, name, len) == 0)
			return &cli__opts[k];
	}
	return NULL;
}

static const struct cli__opt *cli__find_short(char letter)
{
	for (size_t k = 0; k < CLI__OPTS_COUNT; k++)
		if (cli__opts[k].letter != 0 && cli__opts[k].letter == letter)
			return &cli__opts[k];
	return NULL;
}

/* "--name", "--name value" or "--name=value". */
static int cli__long(struct cli *c, struct cli__args *a)
{
	const char *name = a->argv[a->i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const struct cli__opt *o = cli__find_long(name, len);
	char flag[32];

	if (o == NULL)
		return cli__fail(a, "--%.*s: unknown option (see rollcall "
				 "--help)", (int)len, name);
	snprintf(flag, sizeof(flag), "--%s", o->name);
	if (o->example == NULL) {
		if (eq != NULL)
			return cli__fail(a, "%s: takes no value", flag);
		return cli__apply(c, a, o, flag, NULL);
	}
	const char *value = eq != NULL ? eq + 1 : cli__next_value(a, o);
	if (value == NULL)
		return cli__missing(a, flag, o);
	return cli__apply(c, a, o, flag, value);
}

/* "-id" or "-help" is a long option missing a dash, not a cluster. */
static int cli__single_dash_long(const struct cli__args *a)
{
	const char *arg = a->argv[a->i] + 1;
	size_t len = strcspn(arg, "=");
	const struct cli__opt *o = cli__find_long(arg, len);

	if (o == NULL)
		return 0;
	return cli__fail(a, "-%s: long options take two dashes (--%s)",
			 o->name, o->name);
}

/* "-t", "-vv", "-h file", "-hfile", "-tvh file". */
static int cli__short(struct cli *c, struct cli__args *a)
{
	const char *arg = a->argv[a->i];
	int rc = cli__single_dash_long(a);

	for (size_t j = 1; rc == 0 && arg[j] != '\0'; j++) {
		const struct cli__opt *o = cli__find_short(arg[j]);
		char flag[3] = { '-', arg[j], '\0' };

		if (o == NULL) {
			unsigned char u = (unsigned char)arg[j];
			if (u > 0x20 && u < 0x7f)
				return cli__fail(a, "%s: unknown option (see "
						 "rollcall --help)", flag);
			return cli__fail(a, "'%s': unknown option (see "
					 "rollcall --help)", arg);
		}
		if (o->example == NULL) {
			rc = cli__apply(c, a, o, flag, NULL);
			continue;
		}
		const char *value = arg[j + 1] != '\0' ? arg + j + 1
						       : cli__next_value(a, o);
		if (value == NULL)
			return cli__missing(a, flag, o);
		return cli__apply(c, a, o, flag, value);
	}
	return rc;
}

static int cli__args_parse(struct cli *c, struct cli__args *a)
{
	for (a->i = 1; a->i < a->argc; a->i++) {
		const char *arg = a->argv[a->i];
		int rc;

		if (arg[0] == '-' && arg[1] == '-')
			rc = cli__long(c, a);
		else if (arg[0] == '-' && arg[1] != '\0')
			rc = cli__short(c, a);
		else
			rc = cli__fail(a, "'%s': unexpected argument; rollcall "
				       "takes no positional arguments (a "
				       "hostsfile goes after -h)", arg);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Whether argv asks for --help or --version anywhere, even after an error. */
static bool cli__wants_info(struct cli *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0)
			c->help = true;
		else if (strcmp(argv[i], "--version") == 0)
			c->version = true;
	}
	return c->help || c->version;
}

int cli_parse(struct cli *c, int argc, char **argv, char *err,
	      size_t err_cap)
{
	struct cli__args a = {
		.argc = argc, .argv = argv, .err = err, .err_cap = err_cap,
	};

	memset(c, 0, sizeof(*c));
	c->crash_ms = -1;
	c->port = CLI_PORT_DEFAULT;
	c->heartbeat_ms = CLI_HEARTBEAT_MS_DEFAULT;
	c->on_change_timeout_ms = CLI_ON_CHANGE_TIMEOUT_MS_DEFAULT;
	if (err != NULL && err_cap > 0)
		err[0] = '\0';

	int rc = cli__args_parse(c, &a);
	/* --help and --version must work whatever else is on the line. */
	if (cli__wants_info(c, argc, argv)) {
		if (err != NULL && err_cap > 0)
			err[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return rc;
	/* A probe's command line: the file alone, so a typo cannot make a
	 * probe that starts a peer. */
	if (c->ready_path != NULL && c->others_given > 0)
		return cli__fail(&a, "--ready: checks a status file and takes "
				 "no other option but -v (example: rollcall "
				 "--ready /run/rollcall/status.json)");
	if (c->ready_path != NULL)
		return 0;
	if (c->hostsfile == NULL)
		return cli__fail(&a, "-h: required; name the hostsfile "
				 "(example: rollcall -h hostsfile.txt)");
	return 0;
}

const char *cli_usage(void)
{
	return
"Usage: rollcall -h HOSTSFILE [-d SECONDS] [-c SECONDS] [-t] [-v]...\n"
"                [--id N] [--port P] [--heartbeat-ms T] [--rejoin]\n"
"                [--state DIR] [--keyring FILE] [--status FILE]\n"
"                [--on-change PROGRAM]\n"
"                [--on-change-timeout SECONDS] [--on-change-log FILE]\n"
"       rollcall --ready FILE\n"
"       rollcall --help | --version\n"
"\n"
"Runs one peer of a group-membership service. The peers are the entries\n"
"of the hostsfile, and a peer's id is its entry's rank, from 1.\n"
"\n"
"Options:\n"
"  -h HOSTSFILE      one host name or IP address per line; blank lines and\n"
"                    lines starting with '#' are skipped (required)\n"
"  -d SECONDS        sleep this long before starting (default 0);\n"
"                    decimals allowed, as in -d 0.5\n"
"  -c SECONDS        crash this long after sending JOIN, or for the\n"
"                    starting leader after it starts leading (default: never)\n"
"  -t                testcase 4, for the starting leader only: once all have\n"
"                    joined, send a DEL request to all but the next leader,\n"
"                    then crash\n"
"  --id N            take id N (1 to " CLI__STR(HOSTS_MAX) ") instead of "
"finding this host's\n"
"                    name, or its first label, in the hostsfile\n"
"  --port P          every peer's TCP and UDP port (default "
CLI__STR(CLI_PORT_DEFAULT) ")\n"
"  --heartbeat-ms T  heartbeat period in milliseconds, "
CLI__STR(CLI_HEARTBEAT_MS_MIN) " to " CLI__STR(CLI_HEARTBEAT_MS_MAX) "\n"
"                    (default " CLI__STR(CLI_HEARTBEAT_MS_DEFAULT) ")\n"
"  --rejoin          once removed from the group while alive (paused, or\n"
"                    wrongly given up for dead), join again as a new\n"
"                    member; without it, a removed peer stays quiet\n"
"  --state DIR       keep what this peer promised in DIR/state, so that a\n"
"                    restart never breaks it (default: $ROLLCALL_STATE;\n"
"                    neither: kept in memory only)\n"
"  --keyring FILE    seal every message with the first key of FILE and\n"
"                    open with any of its keys (one a line, base64 of 32\n"
"                    bytes; the file readable by its owner only); SIGHUP\n"
"                    rereads it (default: $ROLLCALL_KEYRING; neither:\n"
"                    plain messages, as peers without a keyring speak)\n"
"  --test-drop-udp P for tests only: drop P percent (0 to 100) of the\n"
"                    heartbeats received, at random\n"
"  --status FILE     keep FILE as one JSON object: this peer's role, view,\n"
"                    leader, members, when each was last heard, counters;\n"
"                    rewritten (atomically) on every change and every\n"
"                    heartbeat period\n"
"  --on-change PROGRAM  run PROGRAM (a path, no shell) for every event:\n"
"                    ROLLCALL_EVENT=view|unreachable|removed|crashing and\n"
"                    the rest in the environment, one JSON line on stdin;\n"
"                    one at a time, never delaying the protocol\n"
"  --on-change-timeout SECONDS  kill a handler running longer (default "
CLI__STR(CLI_ON_CHANGE_TIMEOUT_S_DEFAULT) ")\n"
"  --on-change-log FILE  append handlers' stdout and stderr to FILE\n"
"                    (default: /dev/null; never the output lines)\n"
"  --ready FILE      exit 0 if the status file FILE shows a peer in a view\n"
"                    (member or leader), 1 otherwise; needs no hostsfile\n"
"  -v                diagnostics on stderr; repeat (-vv) for more\n"
"  --help            print this help and exit\n"
"  --version         print the version and exit\n"
"\n"
"Long options also take --name=VALUE, short ones -hVALUE.\n"
"\n"
"Output, on stderr, one line per event:\n"
"  {peer_id:2, view_id: 3, leader: 1, memb_list: [1,2,3,5]}\n"
"  {peer_id:2, view_id: 3, leader: 1, message:\"crashing\"}\n"
"  {peer_id:2, view_id: 3, leader: 1, message:\"peer 5 unreachable\"}\n"
"  {peer_id:2, view_id: 3, leader: 1, message:\"peer 1 (leader) "
"unreachable\"}\n"
"\n"
"Exit status 2 means a wrong command line.\n";
}
