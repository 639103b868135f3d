#!/usr/bin/env bash
# Run the multi-process scenarios (all, or those named) and summarise.
# On failure a scenario's peer logs are printed, so CI shows what happened;
# a scenario's "  figure: " lines are printed whatever the result.
set -u
cd "$(dirname "$0")/../.."
all="cli_errors joins crash_one crash_chain takeover leader_crash ten two_at_once frozen frozen_rejoin restart leader_restart hostile clean_exit hooks hooks_fail hooks_slow"
passed=0 failed=0
for name in ${*:-$all}; do
	start=$(date +%s.%N)
	if out=$(KEEP_LOGS=1 bash tests/proc/scenarios.sh "$name" 2>&1); then
		result=PASS passed=$((passed + 1))
	else
		result=FAIL failed=$((failed + 1))
	fi
	printf '%s %-14s %.1fs\n' "$result" "$name" \
		"$(echo "$(date +%s.%N) - $start" | bc)"
	# Figures (measured, not asserted) are shown whatever the result.
	printf '%s\n' "$out" | grep '^  figure: '
	dir=$(printf '%s\n' "$out" | sed -n 's/^logs kept in //p')
	if [ "$result" = FAIL ]; then
		printf '%s\n' "$out" | grep -v '^logs kept in'
		for f in "$dir"/*.log; do
			[ -e "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; }
		done
	fi
	[ -n "$dir" ] && rm -rf "$dir"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
