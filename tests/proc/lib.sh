# Shared pieces of the multi-process tests: start peers on 127.0.0.x,
# wait with bounded polls, read their output lines, and clean up.
#
# Every peer runs the real daemon with --id and a short heartbeat period.
# Each line a peer prints is stamped as `docker logs -t` stamps it (UTC,
# RFC 3339, microseconds) on its way into ID.log, so that tools/timeline
# can draw the run and judge.awk (which strips the stamps) can judge it.
# VALGRIND=1 runs each peer under memcheck (its report in ID.vg, so the
# output lines stay clean); TIMEOUT_SCALE stretches every wait.

ROLLCALL=${ROLLCALL:-build/rollcall}
TIMEOUT_SCALE=${TIMEOUT_SCALE:-1}
HB_MS=${HB_MS:-100}
VALGRIND=${VALGRIND:-0}

PROC_DIR=$(mktemp -d /tmp/rollcall-proc.XXXXXX)
# Below the kernel's ephemeral range (32768 and up by default), which any
# process's outgoing socket may take, even bound to 0.0.0.0.
PROC_PORT=$((10000 + ($$ * 7) % 20000))
declare -A PEER_PID=()
declare -A STAMP_PID=()
FAILURES=0

# The one EXIT trap: the peers, then this run's iptables rules when
# tests/proc/cut.sh was sourced, then the logs. A signal exits through it
# too (a timeout's TERM, ^C, a closed terminal), so nothing outlives a
# run that failed, timed out or was interrupted.
proc_cleanup() {
	for id in "${!PEER_PID[@]}"; do
		kill -9 "${PEER_PID[$id]}" 2>/dev/null
	done
	wait 2>/dev/null
	if declare -F cut_teardown > /dev/null; then cut_teardown; fi
	if [ "${KEEP_LOGS:-0}" = 1 ]; then
		echo "logs kept in $PROC_DIR"
	else
		rm -rf "$PROC_DIR"
	fi
}
trap proc_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# hostsfile N: 127.0.0.1 .. 127.0.0.N
proc_hostsfile() {
	local n=$1
	: > "$PROC_DIR/hosts"
	for i in $(seq 1 "$n"); do echo "127.0.0.$i" >> "$PROC_DIR/hosts"; done
}

# peer_start ID [ARGS...]: the daemon's stderr goes to $PROC_DIR/ID.log.
# Each peer keeps its promises in a state directory of its own (--state),
# kept across restarts of the same id within the run (PROC_STATE=0: in
# memory only, the documented limit).
peer_start() {
	local id=$1
	shift
	local wrap=() state=()
	if [ "${PROC_STATE:-1}" = 1 ]; then
		mkdir -p "$PROC_DIR/state/$id"
		state=(--state "$PROC_DIR/state/$id")
	fi
	if [ "$VALGRIND" = 1 ]; then
		wrap=(valgrind -q --log-file="$PROC_DIR/$id.vg" --error-exitcode=99
			--leak-check=full --show-leak-kinds=definite,indirect
			--errors-for-leak-kinds=definite,indirect)
	fi
	# Through a FIFO rather than a pipe, so that $! is the peer's pid
	# (for kill -9 and -STOP) and the stamper's is known too.
	local fifo=$PROC_DIR/$id.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	stamp_utc < "$fifo" >> "$PROC_DIR/$id.log" &
	STAMP_PID[$id]=$!
	"${wrap[@]}" "$ROLLCALL" -h "$PROC_DIR/hosts" --id "$id" --port "$PROC_PORT" \
		--heartbeat-ms "$HB_MS" "${state[@]}" "$@" 2> "$fifo" &
	PEER_PID[$id]=$!
}

stamper_done() { ! kill -0 "${STAMP_PID[$1]:-0}" 2>/dev/null; }

# peer_restart ID [ARGS...]: a new process with the same id, its lines
# appended after a marker the judge reads as a new life (once the old
# life's last lines are in).
peer_restart() {
	wait_for 5 stamper_done "$1"
	echo "== restart of peer $1" | stamp_utc >> "$PROC_DIR/$1.log"
	peer_start "$@"
}

# A peer's log as printed (stamps removed); peer_log_stamped as kept.
peer_log() {
	sed 's/^[0-9][0-9-]*T[0-9:.]*Z //' "$PROC_DIR/$1.log" 2>/dev/null
}
peer_log_stamped() { cat "$PROC_DIR/$1.log" 2>/dev/null; }

# stamp_utc: each line of stdin prefixed with the UTC time it was read,
# as `docker logs -t` does: 2026-12-01T10:00:02.123456Z LINE.
stamp_utc() {
	local line t
	export TZ=UTC
	while IFS= read -r line; do
		t=$EPOCHREALTIME
		printf '%(%Y-%m-%dT%H:%M:%S)T.%sZ %s\n' "${t%.*}" "${t#*.}" "$line"
	done
}

# Seconds since midnight (UTC) of such a stamp, for measured figures.
stamp_secs() {
	awk -v t="$1" 'BEGIN { c = substr(t, index(t, "T") + 1)
		printf "%.6f\n", substr(c, 1, 2) * 3600 + substr(c, 4, 2) * 60 + substr(c, 7) }'
}

# stamp: each line of stdin, prefixed with the time it was read
# ($EPOCHREALTIME, no fork), for the benchmarks' figures.
stamp() {
	local line
	while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

peer_kill() { kill "-${2:-9}" "${PEER_PID[$1]}" 2>/dev/null; }

# peer_stop ID: SIGTERM, then wait (bounded) for the exit; its status goes
# to PEER_STATUS ("timeout" when it had to be killed). Not in a subshell:
# only this shell can wait for its children.
peer_stop() {
	local id=$1 pid=${PEER_PID[$1]} i
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 $((100 * TIMEOUT_SCALE))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		PEER_STATUS=timeout
		return
	fi
	wait "$pid"
	PEER_STATUS=$?
}

# wait_for SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_for() {
	local limit=$1
	shift
	local tries=$((limit * TIMEOUT_SCALE * 20)) i
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# Start peers 1..N, with extra args per peer given as ARGS_<i>; peer i
# once peers 1..i-1 all hold view i-2 [1..i-1], so that the views are
# 0 [1] .. N-1 [1..N], one join at a time, whatever the machine's load
# (joins that meet at the leader share one view change).
start_group() {
	local n=$1 i args list=
	proc_hostsfile "$n"
	for i in $(seq 1 "$n"); do
		if [ "$i" -gt 1 ]; then
			# shellcheck disable=SC2046 # a list of ids
			await_view 15 "$((i - 2)) 1 [$list]" $(seq 1 $((i - 1)))
		fi
		list=${list:+$list,}$i
		args="ARGS_$i"
		# shellcheck disable=SC2086
		peer_start "$i" ${!args:-}
	done
}

all_at() {
	local want=$1 id
	shift
	for id in "$@"; do has_view "$id" "$want" || return 1; done
}

# Wait until peers (the rest of the args) all end at view WANT, or fail.
await_view() {
	local limit=$1 want=$2
	shift 2
	wait_for "$limit" all_at "$want" "$@" ||
		fail "peers $* did not reach '$want' in ${limit}s"
}

# Seconds for N heartbeat periods, stretched by TIMEOUT_SCALE.
periods() { awk "BEGIN{print $1*$HB_MS/1000*$TIMEOUT_SCALE}"; }

# The last view line of a peer, reduced to "VIEW LEADER [LIST]".
last_view() {
	peer_log "$1" | sed -n 's/^{peer_id:[0-9]*, view_id: \([0-9]*\), leader: \([0-9]*\), memb_list: \(\[[0-9,]*\]\)}$/\1 \2 \3/p' | tail -n 1
}

# has_view ID "VIEW LEADER [LIST]"
has_view() { [ "$(last_view "$1")" = "$2" ]; }
# has_count ID N TEXT: peer ID printed exactly N lines with TEXT.
has_count() { [ "$(count_lines "$1" "$3")" = "$2" ]; }

# count_lines ID FIXED-STRING
count_lines() { peer_log "$1" | grep -cF -- "$2"; }

fail() {
	echo "  FAIL: $*"
	FAILURES=$((FAILURES + 1))
}

expect_view() {
	local id=$1 want=$2
	has_view "$id" "$want" || fail "peer $id ended at '$(last_view "$id")', want '$want'"
}

expect_count() {
	local id=$1 want=$2 text=$3 got
	got=$(count_lines "$id" "$text")
	[ "$got" = "$want" ] || fail "peer $id printed '$text' $got times, want $want"
}

# Invariants over every log, by the compose judge's common checks (tc=0):
# each line has one of the four formats, each peer's view ids strictly
# increase, one view id means one list and leader everywhere, each
# unreachable line at most once per peer (JUDGE_REHEARD=1: again while the
# peer is still in the reporter's view), nothing after "crashing".
check_invariants() {
	local out f id names=""
	compgen -G "$PROC_DIR/*.log" > /dev/null || return 0
	for f in "$PROC_DIR"/*.log; do
		id=$(basename "$f" .log)
		names="$names $id"
		# -v diagnostics start "rollcall[", never '{': not output lines.
		grep -v '^\([^ ]*Z \)\{0,1\}rollcall\[' "$f" | sed "s/^/$id | /"
	done > "$PROC_DIR/all.merged"
	names=$(echo $names | tr ' ' '\n' | sort -n | paste -sd' ')
	out=$(awk -v tc=0 -v names="$names" -v reheard="${JUDGE_REHEARD:-0}" \
		-f tests/compose/judge.awk \
		"$PROC_DIR/all.merged") ||
		fail "invariants: $(printf '%s\n' "$out" | grep '^why:')"
	# Under VALGRIND=1, any report (errors, or leaks at a clean exit).
	for f in "$PROC_DIR"/*.vg; do
		[ -s "$f" ] && fail "valgrind, $(basename "$f"): $(head -c 2000 "$f")"
	done
	return 0
}
