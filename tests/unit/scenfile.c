/*
 * The scenario drivers' shared grammar and file handling (scenfile.h).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenfile.h"

int scenfile_fail(struct scenfile *f, const char *fmt, ...)
{
	if (f->err[0] != '\0')
		return -1;
	int n = f->line_no == 0 ?
			snprintf(f->err, sizeof(f->err), "%s: ", f->path) :
			snprintf(f->err, sizeof(f->err), "%s:%u: ", f->path,
				 f->line_no);
	if (n < 0 || (size_t)n >= sizeof(f->err))
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->err + n, sizeof(f->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int scenfile_u64(struct scenfile *f, const char *key, const char *v,
		 uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (v[0] < '0' || v[0] > '9')
		return scenfile_fail(f, "%s=%s: not a number", key, v);
	unsigned long long x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return scenfile_fail(f, "%s=%s: a number from 0 to %" PRIu64
				     " is wanted", key, v, max);
	*out = x;
	return 0;
}

int scenfile_uint(struct scenfile *f, const char *key, const char *v,
		  uint64_t max, unsigned *out)
{
	uint64_t x;
	if (scenfile_u64(f, key, v, max, &x) < 0)
		return -1;
	*out = (unsigned)x;
	return 0;
}

int scenfile_split(struct scenfile *f, char *line, struct scenfile_words *ws)
{
	ws->count = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			return 0;
		if (ws->count == SCENFILE_WORDS_MAX)
			return scenfile_fail(f, "more than %d words",
					     SCENFILE_WORDS_MAX);
		ws->w[ws->count++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
}

int scenfile_keys_check(struct scenfile *f, const struct scenfile_words *ws,
			unsigned from, const char *keys)
{
	for (unsigned i = from; i < ws->count; i++) {
		const char *w = ws->w[i];
		const char *eq = strchr(w, '=');
		size_t klen = eq != NULL ? (size_t)(eq - w) : strlen(w);
		const char *k = keys;
		bool found = false;
		while (*k != '\0' && !found) {
			size_t len = strcspn(k, " ");
			found = len == klen && strncmp(k, w, klen) == 0;
			k += len;
			k += *k == ' ';
		}
		if (!found)
			return scenfile_fail(f, "%s: unknown here (this "
					     "directive takes: %s)", w, keys);
		for (unsigned j = from; j < i; j++)
			if (strncmp(ws->w[j], w, klen) == 0 &&
			    (ws->w[j][klen] == '=' || ws->w[j][klen] == '\0'))
				return scenfile_fail(f, "%.*s given twice",
						     (int)klen, w);
	}
	return 0;
}

const char *scenfile_value(const struct scenfile_words *ws, unsigned from,
			   const char *key)
{
	size_t klen = strlen(key);
	for (unsigned i = from; i < ws->count; i++)
		if (strncmp(ws->w[i], key, klen) == 0 &&
		    ws->w[i][klen] == '=')
			return ws->w[i] + klen + 1;
	return NULL;
}

bool scenfile_flag(const struct scenfile_words *ws, unsigned from,
		   const char *key)
{
	for (unsigned i = from; i < ws->count; i++)
		if (strcmp(ws->w[i], key) == 0)
			return true;
	return false;
}

/* The whole file into buf, NUL-terminated; bounded, and closed at once,
 * so that a failure later leaves nothing open. */
static int scenfile_read(struct scenfile *f, char *buf, size_t cap)
{
	FILE *fp = fopen(f->path, "r");
	if (fp == NULL)
		return scenfile_fail(f, "cannot open: %s", strerror(errno));
	size_t len = fread(buf, 1, cap, fp);
	bool err = ferror(fp) != 0;
	fclose(fp);
	if (err)
		return scenfile_fail(f, "cannot read");
	if (len == cap)
		return scenfile_fail(f, "over %zu bytes", cap - 1);
	if (memchr(buf, '\0', len) != NULL)
		return scenfile_fail(f, "a NUL byte: not a text file");
	buf[len] = '\0';
	return 0;
}

int scenfile_each_line(struct scenfile *f,
		       int (*fn)(void *ctx, char *line), void *ctx)
{
	static char text[SCENFILE_BYTES_MAX];
	f->line_no = 0;
	if (scenfile_read(f, text, sizeof(text)) < 0)
		return -1;
	char *p = text;
	while (*p != '\0') {
		f->line_no++;
		size_t len = strcspn(p, "\n");
		char line[SCENFILE_LINE_BYTES];
		if (len >= sizeof(line))
			return scenfile_fail(f, "line over %zu bytes",
					     sizeof(line) - 1);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (p[len] == '\n');
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		len = strlen(line);
		while (len > 0 && (line[len - 1] == ' ' ||
				   line[len - 1] == '\t' ||
				   line[len - 1] == '\r'))
			line[--len] = '\0';
		if (fn(ctx, line) < 0)
			return -1;
	}
	return 0;
}

static int scenfile_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int scenfile_list_dir(const char *prog, const char *dir,
		      char paths[][SCENFILE_PATH_BYTES])
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "%s: %s: %s (run from the repository root, "
			"or name the directory)\n", prog, dir,
			strerror(errno));
		return -1;
	}
	int count = 0, rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
			continue;
		if (count == SCENFILE_FILES_MAX ||
		    strlen(dir) + 1 + len >= SCENFILE_PATH_BYTES) {
			fprintf(stderr, "%s: %s: over %d files, or a name too "
				"long\n", prog, dir, SCENFILE_FILES_MAX);
			rc = -1;
			break;
		}
		char *path = paths[count++];
		memcpy(path, dir, strlen(dir));
		path[strlen(dir)] = '/';
		memcpy(path + strlen(dir) + 1, e->d_name, len + 1);
	}
	closedir(d);
	if (rc < 0)
		return -1;
	if (count == 0) {
		fprintf(stderr, "%s: %s holds no *.txt\n", prog, dir);
		return -1;
	}
	qsort(paths, (size_t)count, SCENFILE_PATH_BYTES, scenfile_cmp);
	return count;
}

/* cmocka's state pointer carries the path; these carry the driver. */
static int (*scenfile_run)(const char *path);
static const char *(*scenfile_err)(void);

static void scenfile_case(void **state)
{
	if (scenfile_run(*state) < 0)
		fail_msg("%s", scenfile_err());
}

int scenfile_main(const char *prog, const char *dir, int argc, char **argv,
		  int (*run)(const char *path), const char *(*err)(void))
{
	static char paths[SCENFILE_FILES_MAX][SCENFILE_PATH_BYTES];
	static struct CMUnitTest tests[SCENFILE_FILES_MAX];
	int count = scenfile_list_dir(prog, argc > 1 ? argv[1] : dir, paths);
	if (count < 0)
		return 1;
	scenfile_run = run;
	scenfile_err = err;
	for (int i = 0; i < count; i++)
		tests[i] = (struct CMUnitTest){
			.name = paths[i],
			.test_func = scenfile_case,
			.initial_state = paths[i],
		};
	return _cmocka_run_group_tests(prog, tests, (size_t)count, NULL, NULL);
}
