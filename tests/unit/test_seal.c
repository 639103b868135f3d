/*
 * Unit tests for sealing (common/seal.c) and the keyring file
 * (common/keyring.c): seal and open, a wrong key, every flipped bit, every
 * truncation, the replay rule (a replayed counter, an older life, a new
 * life, channels apart), an old key during the three steps of a rotation;
 * the file's lines, bounds and permissions, and that no message quotes a
 * key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/keyring.h"
#include "../../common/seal.h"

/* Three keys, as `head -c 32 /dev/urandom | base64` prints them. */
#define KEY_A "q83vEjRWeJC6xN3u8QEjRWeJq83vEjRWeJC6xN3u8QE="
#define KEY_B "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_C "//79/Pv6+fj39vX08/Lx8O/u7ezr6uno5+bl5OPi4eA="

static char err[512];

static struct keyring ring(const char *text)
{
	struct keyring k;
	int rc = keyring_parse(&k, text, strlen(text), "keys", err,
			       sizeof(err));
	assert_int_equal(rc, 0);
	return k;
}

static const struct seal_header hdr = {
	.channel = SEAL_DATAGRAM, .from = 3, .to = 5,
	.incarnation = 1700000000000000u, .counter = 42,
};
static const char body[] = "\x96\x03\x06\x03\x01\x00\x00 a heartbeat body";

/* Seal body under k with hdr into out. */
static size_t box(const struct keyring *k, unsigned char *out, size_t cap)
{
	size_t len = 0;
	assert_int_equal(seal_box(k, &hdr, NULL, body, sizeof(body), out, cap, &len),
			 0);
	assert_int_equal(len, sizeof(body) + SEAL_OVERHEAD_BYTES);
	return len;
}

static int open_(const struct keyring *k, const unsigned char *in,
		 size_t len, struct seal_header *h, unsigned *idx)
{
	unsigned char plain[512];
	size_t plain_len = 0;
	int rc = seal_open(k, SEAL_DATAGRAM, in, len, h, plain, sizeof(plain),
			   &plain_len, idx);
	if (rc == 0) {
		assert_int_equal(plain_len, sizeof(body));
		assert_memory_equal(plain, body, sizeof(body));
	}
	return rc;
}

static void test_seal_open(void **state)
{
	struct keyring k = ring(KEY_A "\n");
	unsigned char out[512];
	struct seal_header h;
	unsigned idx = 9;
	size_t len = box(&k, out, sizeof(out));
	(void)state;
	assert_true(seal_is_envelope(out, len));
	assert_int_equal(out[0], SEAL_MAGIC);
	/* The body does not travel in clear. */
	for (size_t i = 0; i + 9 <= len; i++)
		assert_int_not_equal(memcmp(out + i, "heartbeat", 9), 0);
	assert_int_equal(open_(&k, out, len, &h, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(h.channel, SEAL_DATAGRAM);
	assert_int_equal(h.from, 3);
	assert_int_equal(h.to, 5);
	assert_true(h.incarnation == hdr.incarnation);
	assert_int_equal(h.counter, 42);
}

static void test_nonce_differs(void **state)
{
	struct keyring k = ring(KEY_A);
	unsigned char a[512], b[512];
	size_t la = box(&k, a, sizeof(a)), lb = box(&k, b, sizeof(b));
	(void)state;
	assert_int_equal(la, lb);
	assert_memory_not_equal(a + SEAL_HEADER_BYTES, b + SEAL_HEADER_BYTES,
				SEAL_NONCE_BYTES);
}

/* With a salt, the nonce is the salt and the counter, and opens alike. */
static void test_salted_nonce(void **state)
{
	struct keyring k = ring(KEY_A);
	unsigned char salt[SEAL_SALT_BYTES], out[512];
	struct seal_header h;
	size_t len = 0;
	(void)state;
	memset(salt, 0x5c, sizeof(salt));
	assert_int_equal(seal_box(&k, &hdr, salt, body, sizeof(body), out,
				  sizeof(out), &len), 0);
	assert_memory_equal(out + SEAL_HEADER_BYTES, salt, SEAL_SALT_BYTES);
	assert_int_equal(out[SEAL_HEADER_BYTES + SEAL_NONCE_BYTES - 1], 42);
	assert_int_equal(open_(&k, out, len, &h, NULL), 0);
	assert_int_equal(h.counter, 42);
}

static void test_wrong_key(void **state)
{
	struct keyring a = ring(KEY_A), b = ring(KEY_B "\n" KEY_C "\n");
	unsigned char out[512];
	struct seal_header h;
	size_t len = box(&a, out, sizeof(out));
	(void)state;
	/* No key of that id: not even tried. */
	assert_int_equal(open_(&b, out, len, &h, NULL), SEAL_ENOKEY);
	/* A forged key id of a key we hold: tried, and it fails. */
	memcpy(out + 4, b.ids[1], KEYRING_ID_BYTES);
	assert_int_equal(open_(&b, out, len, &h, NULL), SEAL_EOPEN);
}

/* Every single bit flipped, header, nonce, body or tag: nothing opens. */
static void test_flipped_bit(void **state)
{
	struct keyring k = ring(KEY_A);
	unsigned char out[512];
	struct seal_header h;
	size_t len = box(&k, out, sizeof(out));
	(void)state;
	for (size_t bit = 0; bit < len * 8; bit++) {
		out[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		assert_true(open_(&k, out, len, &h, NULL) < 0);
		out[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	assert_int_equal(open_(&k, out, len, &h, NULL), 0);
}

static void test_truncated(void **state)
{
	struct keyring k = ring(KEY_A);
	unsigned char out[512];
	struct seal_header h;
	size_t len = box(&k, out, sizeof(out));
	(void)state;
	for (size_t n = 0; n < len; n++) {
		int rc = open_(&k, out, n, &h, NULL);
		assert_int_equal(rc, n < SEAL_OVERHEAD_BYTES ? SEAL_ETRUNCATED
							     : SEAL_EOPEN);
	}
	/* One byte more is no better. */
	out[len] = 0;
	assert_int_equal(open_(&k, out, len + 1, &h, NULL), SEAL_EOPEN);
}

/* A datagram's envelope is not a frame's, though the key is right. */
static void test_channel(void **state)
{
	struct keyring k = ring(KEY_A);
	unsigned char out[512], plain[512];
	struct seal_header h;
	size_t plain_len, len = box(&k, out, sizeof(out));
	(void)state;
	assert_int_equal(seal_open(&k, SEAL_FRAME, out, len, &h, plain,
				   sizeof(plain), &plain_len, NULL),
			 SEAL_EFORMAT);
	/* And changing the channel byte breaks the tag. */
	out[2] = SEAL_FRAME;
	assert_int_equal(seal_open(&k, SEAL_FRAME, out, len, &h, plain,
				   sizeof(plain), &plain_len, NULL),
			 SEAL_EOPEN);
}

static void test_no_space(void **state)
{
	struct keyring k = ring(KEY_A);
	unsigned char out[512], plain[512];
	struct seal_header h;
	size_t n, len = box(&k, out, sizeof(out));
	(void)state;
	assert_int_equal(seal_box(&k, &hdr, NULL, body, sizeof(body), out,
				  sizeof(body) + SEAL_OVERHEAD_BYTES - 1, &n),
			 SEAL_ENOSPACE);
	assert_int_equal(seal_open(&k, SEAL_DATAGRAM, out, len, &h, plain,
				   sizeof(body) - 1, &n, NULL),
			 SEAL_ENOSPACE);
}

static void test_replay(void **state)
{
	struct seal_replay r;
	struct seal_header h = hdr;
	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(seal_replay_check(&r, &h), 0);
	seal_replay_accept(&r, &h);
	/* The same counter again: a replay. */
	assert_int_equal(seal_replay_check(&r, &h), SEAL_EREPLAY);
	h.counter = 41;
	assert_int_equal(seal_replay_check(&r, &h), SEAL_EREPLAY);
	h.counter = 43;
	assert_int_equal(seal_replay_check(&r, &h), 0);
	/* The other channel keeps its own count. */
	h.channel = SEAL_FRAME;
	h.counter = 7;
	assert_int_equal(seal_replay_check(&r, &h), 0);
	seal_replay_accept(&r, &h);
	h.channel = SEAL_DATAGRAM;
	h.counter = 42;
	assert_int_equal(seal_replay_check(&r, &h), SEAL_EREPLAY);
	/* A later life starts afresh; the earlier one is then dead. */
	h.incarnation++;
	h.counter = 1;
	assert_int_equal(seal_replay_check(&r, &h), 0);
	seal_replay_accept(&r, &h);
	h.incarnation--;
	h.counter = 1000;
	assert_int_equal(seal_replay_check(&r, &h), SEAL_EOLD_LIFE);
	seal_replay_accept(&r, &h);
	assert_true(r.incarnation == hdr.incarnation + 1);
	assert_int_equal(r.counter[SEAL_DATAGRAM], 1);
	assert_int_equal(r.counter[SEAL_FRAME], 0);
}

/*
 * The rotation: A alone; 1. A then B everywhere; 2. B then A; 3. B
 * alone. A peer one step behind its neighbour opens what it sends, at
 * every step.
 */
static void test_rotation(void **state)
{
	struct keyring step[4] = {
		ring(KEY_A), ring(KEY_A "\n" KEY_B), ring(KEY_B "\n" KEY_A),
		ring("# after the rotation\n" KEY_B "\n"),
	};
	unsigned char out[512];
	struct seal_header h;
	unsigned idx;
	(void)state;
	for (unsigned s = 0; s < 3; s++) {
		size_t a = box(&step[s], out, sizeof(out));
		assert_int_equal(open_(&step[s + 1], out, a, &h, &idx), 0);
		a = box(&step[s + 1], out, sizeof(out));
		assert_int_equal(open_(&step[s], out, a, &h, &idx), 0);
	}
	/* Old key during step 2: sealed with A, opened with the second key. */
	size_t a = box(&step[1], out, sizeof(out));
	assert_int_equal(open_(&step[2], out, a, &h, &idx), 0);
	assert_int_equal(idx, 1);
	/* Two steps apart do not talk: A alone and B alone. */
	a = box(&step[0], out, sizeof(out));
	assert_int_equal(open_(&step[3], out, a, &h, &idx), SEAL_ENOKEY);
}

/* ---- the keyring file ---- */

static int parse(struct keyring *k, const char *text)
{
	memset(err, 0, sizeof(err));
	return keyring_parse(k, text, strlen(text), "keys", err, sizeof(err));
}

static void test_parse_forms(void **state)
{
	struct keyring k;
	(void)state;
	assert_int_equal(parse(&k, "# rollcall\n\n  " KEY_A "  \r\n\t# x\n"
			       KEY_B), 0);
	assert_int_equal(k.count, 2);
	assert_int_equal(k.keys[0][0], 0xab);
	assert_int_equal(k.keys[1][31], 0x1f);
}

/* A bad line names the file and line and never quotes the line. */
static void assert_line_error(const char *text, const char *where)
{
	struct keyring k;
	assert_true(parse(&k, text) < 0);
	assert_int_equal(k.count, 0);
	assert_non_null(strstr(err, where));
	assert_null(strchr(err, '\n'));
	assert_null(strstr(err, "q83vEjRW"));
	assert_null(strstr(err, "AAECAwQF"));
}

static void test_parse_errors(void **state)
{
	(void)state;
	assert_line_error("", "keys: no key");
	assert_line_error("# only a comment\n\n", "keys: no key");
	assert_line_error(KEY_A "\nq83vEjRWeJC6xN3u8QEjRWeJq83vEjRWeJC6xN3u8Q=\n",
			  "keys:2: not a key");
	/* 33 bytes, 31 bytes, the URL-safe alphabet, a trailing comment. */
	assert_line_error("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
			  "keys:1:");
	assert_line_error("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
			  "keys:1:");
	assert_line_error("__79_Pv6-fj39vX08_Lx8O_u7ezr6uno5-bl5OPi4eA=\n",
			  "keys:1:");
	assert_line_error(KEY_A " # mine\n", "keys:1:");
	assert_line_error("\n\n" KEY_A "x\n", "keys:3:");
	char nul[] = KEY_A "\n" KEY_B;
	nul[50] = '\0';
	struct keyring k;
	assert_true(keyring_parse(&k, nul, sizeof(nul) - 1, "keys", err,
				  sizeof(err)) < 0);
	assert_non_null(strstr(err, "keys:2:"));
}

static void test_parse_bounds(void **state)
{
	char text[(KEYRING_KEYS_MAX + 1) * 45 + 1] = "";
	struct keyring k;
	(void)state;
	for (unsigned i = 0; i < KEYRING_KEYS_MAX; i++)
		strcat(text, KEY_A "\n");
	assert_int_equal(parse(&k, text), 0);
	assert_int_equal(k.count, KEYRING_KEYS_MAX);
	strcat(text, KEY_B "\n");
	assert_int_equal(parse(&k, text), KEYRING_ECOUNT);
	assert_non_null(strstr(err, "keys:9: more than 8 keys"));
	char *big = calloc(1, KEYRING_FILE_BYTES_MAX + 2);
	assert_non_null(big);
	memset(big, '#', KEYRING_FILE_BYTES_MAX + 1);
	assert_int_equal(keyring_parse(&k, big, KEYRING_FILE_BYTES_MAX + 1,
				       "keys", err, sizeof(err)),
			 KEYRING_ESIZE);
	free(big);
}

static void test_perm_check(void **state)
{
	(void)state;
	/* Ours: 0600 and 0400 only. */
	assert_int_equal(keyring_perm_check(0100600, 1000, 1000, 1000, 1000), 0);
	assert_int_equal(keyring_perm_check(0100400, 1000, 1000, 1000, 1000), 0);
	assert_int_equal(keyring_perm_check(0100640, 1000, 1000, 1000, 1000),
			 KEYRING_EPERM);
	assert_int_equal(keyring_perm_check(0100604, 1000, 1000, 1000, 1000),
			 KEYRING_EPERM);
	assert_int_equal(keyring_perm_check(0100602, 1000, 1000, 1000, 1000),
			 KEYRING_EPERM);
	assert_int_equal(keyring_perm_check(0100610, 1000, 1000, 1000, 1000),
			 KEYRING_EPERM);
	/* Root's, read as root: the same. */
	assert_int_equal(keyring_perm_check(0100440, 0, 0, 0, 0), KEYRING_EPERM);
	/* A Kubernetes Secret with fsGroup 10001, read by user 10001. */
	assert_int_equal(keyring_perm_check(0100440, 0, 10001, 10001, 10001), 0);
	assert_int_equal(keyring_perm_check(0100460, 0, 10001, 10001, 10001),
			 KEYRING_EPERM);
	assert_int_equal(keyring_perm_check(0100444, 0, 10001, 10001, 10001),
			 KEYRING_EPERM);
	/* Root's, but some other group's. */
	assert_int_equal(keyring_perm_check(0100440, 0, 50, 10001, 10001),
			 KEYRING_EPERM);
	/* Another user's, group-readable: refused. */
	assert_int_equal(keyring_perm_check(0100440, 1000, 10001, 10001, 10001),
			 KEYRING_EPERM);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_load(void **state)
{
	char path[] = "/tmp/rollcall-test-keyring.XXXXXX";
	struct keyring k;
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, KEY_A "\n" KEY_B "\n", 0600);
	assert_int_equal(keyring_load(&k, path, err, sizeof(err)), 0);
	assert_int_equal(k.count, 2);
	write_file(path, KEY_A "\n", 0644);
	assert_int_equal(keyring_load(&k, path, err, sizeof(err)),
			 KEYRING_EPERM);
	assert_non_null(strstr(err, "permissions 0644 are too open"));
	assert_non_null(strstr(err, path));
	assert_int_equal(k.count, 0);
	write_file(path, KEY_A "\nnot a key\n", 0400);
	assert_int_equal(keyring_load(&k, path, err, sizeof(err)),
			 KEYRING_ELINE);
	assert_non_null(strstr(err, ":2: not a key"));
	unlink(path);
	assert_int_equal(keyring_load(&k, path, err, sizeof(err)), KEYRING_EIO);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(keyring_load(&k, "/tmp", err, sizeof(err)),
			 KEYRING_EIO);
	assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_nonce_differs),
		cmocka_unit_test(test_salted_nonce),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_flipped_bit),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_channel),
		cmocka_unit_test(test_no_space),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_perm_check),
		cmocka_unit_test(test_load),
	};
	if (seal_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
