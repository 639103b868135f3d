/*
 * What the protocol core asks the world to do.
 *
 * The core (membership/, heartbeat/, reconcile/) never does I/O. Each event
 * it handles may produce messages to send and lines to print, and may end
 * the process; it hands them to an outbox, in order. The daemon's outbox
 * encodes and writes; the tests' outbox records; the simulator's queues
 * into its fake network. The core never waits on an outbox call and never
 * sees a failure from one: a message that cannot be delivered is lost, as
 * on a real network.
 */
#ifndef ROLLCALL_OUTBOX_H
#define ROLLCALL_OUTBOX_H

#include <stddef.h>

#include "out.h"
#include "peerset.h"
#include "state.h"
#include "wire.h"

struct outbox {
	/* Send m to every peer in to by TCP: in order, or not at all once
	 * the connection breaks. */
	void (*send)(struct outbox *o, const struct peerset *to,
		     const struct wire_msg *m);
	/* Send m to every peer in to by UDP, one datagram each: what the
	 * core sends again if it is lost (HEARTBEAT, and the hints that
	 * find a leader: a JOIN probe, a REDIRECT), at no connection's
	 * cost. */
	void (*send_datagram)(struct outbox *o, const struct peerset *to,
			      const struct wire_msg *m);
	/* Print one whole output line (newline included) on stderr. */
	void (*print)(struct outbox *o, const char *line, size_t len);
	/* Stop: the peer has crashed on purpose (-c, -t). */
	void (*exit)(struct outbox *o);
	/*
	 * Optional (NULL: none). The same events as the lines, as data, for
	 * whoever acts on them (the daemon's status file and handlers); also
	 * OUT_EVENT_REMOVED, which prints no line. Called after print.
	 */
	void (*event)(struct outbox *o, const struct out_event *e);
	/*
	 * Keep s across a restart before returning (the daemon: write, fsync,
	 * rename; NULL: nowhere, so a restart forgets it). The core calls it
	 * before sending anything that depends on it.
	 */
	void (*save)(struct outbox *o, const struct state *s);
};

#endif
