/*
 * A main() for the fuzz targets without libFuzzer: runs each file named on
 * the command line, or each file in a directory named there, through
 * LLVMFuzzerTestOneInput once. `make fuzz-replay` links every target with
 * this and the sanitizers, using the normal compiler, so that the seeds
 * and every input that once found a bug are rerun by the ordinary test
 * command, where clang may not be installed.
 *
 * A failing input crashes the process (a sanitizer report or fuzz_check's
 * abort); the path is printed before each input is run so the report
 * names it.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Larger than any input worth replaying; libFuzzer's default is 4096. */
#define REPLAY_INPUT_BYTES_MAX (1024 * 1024)

static unsigned replay_count;

static int replay_file(const char *path)
{
	static uint8_t buf[REPLAY_INPUT_BYTES_MAX + 1];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n > REPLAY_INPUT_BYTES_MAX) {
		fprintf(stderr, "replay: %s: larger than %d bytes\n", path,
			REPLAY_INPUT_BYTES_MAX);
		return -1;
	}
	if (getenv("REPLAY_VERBOSE") != NULL)
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
	/* A copy of exactly n bytes, so ASan sees a read past the input. */
	uint8_t *copy = malloc(n > 0 ? n : 1);
	if (copy == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		return -1;
	}
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	replay_count++;
	return 0;
}

/* Every regular file in dir, in name order; hidden files are skipped. */
static int replay_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	int n, rc = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode) && replay_file(path) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i]) < 0
					       : replay_file(argv[i]) < 0) {
			rc = 1;
		}
	}
	printf("%s: %u inputs replayed\n", argv[0], replay_count);
	return rc;
}
