#!/usr/bin/env bash
# The bank on loopback, no engine needed: a failover, a restart, hostile
# bytes, judged like the compose runs.
#
#   tests/bank/local.sh        (BANK=build-san/bank for the sanitizers)
#
# Three replicas on 127.0.0.1..3 (one port, T = 200 ms), each with its
# state directory. Two clients send 300 commands each; once replica 2
# shows 100 slots the leader (replica 1) is killed with -9; once it shows
# 250, replica 1 starts again from its state (it replays DIR/log and asks
# the others for the rest). Meanwhile junk goes to a client port and to a
# replica port: each replica must survive and count it. A third client
# then sends 100 more. The outputs are merged as "NAME | LINE" into
# build/bank-local.log and judged by judge.py (replica 1's two lives
# count as one replica: it prints each slot once per life, identically);
# replica 1 must have replayed and caught up. Every wait is bounded;
# everything started is killed on exit.

TEST_NAME=bank-local
PORT_BASE=24000
EXTRA=()
. "$(dirname "$0")/loopback-lib.sh"
for i in 1 2 3; do start "$i"; done
sleep 1.5
for c in 1 2; do
	timeout 120 "$CLIENT" -h "$tmp/hosts" --port "$PORT" --id "c$c" \
		--benchmark 300 --seed "$c" >"$tmp/c$c.out" 2>/dev/null &
	pids+=($!)
done
wait_slots 2 100
kill -9 "${rpid[1]}"
wait_slots 2 250
start 1
# Junk: a huge declared frame, a frame of garbage, a REQUEST of the wrong
# shape; to replica 3's client port and replica 2's replica port.
"$PYTHON" - "$PORT" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
junk = [struct.pack('>I', 1 << 30), struct.pack('>I', 5) + b'\xdd\xff\xff\xff\xff',
        struct.pack('>I', 3) + b'\x93\x01\xc0', b'\x00\x00\x00\x02\x91\x01']
for host, p in (('127.0.0.3', port + 2), ('127.0.0.2', port + 1)):
    for j in junk[1:] + junk[:1]:
        try:
            s = socket.create_connection((host, p), timeout=2)
            s.sendall(j)
            s.settimeout(0.5)
            try:
                s.recv(512)
            except OSError:
                pass
            s.close()
        except OSError as e:
            print('junk to %s:%d: %s' % (host, p, e))
EOF
for p in "${pids[@]}"; do wait "$p" || fail "a client failed ($(cat "$tmp"/c*.out))"; done
pids=()
timeout 60 "$CLIENT" -h "$tmp/hosts" --port "$PORT" --id c3 --benchmark 100 \
	>"$tmp/c3.out" 2>/dev/null || fail "client c3 failed"
wait_slots 1 700
sleep 0.5
stop_all

log=build/bank-local.log
logs_to "$log" "1 2 3" "1 2 3"
grep -q 'replayed [0-9]* applied slots' "$tmp/r1.err" ||
	fail "replica 1 did not replay its log on restart"
grep -q 'slots (700 commands' "$tmp/r1.err" ||
	fail "replica 1 did not catch up to 700 slots: $(grep stopped "$tmp/r1.err" | tail -1)"
mal=$(grep -h 'stopped:' "$tmp/r3.err" | sed -n 's/.*dropped \([0-9]*\) malformed client.*/\1/p')
[ "${mal:-0}" -ge 1 ] || fail "replica 3 counted no malformed client message"
mal=$(grep -h 'stopped:' "$tmp/r2.err" | sed -n 's/.* and \([0-9]*\) malformed replica.*/\1/p')
[ "${mal:-0}" -ge 1 ] || fail "replica 2 counted no malformed replica message"
grep -h 'replayed\|stopped' "$tmp/r1.err"
# 700 client commands in all, but per client 300, 300 and 100: the judge
# counts 3 clients of 300 as 900, so it is told about the total instead.
"$PYTHON" "$here/judge.py" "$log" --commands 700 --clients 1 \
	--summaries-any 2>&1 | tail -8
