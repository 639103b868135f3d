#!/usr/bin/env bash
# Benchmark: false removals under heartbeat loss. Prints figures; asserts
# nothing (the rate is random by nature).
#
# N peers on loopback, heartbeat period T = HB_MS, each dropping LOSS
# percent of the datagrams it receives (--test-drop-udp) and rejoining
# when removed (--rejoin). Nobody crashes, so every removal is false.
# After the group forms, it runs for SECONDS; then, from the views each
# leader printed (stamped on arrival):
#
#   removals    members that left a view, all of them alive
#   exposure    member-seconds spent in a view under watch of a leader
#   rate        removals per member per minute of exposure
#
# and compares them with the rates the loss predicts. A detector declares
# a member dead once nothing was heard from it for 2T plus the allowance
# A = T/4; heartbeats go every T, so a single lost heartbeat never trips it
# (the next one lands by 2T + jitter), and two consecutive losses do. Per
# period and detector, with p the loss, that is p^2 (the allowance takes
# the old rule's "a hair after 2T" term away). So, per member-minute:
#
#   false suspicions   (n - 1) detectors * p^2 * periods per minute
#
# and the leader removes a member only once a quorum of the view (itself
# included) holds it dead at once: besides the leader, k = quorum - 1 of
# the other n - 2 detectors. Per group-minute:
#
#   false removals     (n - 1) members * p^2 * P(at least k of n - 2
#                      detectors also suspect, each with p^2) * periods
#
# (a lower bound on suspicion overlap: a suspicion lasts until the member
# is heard again, about a period, so the window is about one period).
set -u
cd "$(dirname "$0")/../.."
. tests/proc/lib.sh
N=${N:-5}
LOSS=${LOSS:-20}
SECONDS_RUN=${SECONDS_RUN:-60}

proc_hostsfile "$N"
for id in $(seq 1 "$N"); do
	"$ROLLCALL" -h "$PROC_DIR/hosts" --id "$id" --port "$PROC_PORT" \
		--heartbeat-ms "$HB_MS" --rejoin --test-drop-udp "$LOSS" \
		2> >(stamp > "$PROC_DIR/$id.log") &
	PEER_PID[$id]=$!
done

full="[$(seq -s, 1 "$N")]"
formed() { cat "$PROC_DIR"/*.log | grep -qF "memb_list: $full"; }
wait_for 30 formed || { echo "group did not form"; exit 1; }
t_start=$EPOCHREALTIME
sleep "$SECONDS_RUN"
t_end=$EPOCHREALTIME
for id in $(seq 1 "$N"); do
	kill -0 "${PEER_PID[$id]}" 2>/dev/null || echo "peer $id died"
done

cat "$PROC_DIR"/*.log | sort -n | awk -v t0="$t_start" -v t1="$t_end" \
	-v n="$N" -v p="$LOSS" -v T="$HB_MS" '
function members(s,   l) {
	l = substr(s, index(s, "[") + 1)
	return substr(l, 1, index(l, "]") - 1)
}
# Only the views leaders printed of their own making, in view id order.
/memb_list/ {
	split($0, f, /[^0-9]+/)
	t = $1 + 0; self = f[3] + 0; vid = f[4] + 0; leader = f[5] + 0
	if (self != leader || (vid in seen))
		next
	seen[vid] = 1
	vt[vid] = t; vl[vid] = members($0); vlead[vid] = leader
	if (vid > maxv) maxv = vid
}
/unreachable/ && $1 >= t0 && $1 <= t1 { lines++ }
END {
	prev = -1
	for (v = 0; v <= maxv; v++) {
		if (!(v in seen))
			continue
		if (prev >= 0) {
			# Exposure: members other than the leader, while the
			# previous view stood, clipped to the window.
			a = vt[prev] < t0 ? t0 : vt[prev]
			b = vt[v] > t1 ? t1 : vt[v]
			if (b > a)
				exposure += (split(vl[prev], m, ",") - 1) * (b - a)
			if (vt[v] >= t0 && vt[v] <= t1) {
				np = split(vl[prev], pm, ",")
				delete now
				split(vl[v], cm, ",")
				for (i in cm) now[cm[i]] = 1
				for (i = 1; i <= np; i++)
					if (!(pm[i] in now) && pm[i] != vlead[prev])
						removals++
				if (vlead[v] != vlead[prev])
					takeovers++
				views++
			}
		}
		prev = v
	}
	if (prev >= 0 && vt[prev] < t1) {
		a = vt[prev] < t0 ? t0 : vt[prev]
		exposure += (split(vl[prev], m, ",") - 1) * (t1 - a)
	}
	q = p / 100
	per_min = 60000 / T
	printf "loss %d%%, T = %d ms, %d peers, %.0f s: %d views, %d leader changes\n", \
		p, T, n, t1 - t0, views, takeovers
	printf "exposure %.1f member-s; false removals %d; false suspicions (unreachable lines) %d\n", \
		exposure, removals, lines
	# Quorum of n: more than half, or half with the lowest id (the
	# leader is peer 1, which is the lowest, so half suffices).
	quorum = int(n / 2) + (n % 2)
	if (n % 2 == 0) quorum = n / 2
	k = quorum - 1
	s2 = q * q
	others = n - 2
	tail = 0
	for (j = k; j <= others; j++) {
		c = 1
		for (x = 0; x < j; x++) c = c * (others - x) / (x + 1)
		tail += c * s2 ^ j * (1 - s2) ^ (others - j)
	}
	if (k <= 0) tail = 1
	minutes = (t1 - t0) / 60
	if (minutes > 0) {
		printf "measured  %.3f false removals per group-minute, %.2f false suspicions per member-minute\n", \
			removals / minutes, (exposure > 0 ? lines / exposure * 60 : 0)
	}
	printf "predicted %.3f false removals per group-minute, %.2f false suspicions per member-minute\n", \
		(n - 1) * s2 * tail * per_min, (n - 1) * s2 * per_min
}'
