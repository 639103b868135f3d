/* The lab's JSON output lines (lines.h). */
#include "lines.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *lab_line_type(enum paxos_msg_type type)
{
	switch (type) {
	case PAXOS_PREPARE: return "prepare";
	case PAXOS_PROMISE: return "prepare_ack";
	case PAXOS_ACCEPT: return "accept";
	case PAXOS_ACCEPTED: return "accept_ack";
	case PAXOS_CHOSEN: return "chose";
	case PAXOS_NACK: return NULL;
	}
	return NULL;
}

/* Bytes of the valid UTF-8 sequence at p (n left), or 0 if none. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	size_t len;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three- and four-byte forms, surrogates, past U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

static size_t put_value(char *out, const struct paxos_value *v)
{
	size_t o = 0;

	for (size_t i = 0; v != NULL && i < v->len;) {
		uint8_t b = v->bytes[i];
		size_t seq;

		if (b == '"' || b == '\\') {
			out[o++] = '\\';
			out[o++] = (char)b;
			i++;
		} else if (b >= 0x20 && b < 0x7f) {
			out[o++] = (char)b;
			i++;
		} else if (b >= 0x80 &&
			   (seq = utf8_seq(v->bytes + i, v->len - i)) > 0) {
			memcpy(out + o, v->bytes + i, seq);
			o += seq;
			i += seq;
		} else {
			o += (size_t)sprintf(out + o, "\\u%04x", b);
			i++;
		}
	}
	return o;
}

size_t lab_line_format(char *buf, unsigned peer_id, const char *action,
		       const char *type, const struct paxos_value *v,
		       uint64_t proposal_num)
{
	char value[6 * PAXOS_VALUE_BYTES_MAX + 1];
	size_t vlen = put_value(value, v);
	int n;

	value[vlen] = '\0';
	n = snprintf(buf, LAB_LINE_BYTES_MAX,
		     "{\"peer_id\":%u, \"action\":\"%s\", \"message_type\":"
		     "\"%s\", \"message_value\":\"%s\", \"proposal_num\":%"
		     PRIu64 "}\n", peer_id, action, type, value, proposal_num);
	return n < 0 ? 0 : (size_t)n;
}
