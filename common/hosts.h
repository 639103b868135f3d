/*
 * The hostsfile: one peer per line, its id the line's rank among entries.
 *
 * Blank lines and lines whose first non-blank character is '#' are skipped
 * and take no id; whitespace around an entry is ignored. An entry is a host
 * name or an IP address (letters, digits, '.', '-', '_', ':'). Duplicates
 * (compared without regard to case), over-long names, more than HOSTS_MAX
 * entries, an empty file and bytes that cannot be in a name are errors
 * naming the file and line. This module reads one file and never touches
 * the network.
 *
 * In the roles form (HOSTS_ROLES, the Paxos lab's), every entry is
 * "host:role[,role...]": the host as above, then after the line's last ':'
 * a comma-separated list of roles, each proposerK, acceptorK or learnerK
 * with K a number from 1 to HOSTS_MAX written without leading zeros
 * (acceptor1 serves proposer1). Blanks around the ':' and the commas are
 * allowed. A line without a ':', an empty, unknown, repeated or malformed
 * role, or more than HOST_ROLES_MAX roles on one line, is an error naming
 * the file and line. The plain form (hosts_parse, rollcall's) knows no
 * roles: there ':' is a name byte, as in an IPv6 address.
 */
#ifndef ROLLCALL_HOSTS_H
#define ROLLCALL_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

/* How a hostsfile is written: a host a line, or host:roles a line. */
enum hosts_form {
	HOSTS_PLAIN = 0,
	HOSTS_ROLES = 1,
};

enum hosts_role_kind {
	HOSTS_PROPOSER = 1,
	HOSTS_ACCEPTOR = 2,
	HOSTS_LEARNER = 3,
};

/* One role of an entry: proposer3 is { HOSTS_PROPOSER, 3 }. */
struct hosts_role {
	uint16_t kind;		/* enum hosts_role_kind */
	uint16_t k;		/* 1..HOSTS_MAX */
};

struct hosts {
	unsigned count;
	/* names[id] for id 1..count, NUL-terminated, inside text. */
	char *names[HOSTS_MAX + 1];
	/* The roles form only: entry id's roles are roles[roles_first[id]]
	 * up to roles[roles_first[id + 1]], in the order written; inside
	 * text too. NULL, and no roles, in the plain form. */
	struct hosts_role *roles;
	unsigned roles_first[HOSTS_MAX + 2];
	char *text;
};

/*
 * Parse len bytes of hostsfile text. path is used only in error messages.
 * On failure returns a negative code, leaves h empty, and writes a one-line
 * message ("FILE:LINE: what is wrong") to err.
 */
int hosts_parse(struct hosts *h, const char *text, size_t len,
		const char *path, char *err, size_t err_cap);

/* hosts_parse in either form; hosts_parse is HOSTS_PLAIN. */
int hosts_parse_form(struct hosts *h, const char *text, size_t len,
		     enum hosts_form form, const char *path, char *err,
		     size_t err_cap);

/* Read and parse the file at path (at most HOSTS_FILE_BYTES_MAX bytes). */
int hosts_load(struct hosts *h, const char *path, char *err, size_t err_cap);

/* hosts_load in either form. */
int hosts_load_form(struct hosts *h, const char *path, enum hosts_form form,
		    char *err, size_t err_cap);

/* Whether entry id holds role kind with number k (roles form). */
bool hosts_has_role(const struct hosts *h, unsigned id,
		    enum hosts_role_kind kind, unsigned k);

/* "proposer", "acceptor", "learner" ("?" when unknown). */
const char *hosts_role_name(enum hosts_role_kind kind);

/* Free what hosts_parse or hosts_load allocated; safe on a zeroed struct. */
void hosts_destroy(struct hosts *h);

/*
 * The id of the entry equal to name, ignoring case, or 0. When no entry is
 * equal, an entry equal to name's first label ("one" for "one.lan") or an
 * entry whose first label equals name also matches.
 */
unsigned hosts_find(const struct hosts *h, const char *name);

#endif
