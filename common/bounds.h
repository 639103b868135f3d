/*
 * Every bound rollcall enforces, named once.
 *
 * A table, queue, frame or retry that grows with input is capped here, so
 * that nothing a peer or a file sends can make a process allocate without
 * limit. docs/membership.md lists each bound and what happens when it is reached.
 */
#ifndef ROLLCALL_BOUNDS_H
#define ROLLCALL_BOUNDS_H

/* Entries in a hostsfile; peer ids run from 1 to HOSTS_MAX. */
#define HOSTS_MAX 1024

/* Longest hostsfile entry (a DNS name is at most 253 bytes). */
#define HOST_NAME_BYTES_MAX 253

/* Roles on one line of a hostsfile in the roles form (the Paxos lab's). */
#define HOST_ROLES_MAX 16

/* Largest hostsfile accepted, in bytes. */
#define HOSTS_FILE_BYTES_MAX (1024 * 1024)

/* Largest TCP frame body; a longer declared length closes the connection. */
#define FRAME_BYTES_MAX (64 * 1024)

/* Largest UDP datagram read or sent. */
#define DATAGRAM_BYTES_MAX 512

/* Bytes queued towards one peer before further messages to it are dropped. */
#define SEND_QUEUE_BYTES_MAX (1024 * 1024)

/* Inbound TCP connections held open at once; past it a new one replaces
 * the oldest that never carried a valid message, or is closed. A leader
 * hears every member over its own connection, so every other host may
 * hold one, with room for reconnects (at 256, groups above 256 never
 * formed: the leader refused the rest's OKs). */
#define INBOUND_CONNS_MAX (HOSTS_MAX + 64)

/* Inbound TCP connections from one address; past it a new one replaces
 * that address's oldest. A peer needs one (two while it reconnects). */
#define INBOUND_PER_SOURCE_MAX 8

/* Membership changes waiting behind the one in flight. */
#define OP_QUEUE_MAX (2 * HOSTS_MAX)

/* Suspects one HEARTBEAT names (the lowest ids first), and peers it says
 * its sender heard, each with an age. At their widest (48 ids of 3 bytes,
 * 32 pairs of 8, the fixed fields' 32 and three array headers: 438 bytes)
 * they leave room in DATAGRAM_BYTES_MAX for the keyring's envelope
 * (SEAL_OVERHEAD_BYTES, 68). A view of up to 32 members names every
 * other member heard; a larger one (K rings) names at most 6. */
#define HEARTBEAT_SUSPECTS_MAX 48
#define HEARTBEAT_HEARD_MAX 32

/* Peers a leader tracks as suspected by members at once (each with the
 * members that suspect it); past it a new suspect waits for a free slot. */
#define SUSPICIONS_MAX 64

/* Longest output line: the view line of a full group. */
#define OUT_LINE_BYTES_MAX (128 + 6 * HOSTS_MAX)

/* Events waiting for the --on-change program while one runs (one runs
 * at a time); when full, the oldest is dropped and counted. */
#define HANDLER_QUEUE_MAX 64

/* One event's JSON line on a handler's stdin: the view line's size and
 * the field names. */
#define HANDLER_EVENT_BYTES_MAX (256 + 6 * HOSTS_MAX)

/* Largest status file: a full group's members, each with the time it
 * was last heard, and every counter. */
#define STATUS_BYTES_MAX (64 * 1024)

/* Counters of one kind (the core's, the transport's, the handler's) in
 * the status file. */
#define STATUS_COUNTERS_MAX 24

/* Other hosts a joiner asks, in turn, on each JOIN retry. */
#define JOIN_PROBES_MAX 8

/* REQs a leader sends a joiner, 2T apart, before it drops the joiner's
 * ADD unanswered (nothing was accepted yet, so it may). */
#define ADD_CONFIRMS_MAX 3

/* Backoff bounds for JOIN retries, reconnects and name resolution. */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

/*
 * Changes one view change decides at once (a batch: the joins and deaths
 * that queued while the last round was in flight). Any batch is safe (it
 * commits on a quorum of the view it is asked in and of the view it
 * makes); the cap bounds what carries one: every struct wire_msg has room
 * for a batch (4 bytes a change), a REQ frame holds at most 4 bytes a
 * change, and the state file 8. At 256, 1024 peers starting at once are
 * admitted in four rounds or so, and a message struct stays under 2 KiB.
 */
#define CHANGES_MAX 256

/* Largest state file: the header fields, a full member list (an id of up
 * to four digits and its comma each) and a full accepted batch (" op:id"
 * or ",op:id" each). */
#define STATE_BYTES_MAX (256 + 5 * HOSTS_MAX + 8 * CHANGES_MAX)

/* Keys in a keyring: a rotation needs two, a few more leave room. */
#define KEYRING_KEYS_MAX 8

/* Largest keyring file, comments included. */
#define KEYRING_FILE_BYTES_MAX (16 * 1024)

#endif
