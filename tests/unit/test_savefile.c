/*
 * Unit tests for whole reads and writes (common/fdio.c) and the durable
 * small files built on them (common/savefile.c): the bounds, the errors,
 * the file's mode, and that a failed write leaves no temporary file and
 * the old contents in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/fdio.h"
#include "../../common/savefile.h"

/* A pipe holding n bytes of 'x', its write end closed. */
static int pipe_of(size_t n)
{
	int fds[2];
	char bytes[64];

	assert_true(n <= sizeof(bytes));
	assert_int_equal(pipe(fds), 0);
	memset(bytes, 'x', n);
	assert_int_equal(fd_write_all(fds[1], bytes, n), 0);
	close(fds[1]);
	return fds[0];
}

static void test_read_all_bounds(void **state)
{
	char buf[16];
	size_t len = 99;
	int fd;
	(void)state;

	fd = pipe_of(0);
	assert_int_equal(fd_read_all(fd, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 0);
	close(fd);

	fd = pipe_of(16);		/* exactly cap: read whole */
	assert_int_equal(fd_read_all(fd, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 16);
	assert_int_equal(buf[15], 'x');
	close(fd);

	fd = pipe_of(17);		/* one past cap: refused */
	len = 99;
	assert_int_equal(fd_read_all(fd, buf, sizeof(buf), &len), -EFBIG);
	assert_int_equal(len, 99);	/* untouched */
	close(fd);
}

static void test_bad_descriptor(void **state)
{
	char buf[4];
	size_t len;
	(void)state;

	assert_int_equal(fd_read_all(-1, buf, sizeof(buf), &len), -EBADF);
	assert_int_equal(fd_write_all(-1, "ab", 2), -EBADF);
	assert_int_equal(fd_write_all(-1, "", 0), 0);	/* nothing to move */
}

static void test_savefile_round_trip_and_mode(void **state)
{
	char dir[] = "/tmp/rollcall-test-savefile.XXXXXX";
	char path[128], tmp[140], buf[32];
	struct stat st;
	size_t len;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	assert_int_equal(savefile_read(path, buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(savefile_write(path, "hello", 5), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(savefile_read(path, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(savefile_read(path, buf, 4, &len), -EFBIG);
	assert_int_equal(access(tmp, F_OK), -1);
	unlink(path);

	mode_t mask = umask(0);	/* read it: set it back at once */
	umask(mask);
	assert_int_equal(savefile_write_mode(path, "{}", 2, 0644), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644 & ~mask);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void test_savefile_failure_keeps_old(void **state)
{
	char dir[] = "/tmp/rollcall-test-savefile.XXXXXX";
	char path[128], tmp[140], buf[32];
	size_t len;
	(void)state;

	assert_non_null(mkdtemp(dir));
	/* A folder where the file should be: the rename fails. */
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_not_equal(savefile_write(path, "new", 3), 0);
	assert_int_equal(access(tmp, F_OK), -1);	/* no leftover */
	assert_int_equal(rmdir(path), 0);

	/* A folder that does not exist: the errno, nothing made. */
	snprintf(path, sizeof(path), "%s/no/state", dir);
	assert_int_equal(savefile_write(path, "new", 3), -ENOENT);
	assert_int_equal(savefile_read(path, buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_all_bounds),
		cmocka_unit_test(test_bad_descriptor),
		cmocka_unit_test(test_savefile_round_trip_and_mode),
		cmocka_unit_test(test_savefile_failure_keeps_old),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
