#!/usr/bin/env bash
# One multi-process scenario, named by $1, on loopback peers 127.0.0.x.
# Each asserts on the printed lines only: final views, each unreachable line
# once per survivor, and the invariants in invariants.awk. Exit 0 on pass.
set -u
cd "$(dirname "$0")/../.."
. tests/proc/lib.sh

joins() {
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	expect_count 1 5 "memb_list"
	expect_count 5 1 "memb_list"
}

crash_one() {
	ARGS_5="-c $TIMEOUT_SCALE"
	start_group 5
	await_view 10 "5 1 [1,2,3,4]" 1 2 3 4
	expect_count 5 1 'message:"crashing"'
	for id in 1 2 3 4; do expect_count $id 1 '"peer 5 unreachable"'; done
}

crash_chain() {
	ARGS_2="-c 3.0" ARGS_3="-c 2.0" ARGS_4="-c 1.2" ARGS_5="-c 0.4"
	start_group 5
	await_view 15 "8 1 [1]" 1
	for id in 2 3 4 5; do expect_count $id 1 'message:"crashing"'; done
	for p in 5 4 3 2; do expect_count 1 1 "\"peer $p unreachable\""; done
	for p in 5 4 3; do expect_count 2 1 "\"peer $p unreachable\""; done
	for p in 5 4; do expect_count 3 1 "\"peer $p unreachable\""; done
	expect_count 4 1 '"peer 5 unreachable"'
}

takeover() {
	ARGS_1="-t"
	start_group 5
	await_view 15 "6 2 [2,3,4]" 2 3 4
	expect_count 1 1 'message:"crashing"'
	for id in 2 3 4; do
		expect_count $id 1 '"peer 1 (leader) unreachable"'
	done
	# Five was removed: it never installs a view of the new leader.
	[ "$(last_view 5)" = "4 1 [1,2,3,4,5]" ] ||
		fail "peer 5 ended at '$(last_view 5)', want its last view 4"
}

leader_crash() {
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	peer_kill 1
	await_view 10 "5 2 [2,3,4,5]" 2 3 4 5
	for id in 2 3 4 5; do
		expect_count $id 1 '"peer 1 (leader) unreachable"'
	done
}

ten() {
	local id
	start_group 10
	await_view 15 "9 1 [1,2,3,4,5,6,7,8,9,10]" $(seq 1 10)
	peer_kill 7
	await_view 10 "10 1 [1,2,3,4,5,6,8,9,10]" 1 2 3 4 5 6 8 9 10
	for id in 1 2 3 4 5 6 8 9 10; do
		expect_count $id 1 '"peer 7 unreachable"'
	done
}

# Both removed in one view change (a batch: both agreed at once, or the
# second while the first's round was in flight) or in two: view 5 or 6.
two_removed() {
	local id
	for id in "$@"; do
		has_view "$id" "5 1 [1,2,3]" || has_view "$id" "6 1 [1,2,3]" ||
			return 1
	done
}

two_at_once() {
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	peer_kill 4
	peer_kill 5
	wait_for 10 two_removed 1 2 3 ||
		fail "peers 1 2 3 did not reach [1,2,3] in 10s"
	for id in 1 2 3; do
		expect_count $id 1 '"peer 4 unreachable"'
		expect_count $id 1 '"peer 5 unreachable"'
	done
}

# Member 5 is stopped (SIGSTOP) for 3T, then continued. The others remove
# it meanwhile. Run again, it does not take the group's silence for
# deaths (no unreachable line): it reads its removal and goes quiet
# (its -v diagnostic says so), or, with --rejoin, joins again as a new
# member.
frozen_common() {
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	sleep "$(periods 2)"
	peer_kill 5 STOP
	sleep "$(periods 3)"
	peer_kill 5 CONT
}

frozen() {
	ARGS_5="-v"
	frozen_common
	await_view 10 "5 1 [1,2,3,4]" 1 2 3 4
	wait_for 5 grep -q "removed from the group in view 5; staying quiet" \
		"$PROC_DIR/5.log" || fail "peer 5 did not say it was removed"
	sleep "$(periods 5)"
	kill -0 "${PEER_PID[5]}" 2>/dev/null || fail "peer 5 exited"
	expect_view 5 "4 1 [1,2,3,4,5]"
	expect_count 5 0 "unreachable"
	for id in 1 2 3 4; do
		expect_view $id "5 1 [1,2,3,4]"
		expect_count $id 1 '"peer 5 unreachable"'
	done
}

frozen_rejoin() {
	ARGS_5="--rejoin"
	frozen_common
	await_view 10 "6 1 [1,2,3,4,5]" 1 2 3 4 5
	expect_count 5 0 "unreachable"
	for id in 1 2 3 4; do expect_count $id 1 '"peer 5 unreachable"'; done
}

# Member 3 is killed and at once started again (same id, a new process
# and incarnation), well within 2T: with its state file it resumes view 4
# as the same member, printing it once more, and the group never notices.
# (A longer period than usual, so that the restart is surely quicker than
# a detector, under valgrind too.)
restart() {
	local id
	HB_MS=$((HB_MS * 5))
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	peer_kill 3
	peer_restart 3
	wait_for 10 has_count 3 2 "view_id: 4," || fail "peer 3 did not print view 4 again"
	sleep "$(periods 5)"
	for id in 1 2 3 4 5; do expect_view $id "4 1 [1,2,3,4,5]"; done
	for id in 1 2 4 5; do expect_count $id 0 '"peer 3 unreachable"'; done
}

# Member 3 is killed and started again only once the group removed it:
# it resumes view 4, learns view 5 that left its earlier life out, and
# joins again as a new member (without --rejoin: it was started to be
# one): view 6 has all five again.
restart_late() {
	local id
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	peer_kill 3
	await_view 10 "5 1 [1,2,4,5]" 1 2 4 5
	peer_restart 3
	await_view 10 "6 1 [1,2,3,4,5]" 1 2 3 4 5
	for id in 1 2 4 5; do expect_count $id 1 '"peer 3 unreachable"'; done
}

# The leader is killed and at once started again: its new life resumes
# view 4 and, its round state lost with the old process, takes it over at
# a higher ballot, which the members promise at once (it is the leader
# they follow). It founds nothing, and nobody prints it unreachable.
leader_restart() {
	local id
	HB_MS=$((HB_MS * 5))
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	peer_kill 1
	peer_restart 1
	wait_for 10 has_count 1 2 "view_id: 4," || fail "peer 1 did not print view 4 again"
	sleep "$(periods 5)"
	for id in 1 2 3 4 5; do expect_view $id "4 1 [1,2,3,4,5]"; done
	for id in 2 3 4 5; do
		expect_count $id 0 '"peer 1 (leader) unreachable"'
	done
	[ "$(count_lines 1 'view_id: 0,')" = 1 ] ||
		fail "peer 1 printed view 0 $(count_lines 1 'view_id: 0,') times, want once (its first life)"
}

# Restarts that forget (PROC_STATE=0: no --state, so every restart starts
# without a state file). A life that lost its state holds no vote: the
# group removes the life it lists and admits the new one, and the new life
# prints the view that admits it, never an older one nor a founding view 0.
# A member is restarted, then the leader (a new peer 1 asks the others
# before founding, and joins them), then all five one by one. One view id
# names one list everywhere (check_invariants), each peer's view ids grow
# across its lives (amnesia_logs_grow), and the group ends whole.
amnesia_group_whole() {
	local want id
	want=$(last_view 1)
	case $want in *" [1,2,3,4,5]") ;; *) return 1 ;; esac
	[ "${want%% *}" -gt "$AMNESIA_FLOOR" ] || return 1
	for id in 2 3 4 5; do has_view "$id" "$want" || return 1; done
}

amnesia_await() {
	wait_for 20 amnesia_group_whole ||
		fail "$1: the group is not whole again above view $AMNESIA_FLOOR: $(for i in 1 2 3 4 5; do printf '%s: %s%s; ' "$i" "$(last_view "$i")" "$(kill -0 "${PEER_PID[$i]}" 2>/dev/null || echo ' (exited)')"; done)"
	AMNESIA_FLOOR=$(last_view 1)
	AMNESIA_FLOOR=${AMNESIA_FLOOR%% *}
}

# Each peer's view ids strictly grow over its whole log, restarts included.
amnesia_logs_grow() {
	local id ids
	for id in 1 2 3 4 5; do
		ids=$(peer_log "$id" | sed -n 's/^{peer_id:[0-9]*, view_id: \([0-9]*\),.*memb_list.*/\1/p' | paste -sd' ')
		awk -v ids="$ids" 'BEGIN { n = split(ids, v, " ")
			for (i = 2; i <= n; i++) if (v[i] + 0 <= v[i - 1] + 0) exit 1 }' ||
			fail "peer $id: view ids do not grow across its lives: $ids"
	done
}

amnesia_restart() {
	peer_kill "$1"
	peer_restart "$1"
}

amnesia() {
	local id
	PROC_STATE=0
	JUDGE_REHEARD=1	# a peer removed and let in again may fail again
	AMNESIA_FLOOR=3
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	amnesia_restart 3
	amnesia_await "member 3 restarted"
	amnesia_restart 1
	amnesia_await "leader 1 restarted"
	for id in 1 2 3 4 5; do
		amnesia_restart "$id"
		amnesia_await "rolling restart, peer $id"
	done
	amnesia_logs_grow
	[ "$(count_lines 1 'view_id: 0,')" = 1 ] ||
		fail "peer 1 printed view 0 $(count_lines 1 'view_id: 0,') times, want once (its first life)"
	echo "  figure: the group ends at $(last_view 1)"
}

# SIGTERM closes every handle and exits 0 (VALGRIND=1 then checks leaks).
clean_exit() {
	start_group 3
	await_view 15 "2 1 [1,2,3]" 1 2 3
	local id
	for id in 3 2 1; do
		peer_stop $id
		[ "$PEER_STATUS" = 0 ] ||
			fail "peer $id exited with '$PEER_STATUS' on SIGTERM"
	done
}

# A stranger on 127.0.0.9 (tests/proc/hostile.c) throws garbage, bad
# frames, strangers' and spoofed messages, stale and replayed views,
# 10,000 idle connections (2,000 per peer) and a UDP flood at a formed
# group. Every peer
# lives on, the view stands, peak RSS stays under HOSTILE_RSS_KB (plain
# builds only), and a crash afterwards is still handled.
HOSTILE=${HOSTILE:-$(dirname "$ROLLCALL")/tests/hostile}
HOSTILE_RSS_KB=${HOSTILE_RSS_KB:-16384}
hostile() {
	local id before=() t0 t1 rc hwm
	[ -x "$HOSTILE" ] || { fail "no $HOSTILE (make $HOSTILE)"; return; }
	# The barrage saturates the loops (under ASan most of all); a longer
	# period keeps this about hostile input, not about a starved detector.
	HB_MS=$((HB_MS * 3))
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	for id in 1 2 3 4 5; do before[id]=$(peer_log $id | wc -l); done
	t0=$(date +%s%N)
	timeout 15 "$HOSTILE" --port "$PROC_PORT" --peers 5 --src 127.0.0.9 \
		--seed "${HOSTILE_SEED:-1}" > "$PROC_DIR/hostile.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	sed 's/^/  hostile: /' "$PROC_DIR/hostile.out"
	[ "$rc" = 0 ] || fail "hostile exited with $rc"
	[ $(((t1 - t0) / 1000000)) -lt 10000 ] ||
		fail "hostile took $(((t1 - t0) / 1000000)) ms"
	# Ten heartbeat periods for any detector that would fire.
	sleep "$(awk "BEGIN{print 10*$HB_MS/1000*$TIMEOUT_SCALE}")"
	for id in 1 2 3 4 5; do
		kill -0 "${PEER_PID[$id]}" 2>/dev/null ||
			{ fail "peer $id died"; continue; }
		hwm=$(awk '/^VmHWM:/{print $2}' "/proc/${PEER_PID[$id]}/status")
		echo "  peer $id VmHWM ${hwm} kB"
		if [ "$VALGRIND" = 0 ] && [[ $ROLLCALL != *san* ]] &&
			[ "${hwm:-0}" -ge "$HOSTILE_RSS_KB" ]; then
			fail "peer $id peak RSS ${hwm} kB, over $HOSTILE_RSS_KB kB"
		fi
		[ "$(peer_log $id | wc -l)" = "${before[id]}" ] ||
			fail "peer $id printed during the barrage:" \
				"$(peer_log $id | tail -n +$((before[id] + 1)))"
		expect_view $id "4 1 [1,2,3,4,5]"
	done
	peer_kill 5
	await_view 10 "5 1 [1,2,3,4]" 1 2 3 4
	for id in 1 2 3 4; do expect_count $id 1 '"peer 5 unreachable"'; done
}

# ---- The status file and the handlers (rollcall/) ------------------------

# The handlers the hooks scenarios run: one that records each event (its
# environment as one line, then its stdin line) in ID.rec, one that
# sleeps 10 s, one that prints on stdout and stderr and exits 1.
hooks_scripts() {
	cat > "$PROC_DIR/record" <<-EOF
	#!/bin/sh
	{ echo "env \$ROLLCALL_EVENT \$ROLLCALL_PEER_ID \$ROLLCALL_VIEW_ID \$ROLLCALL_LEADER [\$ROLLCALL_MEMBERS] \${ROLLCALL_PEER:-}"
	  cat; } >> "$PROC_DIR/\$ROLLCALL_PEER_ID.rec"
	EOF
	printf '#!/bin/sh\nsleep 10\n' > "$PROC_DIR/slow"
	printf '#!/bin/sh\necho "failing on $ROLLCALL_EVENT"\necho "to stderr" >&2\nexit 1\n' \
		> "$PROC_DIR/fails"
	chmod +x "$PROC_DIR/record" "$PROC_DIR/slow" "$PROC_DIR/fails"
}

# The events a peer's handler should have recorded, from its printed
# lines, in the recorder's "env ..." form.
hooks_expected() {
	peer_log "$1" | sed -n \
		-e 's/^{peer_id:\([0-9]*\), view_id: \([0-9]*\), leader: \([0-9]*\), memb_list: \[\([0-9,]*\)\]}$/env view \1 \2 \3 [\4] /p' \
		-e 's/^{peer_id:\([0-9]*\), view_id: \([0-9]*\), leader: \([0-9]*\), message:"peer \([0-9]*\)\( (leader)\)\{0,1\} unreachable"}$/env unreachable \1 \2 \3 [] \4/p' \
		-e 's/^{peer_id:\([0-9]*\), view_id: \([0-9]*\), leader: \([0-9]*\), message:"crashing"}$/env crashing \1 \2 \3 [] /p'
}

hooks_recorded() { grep '^env ' "$PROC_DIR/$1.rec" 2>/dev/null; }
hooks_caught_up() { [ "$(hooks_recorded "$1")" = "$(hooks_expected "$1")" ]; }

# Each stdin line must be valid JSON and say what the environment said.
HOOKS_CHECK_REC='
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for env, text in zip(lines[0::2], lines[1::2]):
    e = json.loads(text)
    again = "env %s %s %s %s [%s] %s" % (e["event"], e["peer_id"],
        e["view_id"], e["leader"], ",".join(map(str, e["members"])),
        e.get("peer", ""))
    if again != env:
        print("stdin says %r, environment %r" % (again, env)); sys.exit(1)
'

# The handler of peer ID recorded every printed event, in order.
expect_records() {
	local id=$1 out
	wait_for 5 hooks_caught_up "$id" ||
		fail "peer $id's handler recorded: $(hooks_recorded "$id" | paste -sd';')," \
			"printed: $(hooks_expected "$id" | paste -sd';')"
	out=$(python3 -c "$HOOKS_CHECK_REC" "$PROC_DIR/$id.rec" 2>&1) ||
		fail "peer $id's handler input: $out"
}

# "VIEW LEADER [LIST] ROLE" from a status file, which must be valid JSON
# whose last_heard_ms names every other member.
HOOKS_STATUS='
import json, sys
d = json.load(open(sys.argv[1]))
m = d["members"]
others = sorted(int(k) for k in d["last_heard_ms"])
if others != [p for p in m if p != d["peer_id"]]:
    print("last_heard_ms names", others, "for members", m); sys.exit(1)
print(d["view_id"], d["leader"], "[" + ",".join(map(str, m)) + "]", d["role"])
'
status_shows() {
	python3 -m json.tool "$PROC_DIR/$1.json" > /dev/null 2>&1 &&
		[ "$(python3 -c "$HOOKS_STATUS" "$PROC_DIR/$1.json" 2>&1)" = "$2" ]
}

# The status file of peer ID shows its last printed view, as member or
# leader.
expect_status() {
	local id=$1 view role=member
	view=$(last_view "$id")
	[ "$(echo "$view" | cut -d' ' -f2)" = "$id" ] && role=leader
	wait_for 2 status_shows "$id" "$view $role" ||
		fail "peer $id's status file: $(python3 -c "$HOOKS_STATUS" \
			"$PROC_DIR/$id.json" 2>&1 | head -c 300), want '$view $role'"
}

ready_status() {
	"$ROLLCALL" --ready "$PROC_DIR/$1.json" > /dev/null 2>&1
	echo $?
}
is_ready() { [ "$(ready_status "$1")" = 0 ]; }

# Five peers with --status and --on-change: after each join, a crash and a
# takeover every status file matches the view line last printed, and each
# handler recorded the printed events in order; --ready says 1 before
# peer 5 joins and 0 after.
hooks() {
	local id i
	hooks_scripts
	proc_hostsfile 5
	[ "$(ready_status 5)" = 1 ] || fail "--ready of a missing file is not 1"
	# One by one, each file checked after each join.
	local list=1
	for i in 1 2 3 4; do
		[ "$i" = 1 ] || list="$list,$i"
		peer_start "$i" --status "$PROC_DIR/$i.json" \
			--on-change "$PROC_DIR/record"
		await_view 10 "$((i - 1)) 1 [$list]" $(seq 1 "$i")
		for id in $(seq 1 "$i"); do expect_status $id; done
	done
	# Five starts late: its file says "starting", then "joining".
	peer_start 5 -d "$(periods 10)" --status "$PROC_DIR/5.json" \
		--on-change "$PROC_DIR/record"
	wait_for 5 test -s "$PROC_DIR/5.json" || fail "peer 5 wrote no status"
	[ "$(ready_status 5)" = 1 ] || fail "--ready before the join: not 1"
	await_view 15 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	wait_for 2 is_ready 5 ||
		fail "--ready after the join: not 0"
	for id in 1 2 3 4 5; do expect_status $id; expect_records $id; done
	peer_kill 4
	await_view 10 "5 1 [1,2,3,5]" 1 2 3 5
	for id in 1 2 3 5; do expect_status $id; expect_records $id; done
	peer_kill 1
	await_view 10 "6 2 [2,3,5]" 2 3 5
	for id in 2 3 5; do expect_status $id; expect_records $id; done
	# A peer stopped by SIGTERM leaves a file that says so.
	peer_stop 5
	wait_for 2 status_shows 5 "6 2 [2,3,5] stopped" ||
		fail "peer 5's status after SIGTERM: $(head -c 300 "$PROC_DIR/5.json")"
	[ "$(ready_status 5)" = 1 ] || fail "--ready of a stopped peer: not 1"
}

# Kill every peer of a run and keep its files under NAME/, after
# checking the run's invariants.
hooks_end_run() {
	local name=run_$1 id
	check_invariants
	for id in "${!PEER_PID[@]}"; do kill -9 "${PEER_PID[$id]}" 2>/dev/null; done
	for id in "${!PEER_PID[@]}"; do wait_for 5 stamper_done "$id"; done
	PEER_PID=()
	mkdir -p "$PROC_DIR/$name"
	mv "$PROC_DIR"/*.log "$PROC_DIR/$name/"
	mv "$PROC_DIR"/*.json "$PROC_DIR/$name/" 2>/dev/null
	# The next run is a new group: its peers start without state files.
	rm -rf "$PROC_DIR/state"
	PROC_PORT=$((PROC_PORT + 1))
}

# Start peers 1..5 one join at a time (start_group), each with ARGS,
# where @ID@ stands for its id (and peer 5 with ARGS_5 too).
hooks_start_five() {
	local id
	for id in 1 2 3 4 5; do
		printf -v "ARGS_$id" '%s ' "${@//@ID@/$id}"
	done
	ARGS_5="${ARGS_5}${ARGS_5_EXTRA:-}" start_group 5
}

# A run of five where five crashes (-c) after joining, every peer with
# ARGS; ends once the survivors are at view 5 and 3T more have passed.
hooks_crash_run() {
	ARGS_5_EXTRA="-c $TIMEOUT_SCALE" hooks_start_five "$@"
	await_view 15 "5 1 [1,2,3,4]" 1 2 3 4
	sleep "$(periods 3)"
}

# The output lines of run NAME, peer by peer, without stamps or -v lines.
hooks_output() {
	local f
	for f in "$PROC_DIR/run_$1"/*.log; do
		echo "== $(basename "$f")"
		sed 's/^[0-9][0-9-]*T[0-9:.]*Z //' "$f" | grep -v '^rollcall\['
	done
}

# A handler that exits 1 (its output sent to --on-change-log), one that
# does not exist, and one killed by its timeout leave the output lines
# exactly as in a run without handlers; each failure is counted in the
# status file and logged at -v.
hooks_fail() {
	local run out
	hooks_scripts
	proc_hostsfile 5
	hooks_crash_run
	hooks_end_run none
	hooks_crash_run --on-change "$PROC_DIR/fails" -v \
		--status "$PROC_DIR/@ID@.json" --on-change-log "$PROC_DIR/@ID@.out"
	wait_for 2 grep -q '"handler_failed":[1-9]' "$PROC_DIR/1.json" ||
		fail "exit 1: not counted: $(grep handler_ "$PROC_DIR/1.json")"
	grep -q "handler $PROC_DIR/fails, for the view event of view 0: exit status 1" \
		"$PROC_DIR/1.log" || fail "exit 1: not logged at -v"
	# Its output went to its own log, not among the output lines.
	grep -q "^failing on view$" "$PROC_DIR/1.out" &&
		grep -q "^to stderr$" "$PROC_DIR/1.out" ||
		fail "exit 1: its output is not in --on-change-log"
	hooks_end_run fails
	hooks_crash_run --on-change "$PROC_DIR/no-such-handler" -v \
		--status "$PROC_DIR/@ID@.json"
	grep -q '"handler_failed":[1-9]' "$PROC_DIR/1.json" ||
		fail "missing handler: not counted"
	grep -q "no-such-handler, for the view event of view 0: cannot run it: no such file" \
		"$PROC_DIR/1.log" || fail "missing handler: not logged at -v"
	hooks_end_run missing
	hooks_crash_run --on-change "$PROC_DIR/slow" -v \
		--on-change-timeout 0.2 --status "$PROC_DIR/@ID@.json"
	wait_for 5 grep -q '"handler_timed_out":[1-9]' "$PROC_DIR/1.json" ||
		fail "timeout: not counted: $(grep handler_ "$PROC_DIR/1.json")"
	grep -q "slow, for the view event of view 0: still running after 200 ms; killed" \
		"$PROC_DIR/1.log" || fail "timeout: not logged at -v"
	hooks_end_run timeout
	for run in fails missing timeout; do
		out=$(diff <(hooks_output none) <(hooks_output "$run")) ||
			fail "output with the '$run' handler differs: $out"
	done
}

# Milliseconds from the kill of peer 5 (at KILL, epoch seconds) to the
# view without it, printed by the slowest survivor.
hooks_crash_to_view_ms() {
	local kill_s=$1 id st worst=0 ms
	for id in 1 2 3 4; do
		st=$(peer_log_stamped "$id" | grep -F 'view_id: 5, leader: 1, memb_list: [1,2,3,4]}' |
			head -n 1 | cut -d' ' -f1)
		[ -n "$st" ] || continue
		ms=$(awk -v v="$(stamp_secs "$st")" -v k="$kill_s" \
			'BEGIN { printf "%d", (v - k % 86400) * 1000 }')
		[ "$ms" -gt "$worst" ] && worst=$ms
	done
	echo "$worst"
}

# A handler that sleeps 10 s on every event holds up no view change: the
# figure printed is the time from a crash to the survivors' new view
# line, with and without it (a figure, not an assertion).
hooks_slow() {
	local name t0 without with id
	hooks_scripts
	proc_hostsfile 5
	for name in none slow; do
		local args=()
		[ "$name" = slow ] && args=(--on-change "$PROC_DIR/slow"
			--status "$PROC_DIR/@ID@.json")
		hooks_start_five "${args[@]}"
		await_view 15 "4 1 [1,2,3,4,5]" 1 2 3 4 5
		sleep "$(periods 2)"
		t0=$EPOCHREALTIME
		peer_kill 5
		await_view 10 "5 1 [1,2,3,4]" 1 2 3 4
		if [ "$name" = slow ]; then
			with=$(hooks_crash_to_view_ms "$t0")
			# The first handler still sleeps: the views went past it.
			grep -q '"handler_started":1,"handler_succeeded":0' \
				"$PROC_DIR/1.json" ||
				fail "the slow handler was not running: $(grep handler_ "$PROC_DIR/1.json")"
		else
			without=$(hooks_crash_to_view_ms "$t0")
		fi
		hooks_end_run "$name"
	done
	echo "  figure: slow handler: crash to view line ${without} ms without handlers," \
		"${with} ms with a handler sleeping 10 s on every event"
}

# expect_usage_error "MESSAGE PART" ARGS...: exit 2, one line naming it.
expect_usage_error() {
	local want=$1 out status
	shift
	out=$("$ROLLCALL" "$@" 2>&1 >/dev/null)
	status=$?
	[ "$status" = 2 ] || fail "rollcall $*: exit $status, want 2"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] ||
		fail "rollcall $*: not one line: $out"
	case $out in
	*"$want"*) ;;
	*) fail "rollcall $*: '$out' does not say '$want'" ;;
	esac
}

# Wrong command lines and hostsfiles: one line, exit 2, nothing starts.
cli_errors() {
	local h=$PROC_DIR/hosts
	printf 'a\nb\n' > "$h"
	printf 'a\nb\nA\n' > "$PROC_DIR/dup"
	expect_usage_error "-h" --id 1
	expect_usage_error "$PROC_DIR/none" -h "$PROC_DIR/none" --id 1
	expect_usage_error "dup:3: duplicate entry" -h "$PROC_DIR/dup" --id 1
	expect_usage_error "--id 3" -h "$h" --id 3
	expect_usage_error "-d" -h "$h" --id 1 -d abc
	expect_usage_error "-c" -h "$h" --id 1 -c -1
	expect_usage_error "--port" -h "$h" --id 1 --port 70000
	expect_usage_error "--bogus" -h "$h" --id 1 --bogus
	expect_usage_error "--test-drop-udp" -h "$h" --id 1 --test-drop-udp 101
	expect_usage_error "--rejoin" -h "$h" --id 1 --rejoin=yes
	expect_usage_error "not in the file" -h "$h"
	expect_usage_error "--status" -h "$h" --id 1 --status ""
	expect_usage_error "--on-change-timeout" -h "$h" --id 1 \
		--on-change-timeout 0
	expect_usage_error "no other option" --ready "$PROC_DIR/s" -h "$h"
	expect_usage_error "$PROC_DIR/no/s.json" -h "$h" --id 1 \
		--status "$PROC_DIR/no/s.json"
	expect_usage_error "cannot write it: Is a directory" -h "$h" --id 1 --status "$PROC_DIR"
	expect_usage_error "--on-change-log $PROC_DIR/no/h.log: cannot open" \
		-h "$h" --id 1 --on-change /bin/true --on-change-log "$PROC_DIR/no/h.log"
	"$ROLLCALL" --help | grep -q -- "--heartbeat-ms" || fail "--help"
	"$ROLLCALL" --version | grep -q "^rollcall " || fail "--version"
}

# ---- Keyed groups (--keyring, common/seal.h) -------------------------------

new_key() { head -c 32 /dev/urandom | base64; }

# keyring_write ID KEY...: peer ID's keyring, mode 0600, replaced whole.
keyring_write() {
	local f=$PROC_DIR/keys.$1
	shift
	(umask 077 && printf '%s\n' "$@" > "$f.tmp") && mv "$f.tmp" "$f"
}

# keyed_start N M: peers 1..N of a hostsfile of M, each with its own
# keyring (keys.ID) and status file (ID.status).
keyed_start() {
	local n=$1 m=$2 i
	proc_hostsfile "$m"
	for i in $(seq 1 "$n"); do
		peer_start "$i" -d "$(awk "BEGIN{print ($i-1)*0.2}")" \
			--keyring "$PROC_DIR/keys.$i" --status "$PROC_DIR/$i.status"
	done
}

# counter ID NAME: a transport counter from peer ID's status file.
counter() {
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$PROC_DIR/$1.status" 2>/dev/null |
		head -n 1
}
# counter_sum NAME ID...: over those peers.
counter_sum() {
	local name=$1 id sum=0 v
	shift
	for id in "$@"; do v=$(counter "$id" "$name"); sum=$((sum + ${v:-0})); done
	echo "$sum"
}
counters_above() { [ "$(counter_sum "$@")" -gt 0 ]; }

# The member list of a peer's last view line.
last_list() { last_view "$1" | sed 's/^[0-9]* [0-9]* //'; }
lists_are() {
	local want=$1 id
	shift
	for id in "$@"; do [ "$(last_list "$id")" = "$want" ] || return 1; done
}

# Peers printed nothing since BEFORE[id] and are alive.
expect_quiet() {
	local id
	for id in "$@"; do
		kill -0 "${PEER_PID[$id]}" 2>/dev/null || fail "peer $id died"
		[ "$(peer_log $id | grep -vc '^rollcall\[')" = "${BEFORE[$id]}" ] ||
			fail "peer $id printed:" \
				"$(peer_log $id | grep -v '^rollcall\[' | tail -n +$((BEFORE[$id] + 1)))"
	done
}
mark_quiet() {
	local id
	for id in "$@"; do BEFORE[$id]=$(peer_log $id | grep -vc '^rollcall\['); done
}
BEFORE=()

# stranger_gone ID NAME: a process that never joined is killed, and its
# log set aside (the judge wants lines from every ID.log), after checking
# it printed no view.
stranger_gone() {
	peer_kill "$1"
	wait_for 5 stamper_done "$1"
	expect_count "$1" 0 "memb_list"
	mv "$PROC_DIR/$1.log" "$PROC_DIR/$2.txt"
}

# A sixth process with a wrong key, then with none, at the free id 6;
# then forged messages claiming the leader (sealed with a wrong key) and
# claiming member 3 (plain), from their own addresses. Nobody prints a
# line, the view stands, each kind is counted where it is dropped, and
# the group still handles a crash.
keyed_strangers() {
	local k wrong id
	k=$(new_key) wrong=$(new_key)
	for id in 1 2 3 4 5; do keyring_write $id "$k"; done
	keyed_start 5 6
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	mark_quiet 1 2 3 4 5
	keyring_write 6 "$wrong"
	peer_start 6 -v --keyring "$PROC_DIR/keys.6"
	wait_for 5 counters_above dropped_unopened 1 2 3 4 5 ||
		fail "no peer counted the wrong key's messages"
	sleep "$(periods 10)"
	stranger_gone 6 wrong-key
	peer_start 6 -v
	wait_for 5 counters_above dropped_unsealed 1 2 3 4 5 ||
		fail "no peer counted the keyless peer's messages"
	sleep "$(periods 10)"
	stranger_gone 6 no-key
	local u0 p0
	u0=$(counter_sum dropped_unopened 1 2 3 4 5)
	p0=$(counter_sum dropped_unsealed 1 2 3 4 5)
	timeout 30 "$HOSTILE" --forge 1 --keyring "$PROC_DIR/keys.6" \
		--forge-ms 1500 --peers 5 --port "$PROC_PORT" \
		> "$PROC_DIR/hostile.out" 2>&1 || fail "hostile --forge 1 failed"
	timeout 30 "$HOSTILE" --forge 3 --forge-ms 1500 --peers 5 \
		--port "$PROC_PORT" >> "$PROC_DIR/hostile.out" 2>&1 ||
		fail "hostile --forge 3 failed"
	sed 's/^/  hostile: /' "$PROC_DIR/hostile.out"
	sleep "$(periods 10)"
	wait_for 2 counters_above dropped_unopened 1 2 3 4 5
	echo "  figure: dropped by the group: $(( $(counter_sum dropped_unopened 1 2 3 4 5) - u0 ))" \
		"forged sealed, $(( $(counter_sum dropped_unsealed 1 2 3 4 5) - p0 )) forged plain"
	[ "$(counter_sum dropped_unopened 1 2 3 4 5)" -gt "$u0" ] ||
		fail "the wrong key's forgeries were not counted"
	[ "$(counter_sum dropped_unsealed 1 2 3 4 5)" -gt "$p0" ] ||
		fail "the plain forgeries were not counted"
	expect_quiet 1 2 3 4 5
	for id in 1 2 3 4 5; do expect_view $id "4 1 [1,2,3,4,5]"; done
	peer_kill 5
	await_view 10 "5 1 [1,2,3,4]" 1 2 3 4
	for id in 1 2 3 4; do expect_count $id 1 '"peer 5 unreachable"'; done
}

# Captured traffic played back: the TCP bytes of peer 6's join and peer
# 5's heartbeats (those of the view with 6 too), captured with raw
# sockets; then 5 is killed and the captures sent again, from their own
# addresses, while the group detects it. Each survivor reports 5 once and
# the group ends at [1,2,3,4,6] as soon as without the replay; the
# replays are counted as such. UNKEYED=1 runs the same without keys and
# asserts nothing: its figure shows what the replay does to a group with
# no keyring (it keeps the dead peer alive while it lasts).
keyed_replay() {
	local k id hp t_kill t_seen
	if [ "$(id -u)" != 0 ]; then
		echo "keyed_replay: capturing with raw sockets needs root; skipped"
		exit 77
	fi
	k=$(new_key)
	for id in 1 2 3 4 5 6; do keyring_write $id "$k"; done
	local key=(--keyring "$PROC_DIR/keys.ID")
	[ "${UNKEYED:-0}" = 1 ] && key=()
	proc_hostsfile 6
	for id in 1 2 3 4 5; do
		peer_start $id -d "$(awk "BEGIN{print ($id-1)*0.2}")" \
			"${key[@]/ID/$id}" --status "$PROC_DIR/$id.status"
	done
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	timeout 60 "$HOSTILE" --replay 5 --capture-ms 3000 --replay-ms 3000 \
		--go "$PROC_DIR/go" --peers 6 --port "$PROC_PORT" \
		> "$PROC_DIR/hostile.out" 2>&1 &
	hp=$!
	sleep 0.3
	peer_start 6 "${key[@]/ID/6}" --status "$PROC_DIR/6.status"
	await_view 10 "5 1 [1,2,3,4,5,6]" 1 2 3 4 5 6
	wait_for 10 grep -q '^captured' "$PROC_DIR/hostile.out" ||
		fail "nothing captured"
	peer_kill 5
	t_kill=$EPOCHREALTIME
	touch "$PROC_DIR/go"
	wait "$hp" || fail "hostile --replay exited with $?"
	sed 's/^/  hostile: /' "$PROC_DIR/hostile.out"
	wait_for 10 lists_are "[1,2,3,4,6]" 1 2 3 4 6 ||
		fail "the group did not end at [1,2,3,4,6]"
	t_seen=$(peer_log_stamped 1 | grep -m1 -F '"peer 5 unreachable"' |
		cut -d' ' -f1)
	[ -n "$t_seen" ] && echo "  figure: ${UNKEYED:+un}keyed: peer 1 reported" \
		"peer 5 $(awk -v a="$(stamp_secs "$t_seen")" -v b="$t_kill" \
		'BEGIN { printf "%.0f", (a - b % 86400) * 1000 }') ms after" \
		"its kill, the replay lasting 3000 ms"
	[ "${UNKEYED:-0}" = 1 ] && return
	for id in 1 2 3 4 6; do
		expect_count $id 1 '"peer 5 unreachable"'
		expect_count $id 0 '"peer 6 unreachable"'
	done
	wait_for 3 counters_above dropped_replayed 1 2 3 4 6 ||
		fail "no replay was counted"
	echo "  figure: replays dropped by peers 1-4 and 6:" \
		"$(counter_sum dropped_replayed 1 2 3 4 6) as replays," \
		"$(counter_sum dropped_spoofed 1 2 3 4 6) as sealed for another peer"
}

# The three-step rotation under load (a stranger's plain messages and a
# garbage flood all along, and a peer joining between steps 1 and 2):
# each step reaches the peers one heartbeat period apart, so neighbours
# are a step apart for a while. Nobody prints an unreachable line. Then
# a peer holding only the old key cannot join, and a keyring reread that
# fails keeps the keys in use.
keyed_rotation() {
	local a b id hp
	a=$(new_key) b=$(new_key)
	for id in 1 2 3 4 5; do keyring_write $id "$a"; done
	keyed_start 5 7
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	timeout 30 "$HOSTILE" --port "$PROC_PORT" --peers 5 --src 127.0.0.9 \
		--idle 1 --hold-ms 5000 --flood 20000 --flood-ms 4000 \
		> "$PROC_DIR/hostile.out" 2>&1 &
	hp=$!
	rotate_step 5 "$a" "$b"
	keyring_write 6 "$a" "$b"
	peer_start 6 --keyring "$PROC_DIR/keys.6" --status "$PROC_DIR/6.status"
	await_view 10 "5 1 [1,2,3,4,5,6]" 1 2 3 4 5 6
	rotate_step 6 "$b" "$a"
	rotate_step 6 "$b"
	wait "$hp" || fail "hostile exited with $?"
	sleep "$(periods 10)"
	local b_id
	b_id=$(key_id "$b")
	for id in 1 2 3 4 5 6; do
		expect_count $id 0 "unreachable"
		expect_view $id "5 1 [1,2,3,4,5,6]"
		peer_log $id | grep 'keyring .* reread' | tail -n 1 |
			grep -q ": 1 keys, sealing with key $b_id\$" ||
			fail "peer $id's last reread is not B alone ($b_id)"
	done
	mark_quiet 1 2 3 4 5 6
	local u0
	u0=$(counter_sum dropped_unopened 1 2 3 4 5 6)
	keyring_write 7 "$a"
	peer_start 7 --keyring "$PROC_DIR/keys.7"
	wait_for 5 eval '[ "$(counter_sum dropped_unopened 1 2 3 4 5 6)" -gt "$u0" ]' ||
		fail "the old key's JOIN was not counted"
	sleep "$(periods 10)"
	stranger_gone 7 old-key
	printf 'not a key\n' > "$PROC_DIR/keys.2"
	peer_kill 2 HUP
	wait_for 5 grep -q "keyring not reread (SIGHUP), 1 keys kept: .*keys.2:1: not a key" \
		"$PROC_DIR/2.log" || fail "peer 2 did not say its reread failed"
	# A change with no signal is read too (within KEYRING_POLL_MS).
	keyring_write 3 "$b" "$a"
	wait_for 5 grep -q "keyring .*keys.3 reread (changed): 2 keys, sealing with key $b_id" \
		"$PROC_DIR/3.log" || fail "peer 3 did not reread its changed file"
	grep -q "$b" "$PROC_DIR"/*.log && fail "a key appears in a log"
	grep -q "$b" "$PROC_DIR"/*.status && fail "a key appears in a status file"
	sleep "$(periods 10)"
	expect_quiet 1 2 3 4 5 6
}

# key_id KEY: the id an envelope names it by (BLAKE2b-256, first 4 bytes).
key_id() {
	"${PYTHON:-python3}" -c 'import base64, hashlib, sys
print(hashlib.blake2b(base64.b64decode(sys.argv[1]), digest_size=32).hexdigest()[:8])' "$1"
}

# rotate_step N KEY...: peers 1..N get these keys, one period apart.
rotate_step() {
	local n=$1 id
	shift
	for id in $(seq 1 "$n"); do
		keyring_write $id "$@"
		peer_kill $id HUP
		sleep "$(periods 1)"
	done
	sleep "$(periods 5)"
}

# Key files the daemon refuses: one line naming the file, exit 2.
keyed_errors() {
	local h=$PROC_DIR/hosts k=$PROC_DIR/keys.1
	printf '127.0.0.1\n' > "$h"
	keyring_write 1 "$(new_key)"
	chmod 0640 "$k"
	expect_usage_error "$k: permissions 0640 are too open" -h "$h" --id 1 \
		--keyring "$k"
	chmod 0604 "$k"
	ROLLCALL_KEYRING=$k expect_usage_error "permissions 0604" -h "$h" --id 1
	keyring_write 1 "# rotation of May" "$(new_key)" "$(new_key | cut -c 2-)"
	expect_usage_error "$k:3: not a key" -h "$h" --id 1 --keyring "$k"
	keyring_write 1 "# none"
	expect_usage_error "$k: no key" -h "$h" --id 1 --keyring "$k"
	expect_usage_error "$PROC_DIR/none: No such file" -h "$h" --id 1 \
		--keyring "$PROC_DIR/none"
	expect_usage_error "--keyring: empty value" -h "$h" --id 1 --keyring ""
}

name=${1:?usage: scenarios.sh NAME}
declare -F "$name" > /dev/null || { echo "no scenario '$name'"; exit 2; }
"$name"
check_invariants
[ "$FAILURES" = 0 ] || KEEP_LOGS=${KEEP_LOGS:-0}
exit $((FAILURES > 0))
