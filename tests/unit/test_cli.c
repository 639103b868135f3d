/*
 * Unit tests for the command line: defaults, every flag in each of its
 * forms, the seconds and integer ranges at and past their bounds, and every
 * error, each of which must be one line naming the flag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/cli.h"
#include "../../common/bounds.h"

static char err[512];

/* argv as main gets it: the program name first, NULL last. */
#define ARGV(...) ((char *[]){ "rollcall", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof(ARGV(__VA_ARGS__)) / sizeof(char *)) - 1)
#define PARSE(c, ...) \
	cli_parse((c), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), err, sizeof(err))

/* A failed parse returns < 0 and one line that starts with the flag. */
static void assert_error(int rc, const char *prefix, const char *needle)
{
	assert_true(rc < 0);
	assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
	assert_non_null(strstr(err, needle));
	assert_null(strchr(err, '\n'));
}

static void test_defaults(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "-h", "hosts.txt"), 0);
	assert_string_equal(c.hostsfile, "hosts.txt");
	assert_int_equal(c.delay_ms, 0);
	assert_int_equal(c.crash_ms, -1);
	assert_false(c.testcase4);
	assert_int_equal(c.id, 0);
	assert_int_equal(c.port, CLI_PORT_DEFAULT);
	assert_int_equal(c.port, 7610);
	assert_int_equal(c.heartbeat_ms, CLI_HEARTBEAT_MS_DEFAULT);
	assert_int_equal(c.verbose, 0);
	assert_false(c.help);
	assert_false(c.version);
	assert_null(c.status_path);
	assert_null(c.on_change);
	assert_null(c.ready_path);
	assert_int_equal(c.on_change_timeout_ms, 30000);
	assert_string_equal(err, "");
}

static void test_every_option(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "-h", "f", "-d", "2", "-c", "0.5", "-t",
			       "-v", "-vv", "--id", "3", "--port", "8000",
			       "--heartbeat-ms", "250"), 0);
	assert_string_equal(c.hostsfile, "f");
	assert_int_equal(c.delay_ms, 2000);
	assert_int_equal(c.crash_ms, 500);
	assert_true(c.testcase4);
	assert_int_equal(c.verbose, 3);
	assert_int_equal(c.id, 3);
	assert_int_equal(c.port, 8000);
	assert_int_equal(c.heartbeat_ms, 250);
	assert_false(c.help);
	assert_false(c.version);
}

static void test_attached_and_equals_forms(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "-hhosts.txt", "-d1.5", "-c0",
			       "--id=5", "--port=9000",
			       "--heartbeat-ms=10"), 0);
	assert_string_equal(c.hostsfile, "hosts.txt");
	assert_int_equal(c.delay_ms, 1500);
	assert_int_equal(c.crash_ms, 0);
	assert_int_equal(c.id, 5);
	assert_int_equal(c.port, 9000);
	assert_int_equal(c.heartbeat_ms, 10);
	/* Flags cluster, and a value option may end the cluster. */
	assert_int_equal(PARSE(&c, "-tvvh", "f"), 0);
	assert_true(c.testcase4);
	assert_int_equal(c.verbose, 2);
	assert_string_equal(c.hostsfile, "f");
	assert_int_equal(PARSE(&c, "-vhf"), 0);
	assert_int_equal(c.verbose, 1);
	assert_string_equal(c.hostsfile, "f");
	/* An attached -h value may start with '-'. */
	assert_int_equal(PARSE(&c, "-h-odd"), 0);
	assert_string_equal(c.hostsfile, "-odd");
}

/* -d VALUE as milliseconds, or -1 when it is refused. */
static int64_t delay_ms(char *value)
{
	struct cli c;

	if (cli_parse(&c, 5, ARGV("-h", "f", "-d", value), err,
		      sizeof(err)) < 0)
		return -1;
	return c.delay_ms;
}

static void test_seconds_values(void **state)
{
	(void)state;
	assert_int_equal(delay_ms("0"), 0);
	assert_int_equal(delay_ms("2"), 2000);
	assert_int_equal(delay_ms("007"), 7000);
	assert_int_equal(delay_ms("0.5"), 500);
	assert_int_equal(delay_ms(".25"), 250);
	assert_int_equal(delay_ms("2."), 2000);
	assert_int_equal(delay_ms("0.001"), 1);
	/* Rounded to the nearest millisecond, halves up. */
	assert_int_equal(delay_ms("1.0004"), 1000);
	assert_int_equal(delay_ms("1.0005"), 1001);
	assert_int_equal(delay_ms("1.00049999"), 1000);
	assert_int_equal(delay_ms("0.0015"), 2);
	assert_int_equal(delay_ms("0.9996"), 1000);
	/* The cap: a day, after rounding. */
	assert_int_equal(delay_ms("86400"), CLI_DELAY_MS_MAX);
	assert_int_equal(delay_ms("86400.0004"), CLI_DELAY_MS_MAX);
	assert_int_equal(delay_ms("86400.0005"), -1);
	assert_int_equal(delay_ms("86401"), -1);
}

static void test_seconds_errors(void **state)
{
	static char *not_numbers[] = {
		"abc", "nan", "NaN", "inf", "-inf", "1e3", " 1", "1 ", "2s",
		"0x10", "1.2.3", ".", "+1", "1,5", "--",
	};
	struct cli c;

	(void)state;
	assert_error(PARSE(&c, "-h", "f", "-d", "abc"), "-d: ", "'abc'");
	assert_string_equal(err, "-d: 'abc' is not a number of seconds "
			    "(example: -d 2 or -d 0.5)");
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(*not_numbers);
	     i++) {
		assert_int_equal(delay_ms(not_numbers[i]), -1);
		assert_error(-1, "-d: ", "is not a number of seconds");
	}
	assert_error(PARSE(&c, "-h", "f", "-d", "-1"), "-d: ", "negative");
	assert_error(PARSE(&c, "-h", "f", "-d", "-0.5"), "-d: ", "negative");
	assert_error(PARSE(&c, "-h", "f", "-d", ""), "-d: ", "empty");
	assert_error(PARSE(&c, "-h", "f", "-d", "86401"), "-d: ",
		     "at most 86400 seconds");
	assert_error(PARSE(&c, "-h", "f", "-d",
			   "99999999999999999999999999"), "-d: ",
		     "more than a day");
	assert_error(PARSE(&c, "-h", "f", "-d"), "-d: ", "missing value");
	assert_error(PARSE(&c, "-h", "f", "-c", "x"), "-c: ",
		     "(example: -c 2 or -c 0.5)");
	assert_error(PARSE(&c, "-h", "f", "-c", "-3"), "-c: ", "negative");
	assert_error(PARSE(&c, "-h", "f", "-c", "inf"), "-c: ",
		     "not a number");
	assert_error(PARSE(&c, "-h", "f", "-c", "90000"), "-c: ",
		     "more than a day");
	assert_error(PARSE(&c, "-h", "f", "-c"), "-c: ", "missing value");
	assert_error(PARSE(&c, "-h", "f", "-c", ""), "-c: ", "empty");
}

static void test_id(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "-h", "f", "--id", "1"), 0);
	assert_int_equal(c.id, 1);
	assert_int_equal(PARSE(&c, "-h", "f", "--id", "1024"), 0);
	assert_int_equal(c.id, HOSTS_MAX);
	assert_int_equal(PARSE(&c, "-h", "f", "--id=0042"), 0);
	assert_int_equal(c.id, 42);
	assert_error(PARSE(&c, "-h", "f", "--id", "0"), "--id: ",
		     "out of range; give 1 to 1024");
	assert_error(PARSE(&c, "-h", "f", "--id", "1025"), "--id: ",
		     "out of range");
	assert_error(PARSE(&c, "-h", "f", "--id", "-1"), "--id: ",
		     "out of range");
	assert_error(PARSE(&c, "-h", "f", "--id",
			   "99999999999999999999999"), "--id: ",
		     "out of range");
	assert_error(PARSE(&c, "-h", "f", "--id", "x"), "--id: ",
		     "'x' is not a whole number (example: --id 3)");
	assert_error(PARSE(&c, "-h", "f", "--id", "3x"), "--id: ",
		     "not a whole number");
	assert_error(PARSE(&c, "-h", "f", "--id", "+3"), "--id: ",
		     "not a whole number");
	assert_error(PARSE(&c, "-h", "f", "--id", " 3"), "--id: ",
		     "not a whole number");
	assert_error(PARSE(&c, "-h", "f", "--id", "-"), "--id: ",
		     "not a whole number");
	assert_error(PARSE(&c, "-h", "f", "--id="), "--id: ", "empty");
	assert_error(PARSE(&c, "-h", "f", "--id"), "--id: ", "missing value");
}

static void test_port(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "-h", "f", "--port", "1"), 0);
	assert_int_equal(c.port, 1);
	assert_int_equal(PARSE(&c, "-h", "f", "--port=65535"), 0);
	assert_int_equal(c.port, 65535);
	assert_error(PARSE(&c, "-h", "f", "--port", "0"), "--port: ",
		     "give 1 to 65535");
	assert_error(PARSE(&c, "-h", "f", "--port", "65536"), "--port: ",
		     "out of range");
	assert_error(PARSE(&c, "-h", "f", "--port", "http"), "--port: ",
		     "(example: --port 7610)");
	assert_error(PARSE(&c, "-h", "f", "--port"), "--port: ",
		     "missing value");
}

static void test_heartbeat(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "-h", "f", "--heartbeat-ms", "10"), 0);
	assert_int_equal(c.heartbeat_ms, CLI_HEARTBEAT_MS_MIN);
	assert_int_equal(PARSE(&c, "-h", "f", "--heartbeat-ms=60000"), 0);
	assert_int_equal(c.heartbeat_ms, CLI_HEARTBEAT_MS_MAX);
	assert_error(PARSE(&c, "-h", "f", "--heartbeat-ms", "9"),
		     "--heartbeat-ms: ", "give 10 to 60000");
	assert_error(PARSE(&c, "-h", "f", "--heartbeat-ms", "60001"),
		     "--heartbeat-ms: ", "out of range");
	assert_error(PARSE(&c, "-h", "f", "--heartbeat-ms", "0.5"),
		     "--heartbeat-ms: ", "not a whole number");
	assert_error(PARSE(&c, "-h", "f", "--heartbeat-ms"),
		     "--heartbeat-ms: ", "missing value");
}

static void test_hostsfile_errors(void **state)
{
	struct cli c;

	(void)state;
	assert_error(cli_parse(&c, 1, ARGV(NULL), err, sizeof(err)), "-h: ",
		     "required");
	assert_string_equal(err, "-h: required; name the hostsfile "
			    "(example: rollcall -h hostsfile.txt)");
	assert_error(PARSE(&c, "-v", "-d", "1"), "-h: ", "required");
	assert_error(PARSE(&c, "-h"), "-h: ", "missing value");
	assert_error(PARSE(&c, "-h", "-v"), "-h: ", "missing value");
	assert_error(PARSE(&c, "-h", ""), "-h: ", "empty hostsfile name");
	assert_error(PARSE(&c, "-h", "a", "-h", "b"), "-h: ",
		     "given twice ('a' then 'b')");
	assert_error(PARSE(&c, "-ha", "-hb"), "-h: ", "given twice");
}

static void test_unknown_and_stray(void **state)
{
	struct cli c;

	(void)state;
	assert_error(PARSE(&c, "-h", "f", "-x"), "-x: ", "unknown option");
	assert_string_equal(err, "-x: unknown option (see rollcall --help)");
	assert_error(PARSE(&c, "-h", "f", "-tx"), "-x: ", "unknown option");
	assert_error(PARSE(&c, "-h", "f", "-\xc3\xa9"), "'-\xc3\xa9': ",
		     "unknown option");
	assert_error(PARSE(&c, "-h", "f", "--bogus"), "--bogus: ",
		     "unknown option");
	assert_error(PARSE(&c, "-h", "f", "--bogus=3"), "--bogus: ",
		     "unknown option");
	assert_error(PARSE(&c, "-h", "f", "--hel"), "--hel: ",
		     "unknown option");
	assert_error(PARSE(&c, "-h", "f", "--"), "--: ", "unknown option");
	assert_error(PARSE(&c, "-h", "f", "extra"), "'extra': ",
		     "unexpected argument");
	assert_error(PARSE(&c, "hosts.txt"), "'hosts.txt': ",
		     "a hostsfile goes after -h");
	assert_error(PARSE(&c, "-h", "f", "-"), "'-': ",
		     "unexpected argument");
	assert_error(PARSE(&c, "-h", "f", "-d", "1", "2"), "'2': ",
		     "unexpected argument");
	assert_error(PARSE(&c, "-h", "f", "--version=2"), "--version: ",
		     "takes no value");
	assert_error(PARSE(&c, "-h", "f", "-help"), "-help: ",
		     "long options take two dashes (--help)");
	assert_error(PARSE(&c, "-h", "f", "-id", "3"), "-id: ", "(--id)");
	assert_error(PARSE(&c, "-h", "f", "-port=1"), "-port: ", "(--port)");
}

static void test_hooks_options(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "-h", "f", "--status", "/run/s.json",
			       "--on-change=/bin/true",
			       "--on-change-timeout", "0.25",
			       "--on-change-log", "/tmp/h.log"), 0);
	assert_string_equal(c.on_change_log, "/tmp/h.log");
	assert_string_equal(c.status_path, "/run/s.json");
	assert_string_equal(c.on_change, "/bin/true");
	assert_int_equal(c.on_change_timeout_ms, 250);
	assert_null(c.ready_path);
	assert_error(PARSE(&c, "-h", "f", "--status", ""), "--status:",
		     "empty value");
	assert_error(PARSE(&c, "-h", "f", "--status"), "--status:",
		     "missing value");
	assert_error(PARSE(&c, "-h", "f", "--on-change="), "--on-change:",
		     "empty value");
	assert_error(PARSE(&c, "-h", "f", "--on-change-log", ""),
		     "--on-change-log:", "empty value");
	assert_error(PARSE(&c, "-h", "f", "--on-change-timeout", "0"),
		     "--on-change-timeout:", "more than 0");
	assert_error(PARSE(&c, "-h", "f", "--on-change-timeout", "-1"),
		     "--on-change-timeout:", "negative");
	assert_error(PARSE(&c, "-h", "f", "--on-change-timeout", "x"),
		     "--on-change-timeout:", "not a number");
}

/* --ready is a mode of its own: no -h needed, nothing else but -v. */
static void test_ready_mode(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "--ready", "/run/s.json"), 0);
	assert_string_equal(c.ready_path, "/run/s.json");
	assert_null(c.hostsfile);
	assert_int_equal(PARSE(&c, "-v", "--ready=/run/s.json"), 0);
	assert_int_equal(c.verbose, 1);
	assert_error(PARSE(&c, "--ready", "s", "-h", "f"), "--ready:",
		     "no other option");
	assert_error(PARSE(&c, "--ready", "s", "--status", "t"), "--ready:",
		     "no other option");
	assert_error(PARSE(&c, "--ready", ""), "--ready:", "empty value");
	assert_error(PARSE(&c, "--ready"), "--ready:", "missing value");
	/* Without it, -h is still required. */
	assert_error(PARSE(&c, "--status", "s"), "-h:", "required");
}

static void test_help_and_version(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(PARSE(&c, "--help"), 0);
	assert_true(c.help);
	assert_false(c.version);
	assert_null(c.hostsfile);
	assert_int_equal(PARSE(&c, "--version"), 0);
	assert_true(c.version);
	assert_false(c.help);
	/* They work whatever else is on the line. */
	assert_int_equal(PARSE(&c, "--bogus", "--help"), 0);
	assert_true(c.help);
	assert_string_equal(err, "");
	assert_int_equal(PARSE(&c, "-h", "--help"), 0);
	assert_true(c.help);
	assert_int_equal(PARSE(&c, "-d", "x", "--version"), 0);
	assert_true(c.version);
	assert_int_equal(PARSE(&c, "-h", "f", "--help", "--version"), 0);
	assert_true(c.help);
	assert_true(c.version);
	assert_error(PARSE(&c, "--help=1"), "--help: ", "takes no value");
}

static void test_small_err_buffer(void **state)
{
	struct cli c;
	char small[6];

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_true(cli_parse(&c, 2, ARGV("-x"), small, sizeof(small)) < 0);
	assert_string_equal(small, "-x: u");
	assert_true(cli_parse(&c, 2, ARGV("-x"), NULL, 0) < 0);
}

static void test_usage(void **state)
{
	static const char *const wanted[] = {
		"rollcall -h HOSTSFILE", "-d SECONDS", "-c SECONDS", "  -t ",
		"--id N", "1 to 1024", "--port P", "(default 7610)",
		"--heartbeat-ms T", "10 to 60000", "(default 1000)", "  -v ",
		"--help", "--version", "--name=VALUE", "memb_list: [1,2,3,5]",
		"message:\"crashing\"", "unreachable", "'#'",
	};
	const char *u = cli_usage();

	(void)state;
	assert_non_null(u);
	assert_true(strlen(u) > 0);
	assert_int_equal(u[strlen(u) - 1], '\n');
	for (size_t i = 0; i < sizeof(wanted) / sizeof(*wanted); i++)
		if (strstr(u, wanted[i]) == NULL)
			fail_msg("usage lacks \"%s\"", wanted[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_attached_and_equals_forms),
		cmocka_unit_test(test_seconds_values),
		cmocka_unit_test(test_seconds_errors),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_hostsfile_errors),
		cmocka_unit_test(test_unknown_and_stray),
		cmocka_unit_test(test_hooks_options),
		cmocka_unit_test(test_ready_mode),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
