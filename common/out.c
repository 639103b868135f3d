/*
 * The output lines. Formatting lives here, once, so the daemon, the tests
 * and the simulator print byte-for-byte the same lines.
 */
#include "out.h"

#include <stdio.h>

#include "bounds.h"

/* The common prefix "{peer_id:2, view_id: 3, leader: 1, ". */
static size_t out_prefix(char *buf, unsigned self, uint32_t view_id,
			 unsigned leader)
{
	int n = snprintf(buf, OUT_LINE_BYTES_MAX,
			 "{peer_id:%u, view_id: %u, leader: %u, ", self,
			 (unsigned)view_id, leader);
	return (size_t)n;
}

size_t out_view(char *buf, unsigned self, uint32_t view_id, unsigned leader,
		const struct peerset *members)
{
	size_t len = out_prefix(buf, self, view_id, leader);
	len += (size_t)snprintf(buf + len, OUT_LINE_BYTES_MAX - len,
				"memb_list: [");
	const char *sep = "";
	peerset_foreach(members, id) {
		len += (size_t)snprintf(buf + len, OUT_LINE_BYTES_MAX - len,
					"%s%u", sep, id);
		sep = ",";
	}
	len += (size_t)snprintf(buf + len, OUT_LINE_BYTES_MAX - len, "]}\n");
	return len;
}

size_t out_crashing(char *buf, unsigned self, uint32_t view_id,
		    unsigned leader)
{
	size_t len = out_prefix(buf, self, view_id, leader);
	len += (size_t)snprintf(buf + len, OUT_LINE_BYTES_MAX - len,
				"message:\"crashing\"}\n");
	return len;
}

size_t out_unreachable(char *buf, unsigned self, uint32_t view_id,
		       unsigned leader, unsigned peer, bool peer_is_leader)
{
	size_t len = out_prefix(buf, self, view_id, leader);
	len += (size_t)snprintf(buf + len, OUT_LINE_BYTES_MAX - len,
				"message:\"peer %u%s unreachable\"}\n", peer,
				peer_is_leader ? " (leader)" : "");
	return len;
}

size_t out_event_line(char *buf, const struct out_event *e)
{
	switch (e->kind) {
	case OUT_EVENT_VIEW:
		return out_view(buf, e->self, e->view_id, e->leader,
				&e->members);
	case OUT_EVENT_UNREACHABLE:
		return out_unreachable(buf, e->self, e->view_id, e->leader,
				       e->peer, e->peer_is_leader);
	case OUT_EVENT_CRASHING:
		return out_crashing(buf, e->self, e->view_id, e->leader);
	case OUT_EVENT_REMOVED:
	case OUT_EVENT_HEARD:
		break;
	}
	return 0;
}

const char *out_event_name(enum out_event_kind kind)
{
	switch (kind) {
	case OUT_EVENT_VIEW:
		return "view";
	case OUT_EVENT_UNREACHABLE:
		return "unreachable";
	case OUT_EVENT_REMOVED:
		return "removed";
	case OUT_EVENT_CRASHING:
		return "crashing";
	case OUT_EVENT_HEARD:
		return "heard";
	}
	return "?";
}
