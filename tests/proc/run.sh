#!/usr/bin/env bash
# Run the multi-process scenarios (all, or those named) and summarise.
#   run.sh [NAME...]        tests/proc/scenarios.sh
#   run.sh --net [NAME...]  tests/proc/partitions.sh: real cuts and loss
#   PROC_SKIP="NAME..."     leaves these out
# On failure a scenario's peer logs are printed, so CI shows what happened
# (--net: their output lines, without the -v diagnostics). Each scenario
# runs under a time limit; one that exits 77 is skipped, not failed. After
# a --net scenario, a rule or chain of its own still in iptables fails it
# (and is removed). A scenario's "  figure: " lines are printed whatever
# the result.
set -u
cd "$(dirname "$0")/../.."
. tests/proc/cut.sh
TIMEOUT_SCALE=${TIMEOUT_SCALE:-1}
file=tests/proc/scenarios.sh
all="cli_errors joins crash_one crash_chain takeover leader_crash ten two_at_once frozen frozen_rejoin restart restart_late leader_restart amnesia hostile clean_exit hooks hooks_fail hooks_slow keyed_errors keyed_strangers keyed_replay keyed_rotation"
net=0
if [ "${1:-}" = --net ]; then
	shift
	net=1 file=tests/proc/partitions.sh
	all="cut_self leader_cut member_cut two_members_cut split_leader_small oneway_leader_member leader_cut_rejoin loss_member link_cut"
fi
passed=0 failed=0 skipped=0
for name in ${*:-$all}; do
	# PROC_SKIP: scenarios run elsewhere (make test-valgrind, the same
	# binary with every assertion of this run).
	case " ${PROC_SKIP:-} " in *" $name "*) continue ;; esac
	start=$(date +%s.%N)
	# --foreground: the scenario stays in the terminal's process group, so
	# ^C reaches its trap; on time-out TERM reaches it the same way.
	out=$(KEEP_LOGS=1 timeout --foreground -k 10 $((300 * TIMEOUT_SCALE)) \
		bash "$file" "$name" 2>&1)
	rc=$?
	chain=$(printf '%s\n' "$out" | sed -n 's/^iptables chain //p' | head -n 1)
	if [ -n "$chain" ] && iptables-save | grep -q -- "$chain\b"; then
		out="$out
  FAIL: iptables still holds $chain after the run"
		CUT_CHAIN=$chain CUT_OWNED=1 cut_teardown
		rc=1
	fi
	case $rc in
	0) result=PASS passed=$((passed + 1)) ;;
	77) result=SKIP skipped=$((skipped + 1)) ;;
	*) result=FAIL failed=$((failed + 1)) ;;
	esac
	[ "$rc" = 124 ] && out="$out
  FAIL: timed out"
	printf '%s %-20s %.1fs\n' "$result" "$name" \
		"$(echo "$(date +%s.%N) - $start" | bc)"
	# Figures (measured, not asserted) are shown whatever the result.
	printf '%s\n' "$out" | grep '^  figure: '
	dir=$(printf '%s\n' "$out" | sed -n 's/^logs kept in //p')
	if [ "$result" != PASS ] || [ "$net" = 1 ]; then
		# bash's own notice of a peer it saw killed is not the test's.
		printf '%s\n' "$out" | grep -v -e '^logs kept in' -e '^iptables chain' \
			-e '^tests/proc/[a-z]*\.sh: line [0-9]*: *[0-9]* Killed'
	fi
	if [ "$result" = FAIL ] && [ -n "$dir" ]; then
		for f in "$dir"/*.log; do
			[ -e "$f" ] || continue
			echo "--- $(basename "$f")"
			if [ "$net" = 1 ]; then grep -v '^rollcall\[' "$f"; else cat "$f"; fi
		done
	fi
	[ -n "$dir" ] && [ "${KEEP_LOGS:-0}" != 1 ] && rm -rf "$dir"
	[ -n "$dir" ] && [ "${KEEP_LOGS:-0}" = 1 ] && echo "logs kept in $dir"
done
if [ "$skipped" = 0 ]; then
	echo "$passed passed, $failed failed"
else
	echo "$passed passed, $failed failed ($skipped skipped)"
fi
[ "$failed" = 0 ]
