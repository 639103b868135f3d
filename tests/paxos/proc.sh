#!/usr/bin/env bash
# The Paxos lab's cases the handout never asked for, as processes on
# 127.0.0.x (every such address is loopback, so five peers share a port):
#
#   duel              both proposers at once (-t 0), their prepares held at
#                     every acceptor (SIGSTOP) until both are out: one value
#                     is chosen by all, whichever it is
#   kill_acceptor     acceptors 3 and 4 frozen (SIGSTOP) while proposer 1's
#                     round runs on acceptor 2 alone; 4 is killed (kill -9)
#                     mid-round and 3 thawed: the remaining majority {2, 3}
#                     still chooses X
#   kill_proposer     proposer 1's accept reaches two of its three acceptors
#                     (a majority: X is chosen, though nobody knows it), then
#                     proposer 1 dies (--test-accept-to 2); proposer 2 (-v Y)
#                     completes the same value, X
#   restart_acceptor  proposer 2 gets Y chosen at 65541; all three acceptors
#                     are killed (kill -9) and restarted from their state
#                     files; proposer 1's prepare 65537 is below their
#                     promise and none answers it; its next round learns Y
#                     and Y is chosen again, never X
#   hostile           a stranger on 127.0.0.9 throws garbage, an oversized
#                     frame header, and well-formed messages claiming a peer
#                     it is not, or an id outside the file; nobody prints
#                     any of it, nobody dies, X is chosen
#
#   tests/paxos/proc.sh [CASE...]        (default: all; PAXOS_PEER=binary;
#                                         PAXOS_SKIP="CASE..." leaves some out)
#
# VALGRIND=1 runs every peer under memcheck (its report in NAME.vg): a
# peer with an error or a leak exits 99 when stopped, which fails the
# case; TIMEOUT_SCALE=4 suits it.
#
# Every case ends with tests/paxos/judge.py on the merged log (all lines
# valid, every received line sent, the order of each peer, one value) and
# its own assertions; it prints "ok CASE: ..." or "FAIL CASE: reason". Every
# wait is a bounded poll (TIMEOUT_SCALE stretches them); the script kills
# what it started however it ends. KEEP_LOGS=1 keeps the logs.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BIN=${PAXOS_PEER:-$root/build/paxos-peer}
PYTHON=${PYTHON:-python3}
TIMEOUT_SCALE=${TIMEOUT_SCALE:-1}
VALGRIND=${VALGRIND:-0}
DIR=$(mktemp -d /tmp/paxos-proc.XXXXXX)
# Below the kernel's ephemeral range, as tests/proc/lib.sh says.
PORT=$((10000 + ($$ * 11) % 20000))
declare -A PID=()
declare -A STAMPER=()
FAILED=0
PASSED=0

cleanup() {
	for k in "${!PID[@]}"; do kill -9 "${PID[$k]}" 2>/dev/null; done
	for k in "${!PID[@]}"; do kill -CONT "${PID[$k]}" 2>/dev/null; done
	wait 2>/dev/null
	if [ "${KEEP_LOGS:-0}" = 1 ]; then
		echo "logs kept in $DIR"
	else
		rm -rf "$DIR"
	fi
	rm -f "$DIR.stderr"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stamp NAME: each line of stdin as "STAMP NAME | LINE", stamped as
# `docker logs -t` does, so judge.py reads it as it reads compose logs.
stamp() {
	local line t
	export TZ=UTC
	while IFS= read -r line; do
		t=$EPOCHREALTIME
		printf '%(%Y-%m-%dT%H:%M:%S)T.%sZ %s | %s\n' "${t%.*}" "${t#*.}" \
			"$1" "$line"
	done
}

# hosts LINE...: the case's hostsfile, peer i on 127.0.0.i.
hosts() {
	local i=1 r
	: >"$DIR/hosts"
	for r in "$@"; do
		echo "127.0.0.$i:$r" >>"$DIR/hosts"
		i=$((i + 1))
	done
}

# start NAME ID [ARGS...]: a peer's life NAME (peer3, r1-peer3); its
# output lines to NAME.log, its diagnostics (--verbose) to NAME.err, its
# state in state/ID (kept across its lives).
start() {
	local name=$1 id=$2
	shift 2
	mkdir -p "$DIR/state/$id"
	rm -f "$DIR/$name.fifo"
	mkfifo "$DIR/$name.fifo"
	stamp "$name" <"$DIR/$name.fifo" >>"$DIR/$name.log" &
	STAMPER[$name]=$!
	local wrap=()
	[ "$VALGRIND" = 1 ] && wrap=(valgrind -q --log-file="$DIR/$name.vg"
		--error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite,indirect)
	"${wrap[@]}" "$BIN" -h "$DIR/hosts" --id "$id" --port "$PORT" \
		--state "$DIR/state/$id" --verbose "$@" \
		>"$DIR/$name.fifo" 2>>"$DIR/$name.err" &
	PID[$name]=$!
}

# wait_for SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_for() {
	local tries=$(($1 * TIMEOUT_SCALE * 20)) i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

listening() { grep -q "listening on port" "$DIR/$1.err" 2>/dev/null; }
# has NAME TEXT: life NAME printed a line holding TEXT.
has() { grep -qF -- "$2" "$DIR/$1.log" 2>/dev/null; }
chose() { grep -q '"action":"chose"' "$DIR/$1.log" 2>/dev/null; }
all_chose() {
	local n
	for n in "$@"; do chose "$n" || return 1; done
}
gone() { ! kill -0 "${PID[$1]}" 2>/dev/null; }
alive() {
	local n
	for n in "$@"; do gone "$n" && return 1; done
	return 0
}

# judge CASE [judge.py options]: the merged log, judged; the verdict in
# VERDICT, and 1 when it is not PASS.
judge() {
	local name=$1
	shift
	sort -s -k1,1 "$DIR"/*.log >"$DIR/merged.log"
	VERDICT=$("$PYTHON" "$here/judge.py" --hosts "$DIR/hosts" \
		--name "$name" "$@" "$DIR/merged.log" | tail -n 1)
	[[ $VERDICT == PASS* ]]
}

# stop_all: SIGTERM every live peer; each must exit 0 within 5 s.
stop_all() {
	local n i
	for n in "${!PID[@]}"; do
		gone "$n" && continue
		kill -TERM "${PID[$n]}" 2>/dev/null
		for ((i = 0; i < 100 * TIMEOUT_SCALE; i++)); do
			gone "$n" && break
			sleep 0.05
		done
		if ! gone "$n"; then
			kill -9 "${PID[$n]}"
			echo "stop: $n ignored SIGTERM"
			return 1
		fi
		wait "${PID[$n]}" || { echo "stop: $n exited $?"; return 1; }
	done
	for n in "${!STAMPER[@]}"; do wait "${STAMPER[$n]}" 2>/dev/null; done
	return 0
}

reset() {
	stop_all >/dev/null 2>&1
	for k in "${!PID[@]}"; do kill -9 "${PID[$k]}" 2>/dev/null; done
	wait 2>/dev/null
	PID=()
	STAMPER=()
	rm -rf "${DIR:?}"/*
}

result() {
	local name=$1 why=$2
	if [ -z "$why" ]; then
		PASSED=$((PASSED + 1))
		echo "ok   $name: $VERDICT"
	else
		FAILED=$((FAILED + 1))
		echo "FAIL $name: $why"
	fi
	[ "${KEEP_LOGS:-0}" = 1 ] && cp -r "$DIR" "$DIR.$name"
}

TC2_ROLES=(proposer1 acceptor1,acceptor2 acceptor1,acceptor2
	acceptor1,acceptor2 proposer2)

case_duel() {
	local why= v
	hosts "${TC2_ROLES[@]}"
	for i in 2 3 4; do start peer$i $i; done
	wait_for 10 listening peer2 && wait_for 10 listening peer3 &&
		wait_for 10 listening peer4 || why="acceptors not listening"
	# Both prepares wait at every acceptor, so the two rounds meet.
	kill -STOP "${PID[peer2]}" "${PID[peer3]}" "${PID[peer4]}"
	start peer1 1 -v X -t 0
	start peer5 5 -v Y -t 0
	wait_for 10 has peer1 '"action":"sent", "message_type":"prepare"' &&
		wait_for 10 has peer5 '"action":"sent", "message_type":"prepare"' ||
		why=${why:-"the proposers did not both prepare"}
	sleep 0.2
	kill -CONT "${PID[peer2]}" "${PID[peer3]}" "${PID[peer4]}"
	[ -n "$why" ] || wait_for 60 all_chose peer1 peer2 peer3 peer4 peer5 ||
		why="not every peer chose within 60 s"
	stop_all || why=${why:-"a peer did not stop cleanly"}
	judge duel || why=${why:-$VERDICT}
	v=$(grep -ho '"action":"chose", "message_type":"chose", "message_value":"[^"]*"' \
		"$DIR"/peer*.log | sort -u | sed 's/.*"message_value"://')
	[ "$(printf '%s\n' "$v" | wc -l)" = 1 ] || why=${why:-"chose lines differ: $v"}
	VERDICT="$VERDICT (value $v)"
	result duel "$why"
}

case_kill_acceptor() {
	local why=
	hosts proposer1 acceptor1 acceptor1 acceptor1 learner1
	for i in 2 3 4 5; do start peer$i $i; done
	for i in 2 3 4 5; do wait_for 10 listening peer$i || why="peer $i not listening"; done
	kill -STOP "${PID[peer3]}" "${PID[peer4]}"
	start peer1 1 -v X
	wait_for 10 has peer1 '{"peer_id":2, "action":"received", "message_type":"prepare_ack"' ||
		why=${why:-"acceptor 2 never answered"}
	# Mid-round: peer 1 holds one promise of the two it needs.
	chose peer1 && why=${why:-"chosen with one acceptor of three"}
	kill -9 "${PID[peer4]}"
	{ wait "${PID[peer4]}"; } 2>/dev/null
	kill -CONT "${PID[peer3]}"
	[ -n "$why" ] || wait_for 30 all_chose peer1 peer2 peer3 peer5 ||
		why="the remaining majority did not choose within 30 s"
	has peer4 '"action":"sent", "message_type":"prepare_ack"' &&
		why=${why:-"acceptor 4 answered while frozen"}
	stop_all || why=${why:-"a peer did not stop cleanly"}
	judge kill_acceptor --expect X --dead 4 || why=${why:-$VERDICT}
	result kill_acceptor "$why"
}

case_kill_proposer() {
	local why=
	hosts "${TC2_ROLES[@]}"
	for i in 2 3 4; do start peer$i $i; done
	for i in 2 3 4; do wait_for 10 listening peer$i || why="peer $i not listening"; done
	start peer1 1 -v X --test-accept-to 2
	wait_for 10 gone peer1 || why=${why:-"proposer 1 did not die"}
	{ wait "${PID[peer1]}"; } 2>/dev/null
	# Two acceptors voted X at 65537: X is chosen, and nobody knows it.
	[ "$(cat "$DIR"/peer[234].log | grep -c '"action":"sent", "message_type":"accept_ack", "message_value":"X", "proposal_num":65537')" = 2 ] ||
		why=${why:-"not exactly two acceptors accepted X"}
	cat "$DIR"/peer*.log | grep -q '"action":"chose"' &&
		why=${why:-"someone chose before proposer 2 ran"}
	start peer5 5 -v Y
	[ -n "$why" ] || wait_for 30 all_chose peer2 peer3 peer4 peer5 ||
		why="proposer 2 did not complete within 30 s"
	has peer5 '{"peer_id":5, "action":"sent", "message_type":"accept", "message_value":"X"' ||
		why=${why:-"proposer 2 did not propose X"}
	has peer5 '"message_type":"accept", "message_value":"Y"' &&
		why=${why:-"proposer 2 proposed Y"}
	unset 'PID[peer1]'
	stop_all || why=${why:-"a peer did not stop cleanly"}
	judge kill_proposer --expect X --dead 1 || why=${why:-$VERDICT}
	result kill_proposer "$why"
}

case_restart_acceptor() {
	local why=
	hosts "${TC2_ROLES[@]}"
	for i in 2 3 4; do start peer$i $i; done
	for i in 2 3 4; do wait_for 10 listening peer$i || why="peer $i not listening"; done
	start peer5 5 -v Y
	wait_for 30 all_chose peer2 peer3 peer4 peer5 || why=${why:-"Y not chosen"}
	for i in 2 3 4; do kill -9 "${PID[peer$i]}"; done
	for i in 2 3 4; do
		{ wait "${PID[peer$i]}"; } 2>/dev/null
		unset "PID[peer$i]"
	done
	for i in 2 3 4; do start r1-peer$i $i; done
	for i in 2 3 4; do wait_for 10 listening r1-peer$i || why=${why:-"peer $i not back"}; done
	start peer1 1 -v X
	[ -n "$why" ] || wait_for 60 all_chose peer1 r1-peer2 r1-peer3 r1-peer4 ||
		why="proposer 1 did not finish within 60 s"
	cat "$DIR"/r1-peer*.log | grep -q '"action":"sent", "message_type":"prepare_ack", "message_value":"[^"]*", "proposal_num":65537}' &&
		why=${why:-"a restarted acceptor answered prepare 65537, below its promise"}
	has peer1 '"action":"chose", "message_type":"chose", "message_value":"Y"' ||
		why=${why:-"proposer 1 did not choose Y"}
	stop_all || why=${why:-"a peer did not stop cleanly"}
	judge restart_acceptor --expect Y || why=${why:-$VERDICT}
	result restart_acceptor "$why"
}

# The stranger's bytes, from 127.0.0.9, each on a connection of its own.
hostile_send() {
	"$PYTHON" - "$PORT" <<'EOF'
import random, socket, struct, sys, time
port = int(sys.argv[1])
rng = random.Random(7)

def frame(body):
    return struct.pack(">I", len(body)) + body

# [0x50, type, from, slot, ballot, value]: valid in shape, lying in content.
prepare_from_9 = bytes([0x95, 0x50, 1, 9, 0, 0xce, 0x7f, 0xff, 0, 9])
chosen_z_as_1 = bytes([0x96, 0x50, 6, 1, 0, 1, 0xc4, 1]) + b"Z"
accept_z_as_5 = bytes([0x96, 0x50, 3, 5, 0, 0xcd, 0x01, 0x05, 0xc4, 1]) + b"Z"
payloads = [
    bytes(rng.randrange(256) for _ in range(4096)),
    b"\xff\xff\xff\xff" + b"x" * 100,
    struct.pack(">I", 65537) + b"\x95",
    frame(b"\xdd\xff\xff\xff\xff\x50"),
    frame(prepare_from_9),
    frame(chosen_z_as_1),
    frame(accept_z_as_5),
    frame(chosen_z_as_1)[:7],
    frame(b""),
]
sent = 0
for peer in range(1, 6):
    for p in payloads:
        s = socket.socket()
        s.settimeout(1)
        try:
            s.bind(("127.0.0.9", 0))
            s.connect(("127.0.0.%d" % peer, port))
            s.sendall(p)
            sent += 1
        except OSError:
            pass
        finally:
            s.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.9", 0))
    for p in payloads:
        try:
            u.sendto(p[:512], ("127.0.0.%d" % peer, port))
        except OSError:
            pass
    u.close()
print("hostile: %d connections" % sent)
EOF
}

case_hostile() {
	local why=
	hosts proposer1 acceptor1 acceptor1 acceptor1 learner1
	for i in 2 3 4 5; do start peer$i $i; done
	for i in 2 3 4 5; do wait_for 10 listening peer$i || why="peer $i not listening"; done
	start peer1 1 -v X -t 1
	wait_for 10 listening peer1 || why=${why:-"peer 1 not listening"}
	hostile_send >"$DIR/hostile.out" 2>&1 || why=${why:-"the stranger failed: $(cat "$DIR/hostile.out")"}
	[ -n "$why" ] || wait_for 30 all_chose peer1 peer2 peer3 peer4 peer5 ||
		why="X not chosen by all within 30 s"
	alive peer1 peer2 peer3 peer4 peer5 || why=${why:-"a peer died"}
	cat "$DIR"/peer*.log | grep -q '"Z"' && why=${why:-"a lie was printed"}
	grep -q "dropped" "$DIR"/peer*.err || why=${why:-"nothing was dropped"}
	stop_all || why=${why:-"a peer did not stop cleanly"}
	judge hostile --expect X || why=${why:-$VERDICT}
	result hostile "$why"
}

CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(duel kill_acceptor kill_proposer
	restart_acceptor hostile)
for c in "${CASES[@]}"; do
	# PAXOS_SKIP: cases run elsewhere (make test-valgrind, the same binary).
	case " ${PAXOS_SKIP:-} " in *" $c "*) continue ;; esac
	if ! declare -F "case_$c" >/dev/null; then
		echo "unknown case $c"
		FAILED=$((FAILED + 1))
		continue
	fi
	# A peer killed on purpose makes bash print a job notice: kept in
	# a file, shown only when the case fails.
	before=$FAILED
	"case_$c" 2>"$DIR.stderr"
	[ "$FAILED" = "$before" ] || cat "$DIR.stderr"
	reset
done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
