#!/usr/bin/env bash
# compose/amnesia.yml: restarts that forget (issue 18). Five peers of the
# image prj3 with --rejoin, each keeping its state directory on a tmpfs,
# so that a container killed or stopped and started again has lost its
# state file. In turn:
#   1. all five print the full view [1,2,3,4,5];
#   2. a member (three) is killed and started again;
#   3. the leader (one) is killed and started again: the new peer 1 asks
#      the others before founding, and joins their group;
#   4. all five restarted one by one (`docker-compose restart`: SIGTERM,
#      then a start), one..five;
# after each, all five are in one view [1,2,3,4,5] above the last one.
# Then judge.awk's common checks on the whole merged log (with reheard=1:
# a peer restarted is reported unreachable again in a later membership):
# one view id names one list (and one leader) across all peers' logs, and
# every peer's view ids only grow in its log across its restarts (the log
# of a container holds all its lives; a life that lost its state prints
# the view that admits it, never an older one nor a founding view 0); the
# group ends whole: every peer's last view the same view of all five.
#
#   tests/compose/amnesia.sh [--build]
#
# Prints each step with its time, the per-peer timeline, then "PASS
# amnesia" (exit 0) or "FAIL amnesia: reason" (exit 1); 77 (skipped, said
# in one line) without a Docker engine or compose. The project is always
# taken down. ROLLCALL_AMNESIA_WAIT_S bounds each wait (30 s).
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
IMAGE=prj3
PROJECT=rollcall-amnesia
WAIT_S=${ROLLCALL_AMNESIA_WAIT_S:-30}
SETTLE_S=3
logdir=$root/build/compose
mkdir -p "$logdir"
log=$logdir/amnesia.log
names="one two three four five"
up=0

fail() {
	[ "$up" = 1 ] && collect
	echo "FAIL amnesia: $*"
	exit 1
}

if ! timeout 10 docker info >/dev/null 2>&1; then
	echo "amnesia compose test skipped: no Docker engine answers (docker info)"
	exit 77
fi
# shellcheck source=compose-lib.sh
. tests/compose/compose-lib.sh
compose_pick "$PROJECT" compose/amnesia.yml || {
	echo "amnesia compose test skipped: neither 'docker compose' nor docker-compose"
	exit 77
}
if [ "${1:-}" = --build ]; then
	image_build Dockerfile "$IMAGE" "$logdir/build.log" ||
		fail "docker build failed (build/compose/build.log)"
fi
timeout 10 docker image inspect "$IMAGE" >/dev/null 2>&1 ||
	fail "no image $IMAGE (pass --build, or docker build . -t $IMAGE)"

trap 'compose_down "$log.compose"' EXIT
trap 'exit 130' INT TERM

peer_log() { timeout 30 docker logs -t "$1" 2>&1; }
# shellcheck source=scenario-lib.sh
. tests/compose/scenario-lib.sh

# shellcheck disable=SC2086
collect() { collect_logs "$log" $names; }

t_start=$(date +%s)
: >"$log.compose"
compose_down "$log.compose"
echo "== compose/amnesia.yml up (state on tmpfs, --rejoin)"
compose_up "$log.compose" || fail "compose up failed ($log.compose)"
up=1
# shellcheck disable=SC2086
wait_whole -1 $names || fail "no full view after ${WAIT_S}s from:$missing"
floor=$whole
echo "== all five in view $floor [1,2,3,4,5] after $(($(date +%s) - t_start))s"

# step WHAT NAME: restart NAME (WHAT: kill, then start; restart: SIGTERM,
# then start) and wait for one whole view above the last.
step() {
	local t0
	t0=$(date +%s)
	if [ "$1" = kill ]; then
		timeout 60 "${COMPOSE[@]}" kill "$2" >>"$log.compose" 2>&1 ||
			fail "kill of $2 failed ($log.compose)"
		timeout 60 "${COMPOSE[@]}" start "$2" >>"$log.compose" 2>&1 ||
			fail "start of $2 failed ($log.compose)"
	else
		timeout 120 "${COMPOSE[@]}" restart -t 2 "$2" >>"$log.compose" 2>&1 ||
			fail "restart of $2 failed ($log.compose)"
	fi
	# shellcheck disable=SC2086
	wait_whole "$floor" $names ||
		fail "$3: after ${WAIT_S}s not one view of all five above view $floor from:$missing"
	echo "== $3: all five in view $whole [1,2,3,4,5] after $(($(date +%s) - t0))s"
	floor=$whole
}

step kill three "member three killed and started without its state"
step kill one "leader one killed and started without its state"
for name in $names; do
	step restart "$name" "rolling restart, $name"
done

sleep "$SETTLE_S"
collect
judge_common "$log" "$names" 1 || fail "$judged"
# Whole at the end, after the settle too: every last view is the same.
# shellcheck disable=SC2086
if ! wait_whole "$((floor - 1))" $names || [ "$whole" != "$floor" ]; then
	fail "the group did not stay whole in view $floor:$missing"
fi
# Peer 1's log holds one founding view 0: its first life's.
zeros=$(grep -c ' one | {peer_id:1, view_id: 0,' "$log")
[ "$zeros" = 1 ] || fail "peer 1 printed view 0 $zeros times, want once (its first life)"
echo "== log: build/compose/amnesia.log, $(($(date +%s) - t_start))s in all"
echo "PASS amnesia"
