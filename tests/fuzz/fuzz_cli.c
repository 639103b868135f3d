/*
 * Fuzz the command-line parser: the input is argv, its strings separated
 * by NUL bytes (-h NUL hosts.txt NUL -d NUL 0.5); a NUL at the very end
 * closes the last string rather than starting an empty one. "rollcall" is put in
 * front as argv[0] and at most ARGS_MAX strings are taken.
 *
 * On success every field must be in the range cli.h gives it, and unless
 * --help or --version was asked for, a hostsfile was named. On failure
 * there is a message, and a success leaves none.
 */
#include <string.h>

#include "../../common/cli.h"
#include "../../common/bounds.h"
#include "fuzz.h"

#define ARGS_MAX 64
#define ERR_BYTES 256

/* Split text (NUL-terminated at text[len]) into argv[1..]; returns argc. */
static int split_args(char *text, size_t len, char **argv)
{
	static char argv0[] = "rollcall";
	int argc = 0;
	size_t start = 0;

	argv[argc++] = argv0;
	while (start < len && argc < ARGS_MAX + 1) {
		argv[argc++] = text + start;
		start += strlen(text + start) + 1;
	}
	argv[argc] = NULL;
	return argc;
}

static int points_into(const char *p, const char *text, size_t len)
{
	return p >= text && p <= text + len;
}

static void check_fields(const struct cli *c, const char *text, size_t len)
{
	fuzz_check(c->port > 0);
	fuzz_check(c->heartbeat_ms >= CLI_HEARTBEAT_MS_MIN &&
		   c->heartbeat_ms <= CLI_HEARTBEAT_MS_MAX);
	fuzz_check(c->delay_ms <= CLI_DELAY_MS_MAX);
	fuzz_check(c->crash_ms == -1 ||
		   (c->crash_ms >= 0 && c->crash_ms <= CLI_DELAY_MS_MAX));
	fuzz_check(c->id <= HOSTS_MAX);
	/* Each -v is a 'v' byte of the input. */
	fuzz_check(c->verbose >= 0 && (size_t)c->verbose <= len);
	if (c->hostsfile != NULL) {
		fuzz_check(points_into(c->hostsfile, text, len));
		fuzz_check(c->hostsfile[0] != '\0');
	}
	if (!c->help && !c->version)
		fuzz_check(c->hostsfile != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[ARGS_MAX + 2];
	char err[ERR_BYTES];
	struct cli c;
	char *text;
	int argc, rc;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	argc = split_args(text, size, argv);

	memset(err, 'x', sizeof(err));
	rc = cli_parse(&c, argc, argv, err, sizeof(err));
	fuzz_check(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc != 0) {
		fuzz_check(rc < 0);
		fuzz_check(err[0] != '\0');
	} else {
		fuzz_check(err[0] == '\0');
		check_fields(&c, text, size);
	}
	free(text);
	return 0;
}
