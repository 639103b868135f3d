#!/usr/bin/env bash
# A replica too far behind for the log gets a snapshot, on loopback.
#
#   tests/bank/snapshot.sh        (BANK=build-san/bank for the sanitizers)
#
# Three replicas on 127.0.0.1..3, each keeping only 256 decided slots for
# the others' catch-up (--test-log-window 256), and sending snapshots in
# pieces of 512 bytes (--test-snap-chunk 512), so one takes several; all
# of it sealed with one keyring (--keyring), the replicas' link included.
# Replica 3 is killed (-9) at once; a client sends 600 commands; replica 3
# starts again from its state directory (600 slots behind, beyond what
# anyone keeps), so it must install a snapshot and go on from there; a
# second client sends 100 more. Replicas 1 and 2 are judged by judge.py as usual; replica 3 must
# have installed a snapshot, printed each slot it applied afterwards the
# same as replica 1, and stopped with the same bank (its last line's
# counts, which the snapshot carries). Then replica 3 starts once more,
# alone, and must restore that snapshot from DIR/snapshot. Every wait is
# bounded; everything started is killed on exit.

TEST_NAME=bank-snapshot
PORT_BASE=26000
EXTRA=(--test-log-window 256 --test-snap-chunk 512)
. "$(dirname "$0")/loopback-lib.sh"
(umask 077; head -c 32 /dev/urandom | base64 >"$tmp/keyring")
EXTRA+=(--keyring "$tmp/keyring")
wait_for() {
	for _ in $(seq 1 300); do
		eval "$2" && return 0
		sleep 0.1
	done
	fail "$1"
}
for i in 1 2 3; do start "$i"; done
sleep 1.5
kill -9 "${rpid[3]}"
timeout 120 "$CLIENT" -h "$tmp/hosts" --port "$PORT" --id c1 \
	--benchmark 600 --seed 1 >"$tmp/c1.out" 2>/dev/null ||
	fail "client c1 failed"
start 3
wait_for "replica 3 installed no snapshot" \
	"grep -q 'installed a snapshot' '$tmp/r3.err'"
timeout 60 "$CLIENT" -h "$tmp/hosts" --port "$PORT" --id c2 --benchmark 100 \
	--seed 2 >"$tmp/c2.out" 2>/dev/null || fail "client c2 failed"
wait_slots 3 100
sleep 0.5
stop_all

log=build/bank-snapshot.log
logs_to "$log" "1 2" "1 2"
sed "s/^/r3 | /" "$tmp/r3.err" >>"$log"
grep -h 'installed a snapshot\|sending replica 3' "$tmp"/r*.err
verdict=$("$PYTHON" "$here/judge.py" "$log" --commands 700 --clients 1 \
	--summaries-any 2>&1 | tail -1)
echo "$verdict"
case $verdict in PASS*) ;; *) fail "replicas 1 and 2: $verdict" ;; esac
# Replica 3's lines after the snapshot are replica 1's, slot for slot.
"$PYTHON" - "$tmp/r1.out" "$tmp/r3.out" <<'EOF' || fail "replica 3 disagrees"
import json, sys
def load(p):
    out = {}
    for line in open(p):
        if line.startswith('{"replica"'):
            d = json.loads(line)
            d.pop('replica')
            out[d['slot']] = d
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = [s for s in b if a.get(s) != b[s]]
if bad or not b:
    print('replica 3: %d slots, %d differ from replica 1 (first %s)'
          % (len(b), len(bad), bad[:1]))
    sys.exit(1)
print('replica 3: %d slots after its snapshot, as replica 1 applied them'
      % len(b))
EOF
# Sealed: nothing was refused as unsealed, unopened or from a stranger.
grep -h 'stopped:' "$tmp"/r*.err | grep -v ', 0 refused (no replica' &&
	fail "a replica dropped replica messages"
last1=$(grep -h 'stopped:' "$tmp/r1.err" | sed 's/.*applied \([0-9]* slots ([0-9]* commands\).*/\1/')
last3=$(grep -h 'stopped:' "$tmp/r3.err" | tail -1 | sed 's/.*applied \([0-9]* slots ([0-9]* commands\).*/\1/')
[ -n "$last1" ] && [ "$last1" = "$last3" ] ||
	fail "replica 3 stopped with '$last3', replica 1 with '$last1'"
echo "replica 3 and replica 1 stopped at: $last1"
# A restart reads the snapshot back.
start 3
wait_for "replica 3 did not restore its snapshot" \
	"grep -q 'restored a snapshot at slot' '$tmp/r3.err'"
kill "${rpid[3]}"
wait "${rpid[3]}" 2>/dev/null
rpid=()
echo "PASS bank-snapshot: replica 3 installed a snapshot, went on from it," \
	"and restored it on restart"
