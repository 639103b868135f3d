#!/usr/bin/env bash
# Benchmark: failure detection and view-change latency, memory and idle CPU
# of a 10-peer group on loopback. Prints figures; asserts nothing about
# speed (a busy machine would make such a test flaky).
#
#   detect   kill -9 of a member -> first "unreachable" line anywhere
#            (heartbeats go every T, so this is between T and 2T)
#   silence  the victim's last heartbeat heard at peer 1 -> peer 1's
#            unreachable line (the detector's own delay: 2T and a little)
#   settle   the first unreachable line -> the last survivor printing the
#            new view
#   rss      resident memory per peer (VmRSS)
#   cpu      CPU time per idle peer over IDLE_S seconds
#
# KEYED=1 runs every peer with one keyring (--keyring): every message
# sealed and opened (tests/bench/keyed.sh compares the two).
#
# Every output line is stamped on arrival by a bash reader ($EPOCHREALTIME,
# no fork), so the figures include a pipe hop of some microseconds.
set -u
cd "$(dirname "$0")/../.."
. tests/proc/lib.sh
N=${N:-10}
KILLS=${KILLS:-5}
IDLE_S=${IDLE_S:-10}

proc_hostsfile "$N"
keyring=()
if [ "${KEYED:-0}" = 1 ]; then
	(umask 077 && head -c 32 /dev/urandom | base64 > "$PROC_DIR/keyring")
	keyring=(--keyring "$PROC_DIR/keyring")
fi
# Peer 1 logs every message it receives (-vv), for the silence figure.
for id in $(seq 1 "$N"); do
	verbose=()
	[ "$id" = 1 ] && verbose=(-vv)
	"$ROLLCALL" -h "$PROC_DIR/hosts" --id "$id" --port "$PROC_PORT" \
		--heartbeat-ms "$HB_MS" -d "$(awk "BEGIN{print ($id-1)*0.1}")" \
		"${keyring[@]}" "${verbose[@]}" 2> >(stamp > "$PROC_DIR/$id.log") &
	PEER_PID[$id]=$!
done

full="[$(seq -s, 1 "$N")]"
all_full() {
	local id
	for id in $(seq 1 "$N"); do
		grep -qF "memb_list: $full" "$PROC_DIR/$id.log" || return 1
	done
}
wait_for 20 all_full || { echo "group did not form"; exit 1; }
sleep 0.5

rss_total=0 rss_max=0
for id in $(seq 1 "$N"); do
	kb=$(awk '/^VmRSS/ {print $2}' "/proc/${PEER_PID[$id]}/status")
	rss_total=$((rss_total + kb))
	[ "$kb" -gt "$rss_max" ] && rss_max=$kb
done

# CPU time in ns: /proc/PID/schedstat's first field (the clock ticks of
# /proc/PID/stat count 10 ms each, too coarse for an idle peer).
ticks() { awk '{print $1}' "/proc/$1/schedstat"; }
# Idle CPU over peers 2..N: peer 1 also writes its -vv log.
declare -A before
for id in $(seq 2 "$N"); do before[$id]=$(ticks "${PEER_PID[$id]}"); done
sleep "$IDLE_S"
cpu_ticks=0
for id in $(seq 2 "$N"); do
	cpu_ticks=$((cpu_ticks + $(ticks "${PEER_PID[$id]}") - ${before[$id]}))
done

echo "rollcall benchmark: $N peers on loopback, T = $HB_MS ms${keyring:+, keyed}"
printf 'rss per peer: mean %d KiB, max %d KiB\n' $((rss_total / N)) "$rss_max"
awk -v t="$cpu_ticks" -v n="$((N - 1))" -v s="$IDLE_S" 'BEGIN {
	printf "idle cpu per peer: %.3f%% of one core (%.1f ms over %d s)\n",
		100 * t / 1e9 / n / s, t / 1e6 / n, s }'

# Kill the highest-id members one at a time; measure each change.
alive=$(seq 1 "$N")
for k in $(seq 1 "$KILLS"); do
	victim=$((N - k + 1))
	alive=$(echo "$alive" | grep -vx "$victim")
	want="[$(echo "$alive" | paste -sd,)]"
	sleep 0.$((RANDOM % 90 + 10))
	t0=$EPOCHREALTIME
	{ kill -9 "${PEER_PID[$victim]}" && wait "${PEER_PID[$victim]}"; } 2>/dev/null
	# The same list was also a view during the joins: count only lines
	# stamped after the kill.
	settled() {
		local id
		for id in $alive; do
			awk -v t0="$t0" -v want="memb_list: $want}" \
				'$1 > t0 && index($0, want) { found = 1 }
				END { exit !found }' "$PROC_DIR/$id.log" || return 1
		done
	}
	wait_for 10 settled || { echo "kill $k: group did not settle"; exit 1; }
	# shellcheck disable=SC2086
	cat $(for id in $alive; do echo "$PROC_DIR/$id.log"; done) |
		awk -v t0="$t0" -v v="$victim" -v want="memb_list: $want}" '
		index($0, "\"peer " v " unreachable\"") && (!d || $1 < d) { d = $1 }
		$1 > t0 && index($0, want) && $1 > s { s = $1 }
		END { printf "kill %d (peer %d): detect %.1f ms, settle %.1f ms",
			k, v, (d - t0) * 1000, (s - d) * 1000 }' k="$k"
	awk -v v="$victim" '
		index($0, "received HEARTBEAT from peer " v " ") { hb = $1 }
		index($0, "\"peer " v " unreachable\"") && !u { u = $1 }
		END { printf ", silence %.1f ms\n", (u - hb) * 1000 }' \
		"$PROC_DIR/1.log"
done
