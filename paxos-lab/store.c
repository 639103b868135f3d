/*
 * The lab's state files (lab.h): the acceptor's promise and vote, and the
 * proposer's last round, in --state DIR (or $PAXOS_STATE), each written
 * durably (common/savefile.c) before the message that depends on it
 * leaves, and read back at start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/savefile.h"
#include "lab.h"

/*
 * The proposer's last round: a restarted proposer must never use a ballot
 * an earlier life used (it might pair it with another value), so a round
 * is saved before the first PREPARE that uses it leaves.
 */
void lab_save_round(struct lab *l, uint64_t round)
{
	char buf[LAB_PROPOSER_STATE_BYTES_MAX];
	int n, rc;

	if (round <= l->round_saved)
		return;
	l->round_saved = round;
	if (l->proposer_path[0] == '\0')
		return;
	n = snprintf(buf, sizeof(buf), "paxos-proposer 1\nround %llu\n",
		     (unsigned long long)round);
	rc = savefile_write(l->proposer_path, buf, (size_t)n);
	if (rc != 0)
		fprintf(stderr, "paxos-peer[%u]: cannot write %s: %s\n",
			l->self, l->proposer_path, strerror(-rc));
}

void lab_save_acceptor(struct lab *l, const struct paxos_state *s)
{
	static char buf[PAXOS_STATE_BYTES_MAX];
	int len, rc;

	if (l->acceptor_path[0] == '\0')
		return;
	len = paxos_state_encode(s, buf, sizeof(buf));
	if (len < 0)
		return;
	rc = savefile_write(l->acceptor_path, buf, (size_t)len);
	if (rc != 0)
		fprintf(stderr, "paxos-peer[%u]: cannot write %s: %s\n",
			l->self, l->acceptor_path, strerror(-rc));
}

static int lab_path(const char *dir, const char *name, char *out)
{
	int n = snprintf(out, LAB_PATH_BYTES_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= LAB_PATH_BYTES_MAX) {
		fprintf(stderr, "paxos-peer: --state: directory name too "
			"long\n");
		return -1;
	}
	return 0;
}

/* Read one state file; 0 with *len, 1 when there is none (and it can be
 * written), -1 after a message. */
static int lab_read_state(const char *path, char *buf, size_t cap,
			  size_t *len)
{
	int rc = savefile_read(path, buf, cap, len);

	if (rc == -ENOENT) {
		rc = savefile_probe(path);
		if (rc == 0)
			return 1;
		fprintf(stderr, "paxos-peer: %s: %s (--state names a directory "
			"this user can write)\n", path, strerror(-rc));
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr, "paxos-peer: %s: %s (move it away to start "
			"this peer afresh)\n", path, strerror(-rc));
		return -1;
	}
	return 0;
}

/* --state DIR (or $PAXOS_STATE): what an earlier life promised. */
int lab_state_load(struct lab *l)
{
	static char buf[PAXOS_STATE_BYTES_MAX];
	const char *dir = l->cli.state_dir;
	char err[200];
	size_t len;
	int rc;

	if (dir == NULL)
		dir = getenv("PAXOS_STATE");
	if (dir == NULL || dir[0] == '\0')
		return 0;
	if (lab_path(dir, "acceptor", l->acceptor_path) != 0 ||
	    lab_path(dir, "proposer", l->proposer_path) != 0)
		return -1;
	if (l->is_acceptor) {
		rc = lab_read_state(l->acceptor_path, buf, sizeof(buf), &len);
		if (rc < 0)
			return -1;
		if (rc == 0 && paxos_state_decode(&l->restored, buf, len, err,
						  sizeof(err)) != 0) {
			fprintf(stderr, "paxos-peer: %s: %s (move it away to "
				"start this peer afresh)\n", l->acceptor_path,
				err);
			return -1;
		}
		l->has_restored = rc == 0;
	}
	if (l->proposer_k != 0) {
		unsigned long long round;
		char extra;

		rc = lab_read_state(l->proposer_path, buf, sizeof(buf) - 1,
				    &len);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return 0;
		buf[len] = '\0';
		if (sscanf(buf, "paxos-proposer 1\nround %llu\n%c", &round,
			   &extra) != 1 || round >= PAXOS_ROUND_MAX) {
			fprintf(stderr, "paxos-peer: %s: not a proposer state "
				"file (move it away to start this peer "
				"afresh)\n", l->proposer_path);
			return -1;
		}
		l->round_saved = round;
	}
	return 0;
}
