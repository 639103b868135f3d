#!/usr/bin/env bash
# The Paxos lab judge's own tests: the canned good logs of both testcases
# (tests/paxos/logs/, as tests/paxos/run.sh writes them), and each spoiled
# in one way that must FAIL, with a word the reason must contain. No
# Docker needed.
#
#   tests/paxos/test-judge.sh [-v]      (-v shows the judge's output)

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
logs=$here/logs
PYTHON=${PYTHON:-python3}
verbose=0
[ "${1:-}" = "-v" ] && verbose=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
n=0

# expect VERDICT TC NAME BASE SED-SCRIPT [WORD [RESORT]]
#   Judge logs/BASE, spoiled by SED-SCRIPT (empty: as is), as testcase TC
#   with testcase TC's hostsfile; RESORT=1 sorts the lines by stamp again
#   after sed (for a spoiling that moves a line in time).
expect() {
	local want=$1 tc=$2 name=$3 base=$4 script=$5 word=${6:-} resort=${7:-0}
	local log=$tmp/case$((n += 1)).log out verdict ok=1
	sed -e "$script" "$logs/$base" >"$log"
	[ "$resort" = 1 ] && sort -s -k1,1 -o "$log" "$log"
	out=$("$PYTHON" "$here/judge.py" --tc "$tc" --expect X \
		--hosts "$root/paxos-lab/compose/hostsfile-testcase$tc.txt" \
		"$log" 2>&1)
	verdict=$(printf '%s\n' "$out" | tail -n 1)
	[ "$verbose" -eq 1 ] && printf '%s\n' "$out" | sed 's/^/    /'
	case $verdict in
	"$want paxos-testcase$tc"*) ;;
	*) ok=0 ;;
	esac
	if [ -n "$word" ] && [[ $verdict != *"$word"* ]]; then
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

# Lines of one peer, by the printer's name and what they hold.
P1_SENT_ACCEPT='/peer1 | {"peer_id":1, "action":"sent", "message_type":"accept"/'
P3_RECV_PREPARE='/peer3 | {"peer_id":1, "action":"received", "message_type":"prepare"/'
P1_RECV_PACK='/peer1 | {"peer_id":[23], "action":"received", "message_type":"prepare_ack"/'
P1_RECV_AACK='/peer1 | {"peer_id":[23], "action":"received", "message_type":"accept_ack"/'
P3_CHOSE='/peer3 | {"peer_id":3, "action":"chose"/'

for tc in 1 2; do
	expect PASS $tc "good log" tc$tc-good.log ''
	expect FAIL $tc "a line that is not JSON" tc$tc-good.log \
		'5s/}$//' "not JSON"
	expect FAIL $tc "a diagnostic line among the JSON" tc$tc-good.log \
		'3s/| .*/| paxos-peer[1]: listening/' "not JSON"
	expect FAIL $tc "fields out of order" tc$tc-good.log \
		'4s/"action":"\([a-z]*\)", "message_type":"\([a-z_]*\)"/"message_type":"\2", "action":"\1"/' \
		"in that order"
	expect FAIL $tc "proposal_num quoted" tc$tc-good.log \
		's/"proposal_num":\([0-9]*\)}/"proposal_num":"\1"}/' "proposal_num"
	expect FAIL $tc "an unknown message type" tc$tc-good.log \
		's/"prepare_ack"/"prepare ack"/' "message_type"
	expect FAIL $tc "received but never sent" tc$tc-good.log \
		"${P1_SENT_ACCEPT}d" "sent it"
	expect FAIL $tc "an acceptor answers a prepare it never got" \
		tc$tc-good.log "${P3_RECV_PREPARE}d" "before receiving"
	expect FAIL $tc "accept without a majority of prepare_acks" \
		tc$tc-good.log "${P1_RECV_PACK}d" "prepare_acks from"
	expect FAIL $tc "chose without a majority of accept_acks" \
		tc$tc-good.log "${P1_RECV_AACK}d" "accept_acks from"
	expect FAIL $tc "an acceptor that never chose" tc$tc-good.log \
		"${P3_CHOSE}d" "never chose"
	expect FAIL $tc "chose printed twice" tc$tc-good.log \
		"${P3_CHOSE}p" "twice"
	expect FAIL $tc "one peer chose another value" tc$tc-good.log \
		"${P3_CHOSE}s/\"X\"/\"Z\"/" "'Z'"
	expect FAIL $tc "two values at one proposal number" tc$tc-good.log \
		'/{"peer_id":2, "action":"[a-z]*", "message_type":"accept_ack"/s/"X"/"W"/' \
		"carries"
	expect FAIL $tc "a sent line naming another peer" tc$tc-good.log \
		'/peer2 | {"peer_id":2, "action":"sent"/s/"peer_id":2/"peer_id":4/' \
		"peer_id"
	expect FAIL $tc "a prepare with another peer's number" tc$tc-good.log \
		's/"prepare", "message_value":"", "proposal_num":65537/"prepare", "message_value":"", "proposal_num":65538/' \
		"proposal number"
	expect FAIL $tc "nothing at all" tc$tc-good.log 'd' "no output"
done

# Testcase 1 only: the learner chose something else; a learner that
# prints nothing is fine.
expect FAIL 1 "the learner chose Y" tc1-good.log \
	'/peer5 | {"peer_id":5, "action":"chose"/s/"X"/"Y"/' "Y"
expect PASS 1 "the learner printed nothing" tc1-good.log '/peer5 | /d'

# Testcase 2 only: peer 5 too early, peer 5 pushing Y.
expect FAIL 2 "peer 5 prepares before peer 3's accept_ack" tc2-good.log \
	'/peer3 | {"peer_id":3, "action":"sent", "message_type":"accept_ack".*65537}/s/^[^ ]*/2026-12-06T07:21:50.000000000Z/' \
	"before peer 3" 1
expect FAIL 2 "peer 5 proposes Y over the reported X" tc2-good.log \
	'/65541}$/s/"X"/"Y"/' "Y"
expect FAIL 2 "peer 5 never prepares" tc2-good.log \
	'/65541}$/d; /peer5 | /d' "never"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
