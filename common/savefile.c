/*
 * Durable small files (savefile.h): write, fsync, rename, fsync the
 * directory. A few hundred bytes, written when a promise changes, never
 * on a hot path.
 */
#include "savefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SAVEFILE_PATH_BYTES_MAX 4096

static void savefile_sync_dir(const char *path)
{
	char dir[SAVEFILE_PATH_BYTES_MAX];
	char *slash;
	int dfd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	dfd = open(dir[0] ? dir : "/", O_RDONLY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

int savefile_write(const char *path, const char *bytes, size_t len)
{
	char tmp[SAVEFILE_PATH_BYTES_MAX + 8];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && write(fd, bytes, len) == (ssize_t)len &&
		  fsync(fd) == 0;
	int e = ok ? 0 : errno;

	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		e = errno;
	}
	if (!ok)
		return e > 0 ? -e : -EIO;
	savefile_sync_dir(path);
	return 0;
}

int savefile_read(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	/* One byte past cap is asked for, so an oversized file shows. */
	while (got <= cap) {
		char extra;
		char *p = got < cap ? buf + got : &extra;
		size_t want = got < cap ? cap - got : 1;
		ssize_t n = read(fd, p, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > cap)
		return -EFBIG;
	*len = got;
	return 0;
}

int savefile_probe(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	unlink(path);
	return 0;
}
