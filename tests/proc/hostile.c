/*
 * hostile: a stranger throwing bad input at a running rollcall group.
 *
 * Used by the `hostile` scenario in tests/proc/scenarios.sh. Bound to one
 * source address (default 127.0.0.9, not in the hostsfile), it sends to the
 * TCP and UDP port of every peer 127.0.0.1 .. 127.0.0.N:
 *
 *   - seeded random bytes, on TCP connections and as datagrams;
 *   - truncated frames, a frame header claiming 4 GiB, one just over
 *     FRAME_BYTES_MAX, a frame of length 0;
 *   - well-formed bodies of an unknown type and of an unknown version,
 *     and a heartbeat in version 1's layout (no incarnation);
 *   - valid JOIN, REQ, OK, NEWVIEW, NEWLEADER, HEARTBEAT, REDIRECT claiming
 *     an id outside the hostsfile, and the same claiming peer 1 (spoofed:
 *     the source address is not peer 1's);
 *   - a NEWVIEW with a stale view id, and a replay of the current view;
 *   - --idle connections to each peer (2,000 by default: 10,000 in all),
 *     opened and left idle for --hold-ms;
 *     meanwhile a flood of --flood garbage datagrams over --flood-ms.
 *
 * Two other modes speak to a keyed group (--keyring, common/seal.h):
 *
 *   --forge ID: from 127.0.0.ID (a member's own address), for --forge-ms,
 *     valid messages of every type claiming ID, the life far above its
 *     own, and heartbeats naming every other peer a suspect, by UDP and
 *     TCP: plain, or sealed with --keyring FILE (a wrong key);
 *   --replay ID: capture for --capture-ms, with raw sockets, the
 *     datagrams 127.0.0.ID sends and the TCP bytes any 127.0.0.x sends to
 *     the port; print "captured"; wait for the file --go to exist; then
 *     for --replay-ms send the datagrams again from 127.0.0.ID's port to
 *     every other peer, and each TCP byte stream again, from its own
 *     source address, on a new connection.
 *
 * Only loopback destinations are accepted. Every loop is bounded in count
 * and by one overall deadline (DEADLINE_MS), so the tool always exits by
 * itself. It prints one summary line per phase on stdout; exit 0 unless
 * its own set-up failed (the peers' behaviour is judged by the scenario).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/ip.h>
#include <sys/stat.h>

#include "../../common/bounds.h"
#include "../../common/keyring.h"
#include "../../common/seal.h"
#include "../../common/peerset.h"
#include "../../common/wire.h"

#define PEERS_MAX 64
#define DEADLINE_MS 9000
#define IO_TIMEOUT_MS 500
#define IDLE_MAX 10000		/* per peer */
#define FLOOD_MAX 100000
#define RANDOM_CONNS 12		/* random-byte connections per peer */
#define RANDOM_CONN_BYTES_MAX 8192
#define RANDOM_DGRAMS 200	/* random datagrams per peer */
#define DGRAM_BYTES_MAX 600	/* a little over DATAGRAM_BYTES_MAX */
#define BUF_BYTES (FRAME_BYTES_MAX + 64)

static struct {
	const char *src;
	unsigned peers;
	unsigned port;
	uint64_t seed;
	unsigned idle;
	unsigned hold_ms;
	unsigned flood;
	unsigned flood_ms;
	unsigned stranger;	/* the id claimed by the stranger */
	unsigned spoofed;	/* the listed id claimed from the wrong address */
	unsigned forge;		/* --forge ID */
	unsigned forge_ms;
	const char *keyring;	/* seal what --forge sends */
	unsigned replay;	/* --replay ID */
	unsigned capture_ms;
	unsigned replay_ms;
	const char *go;
} opt = { "127.0.0.9", 5, 7610, 1, 2000, 3000, 20000, 2000, 9, 1,
	  0, 2000, NULL, 0, 1000, 3000, NULL };
static unsigned deadline_ms = DEADLINE_MS;

static struct sockaddr_in src_addr;
static struct sockaddr_in peer_addr[PEERS_MAX + 1];
static uint64_t start_ms;
static uint64_t rng;

static unsigned tcp_sent, tcp_failed, udp_sent, udp_failed;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool past_deadline(void)
{
	return now_ms() - start_ms >= deadline_ms;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

static void rnd_fill(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(rnd() >> 56);
}

static void die(const char *what)
{
	fprintf(stderr, "hostile: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hostile [--src A] [--peers N] [--port P] [--seed S]\n"
		"               [--idle N] [--hold-ms MS] [--flood N]"
		" [--flood-ms MS]\n"
		"               [--stranger ID] [--spoofed ID]\n"
		"       hostile --forge ID [--keyring FILE] [--forge-ms MS]"
		" [--peers N] [--port P]\n"
		"       hostile --replay ID --go FILE [--capture-ms MS]"
		" [--replay-ms MS] [--peers N] [--port P]\n");
	exit(2);
}

static unsigned long num_arg(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max)
		usage();
	return v;
}

static void parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--src"))
			opt.src = v;
		else if (!strcmp(a, "--peers"))
			opt.peers = (unsigned)num_arg(v, PEERS_MAX);
		else if (!strcmp(a, "--port"))
			opt.port = (unsigned)num_arg(v, 65535);
		else if (!strcmp(a, "--seed"))
			opt.seed = num_arg(v, UINT32_MAX);
		else if (!strcmp(a, "--idle"))
			opt.idle = (unsigned)num_arg(v, IDLE_MAX);
		else if (!strcmp(a, "--hold-ms"))
			opt.hold_ms = (unsigned)num_arg(v, 5000);
		else if (!strcmp(a, "--flood"))
			opt.flood = (unsigned)num_arg(v, FLOOD_MAX);
		else if (!strcmp(a, "--flood-ms"))
			opt.flood_ms = (unsigned)num_arg(v, 4000);
		else if (!strcmp(a, "--stranger"))
			opt.stranger = (unsigned)num_arg(v, HOSTS_MAX);
		else if (!strcmp(a, "--spoofed"))
			opt.spoofed = (unsigned)num_arg(v, HOSTS_MAX);
		else if (!strcmp(a, "--forge"))
			opt.forge = (unsigned)num_arg(v, 254);
		else if (!strcmp(a, "--forge-ms"))
			opt.forge_ms = (unsigned)num_arg(v, 10000);
		else if (!strcmp(a, "--keyring"))
			opt.keyring = v;
		else if (!strcmp(a, "--replay"))
			opt.replay = (unsigned)num_arg(v, 254);
		else if (!strcmp(a, "--capture-ms"))
			opt.capture_ms = (unsigned)num_arg(v, 10000);
		else if (!strcmp(a, "--replay-ms"))
			opt.replay_ms = (unsigned)num_arg(v, 10000);
		else if (!strcmp(a, "--go"))
			opt.go = v;
		else
			usage();
	}
	if (opt.peers < 1 || opt.port < 1 || opt.stranger < 1 ||
	    opt.spoofed < 1 || (opt.replay && !opt.go))
		usage();
	/* A member's own address, as a spoofer on its path would use. */
	if (opt.forge || opt.replay) {
		static char own[20];
		snprintf(own, sizeof(own), "127.0.0.%u",
			 opt.forge ? opt.forge : opt.replay);
		opt.src = own;
	}
}

static void setup_addrs(void)
{
	memset(&src_addr, 0, sizeof(src_addr));
	src_addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, opt.src, &src_addr.sin_addr) != 1)
		usage();
	/* Loopback only, for the source and every destination. */
	if ((ntohl(src_addr.sin_addr.s_addr) >> 24) != 127)
		usage();
	for (unsigned i = 1; i <= opt.peers; i++) {
		struct sockaddr_in *a = &peer_addr[i];
		memset(a, 0, sizeof(*a));
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)opt.port);
		a->sin_addr.s_addr = htonl(0x7f000000u | i);
	}
}

/* A socket bound to the source address, any port. */
static int bound_socket(int type)
{
	int fd = socket(AF_INET, type, 0), one = 1;
	if (fd < 0)
		return -1;
	/* The port is picked at connect, per destination: tens of thousands
	 * of connections from one address need more than its 28k ports. */
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
	if (bind(fd, (const struct sockaddr *)&src_addr, sizeof(src_addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };
	return poll(&p, 1, ms) == 1 && (p.revents & events);
}

/* A connected TCP socket to peer id, within IO_TIMEOUT_MS, or -1. */
static int tcp_connect(unsigned id)
{
	int fd = bound_socket(SOCK_STREAM), err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)&peer_addr[id],
		    sizeof(peer_addr[id])) < 0 && errno != EINPROGRESS)
		goto fail;
	if (!wait_fd(fd, POLLOUT, IO_TIMEOUT_MS))
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Write all of buf (bounded by IO_TIMEOUT_MS per wait); false on error. */
static bool send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(fd, POLLOUT, IO_TIMEOUT_MS))
				return false;
			continue;
		}
		if (n < 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* One connection to peer id carrying these bytes, then closed. */
static void tcp_shot(unsigned id, const char *buf, size_t len)
{
	int fd;
	if (past_deadline())
		return;
	fd = tcp_connect(id);
	if (fd < 0 || !send_all(fd, buf, len))
		tcp_failed++;
	else
		tcp_sent++;
	if (fd >= 0)
		close(fd);
}

static int udp_fd = -1;

static void udp_shot(unsigned id, const char *buf, size_t len)
{
	if (sendto(udp_fd, buf, len, 0, (const struct sockaddr *)&peer_addr[id],
		   sizeof(peer_addr[id])) < 0)
		udp_failed++;
	else
		udp_sent++;
}

/* ---- the messages ------------------------------------------------------ */

#define MSGS_MAX 64
static struct {
	char body[256];
	size_t len;
	const char *what;
} msgs[MSGS_MAX];
static unsigned nmsgs;

static void add_body(const char *what, const char *body, size_t len)
{
	if (nmsgs == MSGS_MAX || len > sizeof(msgs[0].body))
		return;
	memcpy(msgs[nmsgs].body, body, len);
	msgs[nmsgs].len = len;
	msgs[nmsgs].what = what;
	nmsgs++;
}

static void add_msg(const char *what, const struct wire_msg *m)
{
	char buf[256];
	size_t len;
	if (wire_encode(m, buf, sizeof(buf), &len) < 0) {
		fprintf(stderr, "hostile: cannot encode %s\n", what);
		exit(1);
	}
	add_body(what, buf, len);
}

static struct wire_msg msg(enum wire_type type, unsigned from, uint32_t view)
{
	struct wire_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = (uint16_t)from;
	/* A life the codec accepts, so the peers judge the message itself. */
	m.incarnation = 1;
	m.view_id = view;
	return m;
}

/* Valid messages of every type claiming id from. */
static void add_claiming(unsigned from)
{
	struct wire_msg m;

	m = msg(WIRE_JOIN, from, 0);
	add_msg("JOIN", &m);
	m = msg(WIRE_REQ, from, 4);
	m.request_id = 77;
	m.op = WIRE_OP_DEL;
	m.peer = 3;
	m.leader = (uint16_t)from;
	add_msg("REQ DEL 3", &m);
	m.op = WIRE_OP_ADD;
	m.peer = (uint16_t)opt.stranger;
	add_msg("REQ ADD stranger", &m);
	m = msg(WIRE_OK, from, 4);
	m.request_id = 77;
	m.op = WIRE_OP_DEL;
	m.peer = 3;
	m.leader = (uint16_t)from;
	add_msg("OK", &m);
	m = msg(WIRE_NEWVIEW, from, 99);
	m.leader = (uint16_t)from;
	peerset_add(&m.members, from);
	add_msg("NEWVIEW alone", &m);
	m = msg(WIRE_NEWVIEW, from, 100);
	m.leader = 2;
	peerset_add(&m.members, 2);
	peerset_add(&m.members, 3);
	add_msg("NEWVIEW [2,3]", &m);
	m = msg(WIRE_NEWLEADER, from, 4);
	m.request_id = 78;
	m.op = WIRE_OP_PENDING;
	add_msg("NEWLEADER", &m);
	m = msg(WIRE_HEARTBEAT, from, 4);
	m.leader = 1;
	add_msg("HEARTBEAT", &m);
	m = msg(WIRE_REDIRECT, from, 4);
	m.leader = (uint16_t)from;
	add_msg("REDIRECT", &m);
}

static void build_msgs(void)
{
	/* [2, 99, 9, 1, 0]: a well-formed body of an unknown type,
	 * [3, 6, 9, 1, 0]: a heartbeat of an unknown version, and
	 * [1, 6, 9, 0]: a heartbeat from a peer still on version 1. */
	static const char unknown_type[] = { '\x95', WIRE_VERSION, 99, 9, 1,
					     0 };
	static const char unknown_version[] = { '\x95', WIRE_VERSION + 1,
						WIRE_HEARTBEAT, 9, 1, 0 };
	static const char version_1[] = { '\x94', 1, WIRE_HEARTBEAT, 9, 0 };
	struct wire_msg m;

	add_body("unknown type", unknown_type, sizeof(unknown_type));
	add_body("unknown version", unknown_version, sizeof(unknown_version));
	add_claiming(opt.stranger);
	add_claiming(opt.spoofed);
	/* A stale view, an older one, and a replay of the current one,
	 * all claiming to come from the leader. */
	m = msg(WIRE_NEWVIEW, opt.spoofed, 1);
	m.leader = 1;
	peerset_add(&m.members, 1);
	peerset_add(&m.members, 2);
	add_msg("NEWVIEW stale 1", &m);
	m.view_id = 3;
	for (unsigned i = 3; i < opt.peers && i <= 4; i++)
		peerset_add(&m.members, i);
	add_msg("NEWVIEW stale 3", &m);
	m.view_id = opt.peers - 1;
	peerset_add(&m.members, opt.peers);
	add_msg("NEWVIEW replay", &m);
	/* Last, so that msgs[2] stays the stranger's valid JOIN. */
	add_body("version 1", version_1, sizeof(version_1));
}

/* ---- phases ------------------------------------------------------------ */

static char buf[BUF_BYTES];

static void be32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

static size_t frame(char *out, const char *body, size_t len)
{
	be32(out, (uint32_t)len);
	memcpy(out + WIRE_FRAME_HEADER_BYTES, body, len);
	return WIRE_FRAME_HEADER_BYTES + len;
}

static void phase_messages(void)
{
	for (unsigned id = 1; id <= opt.peers && !past_deadline(); id++) {
		size_t n, off;

		/* Every message alone on its own connection, then all of
		 * them in one stream, then each as a datagram. */
		off = 0;
		for (unsigned k = 0; k < nmsgs; k++) {
			n = frame(buf, msgs[k].body, msgs[k].len);
			tcp_shot(id, buf, n);
			off += frame(buf + 4096 + off, msgs[k].body,
				     msgs[k].len);
			udp_shot(id, msgs[k].body, msgs[k].len);
		}
		tcp_shot(id, buf + 4096, off);

		/* A frame of length 0, then a valid one behind it. */
		be32(buf, 0);
		n = 4 + frame(buf + 4, msgs[2].body, msgs[2].len);
		tcp_shot(id, buf, n);
		udp_shot(id, buf, 0);

		/* Truncated: half a header; a header claiming 100 bytes
		 * with 10; half of a valid frame. */
		tcp_shot(id, "\0\0", 2);
		be32(buf, 100);
		rnd_fill(buf + 4, 10);
		tcp_shot(id, buf, 14);
		n = frame(buf, msgs[2].body, msgs[2].len);
		tcp_shot(id, buf, n / 2);
		udp_shot(id, msgs[2].body, msgs[2].len / 2);

		/* Headers claiming 4 GiB - 1 and FRAME_BYTES_MAX + 1. */
		be32(buf, UINT32_MAX);
		rnd_fill(buf + 4, 1000);
		tcp_shot(id, buf, 1004);
		be32(buf, FRAME_BYTES_MAX + 1);
		tcp_shot(id, buf, 1004);

		/* A full-size frame of garbage: read, decoded, dropped. */
		be32(buf, FRAME_BYTES_MAX);
		rnd_fill(buf + 4, FRAME_BYTES_MAX);
		tcp_shot(id, buf, FRAME_BYTES_MAX + 4);

		/* Random bytes. */
		for (unsigned k = 0; k < RANDOM_CONNS; k++) {
			n = 1 + rnd() % RANDOM_CONN_BYTES_MAX;
			rnd_fill(buf, n);
			tcp_shot(id, buf, n);
		}
		for (unsigned k = 0; k < RANDOM_DGRAMS; k++) {
			n = rnd() % (DGRAM_BYTES_MAX + 1);
			rnd_fill(buf, n);
			udp_shot(id, buf, n);
		}
	}
	printf("messages: %u kinds; tcp %u sent, %u failed; "
	       "udp %u sent, %u failed\n",
	       nmsgs, tcp_sent, tcp_failed, udp_sent, udp_failed);
}

static int idle_fd[PEERS_MAX + 1][IDLE_MAX];

/* Garbage datagrams, paced over flood_ms in 10 ms slices. */
static void flood(void)
{
	unsigned slices = opt.flood_ms / 10 ? opt.flood_ms / 10 : 1;
	unsigned sent = 0, failed = 0, k = 0;
	uint64_t t0 = now_ms();

	for (unsigned s = 0; s < slices && !past_deadline(); s++) {
		unsigned upto = (unsigned)((uint64_t)opt.flood * (s + 1) /
					   slices);
		for (; k < upto; k++) {
			unsigned id = 1 + k % opt.peers;
			size_t n = rnd() % (DGRAM_BYTES_MAX + 1);
			rnd_fill(buf, n);
			if (sendto(udp_fd, buf, n, 0,
				   (const struct sockaddr *)&peer_addr[id],
				   sizeof(peer_addr[id])) < 0)
				failed++;
			else
				sent++;
		}
		uint64_t due = t0 + (uint64_t)(s + 1) * opt.flood_ms / slices;
		uint64_t now = now_ms();
		if (due > now)
			sleep_ms((unsigned)(due - now));
	}
	printf("flood: %u datagrams sent, %u failed, in %llu ms\n", sent,
	       failed, (unsigned long long)(now_ms() - t0));
}

static void phase_idle(void)
{
	unsigned opened[PEERS_MAX + 1] = { 0 }, connected[PEERS_MAX + 1] = { 0 };
	unsigned closed[PEERS_MAX + 1] = { 0 };
	uint64_t t0 = now_ms(), hold_end;

	/* Open them all without waiting, then wait (bounded) for the
	 * handshakes: past the listen backlog some take SYN retries. */
	for (unsigned id = 1; id <= opt.peers; id++) {
		for (unsigned k = 0; k < opt.idle; k++) {
			int fd = bound_socket(SOCK_STREAM);
			idle_fd[id][k] = -1;
			if (fd < 0)
				continue;
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			if (connect(fd, (const struct sockaddr *)&peer_addr[id],
				    sizeof(peer_addr[id])) < 0 &&
			    errno != EINPROGRESS) {
				close(fd);
				continue;
			}
			idle_fd[id][k] = fd;
			opened[id]++;
		}
	}
	printf("idle: %u per peer opened in %llu ms\n", opt.idle,
	       (unsigned long long)(now_ms() - t0));

	/* The flood runs while the connections are held. */
	hold_end = now_ms() + opt.hold_ms;
	flood();
	while (now_ms() < hold_end && !past_deadline())
		sleep_ms(50);

	/* Which are connected, and which has the peer closed (EOF, RST)? */
	for (unsigned id = 1; id <= opt.peers; id++) {
		for (unsigned k = 0; k < opt.idle; k++) {
			int fd = idle_fd[id][k], err = 0;
			socklen_t len = sizeof(err);
			char c;
			ssize_t n;
			if (fd < 0)
				continue;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
			    err == 0 && wait_fd(fd, POLLOUT, 0))
				connected[id]++;
			n = recv(fd, &c, 1, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
				       errno != EWOULDBLOCK && errno != ENOTCONN))
				closed[id]++;
			close(fd);
		}
		printf("idle peer %u: %u opened, %u connected, %u closed by "
		       "the peer, after %u ms\n",
		       id, opened[id], connected[id], closed[id], opt.hold_ms);
	}
}

/* ---- --forge: a member's address, its id, and no key (or a wrong one) -- */

static struct keyring forge_ring;
static uint64_t forge_counter = UINT64_C(1) << 62;

/* Body b as sent: sealed when a keyring was given, else as it is. */
static size_t forge_bytes(char *out, size_t cap, const char *b, size_t len,
			  const struct wire_msg *m, enum seal_channel ch,
			  unsigned to)
{
	struct seal_header h = {
		.channel = ch, .from = m->from, .to = (uint16_t)to,
		.incarnation = m->incarnation, .counter = forge_counter++,
	};
	size_t n = 0;
	if (!opt.keyring) {
		memcpy(out, b, len);
		return len;
	}
	if (seal_box(&forge_ring, &h, NULL, b, len, out, cap, &n) != 0)
		return 0;
	return n;
}

static void phase_forge(void)
{
	struct wire_msg all[16];
	unsigned n = 0, rounds = 0;
	uint64_t end = now_ms() + opt.forge_ms;
	struct wire_msg m;

	if (opt.keyring) {
		char err[512];
		if (seal_init() != 0 ||
		    keyring_load(&forge_ring, opt.keyring, err,
				 sizeof(err)) != 0) {
			fprintf(stderr, "hostile: %s\n", err);
			exit(1);
		}
	}
	/* A life far above the member's (its wall clock in microseconds),
	 * so an accepted message would start a new life of it. */
	m = msg(WIRE_HEARTBEAT, opt.forge, 4);
	m.incarnation = UINT64_C(1) << 60;
	m.leader = (uint16_t)opt.forge;
	for (unsigned i = 1; i <= opt.peers; i++)
		if (i != opt.forge)
			peerset_add(&m.suspects, i);
	all[n++] = m;
	m = msg(WIRE_NEWVIEW, opt.forge, 1000);
	m.incarnation = UINT64_C(1) << 60;
	m.ballot = UINT64_C(1) << 40;
	m.leader = (uint16_t)opt.forge;
	peerset_add(&m.members, opt.forge);
	all[n++] = m;
	m = msg(WIRE_REQ, opt.forge, 4);
	m.incarnation = UINT64_C(1) << 60;
	m.ballot = UINT64_C(1) << 40;
	m.request_id = 99;
	m.op = WIRE_OP_DEL;
	m.peer = opt.forge == 2 ? 3 : 2;
	m.leader = (uint16_t)opt.forge;
	all[n++] = m;
	m = msg(WIRE_NEWLEADER, opt.forge, 4);
	m.incarnation = UINT64_C(1) << 60;
	m.ballot = UINT64_C(1) << 40;
	m.request_id = 98;
	m.op = WIRE_OP_PENDING;
	all[n++] = m;
	m = msg(WIRE_JOIN, opt.forge, 0);
	m.incarnation = UINT64_C(1) << 60;
	all[n++] = m;

	while (now_ms() < end && !past_deadline()) {
		for (unsigned k = 0; k < n; k++) {
			char body[512], out[1024];
			size_t len, sealed;
			if (wire_encode(&all[k], body, sizeof(body), &len) < 0)
				continue;
			for (unsigned id = 1; id <= opt.peers; id++) {
				if (id == opt.forge)
					continue;
				sealed = forge_bytes(out, sizeof(out), body,
						     len, &all[k],
						     SEAL_DATAGRAM, id);
				udp_shot(id, out, sealed);
				/* TCP every tenth round: a connection each. */
				if (rounds % 10 != 0)
					continue;
				sealed = forge_bytes(out + 4, sizeof(out) - 4,
						     body, len, &all[k],
						     SEAL_FRAME, id);
				be32(out, (uint32_t)sealed);
				tcp_shot(id, out, sealed + 4);
			}
		}
		rounds++;
		sleep_ms(20);
	}
	keyring_wipe(&forge_ring);
	printf("forge as %u (%s): %u rounds; tcp %u sent, %u failed; "
	       "udp %u sent, %u failed\n", opt.forge,
	       opt.keyring ? "sealed with a wrong key" : "plain", rounds,
	       tcp_sent, tcp_failed, udp_sent, udp_failed);
}

/* ---- --replay: capture, then send the same bytes again ------------------ */

#define CAPTURE_DGRAMS_MAX 256
#define CAPTURE_STREAM_BYTES_MAX (64 * 1024)

static struct {
	char bytes[DATAGRAM_BYTES_MAX];
	size_t len;
} dgrams[CAPTURE_DGRAMS_MAX];
static unsigned ndgrams;
/* TCP bytes by source and destination peer, in the order captured. */
static char *streams[PEERS_MAX + 1][PEERS_MAX + 1];
static size_t stream_len[PEERS_MAX + 1][PEERS_MAX + 1];

/* The peer id of a 127.0.0.x address (network order), or 0. */
static unsigned peer_of(uint32_t a)
{
	uint32_t h = ntohl(a);
	if ((h >> 8) != 0x7f0000 || (h & 0xff) < 1 || (h & 0xff) > opt.peers)
		return 0;
	return h & 0xff;
}

static void capture_packet(const unsigned char *p, size_t n, bool tcp)
{
	const struct iphdr *ip = (const void *)p;
	size_t ihl, off;
	unsigned from, to;

	if (n < sizeof(*ip) || ip->version != 4)
		return;
	ihl = (size_t)ip->ihl * 4;
	from = peer_of(ip->saddr);
	to = peer_of(ip->daddr);
	if (!from || !to || n < ihl + 8)
		return;
	/* Both ports lead either header: source, then destination. */
	unsigned sport = (unsigned)p[ihl] << 8 | p[ihl + 1];
	unsigned dport = (unsigned)p[ihl + 2] << 8 | p[ihl + 3];
	if (!tcp) {
		if (from != opt.replay || dport != opt.port ||
		    sport != opt.port || n - ihl - 8 >
		    DATAGRAM_BYTES_MAX || ndgrams == CAPTURE_DGRAMS_MAX)
			return;
		dgrams[ndgrams].len = n - ihl - 8;
		memcpy(dgrams[ndgrams].bytes, p + ihl + 8, n - ihl - 8);
		ndgrams++;
		return;
	}
	if (n < ihl + 20 || dport != opt.port)
		return;
	off = ihl + (size_t)(p[ihl + 12] >> 4) * 4;
	if (off >= n || stream_len[from][to] + (n - off) >
			       CAPTURE_STREAM_BYTES_MAX)
		return;
	if (!streams[from][to] &&
	    !(streams[from][to] = malloc(CAPTURE_STREAM_BYTES_MAX)))
		return;
	memcpy(streams[from][to] + stream_len[from][to], p + off, n - off);
	stream_len[from][to] += n - off;
}

static void phase_capture(void)
{
	int ufd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	int tfd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	uint64_t end = now_ms() + opt.capture_ms;
	unsigned char pkt[70000];
	size_t tcp_bytes = 0;

	if (ufd < 0 || tfd < 0)
		die("raw socket (root needed)");
	while (now_ms() < end && !past_deadline()) {
		struct pollfd p[2] = { { ufd, POLLIN, 0 }, { tfd, POLLIN, 0 } };
		if (poll(p, 2, 50) <= 0)
			continue;
		for (int k = 0; k < 2; k++) {
			ssize_t n;
			if (!(p[k].revents & POLLIN))
				continue;
			n = recv(p[k].fd, pkt, sizeof(pkt), MSG_DONTWAIT);
			if (n > 0)
				capture_packet(pkt, (size_t)n, k == 1);
		}
	}
	close(ufd);
	close(tfd);
	for (unsigned a = 1; a <= opt.peers; a++)
		for (unsigned b = 1; b <= opt.peers; b++)
			tcp_bytes += stream_len[a][b];
	printf("captured %u datagrams from peer %u, %zu tcp bytes\n", ndgrams,
	       opt.replay, tcp_bytes);
}

/* A TCP connection from peer from's address to peer to. */
static int tcp_connect_from(unsigned from, unsigned to)
{
	struct sockaddr_in keep = src_addr;
	int fd;
	src_addr.sin_addr.s_addr = htonl(0x7f000000u | from);
	fd = tcp_connect(to);
	src_addr = keep;
	return fd;
}

static void phase_replay(void)
{
	struct stat st;
	uint64_t end;
	unsigned rounds = 0, streams_sent = 0;
	struct sockaddr_in a = src_addr;
	int one = 1;

	while (stat(opt.go, &st) != 0 && !past_deadline())
		sleep_ms(20);
	/* From the member's own port when it is free (the member dead),
	 * else from another port of its address. */
	close(udp_fd);
	udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(udp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons((uint16_t)opt.port);
	if (bind(udp_fd, (const struct sockaddr *)&a, sizeof(a)) < 0) {
		a.sin_port = 0;
		if (bind(udp_fd, (const struct sockaddr *)&a, sizeof(a)) < 0)
			die("bind");
	}
	for (unsigned f = 1; f <= opt.peers; f++)
		for (unsigned t = 1; t <= opt.peers; t++) {
			int fd;
			if (!stream_len[f][t])
				continue;
			fd = tcp_connect_from(f, t);
			if (fd >= 0 && send_all(fd, streams[f][t],
						stream_len[f][t]))
				streams_sent++;
			if (fd >= 0)
				close(fd);
		}
	end = now_ms() + opt.replay_ms;
	while (now_ms() < end && !past_deadline() && ndgrams > 0) {
		/* The heartbeats in the order captured, as often as the
		 * member sent them, over and over. */
		unsigned k = rounds % ndgrams;
		for (unsigned id = 1; id <= opt.peers; id++)
			if (id != opt.replay)
				udp_shot(id, dgrams[k].bytes, dgrams[k].len);
		rounds++;
		sleep_ms(10);
	}
	printf("replayed: %u tcp streams; udp %u sent, %u failed\n",
	       streams_sent, udp_sent, udp_failed);
	for (unsigned f = 1; f <= opt.peers; f++)
		for (unsigned t = 1; t <= opt.peers; t++)
			free(streams[f][t]);
}

int main(int argc, char **argv)
{
	struct rlimit rl;

	start_ms = now_ms();
	parse(argc, argv);
	setup_addrs();
	rng = opt.seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Room for the idle connections. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t want = (rlim_t)opt.peers * opt.idle + 64;
		if (rl.rlim_cur < want) {
			/* Root may raise the hard limit too. */
			if (rl.rlim_max < want) {
				struct rlimit up = { want, want };
				if (setrlimit(RLIMIT_NOFILE, &up) == 0)
					rl = up;
			}
			rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	udp_fd = bound_socket(SOCK_DGRAM);
	if (udp_fd < 0)
		die("udp socket");

	if (opt.forge) {
		deadline_ms = opt.forge_ms + DEADLINE_MS;
		phase_forge();
		close(udp_fd);
		return 0;
	}
	if (opt.replay) {
		deadline_ms = opt.capture_ms + opt.replay_ms + 2 * DEADLINE_MS;
		phase_capture();
		phase_replay();
		close(udp_fd);
		return 0;
	}
	build_msgs();
	phase_messages();
	phase_idle();
	close(udp_fd);
	printf("done in %llu ms\n", (unsigned long long)(now_ms() - start_ms));
	return 0;
}
