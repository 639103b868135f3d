#!/usr/bin/env bash
# Run one compose testcase and judge it from the peers' logs.
#
#   tests/compose/run.sh [--build] [--stats] N       N in 1..4
#
#   --build   docker build . -t prj3 first (otherwise the image must exist)
#   --stats   print `docker stats --no-stream` halfway through the run
#
# Brings compose/testcaseN.yml up detached, lets it run until the last
# event of the testcase's schedule is in the logs that should show it (at
# most a bound fixed by the schedule) and ten seconds more, collects
# every container's output with its time stamps (`docker logs -t`,
# stdout and stderr), merges the five in
# time order into build/compose/testcaseN.log, and always takes the
# project down again (down -v --remove-orphans, on any exit). The verdict
# is judge.awk's, from that log alone: a timeline per peer, then
# "PASS testcaseN" (exit 0) or "FAIL testcaseN: reason" (exit 1), after
# the path of the picture tools/timeline draws of the same log
# (build/compose/testcaseN.png, beside it). As a
# note beside it, a peer that should still run but has exited is a FAIL
# too. ROLLCALL_TC_SECONDS overrides the bound.
#
# The bounds, from the schedules (peers start at 0, 2, 4, 6 and 8 s; a
# peer silent for two 1 s heartbeat periods is dead):
#   1  joins done by ~8 s                                  -> 25 s
#   2  five crashes at ~12 s, seen by ~14 s                -> 25 s
#   3  crashes at ~12, 18, 24 and 32 s, the last seen ~34 s -> 50 s
#   4  the leader crashes at ~8 s, a new view by ~11 s     -> 30 s
# Each run goes on ten seconds after the last expected event (or after
# the bound, if it never came), in which a spurious failure report or a
# late duplicate would show.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2

build=0
stats=0
tc=
for arg in "$@"; do
	case $arg in
	--build) build=1 ;;
	--stats) stats=1 ;;
	[1-4]) tc=$arg ;;
	*)
		echo "usage: tests/compose/run.sh [--build] [--stats] 1|2|3|4" >&2
		exit 2
		;;
	esac
done
[ -n "$tc" ] || { echo "usage: tests/compose/run.sh [--build] [--stats] 1|2|3|4" >&2; exit 2; }

IMAGE=prj3
PROJECT=rollcall
PEERS="one two three four five"
file=compose/testcase$tc.yml
# The line that ends each testcase's schedule, and who prints it.
case $tc in
1) bound=25 running="one two three four five"
   last_re='memb_list: \[1,2,3,4,5\]' last_by="one two three four five" ;;
2) bound=25 running="one two three four"
   last_re='view_id: 5, leader: 1, memb_list: \[1,2,3,4\]' last_by="one two three four" ;;
3) bound=50 running="one"
   last_re='view_id: 8, leader: 1, memb_list: \[1\]' last_by="one" ;;
4) bound=30 running="two three four"
   last_re='leader: 2, memb_list: \[2,3,4\]' last_by="two three four" ;;
esac
WINDOW_S=10
bound=${ROLLCALL_TC_SECONDS:-$bound}
logdir=$root/build/compose
log=$logdir/testcase$tc.log
mkdir -p "$logdir"

# shellcheck source=compose-lib.sh
. "$here/compose-lib.sh"
compose_pick "$PROJECT" "$file" || {
	echo "FAIL testcase$tc: neither 'docker compose' nor docker-compose found (run tests/compose/docker-setup.sh)"
	exit 1
}
clog=$logdir/testcase$tc.compose.log

if [ "$build" -eq 1 ] && ! image_build Dockerfile "$IMAGE" "$logdir/build.log"; then
	echo "FAIL testcase$tc: docker build failed (build/compose/build.log)"
	exit 1
fi
if ! timeout 10 docker image inspect "$IMAGE" >/dev/null 2>&1; then
	echo "FAIL testcase$tc: no image $IMAGE (pass --build, or docker build . -t $IMAGE)"
	exit 1
fi

trap 'compose_down "$clog"' EXIT
trap 'exit 130' INT TERM

# A run cut short before may have left the project behind.
: >"$clog"
compose_down "$clog"

echo "== testcase $tc: $file, at most ${bound}s + ${WINDOW_S}s ($compose_name)"
if ! compose_up "$clog"; then
	echo "FAIL testcase$tc: compose up failed (build/compose/testcase$tc.compose.log)"
	exit 1
fi

# Until the schedule's last event is in every log that should show it
# (at most the bound), then a window of WINDOW_S in which a spurious
# failure report or a late duplicate would show.
t0=$(date +%s)
for _ in $(seq 1 "$bound"); do
	missing=
	for c in $last_by; do
		timeout 30 docker logs "$c" 2>&1 | grep -Eq "$last_re" ||
			missing="$missing $c"
	done
	[ -z "$missing" ] && break
	[ $(($(date +%s) - t0)) -ge "$bound" ] && break
	sleep 1
done
if [ "$stats" -eq 1 ]; then
	echo "== docker stats at $(($(date +%s) - t0))s"
	timeout 30 docker stats --no-stream \
		--format 'table {{.Name}}\t{{.MemUsage}}\t{{.CPUPerc}}' $PEERS 2>&1
fi
sleep "$WINDOW_S"
bound=$(($(date +%s) - t0))

# Every container's lines, stamped, merged in time order; and how each
# container stands now, for the record and the note below.
# shellcheck disable=SC2086 # PEERS is a list of names
collect_logs "$log" $PEERS
# shellcheck disable=SC2086
container_states $PEERS
echo "== containers at ${bound}s:$states"

echo "== log: build/compose/testcase$tc.log"

out=$(awk -v tc="$tc" -f "$here/judge.awk" "$log")
verdict=$?
printf '%s\n' "$out" | sed '$d'
last=$(printf '%s\n' "$out" | tail -n 1)

# Beside the logs: a peer the testcase never crashes must still be up.
# shellcheck disable=SC2086 # running is a list of names
container_states $running
if [ "$verdict" -eq 0 ] && [ -n "$exited" ]; then
	last="FAIL testcase$tc: $exited should still run"
	verdict=1
fi
# The picture of the run, beside its judged timeline. Without matplotlib
# the run is still judged; the line says what is missing.
if pic=$("$root/tools/timeline" --title "rollcall testcase $tc ($file)" \
	-o "$logdir/testcase$tc.png" "$log" 2>&1); then
	echo "== picture: build/compose/testcase$tc.png"
else
	echo "== no picture: $pic"
fi
echo "$last"
exit "$verdict"
