/*
 * The hostsfile parser. It checks the whole text before allocating, then
 * copies every entry (and, in the roles form, every role) into one buffer,
 * so that a failure at any point leaves nothing behind and a success costs
 * a single allocation.
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
	enum hosts_form form;
	size_t pos;		/* start of the next line */
	size_t line;		/* number of the line last returned, from 1 */
	size_t entry_off;	/* the entry found on that line */
	size_t entry_len;
	/* The roles form: the roles found on that line. */
	unsigned roles_count;
	struct hosts_role roles[HOST_ROLES_MAX];
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

static bool hosts__is_letter(char ch)
{
	return ch >= 'a' && ch <= 'z';
}

static bool hosts__is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static const char *const hosts__role_names[] = {
	[HOSTS_PROPOSER] = "proposer",
	[HOSTS_ACCEPTOR] = "acceptor",
	[HOSTS_LEARNER] = "learner",
};

/* The kind named by the len letters at name, or 0. */
static unsigned hosts__role_kind(const char *name, size_t len)
{
	for (unsigned k = HOSTS_PROPOSER; k <= HOSTS_LEARNER; k++)
		if (strlen(hosts__role_names[k]) == len &&
		    memcmp(hosts__role_names[k], name, len) == 0)
			return k;
	return 0;
}

/*
 * One role, [start, end) already trimmed: lower-case letters naming the
 * kind, then K, digits without a leading zero, 1..HOSTS_MAX. column is
 * where it starts, for messages.
 */
static int hosts__parse_role(const char *text, size_t start, size_t end,
			     size_t column, struct hosts_role *r, char *what,
			     size_t cap)
{
	size_t i = start, letters;
	uint64_t k = 0;

	if (start == end) {
		snprintf(what, cap, "empty role (column %zu); write roles as "
			 "acceptor1,learner1", column);
		return -EINVAL;
	}
	for (size_t j = start; j < end; j++) {
		char ch = text[j];
		if (hosts__is_letter(ch) || hosts__is_digit(ch))
			continue;
		if (hosts__is_blank(ch))
			snprintf(what, cap, "whitespace inside a role (column "
				 "%zu); separate roles with ','",
				 column + (j - start));
		else if ((unsigned char)ch > 0x20 && (unsigned char)ch < 0x7f)
			snprintf(what, cap, "'%c' (column %zu) cannot be in a "
				 "role; roles are proposerK, acceptorK and "
				 "learnerK", ch, column + (j - start));
		else
			snprintf(what, cap, "byte 0x%02x (column %zu) cannot "
				 "be in a role; roles are proposerK, "
				 "acceptorK and learnerK", (unsigned char)ch,
				 column + (j - start));
		return -EINVAL;
	}
	while (i < end && hosts__is_letter(text[i]))
		i++;
	letters = i - start;
	r->kind = (uint16_t)hosts__role_kind(text + start, letters);
	if (r->kind == 0) {
		snprintf(what, cap, "unknown role '%.*s' (column %zu); roles "
			 "are proposerK, acceptorK and learnerK",
			 (int)(end - start > 32 ? 32 : end - start),
			 text + start, column);
		return -EINVAL;
	}
	for (size_t j = i; j < end && k <= HOSTS_MAX; j++) {
		if (!hosts__is_digit(text[j]))
			k = HOSTS_MAX + 1;
		else
			k = k * 10 + (uint64_t)(text[j] - '0');
	}
	if (i == end || text[i] == '0' || k < 1 || k > HOSTS_MAX) {
		snprintf(what, cap, "role '%.*s' (column %zu) needs a number "
			 "K from 1 to %d after '%s', without leading zeros "
			 "(example: %s1)",
			 (int)(end - start > 32 ? 32 : end - start),
			 text + start, column, HOSTS_MAX,
			 hosts__role_names[r->kind],
			 hosts__role_names[r->kind]);
		return -EINVAL;
	}
	r->k = (uint16_t)k;
	return 0;
}

/*
 * The roles form: the line's roles, [start, end) after its last ':', into
 * s->roles.
 */
static int hosts__parse_roles(struct hosts__scan *s, size_t line_start,
			      size_t start, size_t end, const char *path,
			      char *err, size_t err_cap)
{
	char what[200];
	size_t pos = start;

	s->roles_count = 0;
	while (true) {
		const char *comma = memchr(s->text + pos, ',', end - pos);
		size_t tok_end = comma != NULL ? (size_t)(comma - s->text)
					       : end;
		size_t a = pos, b = tok_end;
		struct hosts_role r;

		while (a < b && hosts__is_blank(s->text[a]))
			a++;
		while (b > a && hosts__is_blank(s->text[b - 1]))
			b--;
		if (hosts__parse_role(s->text, a, b, a - line_start + 1, &r,
				      what, sizeof(what)) != 0)
			return hosts__fail(err, err_cap, path, s->line, what);
		for (unsigned i = 0; i < s->roles_count; i++) {
			if (s->roles[i].kind != r.kind || s->roles[i].k != r.k)
				continue;
			snprintf(what, sizeof(what), "role '%s%u' given twice",
				 hosts__role_names[r.kind], (unsigned)r.k);
			return hosts__fail(err, err_cap, path, s->line, what);
		}
		if (s->roles_count == HOST_ROLES_MAX) {
			snprintf(what, sizeof(what), "more than %d roles on "
				 "one line", HOST_ROLES_MAX);
			return hosts__fail(err, err_cap, path, s->line, what);
		}
		s->roles[s->roles_count++] = r;
		if (comma == NULL)
			return 0;
		pos = tok_end + 1;
	}
}

/*
 * The roles form: split the trimmed line [start, *end) at its last ':' (a
 * role has none, an IPv6 host may), parse the roles, and leave the host,
 * trimmed, in [start, *end).
 */
static int hosts__split_roles(struct hosts__scan *s, size_t line_start,
			      size_t start, size_t *end, const char *path,
			      char *err, size_t err_cap)
{
	size_t colon = *end;
	int rc;

	while (colon > start && s->text[colon - 1] != ':')
		colon--;
	if (colon == start)
		return hosts__fail(err, err_cap, path, s->line, "no role; "
				   "write host:role[,role...] (example: "
				   "peer2:acceptor1,acceptor2)");
	rc = hosts__parse_roles(s, line_start, colon, *end, path, err,
				err_cap);
	if (rc < 0)
		return rc;
	*end = colon - 1;
	while (*end > start && hosts__is_blank(s->text[*end - 1]))
		(*end)--;
	if (*end == start)
		return hosts__fail(err, err_cap, path, s->line, "no host name "
				   "before ':' (example: peer2:acceptor1)");
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
		int rc = 0;
		if (s->form == HOSTS_ROLES)
			rc = hosts__split_roles(s, line_start, start, &end,
						path, err, err_cap);
		if (rc == 0)
			rc = hosts__check_entry(s, line_start, start, end,
						path, err, err_cap);
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

/* Entries ordered by name, without regard to case, then by id. */
struct hosts__entry {
	const char *name;
	unsigned id;
};

static int hosts__name_cmp(const char *a, const char *b)
{
	for (size_t i = 0;; i++) {
		char ca = hosts__lower(a[i]), cb = hosts__lower(b[i]);

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca == '\0')
			return 0;
	}
}

static int hosts__entry_cmp(const void *pa, const void *pb)
{
	const struct hosts__entry *a = pa, *b = pb;
	int c = hosts__name_cmp(a->name, b->name);

	if (c != 0)
		return c;
	return a->id < b->id ? -1 : a->id > b->id ? 1 : 0;
}

/* The line on which entry id stands; the text already parsed once. */
static size_t hosts__line_of(const char *text, size_t len,
			     enum hosts_form form, unsigned id)
{
	struct hosts__scan s = { .text = text, .len = len, .form = form };

	for (unsigned i = 0; i < id; i++)
		hosts__next(&s, "", NULL, 0);
	return s.line;
}

/*
 * Find a repeated entry: the first line that repeats an earlier one, and
 * that earlier one. Sorted, not each pair compared: at 1024 entries that
 * was half a million comparisons a peer, seconds of the machine when a
 * whole group starts at once.
 */
static int hosts__check_duplicates(const struct hosts *h, const char *text,
				   size_t len, enum hosts_form form,
				   const char *path, char *err,
				   size_t err_cap)
{
	struct hosts__entry *byname = calloc(h->count + 1, sizeof(*byname));
	unsigned first = 0, again = 0;

	if (!byname) {
		hosts__fail(err, err_cap, path, 0, "out of memory");
		return -ENOMEM;
	}
	for (unsigned id = 1; id <= h->count; id++)
		byname[id - 1] = (struct hosts__entry){ h->names[id], id };
	qsort(byname, h->count, sizeof(*byname), hosts__entry_cmp);
	/* In each run of one name, the first is its first line and the
	 * second its first repeat. */
	for (unsigned k = 1; k < h->count; k++) {
		if (hosts__name_cmp(byname[k - 1].name, byname[k].name) != 0 ||
		    (k >= 2 && hosts__name_cmp(byname[k - 2].name,
					       byname[k].name) == 0))
			continue;
		if (again == 0 || byname[k].id < again) {
			first = byname[k - 1].id;
			again = byname[k].id;
		}
	}
	free(byname);
	if (again == 0)
		return 0;
	char what[HOST_NAME_BYTES_MAX + 64];

	snprintf(what, sizeof(what), "duplicate entry '%s' (first on line %zu)",
		 h->names[again], hosts__line_of(text, len, form, first));
	return hosts__fail(err, err_cap, path,
			   hosts__line_of(text, len, form, again), what);
}

/* First pass: validate every line, count entries and the bytes they need. */
static int hosts__measure(const char *text, size_t len, enum hosts_form form,
			  const char *path, char *err, size_t err_cap,
			  unsigned *count, size_t *roles, size_t *bytes)
{
	struct hosts__scan s = { .text = text, .len = len, .form = form };
	int rc;

	*count = 0;
	*roles = 0;
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
		*roles += s.roles_count;
		*bytes += s.entry_len + 1;
	}
	if (rc < 0)
		return rc;
	if (*count == 0)
		return hosts__fail(err, err_cap, path, 0, "no entries; list "
				   "one host name per line");
	return 0;
}

/*
 * Second pass: copy the entries, already known to be valid, into h->text,
 * after the roles (roles_count of them) at its start.
 */
static void hosts__copy(struct hosts *h, const char *text, size_t len,
			enum hosts_form form, size_t roles_count)
{
	struct hosts__scan s = { .text = text, .len = len, .form = form };
	char *p = h->text + roles_count * sizeof(struct hosts_role);
	unsigned r = 0;

	if (form == HOSTS_ROLES)
		h->roles = (struct hosts_role *)(void *)h->text;
	while (hosts__next(&s, "", NULL, 0) == 1) {
		memcpy(p, text + s.entry_off, s.entry_len);
		p[s.entry_len] = '\0';
		h->names[++h->count] = p;
		p += s.entry_len + 1;
		h->roles_first[h->count] = r;
		for (unsigned i = 0; i < s.roles_count; i++)
			h->roles[r++] = s.roles[i];
	}
	h->roles_first[h->count + 1] = r;
}

int hosts_parse_form(struct hosts *h, const char *text, size_t len,
		     enum hosts_form form, const char *path, char *err,
		     size_t err_cap)
{
	unsigned count;
	size_t roles, bytes;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = hosts__measure(text, len, form, path, err, err_cap, &count,
			    &roles, &bytes);
	if (rc < 0)
		return rc;
	/* malloc's alignment suits the roles at the start. */
	h->text = malloc(roles * sizeof(struct hosts_role) + bytes);
	if (h->text == NULL) {
		hosts__fail(err, err_cap, path, 0, "out of memory");
		return -ENOMEM;
	}
	hosts__copy(h, text, len, form, roles);
	rc = hosts__check_duplicates(h, text, len, form, path, err, err_cap);
	if (rc < 0)
		hosts_destroy(h);
	return rc;
}

int hosts_parse(struct hosts *h, const char *text, size_t len,
		const char *path, char *err, size_t err_cap)
{
	return hosts_parse_form(h, text, len, HOSTS_PLAIN, path, err,
				err_cap);
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

int hosts_load_form(struct hosts *h, const char *path, enum hosts_form form,
		    char *err, size_t err_cap)
{
	char *text;
	size_t len;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = hosts__read(path, &text, &len, err, err_cap);
	if (rc < 0)
		return rc;
	rc = hosts_parse_form(h, text, len, form, path, err, err_cap);
	free(text);
	return rc;
}

int hosts_load(struct hosts *h, const char *path, char *err, size_t err_cap)
{
	return hosts_load_form(h, path, HOSTS_PLAIN, err, err_cap);
}

bool hosts_has_role(const struct hosts *h, unsigned id,
		    enum hosts_role_kind kind, unsigned k)
{
	if (h->roles == NULL || id < 1 || id > h->count)
		return false;
	for (unsigned r = h->roles_first[id]; r < h->roles_first[id + 1]; r++)
		if (h->roles[r].kind == kind && h->roles[r].k == k)
			return true;
	return false;
}

const char *hosts_role_name(enum hosts_role_kind kind)
{
	return kind >= HOSTS_PROPOSER && kind <= HOSTS_LEARNER
		       ? hosts__role_names[kind]
		       : "?";
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
