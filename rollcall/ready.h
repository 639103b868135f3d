/*
 * The check behind `rollcall --ready FILE`: does a status file show a peer
 * in a view? For readiness probes and healthchecks in an image that holds
 * only the binary, so no shell, jq or python.
 *
 * The text must be one whole JSON object (a strict parser, bounded in
 * depth, checks all of it) whose top-level "role" is "member" or
 * "leader". Pure: ready_check_file only reads the file, at most
 * STATUS_BYTES_MAX bytes.
 */
#ifndef ROLLCALL_READY_H
#define ROLLCALL_READY_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting deeper than this is not a status file. */
#define READY_DEPTH_MAX 8

/*
 * Whether text (len bytes) shows a peer in a view. Either way a short
 * reason goes in why ("member of view 4", "role joining", "not JSON: ...").
 */
bool ready_check_text(const char *text, size_t len, char *why,
		      size_t why_cap);

/* The same for a file: a missing, unreadable or oversize one is not. */
bool ready_check_file(const char *path, char *why, size_t why_cap);

#endif
