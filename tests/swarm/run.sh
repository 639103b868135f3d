#!/usr/bin/env bash
# compose/stack.yml on a one-node Docker Swarm: the group forms, one peer's
# container is killed, the survivors report it and go on without it.
#
#   tests/swarm/run.sh [--build]      (--build: docker build . -t prj3 first)
#
# 1. `docker swarm init --advertise-addr 127.0.0.1`, unless this engine is
#    in a swarm already (then that swarm is used and left as it was);
# 2. `docker stack deploy -c compose/stack.yml rollcall`;
# 3. every peer prints the full view [1,2,3,4,5];
# 4. `docker kill` of peer three's container;
# 5. one, two, four and five each print "peer 3 unreachable" and then a
#    view [1,2,4,5], all the same one, and nothing else for SETTLE_S more
#    seconds; three's service starts no new task (restart_policy: none);
#    judge.awk's checks common to every testcase hold for the whole log;
# 6. always, even on failure: `docker stack rm`, and when step 1 made the
#    swarm, `docker swarm leave --force` and the removal of the
#    docker_gwbridge network (and so its iptables rules) it brought.
#
# Prints the per-peer timeline, then "PASS swarm" (exit 0) or "FAIL swarm:
# reason" (exit 1). Without an engine, or when the engine cannot start a
# swarm, one line says so and it exits 77 (skipped). The log is kept in
# build/swarm/swarm.log. ROLLCALL_SWARM_WAIT_S bounds each wait;
# ROLLCALL_SWARM_STACK deploys another stack file instead.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2

STACK=rollcall
# Another stack file of the same five services, to see what the test
# says of it (a copy without endpoint_mode: dnsrr, say).
STACK_FILE=${ROLLCALL_SWARM_STACK:-compose/stack.yml}
PEERS="one two three four five"
VICTIM=three
VICTIM_ID=3
WAIT_S=${ROLLCALL_SWARM_WAIT_S:-60}
# After the last expected line: two heartbeat periods and then some, in
# which a false death (the symptom of a virtual IP) would show.
SETTLE_S=8
logdir=$root/build/swarm
log=$logdir/swarm.log
mkdir -p "$logdir"
made_swarm=0
had_gwbridge=1
deployed=0

skip() {
	echo "swarm test skipped: $*"
	exit 77
}

fail() {
	echo "FAIL swarm: $*"
	exit 1
}

if [ "${1:-}" = --build ]; then
	echo "== docker build . -t prj3"
	timeout 1200 docker build . -t prj3 >"$logdir/build.log" 2>&1 ||
		fail "docker build failed (build/swarm/build.log)"
fi

timeout 10 docker info >/dev/null 2>&1 || skip "no Docker engine answers (docker info)"
timeout 10 docker image inspect prj3 >/dev/null 2>&1 ||
	fail "no image prj3 (pass --build, or docker build . -t prj3)"

cleanup() {
	if [ "$deployed" -eq 1 ]; then
		timeout 60 docker stack rm "$STACK" >/dev/null 2>&1
		# The network goes only once every task is gone; a swarm left
		# or a stack deployed again before that finds it half there.
		for _ in $(seq 1 30); do
			timeout 10 docker network inspect "${STACK}_rollcall" \
				>/dev/null 2>&1 || break
			sleep 1
		done
	fi
	if [ "$made_swarm" -eq 1 ]; then
		timeout 60 docker swarm leave --force >/dev/null 2>&1 ||
			echo "swarm: docker swarm leave --force failed"
		# Leaving keeps the bridge swarm made for its containers' way
		# out, and that bridge's iptables rules: remove both.
		if [ "$had_gwbridge" -eq 0 ]; then
			timeout 60 docker network rm docker_gwbridge >/dev/null 2>&1 ||
				echo "swarm: docker network rm docker_gwbridge failed"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

state=$(timeout 10 docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)
had_gwbridge=0
timeout 10 docker network inspect docker_gwbridge >/dev/null 2>&1 && had_gwbridge=1
if [ "$state" != active ]; then
	if ! out=$(timeout 60 docker swarm init --advertise-addr 127.0.0.1 2>&1); then
		skip "docker swarm init failed: $(printf '%s' "$out" | tail -n 1 | cut -c1-200)"
	fi
	made_swarm=1
	echo "== swarm initialised on 127.0.0.1"
else
	echo "== using the swarm this engine is already in"
fi

# A stack left by a run cut short would mix its logs into this one's.
if timeout 10 docker stack ls --format '{{.Name}}' 2>/dev/null | grep -qx "$STACK"; then
	deployed=1
	cleanup
	deployed=0
fi

echo "== docker stack deploy -c $STACK_FILE $STACK"
deployed=1
if ! out=$(timeout 120 docker stack deploy -c "$STACK_FILE" "$STACK" 2>&1); then
	printf '%s\n' "$out" | tail -n 10
	fail "docker stack deploy failed"
fi

# The raw lines of one peer's service, each stamped.
peer_log() {
	timeout 30 docker service logs --raw --timestamps "${STACK}_$1" 2>&1
}
# shellcheck source=../compose/scenario-lib.sh
. "$root/tests/compose/scenario-lib.sh"
collect() { merge_logs "$log" $PEERS; }

t0=$(date +%s)
if ! wait_for 'memb_list: \[1,2,3,4,5\]' $PEERS; then
	collect
	fail "after ${WAIT_S}s no full view [1,2,3,4,5] from:$missing (log: build/swarm/swarm.log)"
fi
echo "== all five in view [1,2,3,4,5] after $(($(date +%s) - t0))s"

victim=$(timeout 10 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_$VICTIM")
[ -n "$victim" ] || fail "no running container for ${STACK}_$VICTIM"
echo "== docker kill ${STACK}_$VICTIM ($victim)"
timeout 30 docker kill "$victim" >/dev/null || fail "docker kill $victim failed"

survivors=$(printf '%s\n' $PEERS | grep -vx "$VICTIM" | tr '\n' ' ')
t0=$(date +%s)
# shellcheck disable=SC2086
if ! wait_removal "$VICTIM_ID" 1,2,4,5 $survivors; then
	collect
	fail "after ${WAIT_S}s no \"peer $VICTIM_ID unreachable\" and view [1,2,4,5] from:$missing"
fi
echo "== survivors report peer $VICTIM_ID and view [1,2,4,5] after $(($(date +%s) - t0))s"
sleep "$SETTLE_S"
collect

# The common checks (well-formed lines, ids matching names, one view id
# one list, at most one unreachable line per pair, nothing after a crash).
judge_common "$log" "$PEERS" || fail "$judged"

# What this scenario adds: after the full view, each survivor prints
# exactly the victim's unreachable line and one view without it, the same
# view everywhere; nobody else is reported.
final=
for p in $survivors; do
	lines=$(grep " $p | " "$log" | sed 's/.* | //')
	got=$(events "$(printf '%s\n' "$lines" | sed -n '/memb_list: \[1,2,3,4,5\]/,$p' | sed 1d)")
	want_re="^v[0-9]+ l1 message:\"peer $VICTIM_ID unreachable\"\\};v([0-9]+) l1 memb_list: \\[1,2,4,5\\]\\};\$"
	[[ $got =~ $want_re ]] ||
		fail "$p after the full view printed: ${got:-nothing}; expected peer $VICTIM_ID unreachable, then one view [1,2,4,5] led by 1"
	v=${BASH_REMATCH[1]}
	[ -z "$final" ] || [ "$final" = "$v" ] ||
		fail "survivors end in different views ($final and $v)"
	final=$v
done

# Swarm must not have restarted the victim, nor lost a survivor.
tasks=$(timeout 10 docker service ps -q "${STACK}_$VICTIM" | wc -l)
[ "$tasks" -eq 1 ] || fail "${STACK}_$VICTIM has $tasks tasks: swarm restarted the killed peer"
for p in $survivors; do
	running=$(timeout 10 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_$p" | wc -l)
	[ "$running" -eq 1 ] || fail "${STACK}_$p is not running"
done
echo "== log: build/swarm/swarm.log"
echo "PASS swarm"
