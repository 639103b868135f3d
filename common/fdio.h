/*
 * Whole reads and writes on a file descriptor, retried when a signal
 * interrupts them: what every file rollcall's programs read (the state,
 * a keyring, a status file) and every line they write go through.
 */
#ifndef ROLLCALL_FDIO_H
#define ROLLCALL_FDIO_H

#include <stddef.h>

/* Write all len bytes: 0, or a negative errno (-EIO if nothing moves). */
int fd_write_all(int fd, const void *bytes, size_t len);

/*
 * Read to end of file into buf (cap bytes): 0 and *len, -EFBIG when there
 * is more than cap (one byte past cap is asked for, so an oversized file
 * shows), or a negative errno. buf's first cap bytes may be written
 * either way.
 */
int fd_read_all(int fd, char *buf, size_t cap, size_t *len);

#endif
