#!/usr/bin/env bash
# The judge's own tests: canned logs, good and spoiled, and the verdict
# each must get. No Docker needed.
#
#   tests/compose/test-judge.sh [-v]     (-v shows the judge's output)
#
# The good logs are in logs/ (what run.sh writes: "stamp name | line",
# and one as `docker-compose logs` prints it). Each bad case spoils one of
# them with sed in one way and names the way.

set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$here/logs
judge=$here/judge.awk
verbose=0
[ "${1:-}" = "-v" ] && verbose=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
case_no=0

# expect VERDICT TC NAME BASE [SED-SCRIPT]
#   Judge logs/BASE as testcase TC after sed SED-SCRIPT (none: as is);
#   VERDICT is PASS or FAIL, and for FAIL an optional fifth argument is
#   a word the reason must contain.
expect() {
	local want=$1 tc=$2 name=$3 base=$4 script=${5:-} word=${6:-}
	local log=$tmp/case$((case_no += 1)).log out verdict
	if [ -n "$script" ]; then
		sed -e "$script" "$logs/$base" >"$log"
	else
		cp "$logs/$base" "$log"
	fi
	out=$(awk -v tc="$tc" -f "$judge" "$log" 2>&1)
	verdict=$(printf '%s\n' "$out" | tail -n 1)
	if [ "$verbose" -eq 1 ]; then
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
	local ok=1
	case $verdict in
	"$want testcase$tc"*) ;;
	*) ok=0 ;;
	esac
	if [ "$ok" -eq 1 ] && [ -n "$word" ] && [[ $verdict != *"$word"* ]]; then
		ok=0
	fi
	if [ "$ok" -eq 1 ]; then
		passed=$((passed + 1))
		printf 'ok   tc%s %s: %s\n' "$tc" "$name" "$verdict"
	else
		failed=$((failed + 1))
		printf 'FAIL tc%s %s: expected %s%s, got: %s\n' "$tc" "$name" \
			"$want" "${word:+ (with \"$word\")}" "$verdict"
	fi
}

# Testcase 1: joins.
expect PASS 1 "good log" tc1-good.log
expect PASS 1 "good log, grouped as docker-compose logs prints it" \
	tc1-good-grouped.log
expect PASS 1 "CRLF line ends and colour codes" tc1-good.log \
	$'s/$/\r/; s/ one | / \x1b[36mone |\x1b[0m /'
expect FAIL 1 "one never reaches view 4" tc1-good.log \
	'/ one | {peer_id:1, view_id: 4/d' "never printed the full view"
expect FAIL 1 "view id goes down" tc1-good.log \
	's/\(two | {peer_id:2, view_id: \)2/\15/' "view id went from"
expect FAIL 1 "disagreement on view 3" tc1-good.log \
	'/three | {peer_id:3, view_id: 3/s/\[1,2,3,4\]/[1,2,3,5]/' "view 3:"
expect FAIL 1 "disagreement on the leader" tc1-good.log \
	'/four | {peer_id:4, view_id: 4/s/leader: 1/leader: 2/' "view 4:"
expect FAIL 1 "stray line" tc1-good.log \
	'3a 2026-01-01T10:00:03.000000Z two | listening on port 7610' "stray line"
expect FAIL 1 "stray line without a prefix" tc1-good.log \
	'3a rollcall: cannot resolve five' "stray line"
expect FAIL 1 "a space inside peer_id" tc1-good.log \
	's/{peer_id:3,/{peer_id: 3,/' "stray line"
expect FAIL 1 "unsorted member list" tc1-good.log \
	'/five | /s/\[1,2,3,4,5\]/[2,1,3,4,5]/' "not sorted"
expect FAIL 1 "container two says peer_id 3" tc1-good.log \
	's/two | {peer_id:2, view_id: 1/two | {peer_id:3, view_id: 1/' \
	"container two"
expect FAIL 1 "a peer prints nothing" tc1-good.log '/ five | /d' \
	"printed nothing"
expect FAIL 1 "a failure reported though none happened" tc1-good.log \
	'$a 2026-01-01T10:00:11.000000Z two | {peer_id:2, view_id: 4, leader: 1, message:"peer 5 unreachable"}' \
	"after the full view"
expect FAIL 1 "five ends in the wrong view" tc1-good.log \
	'$a 2026-01-01T10:00:09.000000Z five | {peer_id:5, view_id: 5, leader: 1, memb_list: [1,2,3,5]}' \
	"after the full view"
expect FAIL 1 "empty log" tc1-good.log 'd' "no output lines"

# The multi-process tests' marker of a new life (tc=0, their checks).
expect PASS 0 "a restarted peer's views start over after the marker" \
	tc1-good.log '/ one | {peer_id:1, view_id: 4/a\
one | == restart of peer 1\
one | {peer_id:1, view_id: 0, leader: 1, memb_list: [1]}'
expect FAIL 0 "the same, without the marker" tc1-good.log \
	'/ one | {peer_id:1, view_id: 4/a\
one | {peer_id:1, view_id: 0, leader: 1, memb_list: [1]}' "view id went from"

# Testcase 2: five crashes.
expect PASS 2 "good log" tc2-good.log
expect FAIL 2 "duplicate unreachable line" tc2-good.log \
	'/three | {peer_id:3, view_id: 4, leader: 1, message/p' "more than once"
expect FAIL 2 "four never reports five" tc2-good.log \
	'/four | .*peer 5 unreachable/d' "peer 4"
expect FAIL 2 "two ends in the wrong view" tc2-good.log \
	'/two | {peer_id:2, view_id: 5/s/\[1,2,3,4\]/[1,2,3,4,5]/' "peer 2"
expect FAIL 2 "the view before the unreachable line" tc2-good.log \
	'/one | .*peer 5 unreachable/{h;d}; /one | {peer_id:1, view_id: 5/G' \
	"peer 1"
expect FAIL 2 "five prints after crashing" tc2-good.log \
	'/five | .*crashing/a 2026-01-01T10:00:12.600000Z five | {peer_id:5, view_id: 4, leader: 1, memb_list: [1,2,3,4,5]}' \
	"after \"crashing\""
expect FAIL 2 "five never crashes" tc2-good.log '/five | .*crashing/d' \
	"peer 5"
expect FAIL 2 "(leader) for a peer that is not the leader" tc2-good.log \
	'/two | /s/peer 5 unreachable/peer 5 (leader) unreachable/' \
	"calls 5 the leader"

# Testcase 3: five, four, three, two crash in turn.
expect PASS 3 "good log" tc3-good.log
expect FAIL 3 "four crashes before five" tc3-good.log \
	'/five | .*crashing/{h;d}; /four | .*crashing/G' "order"
expect FAIL 3 "one does not end alone" tc3-good.log \
	'/one | {peer_id:1, view_id: 8/d' "peer 1"
expect FAIL 3 "duplicate unreachable line" tc3-good.log \
	'/two | .*peer 3 unreachable/p' "more than once"
expect FAIL 3 "view id goes down" tc3-good.log \
	'/one | {peer_id:1, view_id: 7/s/view_id: 7/view_id: 3/' "view id"
expect FAIL 3 "stray line" tc3-good.log \
	'$a 2026-01-01T10:00:35.000000Z one | Segmentation fault' "stray line"

# Testcase 4: the leader crashes midway through a DEL.
expect PASS 4 "good log" tc4-good.log
expect FAIL 4 "one never crashes" tc4-good.log '/one | .*crashing/d' \
	"peer 1"
expect FAIL 4 "leader failure without (leader)" tc4-good.log \
	'/three | /s/peer 1 (leader) unreachable/peer 1 unreachable/' \
	"without \"(leader)\""
expect FAIL 4 "four ends with five still in" tc4-good.log \
	'/four | {peer_id:4, view_id: 6/d' "peer 4 ends"
expect FAIL 4 "duplicate leader unreachable" tc4-good.log \
	'/two | .*(leader) unreachable/p' "more than once"
expect FAIL 4 "disagreement on the last view" tc4-good.log \
	'/three | {peer_id:3, view_id: 6/s/leader: 2/leader: 3/' "view 6"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
