/*
 * What every scenario driver shares: reading a directory of data files,
 * splitting each line into key=value words, checking numbers and keys,
 * and naming the file and line of the first error.
 *
 * The membership driver (test_scenarios.c) and the Paxos driver
 * (test_paxos_scenarios.c) each give their directives a meaning; the
 * grammar below is theirs in common. One directive a line; '#' starts a
 * comment; words are separated by spaces or tabs. Nothing is allocated:
 * a file, a line and the list of files each have a bound, and a file over
 * one fails with the reason. Not a test itself: the Makefile links it into
 * every unit test, so it names everything scenfile_ and keeps no state but
 * the text of the file being read and the driver scenfile_main runs.
 */
#ifndef ROLLCALL_TEST_SCENFILE_H
#define ROLLCALL_TEST_SCENFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCENFILE_FILES_MAX 64
#define SCENFILE_PATH_BYTES 256
#define SCENFILE_BYTES_MAX (64 * 1024)
#define SCENFILE_LINE_BYTES 512
#define SCENFILE_WORDS_MAX 24
#define SCENFILE_ERR_BYTES 768

/* The file being run: where an error is, and the first error. */
struct scenfile {
	const char *path;
	unsigned line_no;	/* 0: the file as a whole */
	char err[SCENFILE_ERR_BYTES];
};

struct scenfile_words {
	char *w[SCENFILE_WORDS_MAX];
	unsigned count;
};

/* Record the first error, naming the file and line; returns -1. */
__attribute__((format(printf, 2, 3)))
int scenfile_fail(struct scenfile *f, const char *fmt, ...);

/* key=v as a number from 0 to max; -1 after scenfile_fail. */
int scenfile_u64(struct scenfile *f, const char *key, const char *v,
		 uint64_t max, uint64_t *out);
int scenfile_uint(struct scenfile *f, const char *key, const char *v,
		  uint64_t max, unsigned *out);

/* Split a line into words, in place. */
int scenfile_split(struct scenfile *f, char *line, struct scenfile_words *ws);

/* Every word from 'from' on is key=value (or a bare flag) of a key in
 * keys (space-separated), each given once. */
int scenfile_keys_check(struct scenfile *f, const struct scenfile_words *ws,
			unsigned from, const char *keys);

/* The value of key=... among the words from 'from' on; NULL if absent. */
const char *scenfile_value(const struct scenfile_words *ws, unsigned from,
			   const char *key);

/* A bare word key among the words from 'from' on. */
bool scenfile_flag(const struct scenfile_words *ws, unsigned from,
		   const char *key);

/*
 * Read f->path (at most SCENFILE_BYTES_MAX - 1 bytes, no NUL) and hand
 * each line to fn, its comment and trailing blanks cut off, with
 * f->line_no set; stops at the first -1. 0, or -1 with f->err set.
 */
int scenfile_each_line(struct scenfile *f,
		       int (*fn)(void *ctx, char *line), void *ctx);

/* The *.txt of dir, sorted, into paths; their count, or -1 after saying
 * why on stderr (prog names the driver). */
int scenfile_list_dir(const char *prog, const char *dir,
		      char paths[][SCENFILE_PATH_BYTES]);

/*
 * A cmocka case per file of dir (argv[1] if given), named by its path,
 * each running run(path) and failing with *err when it returns -1.
 */
int scenfile_main(const char *prog, const char *dir, int argc, char **argv,
		  int (*run)(const char *path), const char *(*err)(void));

#endif
