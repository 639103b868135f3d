/*
 * The keyring file: permissions, lines, base64. See keyring.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyring.h"

#include "fdio.h"

void keyring_wipe(struct keyring *k)
{
	sodium_memzero(k, sizeof(*k));
}

void keyring_ids(struct keyring *k)
{
	for (unsigned i = 0; i < k->count; i++) {
		unsigned char h[crypto_generichash_BYTES];
		crypto_generichash(h, sizeof(h), k->keys[i], KEYRING_KEY_BYTES,
				   NULL, 0);
		memcpy(k->ids[i], h, KEYRING_ID_BYTES);
	}
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line, without its newline: blank, a comment, or a key. */
static int parse_line(struct keyring *k, const char *s, size_t len)
{
	unsigned char key[KEYRING_KEY_BYTES];
	size_t key_len = 0;
	const char *end = NULL;

	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (len == 0 || s[0] == '#')
		return 0;
	if (k->count >= KEYRING_KEYS_MAX)
		return KEYRING_ECOUNT;
	/* 32 bytes are 44 characters of base64; anything longer is not one
	 * key, and sodium_base642bin must not be asked to decode it. */
	if (len != sodium_base64_ENCODED_LEN(KEYRING_KEY_BYTES,
					     sodium_base64_VARIANT_ORIGINAL) - 1)
		return KEYRING_ELINE;
	if (sodium_base642bin(key, sizeof(key), s, len, NULL, &key_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    key_len != KEYRING_KEY_BYTES || end != s + len) {
		sodium_memzero(key, sizeof(key));
		return KEYRING_ELINE;
	}
	memcpy(k->keys[k->count++], key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	return 0;
}

int keyring_parse(struct keyring *k, const char *text, size_t len,
		  const char *name, char *err, size_t err_cap)
{
	unsigned line = 0;
	size_t off = 0;

	keyring_wipe(k);
	if (len > KEYRING_FILE_BYTES_MAX) {
		snprintf(err, err_cap, "%s: over %d bytes: not a keyring",
			 name, KEYRING_FILE_BYTES_MAX);
		return KEYRING_ESIZE;
	}
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		int rc;

		line++;
		if (memchr(text + off, '\0', n) != NULL)
			rc = KEYRING_ELINE;
		else
			rc = parse_line(k, text + off, n);
		if (rc == KEYRING_ECOUNT) {
			snprintf(err, err_cap, "%s:%u: more than %d keys",
				 name, line, KEYRING_KEYS_MAX);
			keyring_wipe(k);
			return rc;
		}
		if (rc < 0) {
			/* The line itself is never quoted: it may be a key
			 * with a typo. */
			snprintf(err, err_cap, "%s:%u: not a key: one key a "
				 "line, the base64 of 32 bytes (head -c 32 "
				 "/dev/urandom | base64), or a # comment",
				 name, line);
			keyring_wipe(k);
			return rc;
		}
		off += n + (nl ? 1 : 0);
	}
	keyring_ids(k);
	if (k->count == 0) {
		snprintf(err, err_cap, "%s: no key (one a line, the base64 "
			 "of 32 bytes: head -c 32 /dev/urandom | base64)",
			 name);
		return KEYRING_ECOUNT;
	}
	return 0;
}

int keyring_perm_check(mode_t mode, uid_t uid, gid_t gid, uid_t euid,
		       gid_t egid)
{
	if (mode & (S_IRWXO))
		return KEYRING_EPERM;
	if ((mode & S_IRWXG) == 0)
		return 0;
	/* A Kubernetes Secret with fsGroup: root's, 0440, our group's. */
	if (uid == 0 && euid != 0 && gid == egid && (mode & S_IWGRP) == 0)
		return 0;
	return KEYRING_EPERM;
}

int keyring_load(struct keyring *k, const char *path, char *err,
		 size_t err_cap)
{
	char buf[KEYRING_FILE_BYTES_MAX + 1];
	struct stat st;
	size_t len = 0;
	int fd, rc;

	keyring_wipe(k);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		return KEYRING_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, err_cap, "%s: %s", path,
			 S_ISREG(st.st_mode) ? strerror(errno)
					     : "not a regular file");
		close(fd);
		return KEYRING_EIO;
	}
	if (keyring_perm_check(st.st_mode, st.st_uid, st.st_gid, geteuid(),
			       getegid()) != 0) {
		snprintf(err, err_cap, "%s: permissions %04o are too open: a "
			 "keyring must not be readable by group or others "
			 "(chmod 600 %s)", path,
			 (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return KEYRING_EPERM;
	}
	/* One byte more than a keyring holds shows an oversized file, which
	 * keyring_parse refuses. */
	rc = fd_read_all(fd, buf, sizeof(buf), &len);
	if (rc == -EFBIG)
		len = sizeof(buf);
	else if (rc != 0) {
		snprintf(err, err_cap, "%s: %s", path, strerror(-rc));
		close(fd);
		sodium_memzero(buf, sizeof(buf));
		return KEYRING_EIO;
	}
	close(fd);
	rc = keyring_parse(k, buf, len, path, err, err_cap);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}
