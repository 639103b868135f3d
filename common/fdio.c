/* Whole reads and writes on a file descriptor (fdio.h). */
#include "fdio.h"

#include <errno.h>
#include <unistd.h>

int fd_write_all(int fd, const void *bytes, size_t len)
{
	const char *p = bytes;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_read_all(int fd, char *buf, size_t cap, size_t *len)
{
	size_t got = 0;

	while (got <= cap) {
		char extra;
		char *p = got < cap ? buf + got : &extra;
		ssize_t n = read(fd, p, got < cap ? cap - got : 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > cap)
		return -EFBIG;
	*len = got;
	return 0;
}
