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
