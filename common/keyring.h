/*
 * The keyring: the shared keys that seal what peers send (common/seal.h).
 *
 * A keyring file holds one key a line, the base64 of 32 random bytes
 * (`head -c 32 /dev/urandom | base64`); blank lines and lines starting
 * with '#' are skipped. The first key seals; every key opens. A file
 * readable or writable by group or others is refused, as ssh refuses such
 * a private key, with one exception: the layout of a Kubernetes Secret
 * mounted with fsGroup, owned by root, group-readable by our own group
 * alone (see keyring_perm_check).
 *
 * No key ever leaves this struct but into libsodium: no message names a
 * key or quotes a line of the file. A keyring is wiped with
 * keyring_wipe; the file is read through a descriptor closed on exec.
 */
#ifndef ROLLCALL_KEYRING_H
#define ROLLCALL_KEYRING_H

#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"

#define KEYRING_KEY_BYTES 32
#define KEYRING_ID_BYTES 4

struct keyring {
	unsigned count;		/* 1..KEYRING_KEYS_MAX once loaded */
	unsigned char keys[KEYRING_KEYS_MAX][KEYRING_KEY_BYTES];
	/* Each key's id: the first bytes of its BLAKE2b-256 hash. Public:
	 * it names a key on the wire and says nothing of it. */
	unsigned char ids[KEYRING_KEYS_MAX][KEYRING_ID_BYTES];
};

enum keyring_error {
	KEYRING_EIO = -1,	/* cannot open, stat or read the file */
	KEYRING_EPERM = -2,	/* readable by group or others */
	KEYRING_ELINE = -3,	/* a line is not a key */
	KEYRING_ECOUNT = -4,	/* no key, or over KEYRING_KEYS_MAX */
	KEYRING_ESIZE = -5,	/* over KEYRING_FILE_BYTES_MAX */
};

/*
 * Parse text (len bytes, from a file called name) into *k. On failure *k
 * is wiped and err holds one line naming name and the line number.
 */
int keyring_parse(struct keyring *k, const char *text, size_t len,
		  const char *name, char *err, size_t err_cap);

/*
 * Whether a file of this mode, owner and group may hold keys for a
 * process of effective uid euid and gid egid: nothing for others, and
 * nothing for the group unless the file is root's and the group is egid
 * (kubelet's Secret with fsGroup: 0440 root:fsGroup). 0 or KEYRING_EPERM.
 */
int keyring_perm_check(mode_t mode, uid_t uid, gid_t gid, uid_t euid,
		       gid_t egid);

/* Open path, check its permissions, read and parse it. */
int keyring_load(struct keyring *k, const char *path, char *err,
		 size_t err_cap);

/* Fill in the ids of k's keys (keyring_parse does it). */
void keyring_ids(struct keyring *k);

/* Zero every key (safe on a zeroed or half-filled keyring). */
void keyring_wipe(struct keyring *k);

#endif
