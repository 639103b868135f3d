/*
 * A small file kept durably: what a peer promised must survive a crash
 * (rollcall's state file, the Paxos lab's acceptor and proposer state).
 *
 * savefile_write replaces the file atomically and durably: a temporary
 * file beside it ("PATH.tmp"), fsync, rename over PATH, fsync of the
 * directory; once it returns 0 the new contents survive a crash and a
 * reader never sees half of them. savefile_read reads a whole file up to
 * a cap; savefile_probe checks, before anything is promised, that PATH can
 * be created. Every function returns 0 or a negative errno; nothing is
 * printed: the caller names the file and says what would fix it.
 */
#ifndef ROLLCALL_SAVEFILE_H
#define ROLLCALL_SAVEFILE_H

#include <stddef.h>

int savefile_write(const char *path, const char *bytes, size_t len);

/*
 * Read PATH into buf (cap bytes): 0 and *len, -ENOENT when there is no
 * file, -EFBIG when it holds more than cap bytes, or another -errno.
 */
int savefile_read(const char *path, char *buf, size_t cap, size_t *len);

/* PATH does not exist yet: check it can be created (and remove it). */
int savefile_probe(const char *path);

#endif
