#!/usr/bin/env bash
# compose/keyed.yml, run and rotated: the five peers form their group with
# a keyring given as a file-based compose secret (the host file the
# image's user's, 0600), then the keys rotate in the three steps of
# docs/security.md, each step the host file rewritten in place and
# `kill -s HUP`; every peer must say it reread each step, and nobody may
# print an unreachable line. Then the image itself refuses a keyring its
# group can read, in one line. Needs the image prj3 and root (to give the
# file to user 10001).
#
#   tests/compose/keyed.sh [--build]
#
# Ends with "PASS keyed" or "FAIL keyed: reason"; exit 77 (skipped, said
# in one line) without a Docker engine or compose.
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
IMAGE=prj3
PROJECT=rollcall-keyed
WAIT_S=${ROLLCALL_KEYED_WAIT_S:-40}
logdir=$root/build/compose
mkdir -p "$logdir"
log=$logdir/keyed.log
names="one two three four five"
tmp=

fail() {
	echo "FAIL keyed: $*"
	exit 1
}

if ! timeout 10 docker info >/dev/null 2>&1; then
	echo "keyed compose test skipped: no Docker engine answers (docker info)"
	exit 77
fi
if timeout 10 docker compose version >/dev/null 2>&1; then
	CMD=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
	CMD=(docker-compose)
else
	echo "keyed compose test skipped: neither 'docker compose' nor docker-compose"
	exit 77
fi
[ "$(id -u)" = 0 ] || { echo "keyed compose test skipped: needs root (chown 10001)"; exit 77; }
if [ "${1:-}" = --build ]; then
	timeout 1200 docker build . -t "$IMAGE" >"$logdir/build.log" 2>&1 ||
		fail "docker build failed (build/compose/build.log)"
fi
timeout 10 docker image inspect "$IMAGE" >/dev/null 2>&1 ||
	fail "no image $IMAGE (pass --build, or docker build . -t $IMAGE)"

cleanup() {
	[ -n "$tmp" ] && timeout 120 "${COMPOSE[@]}" down -v --remove-orphans \
		-t 1 >>"$log.compose" 2>&1
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The compose file as it is, beside a secrets directory of this run's own.
tmp=$(mktemp -d)
COMPOSE=("${CMD[@]}" -p "$PROJECT" -f "$tmp/keyed.yml")
cp compose/keyed.yml "$tmp/keyed.yml"
mkdir "$tmp/secrets"
: >"$log.compose"
key() { head -c 32 /dev/urandom | base64; }
key_id() {
	"${PYTHON:-python3}" -c 'import base64, hashlib, sys
print(hashlib.blake2b(base64.b64decode(sys.argv[1]), digest_size=32).hexdigest()[:8])' "$1"
}
a=$(key) b=$(key)
secret=$tmp/secrets/keyring
(umask 077 && printf '%s\n' "$a" >"$secret")
chown 10001:10001 "$secret"

peer_log() { timeout 30 docker logs "$1" 2>&1; }
. tests/compose/scenario-lib.sh

echo "== compose/keyed.yml up"
timeout 120 "${COMPOSE[@]}" up -d >>"$log.compose" 2>&1 || fail "compose up failed ($log.compose)"
wait_for 'memb_list: \[1,2,3,4,5\]' $names ||
	fail "no full view after ${WAIT_S}s from:$missing"
echo "== all five in view [1,2,3,4,5], sealed"

# step "KEYS" COUNT KEY: rewrite the file in place, signal, and wait for
# every peer's line saying COUNT keys, sealing with KEY's id.
steps=0
step() {
	local want="reread \\(SIGHUP\\): $2 keys, sealing with key $(key_id "$3")"
	steps=$((steps + 1))
	printf '%s\n' $1 >"$secret"
	timeout 30 "${COMPOSE[@]}" kill -s HUP >>"$log.compose" 2>&1 ||
		fail "kill -s HUP failed"
	wait_for "$want" $names || fail "step $steps: no reread from:$missing"
	echo "== step $steps: every peer reread: $2 keys, sealing with key $(key_id "$3")"
	sleep 3
}
step "$a $b" 2 "$a"
step "$b $a" 2 "$b"
step "$b" 1 "$b"

for name in $names; do peer_log "$name"; done >"$log"
grep -q unreachable "$log" && fail "an unreachable line during the rotation: $(grep -m1 unreachable "$log")"
grep -qF -e "$a" -e "$b" "$log" && fail "a key appears in a log"
for name in $names; do
	[ "$(peer_log "$name" | grep -c 'memb_list')" -ge 1 ] || fail "$name printed no view"
done
echo "== no unreachable line, no key in any log"

# The image refuses a keyring its group can read.
chmod 0640 "$secret"
out=$(timeout 30 docker run --rm --network none -v "$tmp/secrets:/k:ro" \
	"$IMAGE" -h hostsfile.txt --id 1 --keyring /k/keyring 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "a 0640 keyring: exit $rc, want 2"
case $out in
*"permissions 0640 are too open"*) ;;
*) fail "a 0640 keyring: '$out'" ;;
esac
echo "== a 0640 keyring: exit 2, $out"
echo "PASS keyed"
