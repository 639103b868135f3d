/*
 * A small file kept durably: what a peer promised must survive a crash
 * (rollcall's state file, the Paxos lab's acceptor and proposer state).
 *
 * savefile_write replaces the file atomically and durably: a temporary
 * file beside it ("PATH.tmp"), fsync, rename over PATH, fsync of the
 * directory; once it returns 0 the new contents survive a crash and a
 * reader never sees half of them (on a failure the temporary file is
 * removed and PATH is as it was). savefile_read reads a whole file up to
 * a cap; savefile_probe checks, before anything is promised, that PATH can
 * be created. Every function returns 0 or a negative errno; nothing is
 * printed: the caller names the file and says what would fix it.
 */
#ifndef ROLLCALL_SAVEFILE_H
#define ROLLCALL_SAVEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* The file is the user's alone (0600). */
int savefile_write(const char *path, const char *bytes, size_t len);

/*
 * The same, with the file created at mode, and without the fsync of the
 * directory: the new name may be lost in a crash, never half the contents
 * (the status file: 0644, rewritten on every change, read by probes).
 */
int savefile_write_mode(const char *path, const char *bytes, size_t len,
			mode_t mode);

/*
 * Read PATH into buf (cap bytes): 0 and *len, -ENOENT when there is no
 * file, -EFBIG when it holds more than cap bytes, or another -errno.
 */
int savefile_read(const char *path, char *buf, size_t cap, size_t *len);

/* PATH does not exist yet: check it can be created (and remove it). */
int savefile_probe(const char *path);

#endif
