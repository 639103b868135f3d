/*
 * The bank's state machine (bank.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bank.h"
#include "mp.h"

void bank_create(struct bank *b)
{
	memset(b, 0, sizeof(*b));
}

/* FNV-1a: the table's order depends only on the commands applied. */
static uint64_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = UINT64_C(14695981039346656037);
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static struct bank_account *account_find(struct bank *b, int64_t number,
					 bool create)
{
	uint64_t h = hash_bytes(&number, sizeof(number));
	for (unsigned i = 0; i < BANK_ACCOUNTS_MAX; i++) {
		struct bank_account *a =
			&b->accounts[(h + i) % BANK_ACCOUNTS_MAX];
		if (a->used && a->number == number)
			return a;
		if (!a->used) {
			/* Keep a slot free so that a miss ends. */
			if (!create || b->accounts_count + 1 >= BANK_ACCOUNTS_MAX)
				return NULL;
			a->used = true;
			a->number = number;
			a->balance = 0;
			b->accounts_count++;
			return a;
		}
	}
	return NULL;
}

/* The index of client id's entry, or of the free one it would take. */
static unsigned client_index(const struct bank *b, const char *id,
			     bool *found)
{
	uint64_t h = hash_bytes(id, strlen(id));
	for (unsigned i = 0; i < BANK_CLIENTS_MAX; i++) {
		unsigned k = (unsigned)((h + i) % BANK_CLIENTS_MAX);
		const struct bank_client *c = &b->clients[k];
		if (!c->used || strcmp(c->id, id) == 0) {
			*found = c->used;
			return k;
		}
	}
	/* Unreachable: the table always keeps a free entry. */
	*found = false;
	return 0;
}

static struct bank_client *client_slot(struct bank *b, const char *id,
				       bool *found)
{
	return &b->clients[client_index(b, id, found)];
}

/* Forget the client whose last command is oldest (the same one on every
 * replica), and rebuild the table so lookups still end at a free slot. */
static void client_evict(struct bank *b)
{
	static struct bank_client keep[BANK_CLIENTS_MAX];
	unsigned oldest = BANK_CLIENTS_MAX, n = 0;
	for (unsigned i = 0; i < BANK_CLIENTS_MAX; i++)
		if (b->clients[i].used &&
		    (oldest == BANK_CLIENTS_MAX ||
		     b->clients[i].slot < b->clients[oldest].slot))
			oldest = i;
	for (unsigned i = 0; i < BANK_CLIENTS_MAX; i++)
		if (b->clients[i].used && i != oldest)
			keep[n++] = b->clients[i];
	memset(b->clients, 0, sizeof(b->clients));
	b->clients_count = 0;
	for (unsigned i = 0; i < n; i++) {
		bool found;
		struct bank_client *c = client_slot(b, keep[i].id, &found);
		*c = keep[i];
		b->clients_count++;
	}
}

int bank_check(const struct bank_cmd *c, char *err, size_t cap)
{
	size_t idlen = strnlen(c->client, sizeof(c->client));
	if (idlen == 0 || idlen > BANK_CLIENT_ID_BYTES_MAX) {
		snprintf(err, cap, "client id must be 1 to %d bytes",
			 BANK_CLIENT_ID_BYTES_MAX);
		return -EINVAL;
	}
	if (c->op < 0 || c->op > BANK_OP_MAX) {
		snprintf(err, cap, "Unknown transaction type (%d)", c->op);
		return -EINVAL;
	}
	if (c->account < 0 || c->account > BANK_ACCOUNT_MAX) {
		snprintf(err, cap, "Account number %" PRId64 " out of range "
			 "(0..%d)", c->account, BANK_ACCOUNT_MAX);
		return -EINVAL;
	}
	if (c->amount > BANK_AMOUNT_MAX || c->amount < -BANK_AMOUNT_MAX) {
		snprintf(err, cap, "Amount %" PRId64 " NOK out of range "
			 "(at most %" PRId64 " NOK either way)", c->amount,
			 BANK_AMOUNT_MAX);
		return -EINVAL;
	}
	return 0;
}

/* The course's Account.Process, on one account. */
static void process(struct bank_account *a, const struct bank_cmd *c,
		    struct bank_result *r)
{
	r->error[0] = '\0';
	switch (c->op) {
	case BANK_BALANCE:
		break;
	case BANK_DEPOSIT:
		if (c->amount < 0) {
			snprintf(r->error, sizeof(r->error),
				 "Can't deposit negative amount (%" PRId64
				 " NOK)", c->amount);
			break;
		}
		if (a->balance > INT64_MAX - c->amount) {
			snprintf(r->error, sizeof(r->error),
				 "Balance would overflow (%" PRId64 " NOK)",
				 a->balance);
			break;
		}
		a->balance += c->amount;
		break;
	case BANK_WITHDRAWAL:
		/* bank.go: Balance - Amount >= 0 (a negative amount adds). */
		if (c->amount < 0 && a->balance > INT64_MAX + c->amount) {
			snprintf(r->error, sizeof(r->error),
				 "Balance would overflow (%" PRId64 " NOK)",
				 a->balance);
			break;
		}
		if (a->balance - c->amount >= 0) {
			a->balance -= c->amount;
			break;
		}
		snprintf(r->error, sizeof(r->error),
			 "Not enough funds for withdrawal. Balance: %" PRId64
			 " NOK - Requested %" PRId64 " NOK", a->balance,
			 c->amount);
		break;
	default:
		snprintf(r->error, sizeof(r->error),
			 "Unknown transaction type (%d)", c->op);
		break;
	}
	r->account = a->number;
	r->balance = a->balance;
}

bool bank_apply(struct bank *b, uint64_t slot, const struct bank_cmd *c,
		struct bank_result *r)
{
	bool found;
	struct bank_client *cl = client_slot(b, c->client, &found);
	if (found && c->seq <= cl->seq) {
		b->duplicates++;
		if (c->seq == cl->seq) {
			*r = cl->result;
		} else {
			memset(r, 0, sizeof(*r));
			r->account = c->account;
			snprintf(r->error, sizeof(r->error), "stale");
		}
		return false;
	}
	memset(r, 0, sizeof(*r));
	char err[BANK_ERROR_BYTES_MAX];
	struct bank_account *a = NULL;
	if (bank_check(c, err, sizeof(err)) != 0) {
		r->account = c->account;
		snprintf(r->error, sizeof(r->error), "%s", err);
	} else if ((a = account_find(b, c->account, true)) == NULL) {
		r->account = c->account;
		snprintf(r->error, sizeof(r->error), "Too many accounts "
			 "(%d)", BANK_ACCOUNTS_MAX - 1);
	} else {
		process(a, c, r);
	}
	if (!found) {
		if (b->clients_count + 1 >= BANK_CLIENTS_MAX)
			client_evict(b);
		cl = client_slot(b, c->client, &found);
		memset(cl, 0, sizeof(*cl));
		cl->used = true;
		snprintf(cl->id, sizeof(cl->id), "%s", c->client);
		b->clients_count++;
	}
	cl->seq = c->seq;
	cl->slot = slot;
	cl->result = *r;
	b->applied++;
	return true;
}

bool bank_lookup(const struct bank *b, const char *client, uint64_t seq,
		 struct bank_result *r)
{
	bool found;
	const struct bank_client *cl = &b->clients[client_index(b, client,
							       &found)];
	if (!found || cl->seq != seq)
		return false;
	*r = cl->result;
	return true;
}

const char *bank_op_name(int op)
{
	switch (op) {
	case BANK_BALANCE:
		return "balance";
	case BANK_DEPOSIT:
		return "deposit";
	case BANK_WITHDRAWAL:
		return "withdrawal";
	case -1:
		return "noop";
	default:
		return "unknown";
	}
}

/* s as a JSON string body: quotes, backslashes and controls escaped. */
static size_t json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s != '\0' && n + 7 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
		}
	}
	out[n] = '\0';
	return n;
}

size_t bank_line(char *buf, size_t cap, unsigned replica, uint64_t slot,
		 const struct bank_cmd *c, const struct bank_result *r)
{
	char client[BANK_CLIENT_ID_BYTES_MAX * 6 + 1] = "";
	char error[BANK_ERROR_BYTES_MAX * 6 + 1] = "";
	int n;
	if (c == NULL) {
		n = snprintf(buf, cap, "{\"replica\":%u,\"slot\":%" PRIu64
			     ",\"client\":\"\",\"seq\":0,\"account\":0,"
			     "\"op\":\"noop\",\"amount\":0,\"balance\":0,"
			     "\"error\":\"\"}\n", replica, slot);
	} else {
		json_escape(client, sizeof(client), c->client);
		json_escape(error, sizeof(error), r->error);
		n = snprintf(buf, cap, "{\"replica\":%u,\"slot\":%" PRIu64
			     ",\"client\":\"%s\",\"seq\":%" PRIu64
			     ",\"account\":%" PRId64 ",\"op\":\"%s\","
			     "\"amount\":%" PRId64 ",\"balance\":%" PRId64
			     ",\"error\":\"%s\"}\n", replica, slot, client,
			     c->seq, c->account, bank_op_name(c->op),
			     c->amount, r->balance, error);
	}
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---- Snapshot ----------------------------------------------------------- */

int bank_snapshot_encode(const struct bank *b, void *buf, size_t cap,
			 size_t *len)
{
	struct mp_writer w;
	mp_writer_init(&w, buf, cap);
	mp_put_array(&w, 6);
	mp_put_uint(&w, BANK_SNAPSHOT_VERSION);
	mp_put_uint(&w, b->applied);
	mp_put_uint(&w, b->duplicates);
	mp_put_uint(&w, b->noops);
	mp_put_array(&w, b->accounts_count);
	for (unsigned i = 0; i < BANK_ACCOUNTS_MAX; i++) {
		const struct bank_account *a = &b->accounts[i];
		if (!a->used)
			continue;
		mp_put_array(&w, 2);
		mp_put_int(&w, a->number);
		mp_put_int(&w, a->balance);
	}
	mp_put_array(&w, b->clients_count);
	for (unsigned i = 0; i < BANK_CLIENTS_MAX; i++) {
		const struct bank_client *c = &b->clients[i];
		if (!c->used)
			continue;
		mp_put_array(&w, 6);
		mp_put_str(&w, c->id, strlen(c->id));
		mp_put_uint(&w, c->seq);
		mp_put_uint(&w, c->slot);
		mp_put_int(&w, c->result.account);
		mp_put_int(&w, c->result.balance);
		mp_put_str(&w, c->result.error, strlen(c->result.error));
	}
	if (w.failed)
		return -ENOSPC;
	*len = w.len;
	return 0;
}

/* A string field into out (cap bytes, NUL-terminated); no NUL inside. */
static bool snap_text(struct mp_reader *r, char *out, size_t cap)
{
	const char *s;
	size_t len;
	if (!mp_get_str(r, cap - 1, &s, &len) || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool snap_account(struct bank *b, struct mp_reader *r)
{
	uint32_t n;
	int64_t number, balance;
	if (!mp_get_array(r, 2, 2, &n) || !mp_get_int(r, &number) ||
	    !mp_get_int(r, &balance) || number < 0 ||
	    number > BANK_ACCOUNT_MAX || account_find(b, number, false))
		return false;
	struct bank_account *a = account_find(b, number, true);
	if (a == NULL)
		return false;
	a->balance = balance;
	return true;
}

static bool snap_client(struct bank *b, struct mp_reader *r)
{
	uint32_t n;
	struct bank_client c;
	bool found;
	memset(&c, 0, sizeof(c));
	if (!mp_get_array(r, 6, 6, &n) || !snap_text(r, c.id, sizeof(c.id)) ||
	    c.id[0] == '\0' || !mp_get_uint(r, UINT64_MAX, &c.seq) ||
	    !mp_get_uint(r, UINT64_MAX, &c.slot) ||
	    !mp_get_int(r, &c.result.account) ||
	    !mp_get_int(r, &c.result.balance) ||
	    !snap_text(r, c.result.error, sizeof(c.result.error)))
		return false;
	struct bank_client *e = client_slot(b, c.id, &found);
	if (found)
		return false;
	c.used = true;
	*e = c;
	b->clients_count++;
	return true;
}

int bank_snapshot_decode(struct bank *b, const void *buf, size_t len)
{
	struct mp_reader r;
	uint32_t n, accounts, clients;
	uint64_t version;
	bank_create(b);
	mp_reader_init(&r, buf, len);
	if (!mp_get_array(&r, 6, 6, &n) ||
	    !mp_get_uint(&r, BANK_SNAPSHOT_VERSION, &version) ||
	    version != BANK_SNAPSHOT_VERSION ||
	    !mp_get_uint(&r, UINT64_MAX, &b->applied) ||
	    !mp_get_uint(&r, UINT64_MAX, &b->duplicates) ||
	    !mp_get_uint(&r, UINT64_MAX, &b->noops))
		return -EINVAL;
	/* One entry of each table stays free, as bank_apply keeps it. */
	if (!mp_get_array(&r, 0, BANK_ACCOUNTS_MAX - 1, &accounts))
		return -EINVAL;
	for (uint32_t i = 0; i < accounts; i++)
		if (!snap_account(b, &r))
			return -EINVAL;
	if (!mp_get_array(&r, 0, BANK_CLIENTS_MAX - 1, &clients))
		return -EINVAL;
	for (uint32_t i = 0; i < clients; i++)
		if (!snap_client(b, &r))
			return -EINVAL;
	return mp_done(&r) ? 0 : -EINVAL;
}
