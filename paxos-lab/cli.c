/*
 * The lab's command line (cli.h). By hand, as rollcall's is, so that
 * every message is one line naming the flag and what would fix it.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/bounds.h"
#include "../common/cli.h"

#define LAB__STR_(x) #x
#define LAB__STR(x) LAB__STR_(x)

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int lab__fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && cap > 0) {
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The bytes of one UTF-8 sequence starting with lead, or 0 if invalid. */
static size_t lab__utf8_len(unsigned char lead)
{
	if (lead >= 0xc2 && lead <= 0xdf)
		return 2;
	if (lead >= 0xe0 && lead <= 0xef)
		return 3;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 4;
	return 0;
}

/* One character: a printable ASCII byte, or one UTF-8 sequence. */
static int lab__value(struct lab_cli *c, const char *value, char *err,
		      size_t cap)
{
	size_t len = strlen(value);
	unsigned char lead = (unsigned char)value[0];
	size_t want = lead < 0x80 ? 1 : lab__utf8_len(lead);
	size_t chars = 0;

	if (c->has_value)
		return lab__fail(err, cap, "-v: given twice ('%s' then '%s'); "
				 "give one value", c->value, value);
	if (len == 0)
		return lab__fail(err, cap, "-v: empty value; give one "
				 "character (example: -v X)");
	for (size_t i = 0; i < len; chars++) {
		unsigned char b = (unsigned char)value[i];
		size_t n = b < 0x80 ? 1 : lab__utf8_len(b);
		i += n ? n : 1;
	}
	if (want == 0 || len > want || (lead < 0x80 && chars > 1))
		return lab__fail(err, cap, "-v: '%.16s%s' is %zu characters "
				 "long; a value is one character (example: "
				 "-v X)", value, len > 16 ? "..." : "",
				 chars);
	if (len < want)
		return lab__fail(err, cap, "-v: not a whole UTF-8 character; "
				 "give one character (example: -v X)");
	for (size_t i = 1; i < len; i++)
		if (((unsigned char)value[i] & 0xc0) != 0x80)
			return lab__fail(err, cap, "-v: not a valid UTF-8 "
					 "character (example: -v X)");
	if (lead < 0x20 || lead == 0x7f)
		return lab__fail(err, cap, "-v: a control character; give a "
				 "printable one (example: -v X)");
	memcpy(c->value, value, len);
	c->value[len] = '\0';
	c->value_len = len;
	c->has_value = true;
	return 0;
}

/* One option and its value (NULL for --verbose and --help). */
static int lab__apply(struct lab_cli *c, const char *flag, const char *value,
		      char *err, size_t cap)
{
	uint32_t n;
	int rc;

	if (strcmp(flag, "-h") == 0) {
		if (c->hostsfile != NULL)
			return lab__fail(err, cap, "-h: given twice ('%s' then "
					 "'%s'); give one hostsfile",
					 c->hostsfile, value);
		if (value[0] == '\0')
			return lab__fail(err, cap, "-h: empty hostsfile name "
					 "(example: -h hostsfile.txt)");
		c->hostsfile = value;
		return 0;
	}
	if (strcmp(flag, "-v") == 0)
		return lab__value(c, value, err, cap);
	if (strcmp(flag, "-t") == 0) {
		if (c->has_delay)
			return lab__fail(err, cap, "-t: given twice; give one "
					 "delay");
		c->has_delay = true;
		return cli_parse_seconds(flag, "-t 10 or -t 0.5", value,
					 &c->delay_ms, err, cap);
	}
	if (strcmp(flag, "--id") == 0) {
		rc = cli_parse_uint(flag, "--id 3", value, 1, HOSTS_MAX, &n,
				    err, cap);
		c->id = n;
		return rc;
	}
	if (strcmp(flag, "--port") == 0) {
		rc = cli_parse_uint(flag, "--port " LAB__STR(LAB_PORT_DEFAULT),
				    value, 1, 65535, &n, err, cap);
		c->port = (uint16_t)n;
		return rc;
	}
	if (strcmp(flag, "--state") == 0) {
		if (value[0] == '\0')
			return lab__fail(err, cap, "--state: needs a directory "
					 "(example: --state /var/lib/paxos)");
		c->state_dir = value;
		return 0;
	}
	if (strcmp(flag, "--test-accept-to") == 0) {
		rc = cli_parse_uint(flag, "--test-accept-to 2", value, 1,
				    HOSTS_MAX, &n, err, cap);
		c->test_accept_to = n;
		return rc;
	}
	if (strcmp(flag, "--verbose") == 0) {
		c->verbose++;
		return 0;
	}
	c->help = true;
	return 0;
}

static bool lab__takes_value(const char *flag)
{
	return strcmp(flag, "--verbose") != 0 && strcmp(flag, "--help") != 0;
}

static bool lab__known(const char *flag)
{
	static const char *const flags[] = { "-h", "-v", "-t", "--id",
					     "--port", "--state", "--verbose",
					     "--help", "--test-accept-to" };

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(flag, flags[i]) == 0)
			return true;
	return false;
}

static int lab__args(struct lab_cli *c, int argc, char **argv, char *err,
		     size_t cap)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		char flag[32];
		const char *value = NULL;
		int rc;

		if (arg[0] != '-' || arg[1] == '\0')
			return lab__fail(err, cap, "'%s': unexpected argument; "
					 "the hostsfile goes after -h", arg);
		if (arg[1] == '-') {
			size_t len = strcspn(arg, "=");
			snprintf(flag, sizeof(flag), "%.*s",
				 (int)(len < 31 ? len : 31), arg);
			if (arg[len] == '=')
				value = arg + len + 1;
		} else {
			snprintf(flag, sizeof(flag), "-%c", arg[1]);
			if (arg[2] != '\0')
				value = arg + 2;
		}
		if (!lab__known(flag))
			return lab__fail(err, cap, "%s: unknown option (see "
					 "--help; diagnostics are --verbose, "
					 "since -v is the value)", flag);
		if (!lab__takes_value(flag) && value != NULL)
			return lab__fail(err, cap, "%s: takes no value", flag);
		if (lab__takes_value(flag) && value == NULL) {
			if (i + 1 >= argc || (strcmp(flag, "-h") == 0 &&
					      argv[i + 1][0] == '-' &&
					      argv[i + 1][1] != '\0'))
				return lab__fail(err, cap, "%s: missing value",
						 flag);
			value = argv[++i];
		}
		rc = lab__apply(c, flag, value, err, cap);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int lab_cli_parse(struct lab_cli *c, int argc, char **argv, char *err,
		  size_t err_cap)
{
	memset(c, 0, sizeof(*c));
	c->port = LAB_PORT_DEFAULT;
	if (err != NULL && err_cap > 0)
		err[0] = '\0';
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0) {
			c->help = true;
			return 0;
		}
	int rc = lab__args(c, argc, argv, err, err_cap);
	if (rc < 0)
		return rc;
	if (c->hostsfile == NULL)
		return lab__fail(err, err_cap, "-h: required; name the "
				 "hostsfile (example: -h "
				 "hostsfile-testcase1.txt)");
	return 0;
}

const char *lab_cli_usage(void)
{
	return
"Usage: paxos-peer -h HOSTSFILE [-v VALUE] [-t SECONDS]\n"
"                  [--id N] [--port P] [--state DIR] [--verbose]...\n"
"       paxos-peer --help\n"
"\n"
"Runs one peer of the competing-proposers Paxos lab (the image prj4).\n"
"Its id is its line's rank in the hostsfile, from 1, found by hostname.\n"
"\n"
"  -h HOSTSFILE  one peer a line, host:role[,role...]; roles proposerK,\n"
"                acceptorK (serves proposerK), learnerK (told by\n"
"                proposerK what was chosen); required\n"
"  -v VALUE      a proposer's value, one character (required there)\n"
"  -t SECONDS    a proposer waits this long before proposing (default 0)\n"
"  --id N        take id N instead of finding this host's name\n"
"  --port P      every peer's TCP port (default "
LAB__STR(LAB_PORT_DEFAULT) ")\n"
"  --state DIR   keep the acceptor's promise and vote, and the proposer's\n"
"                last round, in DIR (default: $PAXOS_STATE; neither:\n"
"                in memory only, a restart forgets)\n"
"  --verbose     diagnostics on stderr; repeat for more\n"
"  --test-accept-to N  tests only: a proposer sends accept to its first N\n"
"                acceptors only, then dies (SIGKILL) half a second later\n"
"\n"
"Output, on stdout, one JSON object per line:\n"
"  {\"peer_id\":1, \"action\":\"sent\", \"message_type\":\"prepare\", "
"\"message_value\":\"\", \"proposal_num\":65537}\n"
"peer_id is the message's sender (on a chose line, the peer that chose);\n"
"proposal_num is round * 65536 + proposer id.\n"
"\n"
"Exit status 2 means a wrong command line or hostsfile.\n";
}
