#!/usr/bin/env bash
# Benchmark: unreachable lines and removals under real packet loss, then
# detection of a real crash. Prints figures; asserts nothing. Needs root
# and iptables (tests/proc/cut.sh); run it under
# `flock /tmp/rollcall-net.lock` so no other run shares the rules.
#
# Five peers on 127.0.0.1..5, heartbeat period T = HB_MS (100 ms). Nobody
# crashes until the last phase, so every unreachable line and every
# removal before it is false.
#
#   one    ONE_PCT (25)% of peer 3's UDP dropped, in and out, for
#          ONE_S seconds (issue 19 asks 600)
#   all    ALL_PCT (20)% of every datagram among the peers dropped, for
#          ALL_S seconds (600 asked): lines per member-hour
#   kill   the loss healed, 2 s later peer 4 is killed (kill -9): the
#          time from the kill to each survivor's "peer 4 unreachable"
#          line, against 2T + T/4 (+ 10 ms asked)
#
# Every line is stamped on arrival by a bash reader ($EPOCHREALTIME, no
# fork); the figures come from those stamps, not from polling.
set -u
cd "$(dirname "$0")/../.."
. tests/proc/lib.sh
. tests/proc/cut.sh
N=5
ONE_PCT=${ONE_PCT:-25}
ONE_S=${ONE_S:-120}
ALL_PCT=${ALL_PCT:-20}
ALL_S=${ALL_S:-120}

if ! cut_setup > /dev/null; then
	echo "loss-net: skipped: $CUT_WHY"
	exit 77
fi

# loss_all PERCENT: drop PERCENT of every datagram among this run's peers.
loss_all() {
	cut__ipt -A "$CUT_CHAIN" -p udp --sport "$PROC_PORT" --dport "$PROC_PORT" \
		-m statistic --mode random --probability \
		"$(awk "BEGIN{print $1/100}")" -j DROP
}

proc_hostsfile "$N"
for id in $(seq 1 "$N"); do
	"$ROLLCALL" -h "$PROC_DIR/hosts" --id "$id" --port "$PROC_PORT" \
		--heartbeat-ms "$HB_MS" 2> >(stamp > "$PROC_DIR/$id.log") &
	PEER_PID[$id]=$!
done
full="[$(seq -s, 1 "$N")]"
all_full() {
	local id
	for id in $(seq 1 "$N"); do
		grep -qF "memb_list: $full" "$PROC_DIR/$id.log" || return 1
	done
}
wait_for 30 all_full || { echo "loss-net: the group did not form"; exit 1; }
sleep 1

t1=$EPOCHREALTIME
thin_udp 3 "$ONE_PCT"
sleep "$ONE_S"
counts=$(thin_counts 3)
heal
t2=$EPOCHREALTIME
sleep 1
t3=$EPOCHREALTIME
loss_all "$ALL_PCT"
sleep "$ALL_S"
heal
t4=$EPOCHREALTIME
sleep 2
tk=$EPOCHREALTIME
peer_kill 4
sleep "$(awk "BEGIN{print 20*$HB_MS/1000}")"
for id in $(seq 1 "$N"); do
	kill -0 "${PEER_PID[$id]}" 2>/dev/null || [ "$id" = 4 ] ||
		echo "loss-net: peer $id died"
done

cat "$PROC_DIR"/*.log | sort -n | awk -v n="$N" -v T="$HB_MS" \
	-v t1="$t1" -v t2="$t2" -v t3="$t3" -v t4="$t4" -v tk="$tk" \
	-v one="$ONE_PCT" -v all="$ALL_PCT" -v counts="$counts" '
function members(s,   l) {
	l = substr(s, index(s, "[") + 1)
	return substr(l, 1, index(l, "]") - 1)
}
{
	t = $1 + 0
	split($0, f, /[^0-9]+/)
}
/unreachable/ && t >= t1 && t < t2 { one_lines++ }
/unreachable/ && t >= t3 && t < t4 { all_lines++ }
/memb_list/ && members($0) != "1,2,3,4,5" && t >= t1 && t < t2 { one_views++ }
/memb_list/ && members($0) != "1,2,3,4,5" && t >= t3 && t < t4 { all_views++ }
/peer 4 unreachable/ && t >= tk {
	self = f[3] + 0
	if (!(self in seen)) {
		seen[self] = 1
		d = (t - tk) * 1000
		det = det sprintf(" %d:%.1f", self, d)
		if (d > worst) worst = d
		reported++
	}
}
END {
	split(counts, c, " ")
	printf "one peer at %d%% loss for %.0f s: %d unreachable lines, %d views without a member (peer 3: %d of %d sent and %d of %d received dropped)\n", \
		one, t2 - t1, one_lines, one_views, c[2], c[1], c[4], c[3]
	hours = n * (t4 - t3) / 3600
	printf "every link at %d%% loss for %.0f s: %d unreachable lines (%.1f per member-hour), %d views without a member\n", \
		all, t4 - t3, all_lines, (hours > 0 ? all_lines / hours : 0), all_views
	printf "kill -9 of peer 4, T = %d ms: reported by %d of %d survivors, worst %.1f ms after the kill (2T + T/4 = %d ms); peer:ms%s\n", \
		T, reported, n - 1, worst, 2 * T + T / 4, det
}'
