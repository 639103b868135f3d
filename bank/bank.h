/*
 * The bank: the replicated state machine, DAT520's accounts, and the
 * table that applies each client command once.
 *
 * Accounts are named by number (0..BANK_ACCOUNT_MAX) and start at balance
 * 0 when first named. Operations and their results are the course's
 * bank.go exactly: balance reads; deposit adds, refusing a negative
 * amount; withdrawal subtracts when the balance stays at or above 0
 * (down to exactly 0 is allowed), else refuses. The error strings are
 * the course's, word for word.
 *
 * Every decided slot goes through bank_apply in slot order, on every
 * replica, so every replica holds the same accounts and the same table.
 * The table keeps, per client id, the last sequence number applied and
 * its result: a command whose seq is not above it was sent again (after
 * a failover, or a lost answer) and is not applied again; the replica
 * answers it with the first result. The table is bounded: past
 * BANK_CLIENTS_MAX the client whose last command is oldest is forgotten,
 * the same one on every replica, since they apply the same slots.
 *
 * No I/O, no clock, no allocation after bank_create.
 */
#ifndef BANK_BANK_H
#define BANK_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Highest account number; a command naming a higher one is refused
 * before it is proposed. */
#define BANK_ACCOUNT_MAX 1000000
/* Accounts the bank holds at once; one more is refused, applied as an
 * error. */
#define BANK_ACCOUNTS_MAX 65536
/* Largest amount in one command (beyond it: refused before proposing). */
#define BANK_AMOUNT_MAX INT64_C(1000000000000)
/* Clients the once-only table remembers. */
#define BANK_CLIENTS_MAX 4096
/* Bytes of a client id. */
#define BANK_CLIENT_ID_BYTES_MAX 64
/* Bytes of an error string (the longest course string with two 64-bit
 * numbers fits). */
#define BANK_ERROR_BYTES_MAX 128
/* Longest output line. */
#define BANK_LINE_BYTES_MAX 512
/* A snapshot's format, and its largest size: every account (19 bytes at
 * most) and every client (its id, its last seq and slot, its result). */
#define BANK_SNAPSHOT_VERSION 1
#define BANK_SNAPSHOT_BYTES_MAX (4 * 1024 * 1024)

enum bank_op {
	BANK_BALANCE = 0,
	BANK_DEPOSIT = 1,
	BANK_WITHDRAWAL = 2,
};
#define BANK_OP_MAX BANK_WITHDRAWAL

/* A client's command: what a decided slot holds (unless a no-op). */
struct bank_cmd {
	char client[BANK_CLIENT_ID_BYTES_MAX + 1];	/* NUL-terminated */
	uint64_t seq;
	int64_t account;
	int op;
	int64_t amount;
};

struct bank_result {
	int64_t account;
	int64_t balance;
	char error[BANK_ERROR_BYTES_MAX];	/* "" when it went through */
};

struct bank_account {
	bool used;
	int64_t number;
	int64_t balance;
};

struct bank_client {
	bool used;
	char id[BANK_CLIENT_ID_BYTES_MAX + 1];
	uint64_t seq;		/* the last applied */
	uint64_t slot;		/* where it was applied: the age to evict by */
	struct bank_result result;
};

struct bank {
	struct bank_account accounts[BANK_ACCOUNTS_MAX];	/* open hash */
	unsigned accounts_count;
	struct bank_client clients[BANK_CLIENTS_MAX];		/* open hash */
	unsigned clients_count;
	uint64_t applied;	/* client commands applied */
	uint64_t duplicates;	/* decided again, not applied again */
	uint64_t noops;
};

void bank_create(struct bank *b);

/*
 * A command that cannot be proposed: an empty or over-long client id, an
 * unknown operation (the course's "Unknown transaction type (%d)"), a
 * negative or too high account number, an amount beyond
 * BANK_AMOUNT_MAX. 0, or -EINVAL with the answer's error in err.
 */
int bank_check(const struct bank_cmd *c, char *err, size_t cap);

/*
 * Apply the command decided in slot (slots in order, once each). true:
 * applied, the result in *r; false: a command this client already had
 * applied (seq not above its last), *r its stored result when seq is the
 * last one (r->error empty or not), else *r has the error "stale".
 */
bool bank_apply(struct bank *b, uint64_t slot, const struct bank_cmd *c,
		struct bank_result *r);

/* The answer already given to (client, seq), if it was the client's last
 * applied command: for a retry that arrives after it was decided. */
bool bank_lookup(const struct bank *b, const char *client, uint64_t seq,
		 struct bank_result *r);

/*
 * The whole state, for a replica too far behind for the log (docs/
 * bank.md, Snapshot): msgpack [version, applied, duplicates, noops,
 * [[account, balance], ...], [[client, seq, slot, account, balance,
 * error], ...]]. Encode: 0, or -ENOSPC (BANK_SNAPSHOT_BYTES_MAX always
 * suffices). Decode, on untrusted bytes, into b (reset first): 0, or
 * -EINVAL (a field out of range, a duplicate, a table over its bound);
 * b is then partial and must not be used.
 */
int bank_snapshot_encode(const struct bank *b, void *buf, size_t cap,
			 size_t *len);
int bank_snapshot_decode(struct bank *b, const void *buf, size_t len);

/* "balance", "deposit", "withdrawal"; "noop" for -1. */
const char *bank_op_name(int op);

/*
 * The line every replica prints per applied slot (newline included):
 * {"replica":R,"slot":S,"client":"C","seq":N,"account":A,"op":"deposit",
 *  "amount":X,"balance":B,"error":""}
 * c NULL: a no-op (client "", zeros). The client id is JSON-escaped.
 */
size_t bank_line(char *buf, size_t cap, unsigned replica, uint64_t slot,
		 const struct bank_cmd *c, const struct bank_result *r);

#endif
