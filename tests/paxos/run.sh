#!/usr/bin/env bash
# Run one of the Paxos lab's testcases under compose and judge it.
#
#   tests/paxos/run.sh [--build] N        N in 1..2
#
#   --build   docker build -f paxos-lab/Dockerfile -t prj4 . first
#             (otherwise the image must exist)
#
# Runs the instructor's compose file, unmodified, from the directory that
# holds it (paxos-lab/compose/, byte for byte the reference copies) as
# project prj4, detached, for a bound fixed by the testcase's schedule;
# collects every container's output with its time stamps (docker logs -t),
# merges the five in time order into build/compose/paxos-testcaseN.log, and
# always takes the project down again (down -v, on any exit). The verdict
# is tests/paxos/judge.py's, from that log and the testcase's hostsfile:
# a line per peer, then "PASS paxos-testcaseN: ..." (exit 0) or
# "FAIL paxos-testcaseN: reason" (exit 1). A peer that has exited by the
# end is a FAIL too: every peer runs until it is stopped.
#
# Bounds: testcase 1 is done in about a second once the containers run
# (8 s); in testcase 2 peer 5 starts 10 s after it starts (-t 10) and is
# done a second later (18 s). PAXOS_TC_SECONDS overrides the bound.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2

build=0
tc=
for arg in "$@"; do
	case $arg in
	--build) build=1 ;;
	[1-2]) tc=$arg ;;
	*)
		echo "usage: tests/paxos/run.sh [--build] 1|2" >&2
		exit 2
		;;
	esac
done
[ -n "$tc" ] || { echo "usage: tests/paxos/run.sh [--build] 1|2" >&2; exit 2; }

IMAGE=prj4
PROJECT=prj4
PEERS="peer1 peer2 peer3 peer4 peer5"
dir=$root/paxos-lab/compose
file=docker-compose-testcase-$tc.yml
hosts=$dir/hostsfile-testcase$tc.txt
case $tc in
1) bound=8 ;;
2) bound=18 ;;
esac
bound=${PAXOS_TC_SECONDS:-$bound}
logdir=$root/build/compose
log=$logdir/paxos-testcase$tc.log
clog=$logdir/paxos-testcase$tc.compose.log
mkdir -p "$logdir"
PYTHON=${PYTHON:-python3}

fail() {
	echo "FAIL paxos-testcase$tc: $*"
	exit 1
}

# shellcheck source=../compose/compose-lib.sh
. "$root/tests/compose/compose-lib.sh"
compose_pick "$PROJECT" "$file" "$dir" ||
	fail "neither 'docker compose' nor docker-compose found (run tests/compose/docker-setup.sh)"

if [ "$build" -eq 1 ] &&
	! image_build paxos-lab/Dockerfile "$IMAGE" "$logdir/paxos-build.log"; then
	fail "docker build failed (build/compose/paxos-build.log)"
fi
timeout 10 docker image inspect "$IMAGE" >/dev/null 2>&1 ||
	fail "no image $IMAGE (pass --build, or make image APP=paxos)"

trap 'compose_down "$clog"' EXIT
trap 'exit 130' INT TERM

: >"$clog"
compose_down "$clog"

echo "== paxos testcase $tc: paxos-lab/compose/$file for ${bound}s"
compose_up "$clog" ||
	fail "compose up failed (build/compose/paxos-testcase$tc.compose.log)"
sleep "$bound"

# shellcheck disable=SC2086 # PEERS is a list of names
collect_logs "$log" $PEERS
# shellcheck disable=SC2086
container_states $PEERS
echo "== containers at ${bound}s:$states"
echo "== log: build/compose/paxos-testcase$tc.log"

out=$("$PYTHON" "$here/judge.py" --hosts "$hosts" --tc "$tc" --expect X "$log")
verdict=$?
printf '%s\n' "$out" | sed '$d'
last=$(printf '%s\n' "$out" | tail -n 1)
if [ "$verdict" -eq 0 ] && [ -n "$exited" ]; then
	last="FAIL paxos-testcase$tc: $exited should still run"
	verdict=1
fi
echo "$last"
exit "$verdict"
