/*
 * Unit tests for the hostsfile parser: every accepted form, every error
 * with the file and line it must name, the bounds at and one past their
 * limit, name lookup, and loading from a real file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/hosts.h"

#define PATH "hosts.txt"

static char err[512];

/* Parse a string literal (or any buffer of known length). */
static int parse_n(struct hosts *h, const char *text, size_t len)
{
	memset(err, 0, sizeof(err));
	return hosts_parse(h, text, len, PATH, err, sizeof(err));
}

static int parse(struct hosts *h, const char *text)
{
	return parse_n(h, text, strlen(text));
}

/* A failed parse returns < 0, leaves h empty, and gives one line. */
static void assert_failed(int rc, const struct hosts *h, const char *prefix,
			  const char *needle)
{
	assert_true(rc < 0);
	assert_int_equal(h->count, 0);
	assert_null(h->text);
	assert_null(h->names[1]);
	assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
	assert_non_null(strstr(err, needle));
	assert_null(strchr(err, '\n'));
}

static void test_basic(void **state)
{
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, "one\ntwo\nthree\n"), 0);
	assert_int_equal(h.count, 3);
	assert_string_equal(h.names[1], "one");
	assert_string_equal(h.names[2], "two");
	assert_string_equal(h.names[3], "three");
	assert_null(h.names[0]);
	assert_null(h.names[4]);
	/* One allocation: every name lies inside h.text, in order. */
	assert_ptr_equal(h.names[1], h.text);
	assert_ptr_equal(h.names[2], h.text + 4);
	assert_ptr_equal(h.names[3], h.text + 8);
	hosts_destroy(&h);
	assert_int_equal(h.count, 0);
	assert_null(h.text);
}

static void test_no_trailing_newline(void **state)
{
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, "one\ntwo"), 0);
	assert_int_equal(h.count, 2);
	assert_string_equal(h.names[2], "two");
	hosts_destroy(&h);
	assert_int_equal(parse(&h, "solo"), 0);
	assert_int_equal(h.count, 1);
	assert_string_equal(h.names[1], "solo");
	hosts_destroy(&h);
}

static void test_comments_blanks_whitespace(void **state)
{
	static const char nul_comment[] = "# a/b c\0d\none\n";
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, "# peers\n\n  one  \n\t# two is gone\n"
				   "\ttwo\t\n   \n#three\n \t \nfour\n"), 0);
	assert_int_equal(h.count, 3);
	assert_string_equal(h.names[1], "one");
	assert_string_equal(h.names[2], "two");
	assert_string_equal(h.names[3], "four");
	hosts_destroy(&h);
	/* A comment may hold bytes that an entry may not. */
	assert_int_equal(parse_n(&h, nul_comment, sizeof(nul_comment) - 1),
			 0);
	assert_int_equal(h.count, 1);
	assert_string_equal(h.names[1], "one");
	hosts_destroy(&h);
}

static void test_crlf(void **state)
{
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, "# c\r\none\r\n\r\ntwo\r\nthree"), 0);
	assert_int_equal(h.count, 3);
	assert_string_equal(h.names[1], "one");
	assert_string_equal(h.names[2], "two");
	assert_string_equal(h.names[3], "three");
	hosts_destroy(&h);
}

static void test_name_charset(void **state)
{
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, "10.0.0.1\n::1\nfe80::1\nHost_a-B.c\n"),
			 0);
	assert_int_equal(h.count, 4);
	assert_string_equal(h.names[1], "10.0.0.1");
	assert_string_equal(h.names[2], "::1");
	assert_string_equal(h.names[3], "fe80::1");
	assert_string_equal(h.names[4], "Host_a-B.c");
	hosts_destroy(&h);
}

static void test_whitespace_inside(void **state)
{
	struct hosts h;

	(void)state;
	assert_failed(parse(&h, "one\ntwo three\n"), &h, PATH ":2: ",
		      "whitespace");
	assert_failed(parse(&h, "one\ntwo\tthree\n"), &h, PATH ":2: ",
		      "column 4");
	/* A trailing comment is not allowed either. */
	assert_failed(parse(&h, "one # first\n"), &h, PATH ":1: ",
		      "one host name per line");
	/* A lone \r inside a line is not a line break. */
	assert_failed(parse(&h, "one\rtwo\n"), &h, PATH ":1: ", "whitespace");
}

static void test_bad_bytes(void **state)
{
	struct hosts h;

	(void)state;
	assert_failed(parse(&h, "one\nbad/name\n"), &h, PATH ":2: ", "'/'");
	assert_failed(parse(&h, "one\n\ntwo#x\n"), &h, PATH ":3: ", "'#'");
	assert_failed(parse_n(&h, "one\ntw\0o\n", 9), &h, PATH ":2: ",
		      "byte 0x00 (column 3)");
	assert_failed(parse(&h, "caf\xc3\xa9\n"), &h, PATH ":1: ",
		      "byte 0xc3");
	assert_failed(parse(&h, "a\vb\n"), &h, PATH ":1: ", "byte 0x0b");
	/* The message says what an entry may hold. */
	assert_failed(parse(&h, "a,b\n"), &h, PATH ":1: ",
		      "letters, digits");
}

static void test_name_length(void **state)
{
	char text[HOST_NAME_BYTES_MAX + 16];
	struct hosts h;

	(void)state;
	strcpy(text, "one\n");
	memset(text + 4, 'a', HOST_NAME_BYTES_MAX);
	strcpy(text + 4 + HOST_NAME_BYTES_MAX, "\n");
	assert_int_equal(parse(&h, text), 0);
	assert_int_equal(h.count, 2);
	assert_int_equal(strlen(h.names[2]), HOST_NAME_BYTES_MAX);
	hosts_destroy(&h);

	memset(text + 4, 'a', HOST_NAME_BYTES_MAX + 1);
	strcpy(text + 4 + HOST_NAME_BYTES_MAX + 1, "\n");
	assert_failed(parse(&h, text), &h, PATH ":2: ", "254 bytes");
	assert_non_null(strstr(err, "at most 253"));
}

static void test_duplicates(void **state)
{
	struct hosts h;

	(void)state;
	assert_failed(parse(&h, "one\ntwo\n# gap\ntwo\n"), &h, PATH ":4: ",
		      "two");
	assert_string_equal(err, PATH ":4: duplicate entry 'two' "
			    "(first on line 2)");
	assert_failed(parse(&h, "\none\nTwo\nthree\ntWO\n"), &h, PATH ":5: ",
		      "duplicate entry");
	assert_string_equal(err, PATH ":5: duplicate entry 'tWO' "
			    "(first on line 3)");
	assert_failed(parse(&h, "10.0.0.1\r\n10.0.0.1\r\n"), &h, PATH ":2: ",
		      "(first on line 1)");
	/* The first line that repeats one is named, whatever its name's
	 * place in order; a name thrice, by its second line. */
	assert_failed(parse(&h, "z\ny\nz\ny\n"), &h, PATH ":3: ",
		      "duplicate entry 'z' (first on line 1)");
	assert_failed(parse(&h, "b\na\nc\na\na\nb\n"), &h, PATH ":4: ",
		      "duplicate entry 'a' (first on line 2)");
	/* Different names sharing a first label are not duplicates. */
	assert_int_equal(parse(&h, "one\none.lan\none.example\n"), 0);
	assert_int_equal(h.count, 3);
	hosts_destroy(&h);
}

/* "h1\nh2\n...hN\n" in a buffer the caller frees. */
static char *numbered_hosts(unsigned n, size_t *len)
{
	char *text = malloc((size_t)n * 8 + 1);
	size_t at = 0;

	assert_non_null(text);
	for (unsigned i = 1; i <= n; i++)
		at += (size_t)sprintf(text + at, "h%u\n", i);
	*len = at;
	return text;
}

static void test_max_entries(void **state)
{
	struct hosts h;
	size_t len;
	char *text;

	(void)state;
	text = numbered_hosts(HOSTS_MAX, &len);
	assert_int_equal(parse_n(&h, text, len), 0);
	assert_int_equal(h.count, HOSTS_MAX);
	assert_string_equal(h.names[1], "h1");
	assert_string_equal(h.names[HOSTS_MAX], "h1024");
	hosts_destroy(&h);
	free(text);

	text = numbered_hosts(HOSTS_MAX + 1, &len);
	assert_failed(parse_n(&h, text, len), &h, PATH ":1025: ",
		      "more than 1024 entries");
	free(text);
}

static void test_empty(void **state)
{
	struct hosts h;

	(void)state;
	assert_failed(parse(&h, ""), &h, PATH ": ", "no entries");
	assert_string_equal(err, PATH ": no entries; list one host name "
			    "per line");
	assert_failed(parse(&h, "\n\n# only comments\r\n  \t\n"), &h,
		      PATH ": ", "no entries");
}

static void test_error_truncated(void **state)
{
	struct hosts h;
	char small[8];

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_true(hosts_parse(&h, "a b\n", 4, PATH, small,
				sizeof(small)) < 0);
	assert_string_equal(small, "hosts.t");
	assert_true(hosts_parse(&h, "", 0, PATH, NULL, 0) < 0);
	assert_int_equal(h.count, 0);
}

static void test_destroy_twice_and_zeroed(void **state)
{
	struct hosts h;

	(void)state;
	memset(&h, 0, sizeof(h));
	hosts_destroy(&h);
	assert_int_equal(parse(&h, "one\n"), 0);
	hosts_destroy(&h);
	hosts_destroy(&h);
	assert_int_equal(h.count, 0);
	assert_null(h.text);
}

static void test_find(void **state)
{
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, "one\ntwo.example\n10.0.0.1\nfe80::1\n"
				   "Three.LAN\n10\n"), 0);
	assert_int_equal(hosts_find(&h, "one"), 1);
	assert_int_equal(hosts_find(&h, "ONE"), 1);
	assert_int_equal(hosts_find(&h, "one.lan"), 1);
	assert_int_equal(hosts_find(&h, "One.Lan."), 1);
	assert_int_equal(hosts_find(&h, "two.example"), 2);
	assert_int_equal(hosts_find(&h, "TWO.EXAMPLE"), 2);
	assert_int_equal(hosts_find(&h, "two"), 2);
	assert_int_equal(hosts_find(&h, "two.other"), 0);
	assert_int_equal(hosts_find(&h, "three"), 5);
	assert_int_equal(hosts_find(&h, "three.lan"), 5);
	assert_int_equal(hosts_find(&h, "four"), 0);
	assert_int_equal(hosts_find(&h, "on"), 0);
	assert_int_equal(hosts_find(&h, "onee"), 0);
	assert_int_equal(hosts_find(&h, ""), 0);
	assert_int_equal(hosts_find(&h, NULL), 0);
	hosts_destroy(&h);
}

static void test_find_ip_literals(void **state)
{
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, "10.0.0.1\nfe80::1\n10\n"), 0);
	assert_int_equal(hosts_find(&h, "10.0.0.1"), 1);
	assert_int_equal(hosts_find(&h, "fe80::1"), 2);
	assert_int_equal(hosts_find(&h, "FE80::1"), 2);
	assert_int_equal(hosts_find(&h, "10"), 3);
	/* No first-label matching on either side when one is an IP. */
	assert_int_equal(hosts_find(&h, "10.0.0.2"), 0);
	assert_int_equal(hosts_find(&h, "10.lan"), 0);
	assert_int_equal(hosts_find(&h, "fe80"), 0);
	assert_int_equal(hosts_find(&h, "fe80.lan"), 0);
	hosts_destroy(&h);

	assert_int_equal(parse(&h, "192\nfe80\n"), 0);
	assert_int_equal(hosts_find(&h, "192.168.0.1"), 0);
	assert_int_equal(hosts_find(&h, "fe80::1"), 0);
	hosts_destroy(&h);
}

/*
 * deploy/k8s: a StatefulSet pod's hostname is its name, rollcall-N, and its
 * line is its stable DNS name under the headless Service. The first label
 * must find it, and rollcall-1 must not take rollcall-10's line.
 */
static void test_find_statefulset_names(void **state)
{
	static const char text[] =
		"rollcall-0.rollcall.default.svc.cluster.local\n"
		"rollcall-1.rollcall.default.svc.cluster.local\n"
		"rollcall-2.rollcall.default.svc.cluster.local\n"
		"rollcall-3.rollcall.default.svc.cluster.local\n"
		"rollcall-4.rollcall.default.svc.cluster.local\n"
		"rollcall-10.rollcall.default.svc.cluster.local\n";
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, text), 0);
	assert_int_equal(hosts_find(&h, "rollcall-0"), 1);
	assert_int_equal(hosts_find(&h, "rollcall-1"), 2);
	assert_int_equal(hosts_find(&h, "rollcall-4"), 5);
	assert_int_equal(hosts_find(&h, "rollcall-10"), 6);
	assert_int_equal(hosts_find(&h, "ROLLCALL-2"), 3);
	/* setHostnameAsFQDN: the hostname is the whole line. */
	assert_int_equal(hosts_find(&h,
		"rollcall-3.rollcall.default.svc.cluster.local"), 4);
	/* A pod of another namespace or set is not one of these. */
	assert_int_equal(hosts_find(&h,
		"rollcall-3.rollcall.other.svc.cluster.local"), 0);
	assert_int_equal(hosts_find(&h, "rollcall-5"), 0);
	assert_int_equal(hosts_find(&h, "rollcall"), 0);
	hosts_destroy(&h);
}

static void test_find_precedence_and_ambiguity(void **state)
{
	struct hosts h;

	(void)state;
	/* An exact match wins over an earlier label match. */
	assert_int_equal(parse(&h, "one.lan\none\n"), 0);
	assert_int_equal(hosts_find(&h, "one"), 2);
	assert_int_equal(hosts_find(&h, "one.lan"), 1);
	assert_int_equal(hosts_find(&h, "one.other"), 2);
	hosts_destroy(&h);
	/* Two label matches: guessing could give two peers one id. */
	assert_int_equal(parse(&h, "one.a\none.b\n"), 0);
	assert_int_equal(hosts_find(&h, "one"), 0);
	assert_int_equal(hosts_find(&h, "one.b"), 2);
	hosts_destroy(&h);
}

/* A temporary file holding len bytes of text; the caller unlinks it. */
static void temp_file(char *path, const char *text, size_t len)
{
	strcpy(path, "/tmp/rollcall-hosts-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void test_load_missing(void **state)
{
	const char *path = "/nonexistent-rollcall/hosts.txt";
	struct hosts h;

	(void)state;
	assert_int_equal(hosts_load(&h, path, err, sizeof(err)), -ENOENT);
	assert_int_equal(h.count, 0);
	assert_null(h.text);
	assert_string_equal(err, "/nonexistent-rollcall/hosts.txt: cannot "
			    "open: No such file or directory");
}

static void test_load_file(void **state)
{
	static const char text[] = "# peers\r\nalpha\r\n\r\nbeta\r\ngamma";
	char path[64];
	struct hosts h;

	(void)state;
	temp_file(path, text, sizeof(text) - 1);
	assert_int_equal(hosts_load(&h, path, err, sizeof(err)), 0);
	assert_int_equal(h.count, 3);
	assert_string_equal(h.names[1], "alpha");
	assert_string_equal(h.names[2], "beta");
	assert_string_equal(h.names[3], "gamma");
	hosts_destroy(&h);
	assert_int_equal(unlink(path), 0);
}

static void test_load_parse_error_names_file(void **state)
{
	char path[64], want[128];
	struct hosts h;

	(void)state;
	temp_file(path, "a\nb\nA\n", 6);
	assert_true(hosts_load(&h, path, err, sizeof(err)) < 0);
	assert_int_equal(h.count, 0);
	assert_null(h.text);
	snprintf(want, sizeof(want), "%s:3: duplicate entry 'A' (first on "
		 "line 1)", path);
	assert_string_equal(err, want);
	assert_int_equal(unlink(path), 0);
}

/* Exactly HOSTS_FILE_BYTES_MAX bytes load; one more byte does not. */
static void test_load_size_limit(void **state)
{
	char *text = malloc(HOSTS_FILE_BYTES_MAX + 1);
	char path[64], want[128];
	struct hosts h;

	(void)state;
	assert_non_null(text);
	memset(text, 'x', HOSTS_FILE_BYTES_MAX + 1);
	text[0] = '#';
	memcpy(text + HOSTS_FILE_BYTES_MAX - 5, "\none\n", 5);
	temp_file(path, text, HOSTS_FILE_BYTES_MAX);
	assert_int_equal(hosts_load(&h, path, err, sizeof(err)), 0);
	assert_int_equal(h.count, 1);
	assert_string_equal(h.names[1], "one");
	hosts_destroy(&h);
	assert_int_equal(unlink(path), 0);

	memcpy(text + HOSTS_FILE_BYTES_MAX - 4, "\none\n", 5);
	temp_file(path, text, HOSTS_FILE_BYTES_MAX + 1);
	assert_int_equal(hosts_load(&h, path, err, sizeof(err)), -EFBIG);
	assert_int_equal(h.count, 0);
	assert_null(h.text);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_int_equal(unlink(path), 0);
	free(text);
}

static void test_load_directory(void **state)
{
	struct hosts h;

	(void)state;
	assert_true(hosts_load(&h, "/tmp", err, sizeof(err)) < 0);
	assert_int_equal(h.count, 0);
	assert_null(h.text);
	assert_string_equal(err, "/tmp: cannot read: Is a directory");
}

/* ---- the roles form (the Paxos lab's hostsfile) ---- */

static int parse_roles(struct hosts *h, const char *text)
{
	memset(err, 0, sizeof(err));
	return hosts_parse_form(h, text, strlen(text), HOSTS_ROLES, PATH, err,
				sizeof(err));
}

static void assert_role(const struct hosts *h, unsigned id, unsigned i,
			enum hosts_role_kind kind, unsigned k)
{
	unsigned r = h->roles_first[id] + i;

	assert_true(r < h->roles_first[id + 1]);
	assert_int_equal(h->roles[r].kind, kind);
	assert_int_equal(h->roles[r].k, k);
	assert_true(hosts_has_role(h, id, kind, k));
}

/* The instructor's testcase 2 file, byte for byte, and the handout's. */
static void test_roles_lab_files(void **state)
{
	struct hosts h;

	(void)state;
	assert_int_equal(parse_roles(&h, "peer1:proposer1\n"
				     "peer2:acceptor1,acceptor2\n"
				     "peer3:acceptor1,acceptor2\n"
				     "peer4:acceptor1,acceptor2\n"
				     "peer5:proposer2\n"), 0);
	assert_int_equal(h.count, 5);
	assert_string_equal(h.names[1], "peer1");
	assert_string_equal(h.names[5], "peer5");
	assert_role(&h, 1, 0, HOSTS_PROPOSER, 1);
	assert_int_equal(h.roles_first[2] - h.roles_first[1], 1);
	assert_role(&h, 2, 0, HOSTS_ACCEPTOR, 1);
	assert_role(&h, 2, 1, HOSTS_ACCEPTOR, 2);
	assert_role(&h, 4, 1, HOSTS_ACCEPTOR, 2);
	assert_role(&h, 5, 0, HOSTS_PROPOSER, 2);
	assert_false(hosts_has_role(&h, 5, HOSTS_PROPOSER, 1));
	assert_false(hosts_has_role(&h, 1, HOSTS_ACCEPTOR, 1));
	assert_false(hosts_has_role(&h, 0, HOSTS_PROPOSER, 1));
	assert_false(hosts_has_role(&h, 6, HOSTS_PROPOSER, 1));
	assert_int_equal(hosts_find(&h, "peer3"), 3);
	hosts_destroy(&h);

	assert_int_equal(parse_roles(&h, "  peer4 : acceptor1 , learner1 \r\n"
				     "# a comment\n\n"
				     "::1:learner7\n"), 0);
	assert_int_equal(h.count, 2);
	assert_string_equal(h.names[1], "peer4");
	assert_role(&h, 1, 1, HOSTS_LEARNER, 1);
	assert_string_equal(h.names[2], "::1");
	assert_role(&h, 2, 0, HOSTS_LEARNER, 7);
	hosts_destroy(&h);

	assert_int_equal(parse_roles(&h, "p:acceptor1024\n"), 0);
	assert_role(&h, 1, 0, HOSTS_ACCEPTOR, HOSTS_MAX);
	hosts_destroy(&h);
}

/* The plain form is rollcall's: a colon is a name byte, no roles. */
static void test_roles_plain_form_unchanged(void **state)
{
	struct hosts h;

	(void)state;
	assert_int_equal(parse(&h, "peer1:proposer1\none\n"), 0);
	assert_int_equal(h.count, 2);
	assert_string_equal(h.names[1], "peer1:proposer1");
	assert_null(h.roles);
	assert_false(hosts_has_role(&h, 1, HOSTS_PROPOSER, 1));
	hosts_destroy(&h);
}

static void test_roles_errors(void **state)
{
	static const struct {
		const char *text;
		const char *prefix;
		const char *needle;
	} cases[] = {
		{ "peer1:proposer1\npeer2\n", PATH ":2: ", "no role" },
		{ "peer1:proposer1\n\n  peer3  \n", PATH ":3: ", "no role" },
		{ "peer1:leader1\n", PATH ":1: ", "unknown role 'leader1'" },
		{ "peer1:Proposer1\n", PATH ":1: ", "'P' (column 7)" },
		{ "peer1:proposer\n", PATH ":1: ", "needs a number K" },
		{ "peer1:proposer0\n", PATH ":1: ", "needs a number K" },
		{ "peer1:proposer01\n", PATH ":1: ", "without leading zeros" },
		{ "peer1:proposer1025\n", PATH ":1: ", "from 1 to 1024" },
		{ "peer1:proposer99999999999999999999\n", PATH ":1: ",
		  "needs a number K" },
		{ "peer1:1proposer\n", PATH ":1: ", "unknown role" },
		{ "peer1:acceptor1x\n", PATH ":1: ", "needs a number K" },
		{ "peer1:acceptor1,,learner1\n", PATH ":1: ", "empty role" },
		{ "peer1:\n", PATH ":1: ", "empty role" },
		{ "peer1:acceptor1,\n", PATH ":1: ", "empty role" },
		{ ":acceptor1\n", PATH ":1: ", "no host name" },
		{ "peer1:acceptor1,acceptor1\n", PATH ":1: ",
		  "role 'acceptor1' given twice" },
		{ "peer1:acceptor1;learner1\n", PATH ":1: ", "';'" },
		{ "peer1:accep tor1\n", PATH ":1: ",
		  "whitespace inside a role" },
		{ "peer 1:acceptor1\n", PATH ":1: ", "whitespace inside" },
		{ "peer1:acceptor1\npeer1:acceptor2\n", PATH ":2: ",
		  "duplicate entry 'peer1' (first on line 1)" },
		{ "# only a comment\n", PATH ": ", "no entries" },
		{ "peer1:acceptor1,acceptor2,acceptor3,acceptor4,acceptor5,"
		  "acceptor6,acceptor7,acceptor8,acceptor9,acceptor10,"
		  "acceptor11,acceptor12,acceptor13,acceptor14,acceptor15,"
		  "acceptor16,acceptor17\n", PATH ":1: ",
		  "more than 16 roles" },
	};
	struct hosts h;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_roles(&h, cases[i].text);

		if (rc == 0 || strstr(err, cases[i].needle) == NULL)
			fprintf(stderr, "case %zu: rc %d, err '%s'\n", i, rc,
				err);
		assert_failed(rc, &h, cases[i].prefix, cases[i].needle);
		assert_null(h.roles);
	}
}

static void test_roles_load_file(void **state)
{
	static const char text[] = "peer1:proposer1\npeer2\n";
	char path[64], want[128];
	struct hosts h;

	(void)state;
	temp_file(path, text, sizeof(text) - 1);
	assert_true(hosts_load_form(&h, path, HOSTS_ROLES, err,
				    sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s:2: no role;", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	/* The same file is a plain one, for rollcall. */
	assert_int_equal(hosts_load(&h, path, err, sizeof(err)), 0);
	assert_int_equal(h.count, 2);
	hosts_destroy(&h);
	assert_int_equal(unlink(path), 0);
	assert_string_equal(hosts_role_name(HOSTS_LEARNER), "learner");
	assert_string_equal(hosts_role_name((enum hosts_role_kind)9), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_no_trailing_newline),
		cmocka_unit_test(test_comments_blanks_whitespace),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_name_charset),
		cmocka_unit_test(test_whitespace_inside),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_max_entries),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_error_truncated),
		cmocka_unit_test(test_destroy_twice_and_zeroed),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_find_ip_literals),
		cmocka_unit_test(test_find_statefulset_names),
		cmocka_unit_test(test_find_precedence_and_ambiguity),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_parse_error_names_file),
		cmocka_unit_test(test_load_size_limit),
		cmocka_unit_test(test_load_directory),
		cmocka_unit_test(test_roles_lab_files),
		cmocka_unit_test(test_roles_plain_form_unchanged),
		cmocka_unit_test(test_roles_errors),
		cmocka_unit_test(test_roles_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
