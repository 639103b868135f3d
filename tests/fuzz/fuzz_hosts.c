/*
 * Fuzz the hostsfile parser: the input is a whole file's text.
 *
 * On success the table must hold 1..HOSTS_MAX entries, each a non-empty
 * name of at most HOST_NAME_BYTES_MAX name bytes that hosts_find maps back
 * to its own id (so no two entries are equal). On failure the message
 * names the file and the table is left empty. hosts_destroy frees it all,
 * which the leak checker confirms.
 *
 * Every input is parsed twice: in the plain form (rollcall's), then in
 * the roles form (the Paxos lab's), where each entry must also hold 1 to
 * HOST_ROLES_MAX roles, each a known kind with K in 1..HOSTS_MAX, none
 * repeated, and hosts_has_role must find each.
 */
#include <string.h>

#include "../../common/hosts.h"
#include "../../common/bounds.h"
#include "fuzz.h"

#define FUZZ_PATH "fuzz"
#define ERR_BYTES 256

static int is_name_byte(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
	       ch == '_' || ch == ':';
}

static void check_table(const struct hosts *h)
{
	fuzz_check(h->count >= 1 && h->count <= HOSTS_MAX);
	fuzz_check(h->names[0] == NULL);
	for (unsigned id = 1; id <= h->count; id++) {
		const char *name = h->names[id];
		size_t len = strlen(name);

		fuzz_check(len >= 1 && len <= HOST_NAME_BYTES_MAX);
		fuzz_check(strspn(name, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:")
			   == len);
		fuzz_check(is_name_byte(name[0]));
		fuzz_check(hosts_find(h, name) == id);
	}
}

/* A lookup of anything must return 0 or a valid id, never crash. */
static void check_find(const struct hosts *h, const char *text, size_t len)
{
	char name[HOST_NAME_BYTES_MAX + 1];
	size_t n = len < HOST_NAME_BYTES_MAX ? len : HOST_NAME_BYTES_MAX;

	memcpy(name, text, n);
	name[n] = '\0';
	fuzz_check(hosts_find(h, name) <= h->count);
}

static void check_roles(const struct hosts *h, enum hosts_form form)
{
	if (form == HOSTS_PLAIN) {
		fuzz_check(h->roles == NULL);
		return;
	}
	fuzz_check(h->roles != NULL);
	fuzz_check(h->roles_first[1] == 0);
	for (unsigned id = 1; id <= h->count; id++) {
		unsigned first = h->roles_first[id];
		unsigned end = h->roles_first[id + 1];

		fuzz_check(end > first && end - first <= HOST_ROLES_MAX);
		for (unsigned r = first; r < end; r++) {
			const struct hosts_role *x = &h->roles[r];

			fuzz_check(x->kind >= HOSTS_PROPOSER &&
				   x->kind <= HOSTS_LEARNER);
			fuzz_check(x->k >= 1 && x->k <= HOSTS_MAX);
			fuzz_check(hosts_has_role(h, id, x->kind, x->k));
			for (unsigned q = first; q < r; q++)
				fuzz_check(h->roles[q].kind != x->kind ||
					   h->roles[q].k != x->k);
		}
	}
}

static void parse_one(const uint8_t *data, size_t size, enum hosts_form form)
{
	static struct hosts h;
	char err[ERR_BYTES];
	int rc;

	memset(err, 0, sizeof(err));
	rc = hosts_parse_form(&h, (const char *)data, size, form, FUZZ_PATH,
			      err, sizeof(err));
	if (rc != 0) {
		fuzz_check(rc < 0);
		fuzz_check(strncmp(err, FUZZ_PATH ":", strlen(FUZZ_PATH) + 1)
			   == 0);
		fuzz_check(strchr(err, '\n') == NULL);
		fuzz_check(h.count == 0 && h.text == NULL && h.roles == NULL);
		return;
	}
	check_table(&h);
	check_roles(&h, form);
	check_find(&h, (const char *)data, size);
	hosts_destroy(&h);
	fuzz_check(h.count == 0 && h.text == NULL && h.roles == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_one(data, size, HOSTS_PLAIN);
	parse_one(data, size, HOSTS_ROLES);
	return 0;
}
