/*
 * Writes the fuzz targets' seed corpora: one small valid input of each
 * kind, plus a few that sit just past a limit, so that the fuzzers start
 * from every branch worth mutating rather than from nothing.
 *
 *   make build-fuzz/make_seeds && build-fuzz/make_seeds tests/fuzz/corpus
 *
 * Wire seeds are written with the real encoder, so they follow the codec
 * when it changes; rerun this after changing wire.h and commit the result.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/bounds.h"
#include "../../common/peerset.h"
#include "../../common/wire.h"
#include "../../common/wire_paxos.h"
#include "fuzz.h"

/* Big enough for the hostsfile of HOSTS_MAX + 1 entries below. */
#define SEED_BYTES_MAX (16 * 1024)

static const char *out_dir;

static void write_seed(const char *target, const char *name,
		       const void *bytes, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	if (mkdir(path, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "make_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "make_seeds: %s: cannot write\n", path);
		exit(1);
	}
}

/* ---- wire: one message of each type and op, bodies and frames ---- */

struct seed_msg {
	const char *name;
	struct wire_msg m;
};

/*
 * Incarnations run from 1 to UINT64_MAX across the seeds, one of each
 * msgpack width, and so do ballots and acc_ballots from 0 (2^32 among
 * them, past what view_id can hold), so that mutations start from every
 * form each field takes.
 */
static struct seed_msg msgs[] = {
	{ "join", { .type = WIRE_JOIN, .from = 3, .incarnation = 1 } },
	{ "req-add", { .type = WIRE_REQ, .from = 1, .incarnation = 2,
		       .view_id = 2, .ballot = 1, .request_id = 7,
		       .op = WIRE_OP_ADD, .peer = 4, .leader = 1 } },
	{ "req-del", { .type = WIRE_REQ, .from = 1, .incarnation = 0x80,
		       .view_id = 300, .ballot = 0x10000, .request_id = 70000,
		       .op = WIRE_OP_DEL, .peer = 1024, .leader = 1 } },
	/* Answering a REQ: its fields echoed. */
	{ "ok-add", { .type = WIRE_OK, .from = 4, .incarnation = 3,
		      .view_id = 2, .ballot = 1, .request_id = 7,
		      .op = WIRE_OP_ADD, .peer = 4, .leader = 1 } },
	/* A batch: further changes in the trailing array; its echo. */
	{ "req-batch", { .type = WIRE_REQ, .from = 1, .incarnation = 2,
			 .view_id = 2, .ballot = 1, .request_id = 8,
			 .op = WIRE_OP_ADD, .peer = 4, .leader = 1,
			 .more = { .count = 3, .at = { { WIRE_OP_ADD, 5 },
						       { WIRE_OP_DEL, 3 },
						       { WIRE_OP_ADD, 1024 } } } } },
	{ "ok-batch", { .type = WIRE_OK, .from = 5, .incarnation = 3,
			.view_id = 2, .ballot = 1, .request_id = 8,
			.op = WIRE_OP_ADD, .peer = 4, .leader = 1,
			.more = { .count = 1, .at = { { WIRE_OP_DEL, 3 } } } } },
	/* Answering a NEWLEADER: the change accepted, at its ballot. */
	{ "ok-accepted", { .type = WIRE_OK, .from = 3, .incarnation = 0xff,
			   .view_id = 5, .ballot = (uint64_t)UINT32_MAX + 1,
			   .request_id = 9, .op = WIRE_OP_DEL, .peer = 2,
			   .leader = 300, .acc_ballot = UINT64_MAX } },
	{ "ok-nothing", { .type = WIRE_OK, .from = 2, .incarnation = 0x1234,
			  .view_id = 9, .ballot = 0x80, .request_id = 8,
			  .op = WIRE_OP_NOTHING } },
	/* The higher ballot answered, and whom the sender follows. */
	{ "ok-refuse", { .type = WIRE_OK, .from = 5, .incarnation = 1,
			 .view_id = 9, .ballot = UINT64_MAX, .request_id = 8,
			 .op = WIRE_OP_REFUSE, .peer = 2 } },
	{ "newview", { .type = WIRE_NEWVIEW, .from = 1, .incarnation = 1,
		       .view_id = 3, .ballot = 1, .leader = 1 } },
	{ "newview-wide", { .type = WIRE_NEWVIEW, .from = 2,
			    .incarnation = UINT64_MAX, .view_id = 40,
			    .ballot = UINT64_C(0xfedcba9876543210),
			    .leader = 2 } },
	{ "newleader", { .type = WIRE_NEWLEADER, .from = 2,
			 .incarnation = 0x10000, .view_id = 4,
			 .ballot = UINT32_MAX, .request_id = 9,
			 .op = WIRE_OP_PENDING } },
	{ "heartbeat", { .type = WIRE_HEARTBEAT, .from = 2,
			 .incarnation = (uint64_t)UINT32_MAX + 1,
			 .view_id = UINT32_MAX, .ballot = 0x7f, .leader = 1,
			 .beat = UINT32_MAX } },
	/* From a peer taking over, which follows no leader. */
	{ "heartbeat-no-leader", { .type = WIRE_HEARTBEAT, .from = 3,
				   .incarnation = 2, .view_id = 6,
				   .ballot = 0x100, .leader = 0, .beat = 1 } },
	/* Naming the members its detector holds dead. */
	{ "heartbeat-suspects", { .type = WIRE_HEARTBEAT, .from = 4,
				  .incarnation = 9, .view_id = 7,
				  .ballot = 0x20001, .leader = 1,
				  .beat = 300 } },
	/* Naming the members it heard and how long ago (with no suspects,
	 * an empty array before them). */
	{ "heartbeat-heard", { .type = WIRE_HEARTBEAT, .from = 5,
			       .incarnation = 3, .view_id = 8,
			       .ballot = 0x10001, .leader = 1, .beat = 70000,
			       .heard_count = 3,
			       .heard_peer = { 1, 200, 1024 },
			       .heard_age_ms = { 0, 130, 70000 } } },
	{ "redirect", { .type = WIRE_REDIRECT, .from = 3, .incarnation = 7,
			.view_id = 1, .ballot = 1, .leader = 1 } },
	{ "newview-full", { .type = WIRE_NEWVIEW, .from = 1,
			    .incarnation = 1, .view_id = 1024, .ballot = 2,
			    .leader = 1 } },
	/* From a peer that is joining too and knows no leader. */
	{ "redirect-no-leader", { .type = WIRE_REDIRECT, .from = 4,
				  .incarnation = UINT32_MAX,
				  .view_id = 0, .leader = 0 } },
};

#define MSGS_COUNT (sizeof(msgs) / sizeof(msgs[0]))

static struct wire_msg *msg_named(const char *name)
{
	for (size_t i = 0; i < MSGS_COUNT; i++)
		if (strcmp(msgs[i].name, name) == 0)
			return &msgs[i].m;
	abort();
}

/* The NEWVIEWs' members. */
static void fill_members(void)
{
	static const unsigned view[] = { 1, 2, 3, 5 };
	/* Ids of every msgpack width and an array16 count (over 15). */
	static const unsigned wide[] = { 1, 2, 7, 100, 127, 128, 200, 255,
					 256, 300, 511, 512, 700, 900, 1000,
					 1023, 1024 };

	for (size_t i = 0; i < sizeof(view) / sizeof(view[0]); i++)
		peerset_add(&msg_named("newview")->members, view[i]);
	peerset_add(&msg_named("heartbeat-suspects")->suspects, 3);
	peerset_add(&msg_named("heartbeat-suspects")->suspects, 1000);
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		peerset_add(&msg_named("newview-wide")->members, wide[i]);
	for (unsigned id = 1; id <= HOSTS_MAX; id++)
		peerset_add(&msg_named("newview-full")->members, id);
}

static void wire_seeds(void)
{
	static char stream[FRAME_BYTES_MAX], buf[FRAME_BYTES_MAX];
	size_t stream_len = 0, len;

	fill_members();
	for (size_t i = 0; i < MSGS_COUNT; i++) {
		if (wire_encode(&msgs[i].m, buf, sizeof(buf), &len) != 0)
			abort();
		if (len <= DATAGRAM_BYTES_MAX)
			write_seed("fuzz_datagram", msgs[i].name, buf, len);
		if (wire_encode_frame(&msgs[i].m, buf, sizeof(buf), &len) != 0)
			abort();
		write_seed("fuzz_frame", msgs[i].name, buf, len);
		/* The small ones again, back to back, as one connection. */
		if (len <= DATAGRAM_BYTES_MAX) {
			memcpy(stream + stream_len, buf, len);
			stream_len += len;
		}
	}
	write_seed("fuzz_frame", "stream-all", stream, stream_len);
	/* The stream cut mid-frame: the last frame is still awaited. */
	write_seed("fuzz_frame", "stream-partial", stream, stream_len - 3);
	/*
	 * Version 2's HEARTBEAT, no ballot: refused as an unknown version,
	 * a few mutations away from version 4's number with its fields.
	 */
	static const unsigned char v2_heartbeat[] = { 0x96, 2, WIRE_HEARTBEAT,
						      3, 1, 7, 2 };
	write_seed("fuzz_datagram", "v2-heartbeat", v2_heartbeat,
		   sizeof(v2_heartbeat));
	/* Version 3's HEARTBEAT, no beat number: refused the same way. */
	static const unsigned char v3_heartbeat[] = { 0x97, 3, WIRE_HEARTBEAT,
						      3, 1, 7, 5, 2 };
	write_seed("fuzz_datagram", "v3-heartbeat", v3_heartbeat,
		   sizeof(v3_heartbeat));
	/* A declared length one over the cap: the connection is closed. */
	static const unsigned char too_big[] = { 0x00, 0x01, 0x00, 0x01, 0x94 };
	write_seed("fuzz_frame", "too-big", too_big, sizeof(too_big));
}

/* ---- the Paxos lab's messages, as frames ---- */

static void paxos_seed(const char *name, const struct paxos_msg *m,
		       char *stream, size_t *stream_len)
{
	static char buf[FRAME_BYTES_MAX];
	size_t len;

	if (wire_paxos_encode_frame(m, buf, sizeof(buf), &len) != 0)
		abort();
	write_seed("fuzz_paxos", name, buf, len);
	if (*stream_len + len <= FRAME_BYTES_MAX) {
		memcpy(stream + *stream_len, buf, len);
		*stream_len += len;
	}
}

/* One of each type, a promise of every entry form, a full promise. */
static void paxos_seeds(void)
{
	static struct paxos_msg m;
	static char stream[FRAME_BYTES_MAX];
	size_t stream_len = 0;

	memset(&m, 0, sizeof(m));
	m.type = PAXOS_PREPARE;
	m.from = 1;
	m.ballot = paxos_ballot(1, 1);
	paxos_seed("prepare", &m, stream, &stream_len);
	m.type = PAXOS_NACK;
	m.from = 3;
	m.ballot = paxos_ballot(UINT32_MAX, 1024);
	paxos_seed("nack", &m, stream, &stream_len);
	m.type = PAXOS_ACCEPT;
	m.from = 1;
	m.ballot = paxos_ballot(1, 1);
	m.value.len = 1;
	m.value.bytes[0] = 'X';
	paxos_seed("accept", &m, stream, &stream_len);
	m.type = PAXOS_ACCEPTED;
	m.from = 300;
	m.slot = UINT64_MAX;
	paxos_seed("accepted", &m, stream, &stream_len);
	m.type = PAXOS_CHOSEN;
	m.slot = 0x10000;
	m.value.noop = true;
	m.value.len = 0;
	paxos_seed("chosen-noop", &m, stream, &stream_len);
	memset(&m, 0, sizeof(m));
	m.type = PAXOS_PROMISE;
	m.from = 3;
	m.slot = 0;
	m.ballot = paxos_ballot(1, 5);
	paxos_seed("promise-empty", &m, stream, &stream_len);
	m.entries_count = 3;
	m.entries[0].slot = 0;
	m.entries[0].vballot = paxos_ballot(1, 1);
	m.entries[0].value.len = 1;
	m.entries[0].value.bytes[0] = 'X';
	m.entries[1].slot = 200;
	m.entries[1].vballot = 1;
	m.entries[1].value.noop = true;
	m.entries[2].slot = 70000;
	m.entries[2].vballot = UINT64_MAX;
	paxos_seed("promise-entries", &m, stream, &stream_len);
	write_seed("fuzz_paxos", "stream-all", stream, stream_len);
	m.entries_count = PAXOS_PROMISE_ENTRIES_MAX;
	for (unsigned i = 0; i < m.entries_count; i++) {
		m.entries[i].slot = i;
		m.entries[i].vballot = UINT64_MAX;
		m.entries[i].value.noop = false;
		m.entries[i].value.len = PAXOS_VALUE_BYTES_MAX;
		memset(m.entries[i].value.bytes, 'v', PAXOS_VALUE_BYTES_MAX);
	}
	stream_len = 0;
	paxos_seed("promise-full", &m, stream, &stream_len);
}

/* ---- hostsfiles ---- */

static void hosts_text_seed(const char *name, const char *text)
{
	write_seed("fuzz_hosts", name, text, strlen(text));
}

/* n entries "h1".."hn": n = HOSTS_MAX fits, one more does not. */
static void hosts_count_seed(const char *name, unsigned n)
{
	static char text[SEED_BYTES_MAX];
	size_t len = 0;

	for (unsigned id = 1; id <= n; id++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"h%u\n", id);
	write_seed("fuzz_hosts", name, text, len);
}

static void hosts_seeds(void)
{
	char long_name[HOST_NAME_BYTES_MAX + 3];

	hosts_text_seed("five", "one\ntwo\nthree\nfour\nfive\n");
	hosts_text_seed("comments-crlf", "# the group\r\n\r\n  one.lan \r\n"
			"\t# two is away\r\n\ttwo.lan\t\r\nthree");
	hosts_text_seed("addresses", "10.0.0.1\n127.0.0.2\n::1\n"
			"fe80::1:2\nhost_3.example.org\n");
	hosts_text_seed("labels", "peer1.a\nPeer2.b\npeer3\npeer1.c\n");
	hosts_text_seed("duplicate", "one\ntwo\nONE\n");
	hosts_text_seed("bad-byte", "one\ntw o\n");
	hosts_text_seed("empty", "# nothing\n\n");
	memset(long_name, 'a', sizeof(long_name) - 2);
	long_name[sizeof(long_name) - 2] = '\n';
	long_name[sizeof(long_name) - 1] = '\0';
	hosts_text_seed("name-too-long", long_name);
	long_name[HOST_NAME_BYTES_MAX] = '\n';
	long_name[HOST_NAME_BYTES_MAX + 1] = '\0';
	hosts_text_seed("name-longest", long_name);
	hosts_count_seed("hosts-max", HOSTS_MAX);
	hosts_count_seed("hosts-max-plus-one", HOSTS_MAX + 1);
	/* The roles form (the Paxos lab's): the instructor's two files, and
	 * one error of each kind. */
	hosts_text_seed("roles-testcase1", "peer1:proposer1\npeer2:acceptor1\n"
			"peer3:acceptor1\npeer4:acceptor1\npeer5:learner1\n");
	hosts_text_seed("roles-testcase2", "peer1:proposer1\n"
			"peer2:acceptor1,acceptor2\npeer3:acceptor1,acceptor2\n"
			"peer4:acceptor1,acceptor2\npeer5:proposer2\n");
	hosts_text_seed("roles-blanks-ipv6", " peer4 : acceptor1 , learner1\r\n"
			"::1:proposer1024\n");
	hosts_text_seed("roles-none", "peer1:proposer1\npeer2\n");
	hosts_text_seed("roles-unknown", "peer1:leader1\n");
	hosts_text_seed("roles-bad-k", "peer1:acceptor01,acceptor0\n");
	hosts_text_seed("roles-repeated", "peer1:learner2,learner2\n");
}

/* ---- argv sets: a name, then the arguments after argv[0] ---- */

#define ARGV_SEED_ARGS_MAX 12

static const char *const argv_seeds[][ARGV_SEED_ARGS_MAX + 2] = {
	{ "minimal", "-h", "hostsfile.txt" },
	{ "all-short", "-h", "hosts", "-d", "0.5", "-c", "2", "-t", "-vv" },
	{ "all-long", "--id", "3", "--port", "7000", "--heartbeat-ms", "100",
	  "-hhosts" },
	{ "long-equals", "--id=1024", "--port=65535", "--heartbeat-ms=60000",
	  "-h", "h", "-d", ".25" },
	{ "cluster", "-tvh", "hosts", "-c", "86400" },
	{ "help", "-x", "--help" },
	{ "version", "--version" },
	{ "negative", "-h", "h", "-d", "-1" },
	{ "rounding", "-h", "h", "-d", "1.0005", "-c", "0.9999" },
	{ "missing-value", "-h", "-d", "2" },
	{ "single-dash-long", "-id", "3", "-h", "h" },
	{ "out-of-range", "-h", "h", "--port", "0", "--id", "1025" },
};

/* Each set's arguments joined by NUL, as fuzz_cli splits them. */
static void cli_seeds(void)
{
	char text[1024];

	for (size_t i = 0; i < sizeof(argv_seeds) / sizeof(argv_seeds[0]);
	     i++) {
		size_t len = 0;

		for (size_t j = 1; argv_seeds[i][j] != NULL; j++) {
			size_t n = strlen(argv_seeds[i][j]) + 1;

			memcpy(text + len, argv_seeds[i][j], n);
			len += n;
		}
		/* The last NUL only ends the last argument: leave it off. */
		write_seed("fuzz_cli", argv_seeds[i][0], text,
			   len > 0 ? len - 1 : 0);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "make_seeds: %s: %s\n", out_dir,
			strerror(errno));
		return 1;
	}
	wire_seeds();
	paxos_seeds();
	hosts_seeds();
	cli_seeds();
	return 0;
}
