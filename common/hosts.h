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
 */
#ifndef ROLLCALL_HOSTS_H
#define ROLLCALL_HOSTS_H

#include <stddef.h>

#include "bounds.h"

struct hosts {
	unsigned count;
	/* names[id] for id 1..count, NUL-terminated, inside text. */
	char *names[HOSTS_MAX + 1];
	char *text;
};

/*
 * Parse len bytes of hostsfile text. path is used only in error messages.
 * On failure returns a negative code, leaves h empty, and writes a one-line
 * message ("FILE:LINE: what is wrong") to err.
 */
int hosts_parse(struct hosts *h, const char *text, size_t len,
		const char *path, char *err, size_t err_cap);

/* Read and parse the file at path (at most HOSTS_FILE_BYTES_MAX bytes). */
int hosts_load(struct hosts *h, const char *path, char *err, size_t err_cap);

/* Free what hosts_parse or hosts_load allocated; safe on a zeroed struct. */
void hosts_destroy(struct hosts *h);

/*
 * The id of the entry equal to name, ignoring case, or 0. When no entry is
 * equal, an entry equal to name's first label ("one" for "one.lan") or an
 * entry whose first label equals name also matches.
 */
unsigned hosts_find(const struct hosts *h, const char *name);

#endif
