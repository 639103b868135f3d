/*
 * The hostsfile parser. It checks the whole text before allocating, then
 * copies every entry into one buffer, so that a failure at any point leaves
 * nothing behind and a success costs a single allocation.
 */
#include "hosts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the line scanner stands; entries are byte ranges of the text. */
struct hosts__scan {
	const char *text;
	size_t len;
	size_t pos;		/* start of the next line */
	size_t line;		/* number of the line last returned, from 1 */
	size_t entry_off;	/* the entry found on that line */
	size_t entry_len;
};

/* An error names the file and line, so every caller of this goes through it. */
static int hosts__fail(char *err, size_t err_cap, const char *path,
		       size_t line, const char *what)
{
	if (err != NULL && err_cap > 0) {
		if (line > 0)
			snprintf(err, err_cap, "%s:%zu: %s", path, line, what);
		else
			snprintf(err, err_cap, "%s: %s", path, what);
	}
	return -EINVAL;
}

static bool hosts__is_blank(char ch)
{
	/* \r is blank so that files written on Windows (CRLF) parse. */
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static bool hosts__is_name_byte(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
	       ch == '_' || ch == ':';
}

/* Describe a byte that cannot be in a name without printing it raw. */
static void hosts__bad_byte(char *what, size_t cap, char ch, size_t column)
{
	unsigned char u = (unsigned char)ch;

	if (hosts__is_blank(ch))
		snprintf(what, cap, "whitespace inside an entry (column %zu); "
			 "write one host name per line", column);
	else if (u > 0x20 && u < 0x7f)
		snprintf(what, cap, "'%c' (column %zu) cannot be in a host "
			 "name; use letters, digits, '.', '-', '_' or ':'",
			 ch, column);
	else
		snprintf(what, cap, "byte 0x%02x (column %zu) cannot be in a "
			 "host name; use letters, digits, '.', '-', '_' or ':'",
			 u, column);
}

/*
 * Check the entry on one line, already trimmed to [start, end). A comment
 * line was skipped before this is called.
 */
static int hosts__check_entry(const struct hosts__scan *s, size_t line_start,
			      size_t start, size_t end, const char *path,
			      char *err, size_t err_cap)
{
	char what[160];

	for (size_t i = start; i < end; i++) {
		if (!hosts__is_name_byte(s->text[i])) {
			hosts__bad_byte(what, sizeof(what), s->text[i],
					i - line_start + 1);
			return hosts__fail(err, err_cap, path, s->line, what);
		}
	}
	if (end - start > HOST_NAME_BYTES_MAX) {
		snprintf(what, sizeof(what), "entry is %zu bytes long; a host "
			 "name has at most %d", end - start,
			 HOST_NAME_BYTES_MAX);
		return hosts__fail(err, err_cap, path, s->line, what);
	}
	return 0;
}

/*
 * Advance to the next line holding an entry. Returns 1 with the entry in
 * s->entry_off and s->entry_len, 0 at the end of the text, or a negative
 * code with a message in err.
 */
static int hosts__next(struct hosts__scan *s, const char *path, char *err,
		       size_t err_cap)
{
	while (s->pos < s->len) {
		size_t line_start = s->pos;
		const char *nl = memchr(s->text + s->pos, '\n', s->len - s->pos);
		size_t line_end = nl != NULL ? (size_t)(nl - s->text) : s->len;
		size_t start = line_start;
		size_t end = line_end;

		s->pos = nl != NULL ? line_end + 1 : s->len;
		s->line++;
		while (start < end && hosts__is_blank(s->text[start]))
			start++;
		while (end > start && hosts__is_blank(s->text[end - 1]))
			end--;
		if (start == end || s->text[start] == '#')
			continue;
		int rc = hosts__check_entry(s, line_start, start, end, path,
					    err, err_cap);
		if (rc < 0)
			return rc;
		s->entry_off = start;
		s->entry_len = end - start;
		return 1;
	}
	return 0;
}

/* ASCII only: a locale must not change which names are equal. */
static char hosts__lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static bool hosts__equal(const char *a, size_t a_len, const char *b,
			 size_t b_len)
{
	if (a_len != b_len)
		return false;
	for (size_t i = 0; i < a_len; i++)
		if (hosts__lower(a[i]) != hosts__lower(b[i]))
			return false;
	return true;
}

/* The line on which entry id stands; the text already parsed once. */
static size_t hosts__line_of(const char *text, size_t len, unsigned id)
{
	struct hosts__scan s = { .text = text, .len = len };

	for (unsigned i = 0; i < id; i++)
		hosts__next(&s, "", NULL, 0);
	return s.line;
}

/*
 * Find a repeated entry. Quadratic, but at most HOSTS_MAX entries once at
 * start-up, which is well under a millisecond.
 */
static int hosts__check_duplicates(const struct hosts *h, const char *text,
				   size_t len, const char *path, char *err,
				   size_t err_cap)
{
	for (unsigned j = 2; j <= h->count; j++) {
		size_t j_len = strlen(h->names[j]);

		for (unsigned i = 1; i < j; i++) {
			if (!hosts__equal(h->names[i], strlen(h->names[i]),
					  h->names[j], j_len))
				continue;
			char what[HOST_NAME_BYTES_MAX + 64];

			snprintf(what, sizeof(what),
				 "duplicate entry '%s' (first on line %zu)",
				 h->names[j], hosts__line_of(text, len, i));
			return hosts__fail(err, err_cap, path,
					   hosts__line_of(text, len, j), what);
		}
	}
	return 0;
}

/* First pass: validate every line, count entries and the bytes they need. */
static int hosts__measure(const char *text, size_t len, const char *path,
			  char *err, size_t err_cap, unsigned *count,
			  size_t *bytes)
{
	struct hosts__scan s = { .text = text, .len = len };
	int rc;

	*count = 0;
	*bytes = 0;
	while ((rc = hosts__next(&s, path, err, err_cap)) == 1) {
		if (*count == HOSTS_MAX) {
			char what[128];

			snprintf(what, sizeof(what), "more than %d entries; a "
				 "group has at most %d peers", HOSTS_MAX,
				 HOSTS_MAX);
			return hosts__fail(err, err_cap, path, s.line, what);
		}
		(*count)++;
		*bytes += s.entry_len + 1;
	}
	if (rc < 0)
		return rc;
	if (*count == 0)
		return hosts__fail(err, err_cap, path, 0, "no entries; list "
				   "one host name per line");
	return 0;
}

/* Second pass: copy the entries, already known to be valid, into h->text. */
static void hosts__copy(struct hosts *h, const char *text, size_t len)
{
	struct hosts__scan s = { .text = text, .len = len };
	char *p = h->text;

	while (hosts__next(&s, "", NULL, 0) == 1) {
		memcpy(p, text + s.entry_off, s.entry_len);
		p[s.entry_len] = '\0';
		h->names[++h->count] = p;
		p += s.entry_len + 1;
	}
}

int hosts_parse(struct hosts *h, const char *text, size_t len,
		const char *path, char *err, size_t err_cap)
{
	unsigned count;
	size_t bytes;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = hosts__measure(text, len, path, err, err_cap, &count, &bytes);
	if (rc < 0)
		return rc;
	h->text = malloc(bytes);
	if (h->text == NULL) {
		hosts__fail(err, err_cap, path, 0, "out of memory");
		return -ENOMEM;
	}
	hosts__copy(h, text, len);
	rc = hosts__check_duplicates(h, text, len, path, err, err_cap);
	if (rc < 0)
		hosts_destroy(h);
	return rc;
}

/*
 * Read the whole file, refusing more than HOSTS_FILE_BYTES_MAX: one byte
 * more is requested so that an oversized file is seen as such.
 */
static int hosts__read(const char *path, char **out, size_t *out_len,
		       char *err, size_t err_cap)
{
	char what[256];
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		int e = errno;

		snprintf(what, sizeof(what), "cannot open: %s", strerror(e));
		hosts__fail(err, err_cap, path, 0, what);
		return e > 0 ? -e : -EIO;
	}
	char *buf = malloc(HOSTS_FILE_BYTES_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		hosts__fail(err, err_cap, path, 0, "out of memory");
		return -ENOMEM;
	}
	size_t n = fread(buf, 1, HOSTS_FILE_BYTES_MAX + 1, f);
	int e = ferror(f) ? errno : 0;
	fclose(f);
	if (e != 0 || n > HOSTS_FILE_BYTES_MAX) {
		if (e != 0)
			snprintf(what, sizeof(what), "cannot read: %s",
				 strerror(e));
		else
			snprintf(what, sizeof(what), "larger than %d bytes; "
				 "is this the right file?",
				 HOSTS_FILE_BYTES_MAX);
		hosts__fail(err, err_cap, path, 0, what);
		free(buf);
		return e > 0 ? -e : -EFBIG;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

int hosts_load(struct hosts *h, const char *path, char *err, size_t err_cap)
{
	char *text;
	size_t len;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = hosts__read(path, &text, &len, err, err_cap);
	if (rc < 0)
		return rc;
	rc = hosts_parse(h, text, len, path, err, err_cap);
	free(text);
	return rc;
}

void hosts_destroy(struct hosts *h)
{
	free(h->text);
	memset(h, 0, sizeof(*h));
}

/*
 * An IP literal's first "label" ("10" of "10.0.0.1") names nothing, so such
 * names and entries are matched exactly only.
 */
static bool hosts__is_ip_literal(const char *name)
{
	if (strchr(name, ':') != NULL)
		return true;
	if (name[0] == '\0')
		return false;
	return strspn(name, "0123456789.") == strlen(name);
}

static size_t hosts__label_len(const char *name)
{
	return strcspn(name, ".");
}

/* Either name's first label is the entry, or the entry's is the name. */
static bool hosts__label_match(const char *entry, const char *name)
{
	size_t name_len = strlen(name);
	size_t entry_len = strlen(entry);

	if (hosts__is_ip_literal(entry))
		return false;
	return hosts__equal(entry, entry_len, name,
			    hosts__label_len(name)) ||
	       hosts__equal(entry, hosts__label_len(entry), name, name_len);
}

/*
 * When several entries match by label alone the name is ambiguous, and
 * guessing could give two processes one id: return 0 so that the caller
 * asks for --id.
 */
unsigned hosts_find(const struct hosts *h, const char *name)
{
	unsigned found = 0;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (unsigned id = 1; id <= h->count; id++)
		if (hosts__equal(h->names[id], strlen(h->names[id]), name,
				 strlen(name)))
			return id;
	if (hosts__is_ip_literal(name))
		return 0;
	for (unsigned id = 1; id <= h->count; id++) {
		if (!hosts__label_match(h->names[id], name))
			continue;
		if (found != 0)
			return 0;
		found = id;
	}
	return found;
}
