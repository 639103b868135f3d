#!/usr/bin/env bash
# The Paxos lab program's bad input: each must print exactly one line on
# stderr, nothing on stdout, and exit 2. And --help exits 0.
#
#   tests/paxos/errors.sh [BINARY]       (default build/paxos-peer)

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/paxos-peer}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

printf 'p1:proposer1\np2:acceptor1,acceptor2\np3:acceptor1,acceptor2\np4:acceptor1,acceptor2\np5:proposer2\n' >"$tmp/ok.txt"
printf 'p1:proposer1\np2\n' >"$tmp/norole.txt"
printf 'p1:proposer1\np2:leader1\n' >"$tmp/unknown.txt"
printf 'p1:proposer1\np2:acceptor01\n' >"$tmp/badk.txt"
printf 'p1:proposer1\np2:learner1\n' >"$tmp/noacc.txt"
printf 'p1:proposer1\np2:proposer1\np3:acceptor1\n' >"$tmp/twice.txt"

# case NAME WORD ARGS...: exit 2, one line on stderr containing WORD.
case_() {
	local name=$1 word=$2
	shift 2
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/out" ] &&
		grep -qF -- "$word" "$tmp/err"; then
		passed=$((passed + 1))
		printf 'ok   %s: %s' "$name" "$(cat "$tmp/err")"
		echo
	else
		failed=$((failed + 1))
		printf 'FAIL %s: exit %s, %s stderr lines, stdout %s bytes: %s\n' \
			"$name" "$rc" "$lines" "$(wc -c <"$tmp/out")" \
			"$(head -c 300 "$tmp/err")"
	fi
}

ok="$tmp/ok.txt"
case_ "no -h" "-h: required"
case_ "a line without a role" "norole.txt:2: no role" -h "$tmp/norole.txt" --id 1 -v X
case_ "an unknown role" "unknown role 'leader1'" -h "$tmp/unknown.txt" --id 1 -v X
case_ "a malformed K" "without leading zeros" -h "$tmp/badk.txt" --id 1 -v X
case_ "a missing hostsfile" "cannot open" -h "$tmp/none.txt" --id 1
case_ "a proposer without -v" "-v: required" -h "$ok" --id 1
case_ "-v longer than one character" "is 2 characters long" -h "$ok" --id 1 -v XY
case_ "-v empty" "-v: empty value" -h "$ok" --id 1 -v ''
case_ "-v twice" "given twice" -h "$ok" --id 1 -v X -v Y
case_ "-v a control character" "control character" -h "$ok" --id 1 -v $'\t'
case_ "-v on an acceptor" "not a proposer" -h "$ok" --id 2 -v X
case_ "-t on an acceptor" "-t: peer 3 (p3) is not a proposer" -h "$ok" --id 3 -t 10
case_ "-t negative" "negative" -h "$ok" --id 5 -v Y -t -1
case_ "-t not a number" "not a number of seconds" -h "$ok" --id 5 -v Y -t ten
case_ "--id past the file" "has only 5 peers" -h "$ok" --id 6
case_ "--port 0" "out of range" -h "$ok" --id 2 --port 0
case_ "an unknown option" "-x: unknown option" -h "$ok" -x
case_ "a stray argument" "unexpected argument" -h "$ok" extra
case_ "a proposer without acceptors" "no peer is acceptor1" -h "$tmp/noacc.txt" --id 1 -v X
case_ "one proposer number twice" "proposer1 on peers 1 and 2" -h "$tmp/twice.txt" --id 1 -v X
case_ "a hostname not in the file" "is not in the file" -h "$ok"

if "$bin" --help >"$tmp/out" 2>&1 && grep -q '^Usage: paxos-peer -h HOSTSFILE' "$tmp/out"; then
	passed=$((passed + 1))
	echo "ok   --help"
else
	failed=$((failed + 1))
	echo "FAIL --help"
fi
# A one-character value outside ASCII is one character.
mkdir -p "$tmp/state"
timeout 1 "$bin" -h "$ok" --id 1 -v 'é' --port 17699 --state "$tmp/state" >/dev/null 2>&1
if [ $? -eq 124 ]; then
	passed=$((passed + 1))
	echo "ok   -v é runs"
else
	failed=$((failed + 1))
	echo "FAIL -v é did not run"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
