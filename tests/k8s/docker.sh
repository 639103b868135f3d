#!/usr/bin/env bash
# deploy/k8s's pods, as far as Docker can play them: five containers of
# the image with the names, hostsfile and arguments the StatefulSet gives
# its pods form the group, and handle a crash and the restart Kubernetes
# would make.
#
#   tests/k8s/docker.sh [--build]     (--build: docker build . -t prj3 first)
#
# From the manifests (tests/k8s/manifests.py, which checks them first):
# the ConfigMap's hostsfile, mounted read-only at the ConfigMap's mount
# path, and the container's arguments. Each container has the pod's
# hostname rollcall-N and, as its DNS alias on the test's own network,
# the name the headless Service gives that pod
# (rollcall-N.rollcall.default.svc.cluster.local), so each finds its id by
# its hostname's first label and the others by the hostsfile, as in a
# cluster. It runs as the pod does: user 10001, read-only root, no
# capabilities, the state and status directories on tmpfs writable by
# the pod's user, as the kubelet makes an emptyDir under the pod's fsGroup
# (10001). (Docker gives a tmpfs over an image directory that directory's
# 0700 mode whatever mode= says, so uid= is what makes it the user's.)
#
# 1. all five print the full view [1,2,3,4,5]; when the binary has
#    --status, the readiness probe's command exits 0 in each (without it,
#    one line says the probe was not checked, and --status is left out);
# 2. `docker kill` of rollcall-2 (peer 3): the others print "peer 3
#    unreachable" and a view [1,2,4,5];
# 3. `docker start` of it again, as the kubelet restarts a container: the
#    new life is admitted, everyone ends in one view [1,2,3,4,5];
# 4. a rolling restart that loses the state volume at each pod, as
#    `kubectl rollout restart` does to an emptyDir, highest ordinal first:
#    each pod killed and started again with a new tmpfs (a stopped
#    container's tmpfs is gone); after each, all five are in one view
#    [1,2,3,4,5] with a higher id than before;
# judge.awk's common checks hold for the whole log (build/k8s/docker.log):
# one view id names one list, and every pod's view ids only grow, across
# the restarts of step 4 too (no restart marker there: a life that lost
# its state prints the view that admits it, never an older one).
#
# Prints the timeline, then "PASS k8s-docker" (exit 0) or "FAIL
# k8s-docker: reason" (exit 1); 77 with one line when no engine answers.
# Every container, the network and the temporary folder are removed on
# any exit. ROLLCALL_K8S_WAIT_S bounds each wait.

set -u
# Debian's python3 (python3-yaml is its), unless PYTHON says otherwise.
py=${PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2

NET=rollcall-k8s-test
PREFIX=rollcall-k8s-
REPLICAS=5
VICTIM=2
WAIT_S=${ROLLCALL_K8S_WAIT_S:-60}
SETTLE_S=6
logdir=$root/build/k8s
log=$logdir/docker.log
mkdir -p "$logdir"
tmp=
ktmp=

fail() {
	echo "FAIL k8s-docker: $*"
	exit 1
}

cleanup() {
	local i
	for i in $(seq 0 $((REPLICAS - 1))); do
		timeout 30 docker rm -f "$PREFIX$i" >/dev/null 2>&1
	done
	timeout 30 docker network rm "$NET" >/dev/null 2>&1
	[ -n "$tmp" ] && rm -rf "$tmp"
	[ -n "$ktmp" ] && rm -rf "$ktmp"
}

if [ "${1:-}" = --build ]; then
	echo "== docker build . -t prj3"
	timeout 1200 docker build . -t prj3 >"$logdir/build.log" 2>&1 ||
		fail "docker build failed (build/k8s/build.log)"
fi
if ! timeout 10 docker info >/dev/null 2>&1; then
	echo "k8s docker test skipped: no Docker engine answers (docker info)"
	exit 77
fi
timeout 10 docker image inspect prj3 >/dev/null 2>&1 ||
	fail "no image prj3 (pass --build, or docker build . -t prj3)"

trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup

tmp=$(mktemp -d)
# The container's user must read the hostsfile's folder.
chmod 0755 "$tmp"
"$py" "$here/manifests.py" --hostsfile "$tmp/hostsfile" >"$logdir/manifests.out" ||
	fail "the manifests fail their checks: $(grep FAIL "$logdir/manifests.out" | head -n 1)"
mapfile -t args < <("$py" "$here/manifests.py" --args)
hosts_path=
for ((i = 0; i < ${#args[@]}; i++)); do
	[ "${args[i]}" = -h ] && hosts_path=${args[i + 1]}
done
[ -n "$hosts_path" ] || fail "the StatefulSet's arguments have no -h"
mv "$tmp/hostsfile" "$tmp/$(basename "$hosts_path")"
chmod 0644 "$tmp/$(basename "$hosts_path")"
mapfile -t names < <(grep -v '^[[:space:]]*\(#\|$\)' "$tmp/$(basename "$hosts_path")")
[ "${#names[@]}" -eq "$REPLICAS" ] || fail "the hostsfile has ${#names[@]} names, not $REPLICAS"

# Until the daemon has --status (issue 11), run without it and say so.
# The Secret, as the kubelet lays it out with fsGroup 10001: the key
# file 0440, root's, group 10001, in a directory of its own.
keyring_path=
for ((i = 0; i < ${#args[@]}; i++)); do
	[ "${args[i]}" = --keyring ] && keyring_path=${args[i + 1]}
done
keyring_mount=()
if [ -n "$keyring_path" ]; then
	ktmp=$(mktemp -d)
	head -c 32 /dev/urandom | base64 > "$ktmp/$(basename "$keyring_path")"
	chown -R 0:10001 "$ktmp" 2>/dev/null ||
		fail "cannot give the keyring to group 10001 (run as root)"
	chmod 0440 "$ktmp/$(basename "$keyring_path")"
	chmod 0750 "$ktmp"
	keyring_mount=(-v "$ktmp:$(dirname "$keyring_path"):ro")
fi

status=
if timeout 30 docker run --rm --network none prj3 --help 2>&1 | grep -q -- --status; then
	for ((i = 0; i < ${#args[@]}; i++)); do
		[ "${args[i]}" = --status ] && status=${args[i + 1]}
	done
else
	kept=()
	for ((i = 0; i < ${#args[@]}; i++)); do
		if [ "${args[i]}" = --status ]; then
			i=$((i + 1))
			continue
		fi
		kept+=("${args[i]}")
	done
	args=("${kept[@]}")
	echo "== readiness probe not checked: this binary has no --status (left out of its arguments)"
fi

timeout 30 docker network create "$NET" >/dev/null || fail "docker network create $NET failed"
echo "== five pods: ${args[*]}"
for i in $(seq 0 $((REPLICAS - 1))); do
	timeout 60 docker run -d --name "$PREFIX$i" --hostname "rollcall-$i" \
		--network "$NET" --network-alias "${names[i]}" \
		--user 10001:10001 --read-only --cap-drop ALL \
		--security-opt no-new-privileges \
		--tmpfs /var/lib/rollcall:mode=0777,uid=10001 \
		--tmpfs /run/rollcall:mode=0777,uid=10001 \
		-v "$tmp:$(dirname "$hosts_path"):ro" "${keyring_mount[@]}" \
		prj3 "${args[@]}" >/dev/null || fail "docker run of rollcall-$i failed"
done

# Containers are $PREFIX0..4; the scenario names them as their pods.
peer_log() { timeout 30 docker logs -t "$PREFIX${1#rollcall-}" 2>&1; }
# shellcheck source=../compose/scenario-lib.sh
. "$root/tests/compose/scenario-lib.sh"

restart_stamp=
collect() {
	# shellcheck disable=SC2086
	merge_logs "$log" $all
	# The judge's marker of a new life, at the moment of the restart.
	if [ -n "$restart_stamp" ]; then
		echo "$restart_stamp rollcall-$VICTIM | == restart of peer $((VICTIM + 1))" >>"$log"
		sort -s -k1,1 -o "$log" "$log"
	fi
}

# probe NAME... : the readiness probe's command in each, as the kubelet
# runs it; fails the test naming the first that is not ready.
probe() {
	local name
	for name in "$@"; do
		timeout 10 docker exec "$PREFIX${name#rollcall-}" \
			/usr/local/bin/rollcall --ready "$status" >/dev/null 2>&1 ||
			fail "the readiness probe fails in $name ($probe_when)"
	done
}

all=$(seq 0 $((REPLICAS - 1)) | sed 's/^/rollcall-/')
others=$(printf '%s\n' $all | grep -vx "rollcall-$VICTIM")
full='memb_list: \[1,2,3,4,5\]'
t0=$(date +%s)
# shellcheck disable=SC2086
wait_for "$full" $all || { collect; fail "after ${WAIT_S}s no full view from:$missing (build/k8s/docker.log)"; }
echo "== all five in view [1,2,3,4,5] after $(($(date +%s) - t0))s"

if [ -n "$status" ]; then
	probe_when="in a view"
	# shellcheck disable=SC2086
	probe $all
	echo "== the readiness probe passes in all five"
fi

echo "== docker kill rollcall-$VICTIM (peer $((VICTIM + 1)))"
timeout 30 docker kill "$PREFIX$VICTIM" >/dev/null || fail "docker kill failed"
t0=$(date +%s)
# shellcheck disable=SC2086
if ! wait_removal "$((VICTIM + 1))" 1,2,4,5 $others; then
	collect
	fail "after ${WAIT_S}s no \"peer $((VICTIM + 1)) unreachable\" and view [1,2,4,5] from:$missing"
fi
echo "== the others report peer $((VICTIM + 1)) and view [1,2,4,5] after $(($(date +%s) - t0))s"

if [ -n "$status" ]; then
	sleep 1
	probe_when="after the crash"
	# shellcheck disable=SC2086
	probe $others
fi

echo "== docker start rollcall-$VICTIM, as the kubelet would"
restart_stamp=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
timeout 30 docker start "$PREFIX$VICTIM" >/dev/null || fail "docker start failed"
t0=$(date +%s)
# Back in: the others' second full view, and the new life's first.
for _ in $(seq 1 "$WAIT_S"); do
	missing=
	for name in $all; do
		[ "$(peer_log "$name" | grep -Ec "$full")" -ge 2 ] || missing="$missing $name"
	done
	[ -z "$missing" ] && break
	sleep 1
done
[ -z "$missing" ] || { collect; fail "after ${WAIT_S}s the restarted peer is not back in the view of:$missing"; }
echo "== peer $((VICTIM + 1))'s new life is a member again after $(($(date +%s) - t0))s"
sleep "$SETTLE_S"
collect

judge_common "$log" "$(echo $all)" >/dev/null || fail "$judged"

# Exactly this after the first full view: the victim's unreachable line,
# the view without it, the view with its new life; one final view for all.
final=
for name in $all; do
	if [ "$name" = "rollcall-$VICTIM" ]; then
		# The new life's lines: after the restart marker.
		got=$(events "$(sed -n "/ $name | == restart/,\$p" "$log" | sed 1d |
			grep " $name | " | sed 's/.* | //')")
		want_re='^(v[0-9]+ l1 memb_list: \[[0-9,]+\]\};)*v([0-9]+) l1 memb_list: \[1,2,3,4,5\]\};$'
		want="views ending in [1,2,3,4,5]"
	else
		got=$(events "$(grep " $name | " "$log" | sed 's/.* | //' | sed -n "/$full/,\$p" | sed 1d)")
		want_re="^v[0-9]+ l1 message:\"peer $((VICTIM + 1)) unreachable\"\\};v[0-9]+ l1 memb_list: \\[1,2,4,5\\]\\};v([0-9]+) l1 memb_list: \\[1,2,3,4,5\\]\\};\$"
		want="peer $((VICTIM + 1)) unreachable, view [1,2,4,5], view [1,2,3,4,5]"
	fi
	[[ $got =~ $want_re ]] || fail "$name printed: ${got:-nothing}; expected $want"
	v=${BASH_REMATCH[${#BASH_REMATCH[@]} - 1]}
	[ -z "$final" ] || [ "$final" = "$v" ] || fail "the pods end in different views ($final and $v)"
	final=$v
done

echo "== rolling restart, the state volume lost at each pod (rollcall-4 first)"
floor=$final
for i in $(seq $((REPLICAS - 1)) -1 0); do
	timeout 30 docker kill "$PREFIX$i" >/dev/null || fail "docker kill rollcall-$i failed"
	timeout 30 docker start "$PREFIX$i" >/dev/null || fail "docker start rollcall-$i failed"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	wait_whole "$floor" $all || { collect; fail "rolling restart of rollcall-$i: after ${WAIT_S}s not one whole view above $floor from:$missing"; }
	echo "== rollcall-$i restarted without its state: all five in view $whole [1,2,3,4,5] after $(($(date +%s) - t0))s"
	floor=$whole
done
sleep "$SETTLE_S"
collect
out=$(awk -v tc=0 -v names="$(echo $all)" -v reheard=1 \
	-f "$root/tests/compose/judge.awk" "$log") ||
	fail "after the rolling restart: $(printf '%s\n' "$out" | tail -n 1)"
printf '%s\n' "$out" | sed '$d'
echo "== log: build/k8s/docker.log"
echo "PASS k8s-docker"
