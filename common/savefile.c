/*
 * Durable small files (savefile.h): write, fsync, rename, fsync the
 * directory. A few hundred bytes, written when a promise changes, never
 * on a hot path.
 */
#include "savefile.h"

#include "fdio.h"

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
	int rc = savefile_write_mode(path, bytes, len, 0600);

	if (rc == 0)
		savefile_sync_dir(path);
	return rc;
}

int savefile_write_mode(const char *path, const char *bytes, size_t len,
			mode_t mode)
{
	char tmp[SAVEFILE_PATH_BYTES_MAX + 8];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd, rc;

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	/* fsync before rename: else a crash can leave the new name on an
	 * empty file. */
	rc = fd_write_all(fd, bytes, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int savefile_read(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	rc = fd_read_all(fd, buf, cap, len);
	close(fd);
	return rc;
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
