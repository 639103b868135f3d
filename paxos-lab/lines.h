/*
 * The lab's output lines: one JSON object per line, the handout's fields
 * in the handout's order,
 *
 *   {"peer_id":1, "action":"sent", "message_type":"prepare",
 *    "message_value":"", "proposal_num":65537}
 *
 * (on one line). action is sent, received or chose; message_type is
 * prepare, prepare_ack, accept, accept_ack or chose; proposal_num is a
 * JSON number. The value is escaped as JSON needs: quote, backslash and
 * control bytes, and any byte not part of valid UTF-8 as \u00XX, so a
 * line is valid JSON whatever bytes a value holds. Formats only; the
 * program writes.
 */
#ifndef PAXOS_LAB_LINES_H
#define PAXOS_LAB_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "../paxos/paxos.h"

/* The longest line: every value byte escaped as \u00XX. */
#define LAB_LINE_BYTES_MAX (160 + 6 * PAXOS_VALUE_BYTES_MAX)

/* The handout's message_type for a core message type; NULL for NACK
 * (which the lab's acceptors never send). */
const char *lab_line_type(enum paxos_msg_type type);

/*
 * One line, newline included, into buf (LAB_LINE_BYTES_MAX bytes); its
 * length. v NULL: an empty value.
 */
size_t lab_line_format(char *buf, unsigned peer_id, const char *action,
		       const char *type, const struct paxos_value *v,
		       uint64_t proposal_num);

#endif
