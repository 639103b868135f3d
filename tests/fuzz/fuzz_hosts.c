/*
 * Fuzz the hostsfile parser: the input is a whole file's text.
 *
 * On success the table must hold 1..HOSTS_MAX entries, each a non-empty
 * name of at most HOST_NAME_BYTES_MAX name bytes that hosts_find maps back
 * to its own id (so no two entries are equal). On failure the message
 * names the file and the table is left empty. hosts_destroy frees it all,
 * which the leak checker confirms.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hosts h;
	char err[ERR_BYTES];
	int rc;

	memset(err, 0, sizeof(err));
	rc = hosts_parse(&h, (const char *)data, size, FUZZ_PATH, err,
			 sizeof(err));
	if (rc != 0) {
		fuzz_check(rc < 0);
		fuzz_check(strncmp(err, FUZZ_PATH ":", strlen(FUZZ_PATH) + 1)
			   == 0);
		fuzz_check(h.count == 0 && h.text == NULL);
		return 0;
	}
	check_table(&h);
	check_find(&h, (const char *)data, size);
	hosts_destroy(&h);
	fuzz_check(h.count == 0 && h.text == NULL);
	return 0;
}
