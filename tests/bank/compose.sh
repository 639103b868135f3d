#!/usr/bin/env bash
# Run one of the bank's benchmarks under docker compose and judge it.
#
#   tests/bank/compose.sh [--build] N       N in 1..3 (compose/bank/)
#
#   --build   docker build -f bank/Dockerfile -t bank . first
#
# 1: one client, 500 commands. 2: the same, and the leader (r1, the
# founder) is killed about half-way: once r2 shows 200 slots (the
# client runs on while docker logs is read, so the kill lands later). 3: three clients
# at once, 500 each. Waits (bounded) for every client container to exit,
# merges every container's stamped output in time order into
# build/compose/bank-testcaseN.log, takes the project down whatever
# happens, and judges the log (tests/bank/judge.py): the last line is
# "PASS ..." (exit 0) or "FAIL ...: reason" (exit 1). Exit 77: no engine
# or no compose here (said in one line).

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2

build=0
tc=
for arg in "$@"; do
	case $arg in
	--build) build=1 ;;
	[1-3]) tc=$arg ;;
	*) echo "usage: tests/bank/compose.sh [--build] 1|2|3" >&2; exit 2 ;;
	esac
done
[ -n "$tc" ] || { echo "usage: tests/bank/compose.sh [--build] 1|2|3" >&2; exit 2; }

IMAGE=bank
PROJECT=bank
PYTHON=${PYTHON:-python3}
file=compose/bank/testcase$tc.yml
clients=1
[ "$tc" = 3 ] && clients=3
names="bank-r1 bank-r2 bank-r3"
for c in $(seq 1 "$clients"); do names="$names bank-client$c"; done
killed=
[ "$tc" = 2 ] && killed=bank-r1
# Clients wait 3 s, then 500 commands each: a few seconds on any engine.
BOUND=${BANK_TC_SECONDS:-120}
logdir=$root/build/compose
log=$logdir/bank-testcase$tc.log
clog=$logdir/bank-testcase$tc.compose.log
mkdir -p "$logdir"

if ! timeout 10 docker info >/dev/null 2>&1; then
	echo "SKIP bank testcase$tc: no Docker engine answers here"
	exit 77
fi
# shellcheck source=../compose/compose-lib.sh
. "$root/tests/compose/compose-lib.sh"
compose_pick "$PROJECT" "$file" || {
	echo "SKIP bank testcase$tc: neither 'docker compose' nor docker-compose here"
	exit 77
}

if [ "$build" -eq 1 ] &&
	! image_build bank/Dockerfile "$IMAGE" "$logdir/bank-build.log"; then
	echo "FAIL bank testcase$tc: docker build failed (build/compose/bank-build.log)"
	exit 1
fi
timeout 10 docker image inspect "$IMAGE" >/dev/null 2>&1 ||
	{ echo "FAIL bank testcase$tc: no image $IMAGE (make image APP=bank)"; exit 1; }

trap 'compose_down "$clog"' EXIT
trap 'exit 130' INT TERM
: >"$clog"
compose_down "$clog"
: >"$log.marks"

echo "== bank testcase $tc: $file"
if ! compose_up "$clog"; then
	echo "FAIL bank testcase$tc: compose up failed (build/compose/bank-testcase$tc.compose.log)"
	exit 1
fi

slots_of() {
	timeout 10 docker logs "$1" 2>/dev/null | grep -c '^{"replica"'
}
running() {
	[ "$(timeout 10 docker container inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

start=$(date +%s)
killed_done=0
while [ $(($(date +%s) - start)) -lt "$BOUND" ]; do
	if [ -n "$killed" ] && [ "$killed_done" = 0 ] &&
		[ "$(slots_of bank-r2)" -ge 200 ]; then
		# The stamp before the kill: docker kill returns later.
		now=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
		timeout 10 docker kill "$killed" >/dev/null 2>&1
		echo "$now script | killed $killed" >>"$log.marks"
		echo "== killed $killed (the leader) once r2 showed 200 slots"
		killed_done=1
	fi
	busy=0
	for c in $(seq 1 "$clients"); do
		running "bank-client$c" && busy=1
	done
	[ "$busy" = 0 ] && break
	sleep 0.2
done
# The replicas' last lines (a slot applied after the client's answer).
sleep 1

# shellcheck disable=SC2086 # names is a list of names
collect_logs "$log" $names
echo "== log: build/compose/bank-testcase$tc.log"

"$PYTHON" "$here/judge.py" "$log" --commands 500 --clients "$clients" \
	${killed:+--killed "$killed"}
