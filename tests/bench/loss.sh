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
# and compares the rate with the one the loss predicts. The leader
# declares a member dead 2T after it last heard it; heartbeats go every
# T. A member is removed when, after a heartbeat that arrived, the next
# one is lost and the one after is lost too (the silence reaches 3T), or
# arrives a hair after 2T (each arrival jitters by a millisecond or so,
# so that is about half the time). Per period, with p the loss:
#
#   p * (p + (1 - p) * q),   q the share of single losses that trip
#
# so between p^2 (q = 0) and p (q = 1), and p(p + (1-p)/2) for q = 1/2.
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
	printf "loss %d%%, T = %d ms, %d peers, %.0f s: %d views, %d leader changes, %d unreachable lines\n", \
		p, T, n, t1 - t0, views, takeovers, lines
	printf "exposure %.1f member-s; false removals %d\n", exposure, removals
	if (exposure > 0) {
		r = removals / exposure * 60
		printf "measured  %.2f removals per member-minute\n", r
		if (q > 0)
			printf "          (the q it implies: %.2f)\n", \
				(r / per_min / q - q) / (1 - q)
	}
	printf "predicted %.2f (q = 1/2), within %.2f (q = 0) .. %.2f (q = 1)\n", \
		q * (q + (1 - q) / 2) * per_min, q * q * per_min, q * per_min
}'
