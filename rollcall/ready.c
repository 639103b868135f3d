/*
 * The readiness check: a strict JSON parser that keeps two top-level
 * fields, "role" and "view_id". Strict so that a truncated or corrupt file
 * is "not ready" rather than a guess; recursive, so bounded in depth.
 */
#include "ready.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../common/bounds.h"
#include "../common/savefile.h"

struct ready_parse {
	const char *p;
	const char *end;
	const char *error;	/* NULL while the text is good */
	char role[16];		/* top-level "role", "" when absent */
	long long view_id;	/* top-level "view_id", -1 when absent */
};

static bool ready_value(struct ready_parse *r, unsigned depth, char *str,
			size_t str_cap, long long *num);

static bool ready_fail(struct ready_parse *r, const char *what)
{
	if (r->error == NULL)
		r->error = what;
	return false;
}

static void ready_space(struct ready_parse *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
				 *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

static bool ready_eat(struct ready_parse *r, char ch)
{
	ready_space(r);
	if (r->p < r->end && *r->p == ch) {
		r->p++;
		return true;
	}
	return false;
}

/* A string; its text (escapes kept as written) into str when wanted. */
static bool ready_string(struct ready_parse *r, char *str, size_t str_cap)
{
	size_t n = 0;
	if (!ready_eat(r, '"'))
		return ready_fail(r, "a string expected");
	while (r->p < r->end && *r->p != '"') {
		unsigned char ch = (unsigned char)*r->p++;
		if (ch < 0x20)
			return ready_fail(r, "a control character in a string");
		if (ch == '\\') {
			if (r->p >= r->end ||
			    strchr("\"\\/bfnrtu", *r->p) == NULL)
				return ready_fail(r, "a bad escape");
			r->p++;
		}
		if (str != NULL && n + 1 < str_cap)
			str[n++] = (char)ch;
	}
	if (str != NULL && str_cap > 0)
		str[n] = '\0';
	if (r->p >= r->end)
		return ready_fail(r, "a string never ends");
	r->p++;
	return true;
}

static bool ready_number(struct ready_parse *r, long long *num)
{
	const char *s = r->p;
	long long v = 0;
	bool whole = true;
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return ready_fail(r, "a value expected");
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (v < INT64_MAX / 10)
			v = v * 10 + (*r->p - '0');
		r->p++;
	}
	if (r->p < r->end && *r->p == '.') {
		whole = false;
		for (r->p++; r->p < r->end && *r->p >= '0' && *r->p <= '9';)
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		whole = false;
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (num != NULL)
		*num = (whole && *s != '-') ? v : -1;
	return true;
}

static bool ready_word(struct ready_parse *r, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return ready_fail(r, "a value expected");
	r->p += n;
	return true;
}

/* Members of an object; at depth 1 (the top) "role" and "view_id" kept. */
static bool ready_object(struct ready_parse *r, unsigned depth)
{
	if (ready_eat(r, '}'))
		return true;
	do {
		char key[16];
		char str[16] = "";
		long long num = -1;
		if (!ready_string(r, key, sizeof(key)))
			return false;
		if (!ready_eat(r, ':'))
			return ready_fail(r, "':' expected");
		if (!ready_value(r, depth, str, sizeof(str), &num))
			return false;
		if (depth == 1 && strcmp(key, "role") == 0)
			snprintf(r->role, sizeof(r->role), "%s", str);
		if (depth == 1 && strcmp(key, "view_id") == 0)
			r->view_id = num;
	} while (ready_eat(r, ','));
	if (!ready_eat(r, '}'))
		return ready_fail(r, "',' or '}' expected");
	return true;
}

static bool ready_array(struct ready_parse *r, unsigned depth)
{
	if (ready_eat(r, ']'))
		return true;
	do {
		if (!ready_value(r, depth, NULL, 0, NULL))
			return false;
	} while (ready_eat(r, ','));
	if (!ready_eat(r, ']'))
		return ready_fail(r, "',' or ']' expected");
	return true;
}

/* depth: of the container holding this value (0 for the whole text). */
static bool ready_value(struct ready_parse *r, unsigned depth, char *str,
			size_t str_cap, long long *num)
{
	ready_space(r);
	if (r->p >= r->end)
		return ready_fail(r, "it ends early");
	if (depth >= READY_DEPTH_MAX)
		return ready_fail(r, "nested too deep");
	switch (*r->p) {
	case '{':
		r->p++;
		return ready_object(r, depth + 1);
	case '[':
		r->p++;
		return ready_array(r, depth + 1);
	case '"':
		return ready_string(r, str, str_cap);
	case 't':
		return ready_word(r, "true");
	case 'f':
		return ready_word(r, "false");
	case 'n':
		return ready_word(r, "null");
	default:
		return ready_number(r, num);
	}
}

bool ready_check_text(const char *text, size_t len, char *why,
		      size_t why_cap)
{
	struct ready_parse r = { .p = text, .end = text + len, .view_id = -1 };

	ready_space(&r);
	if (r.p >= r.end || *r.p != '{')
		ready_fail(&r, "not an object");
	else if (ready_value(&r, 0, NULL, 0, NULL)) {
		ready_space(&r);
		if (r.p != r.end)
			ready_fail(&r, "text after the object");
	}
	if (r.error != NULL) {
		snprintf(why, why_cap, "not a status file (%s at byte %zu)",
			 r.error, (size_t)(r.p - text));
		return false;
	}
	if (r.role[0] == '\0') {
		snprintf(why, why_cap, "not a status file (no \"role\")");
		return false;
	}
	bool in_view = strcmp(r.role, "member") == 0 ||
		       strcmp(r.role, "leader") == 0;
	if (in_view)
		snprintf(why, why_cap, "%s of view %lld", r.role, r.view_id);
	else
		snprintf(why, why_cap, "in no view (role %s)", r.role);
	return in_view;
}

bool ready_check_file(const char *path, char *why, size_t why_cap)
{
	static char text[STATUS_BYTES_MAX];
	size_t len = 0;
	int rc = savefile_read(path, text, sizeof(text), &len);

	if (rc == -EFBIG) {
		snprintf(why, why_cap, "not a status file (over %d bytes)",
			 STATUS_BYTES_MAX);
		return false;
	}
	if (rc != 0) {
		snprintf(why, why_cap, "cannot read it: %s", strerror(-rc));
		return false;
	}
	return ready_check_text(text, len, why, why_cap);
}
