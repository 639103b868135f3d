# shellcheck shell=bash
# What tests/bank/local.sh and snapshot.sh share: three replicas on
# 127.0.0.1..3 (one port, T = 200 ms), each with its state directory under
# a temporary one, killed and removed on exit. Sourced, after setting
#   TEST_NAME   the name in FAIL lines
#   PORT_BASE   the first port to pick from (the pid spreads runs apart)
#   EXTRA       an array of further replica options (may be empty)
# It defines fail, start ID, slots ID, wait_slots ID N, stop_all and
# logs_to LOG IDS CLIENTS.

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2
BANK=${BANK:-build/bank}
CLIENT=${CLIENT:-build/bank-client}
PYTHON=${PYTHON:-python3}
PORT=${BANK_PORT:-$((PORT_BASE + ($$ % 500) * 4))}
tmp=$(mktemp -d "/tmp/$TEST_NAME.XXXXXX")
pids=()
rpid=()
cleanup() {
	for p in "${pids[@]}" "${rpid[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL $TEST_NAME: $*"; exit 1; }

printf '127.0.0.1\n127.0.0.2\n127.0.0.3\n' >"$tmp/hosts"
start() {
	mkdir -p "$tmp/s$1"
	"$BANK" -h "$tmp/hosts" --id "$1" --port "$PORT" --heartbeat-ms 200 \
		--state "$tmp/s$1" "${EXTRA[@]}" \
		>>"$tmp/r$1.out" 2>>"$tmp/r$1.err" &
	rpid[$1]=$!
}
slots() { grep -c '^{"replica"' "$tmp/r$1.out" 2>/dev/null; true; }
wait_slots() {
	for _ in $(seq 1 300); do
		[ "$(slots "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "replica $1 did not reach $2 slots"
}

# stop_all: every replica stopped cleanly (SIGTERM), and waited for.
stop_all() {
	local i
	for i in "${!rpid[@]}"; do kill "${rpid[$i]}"; done
	for i in "${!rpid[@]}"; do wait "${rpid[$i]}" 2>/dev/null; done
	rpid=()
}

# logs_to LOG "1 2 3" "1 2": replicas' output and errors, then clients'
# output, each line prefixed with its source, into LOG (for the judge).
logs_to() {
	local log=$1 i c
	mkdir -p "$(dirname "$log")"
	{
		for i in $2; do sed "s/^/r$i | /" "$tmp/r$i.out" "$tmp/r$i.err"; done
		for c in $3; do sed "s/^/c$c | /" "$tmp/c$c.out"; done
	} >"$log"
}
