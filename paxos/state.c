/*
 * The acceptor's saved state as text: what its state file holds.
 *
 * Text, because a person debugging a cluster reads it with cat, and it
 * is small. The decoder takes untrusted bytes (a file cut short by a
 * crash before rename, or edited by hand): every number, count and
 * length is checked, nothing is allocated, and a bad file is refused with
 * the line and what is wrong, so the acceptor never starts from a state
 * it did not save.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "paxos.h"

#define STATE_MAGIC "paxos-acceptor 1"

static int put(char *buf, size_t cap, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= cap)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, cap - *at, fmt, ap);
	va_end(ap);
	/* vsnprintf wants room for a NUL the file does not hold. */
	if (n < 0 || (size_t)n >= cap - *at)
		return -ENOSPC;
	*at += (size_t)n;
	return 0;
}

int paxos_state_encode(const struct paxos_state *s, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const struct paxos_entry *e;
	size_t at = 0;
	unsigned i, k;
	char tmp[2 * PAXOS_VALUE_BYTES_MAX + 1];

	if (put(buf, cap, &at, STATE_MAGIC "\npromised %" PRIu64
		" trimmed %" PRIu64 "\n", s->promised, s->trimmed))
		return -ENOSPC;
	for (i = 0; i < s->entries_count; i++) {
		e = &s->entries[i];
		if (e->value.noop) {
			strcpy(tmp, "noop");
		} else if (e->value.len == 0) {
			strcpy(tmp, "-");
		} else {
			for (k = 0; k < e->value.len; k++) {
				tmp[2 * k] = hex[e->value.bytes[k] >> 4];
				tmp[2 * k + 1] = hex[e->value.bytes[k] & 15];
			}
			tmp[2 * k] = '\0';
		}
		if (put(buf, cap, &at, "slot %" PRIu64 " %" PRIu64 " %s\n",
			e->slot, e->vballot, tmp))
			return -ENOSPC;
	}
	return (int)at;
}

/* ---- decoding ---------------------------------------------------------- */

struct reader {
	const char *p, *end;
	unsigned line;
	char *err;
	size_t errcap;
};

static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (r->err && r->errcap > 0) {
		n = snprintf(r->err, r->errcap, "line %u: ", r->line);
		if (n >= 0 && (size_t)n < r->errcap) {
			va_start(ap, fmt);
			vsnprintf(r->err + n, r->errcap - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* The next word of the current line: [*w, *w + *n); false at the line's
 * end (the newline is not consumed). */
static bool word(struct reader *r, const char **w, size_t *n)
{
	while (r->p < r->end && *r->p == ' ')
		r->p++;
	*w = r->p;
	while (r->p < r->end && *r->p != ' ' && *r->p != '\n')
		r->p++;
	*n = (size_t)(r->p - *w);
	return *n > 0;
}

static bool is_word(const char *w, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(w, lit, n) == 0;
}

static int number(struct reader *r, const char *what, uint64_t *v)
{
	const char *w;
	size_t n, i;

	if (!word(r, &w, &n))
		return fail(r, "%s missing", what);
	*v = 0;
	for (i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return fail(r, "%s is not a number", what);
		if (*v > (UINT64_MAX - (uint64_t)(w[i] - '0')) / 10)
			return fail(r, "%s is too large", what);
		*v = *v * 10 + (uint64_t)(w[i] - '0');
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int value(struct reader *r, struct paxos_value *v)
{
	const char *w;
	size_t n, i;
	int hi, lo;

	if (!word(r, &w, &n))
		return fail(r, "value missing");
	v->noop = false;
	v->len = 0;
	if (is_word(w, n, "noop")) {
		v->noop = true;
		return 0;
	}
	if (is_word(w, n, "-"))
		return 0;
	if (n % 2 != 0 || n / 2 > PAXOS_VALUE_BYTES_MAX)
		return fail(r, "value is not hex of at most %d bytes",
			    PAXOS_VALUE_BYTES_MAX);
	for (i = 0; i < n / 2; i++) {
		hi = hexval(w[2 * i]);
		lo = hexval(w[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(r, "value is not lowercase hex");
		v->bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	v->len = (uint16_t)(n / 2);
	return 0;
}

/* The current line must end here; step past its newline. */
static int line_end(struct reader *r)
{
	const char *w;
	size_t n;

	if (word(r, &w, &n))
		return fail(r, "unexpected \"%.*s\"", (int)(n > 32 ? 32 : n),
			    w);
	if (r->p == r->end)
		return fail(r, "no newline at the end (file cut short?)");
	r->p++;
	r->line++;
	return 0;
}

static int header(struct reader *r, struct paxos_state *s)
{
	const char *w;
	size_t n;

	if ((size_t)(r->end - r->p) < strlen(STATE_MAGIC) ||
	    memcmp(r->p, STATE_MAGIC, strlen(STATE_MAGIC)) != 0)
		return fail(r, "not a paxos acceptor state (want \"%s\")",
			    STATE_MAGIC);
	r->p += strlen(STATE_MAGIC);
	if (line_end(r))
		return -EINVAL;
	if (!word(r, &w, &n) || !is_word(w, n, "promised"))
		return fail(r, "want \"promised B trimmed S\"");
	if (number(r, "promised", &s->promised))
		return -EINVAL;
	if (!word(r, &w, &n) || !is_word(w, n, "trimmed"))
		return fail(r, "want \"promised B trimmed S\"");
	if (number(r, "trimmed", &s->trimmed))
		return -EINVAL;
	return line_end(r);
}

static int entry(struct reader *r, const struct paxos_state *s,
		 struct paxos_entry *e)
{
	const char *w;
	size_t n;

	if (!word(r, &w, &n) || !is_word(w, n, "slot"))
		return fail(r, "want \"slot S BALLOT VALUE\"");
	if (number(r, "slot", &e->slot) || number(r, "ballot", &e->vballot) ||
	    value(r, &e->value))
		return -EINVAL;
	if (e->slot < s->trimmed)
		return fail(r, "slot %" PRIu64 " below trimmed %" PRIu64,
			    e->slot, s->trimmed);
	if (s->entries_count > 0 &&
	    e->slot <= s->entries[s->entries_count - 1].slot)
		return fail(r, "slot %" PRIu64 " not above slot %" PRIu64,
			    e->slot, s->entries[s->entries_count - 1].slot);
	if (e->vballot == 0 || e->vballot > s->promised)
		return fail(r, "ballot %" PRIu64 " is 0 or above the promise",
			    e->vballot);
	return line_end(r);
}

int paxos_state_decode(struct paxos_state *out, const char *buf, size_t len,
		       char *err, size_t errcap)
{
	/* On the stack (18 KiB), so a bad file leaves *out untouched. */
	struct paxos_state s;
	struct reader r = { buf, buf + len, 1, err, errcap };

	if (len > PAXOS_STATE_BYTES_MAX)
		return fail(&r, "state larger than %d bytes",
			    PAXOS_STATE_BYTES_MAX);
	memset(&s, 0, offsetof(struct paxos_state, entries));
	if (header(&r, &s))
		return -EINVAL;
	while (r.p < r.end) {
		if (s.entries_count == PAXOS_SLOTS_MAX)
			return fail(&r, "more than %d slots", PAXOS_SLOTS_MAX);
		if (entry(&r, &s, &s.entries[s.entries_count]))
			return -EINVAL;
		s.entries_count++;
	}
	*out = s;
	return 0;
}
