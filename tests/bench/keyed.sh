#!/usr/bin/env bash
# Benchmark: what --keyring costs. tests/bench/detect.sh on 5 and on 64
# peers, unkeyed and keyed (KEYED=1), each pair run back to back so that
# both see the same machine; then one table: idle CPU per peer, detection
# (kill -9 -> first unreachable line) and settle (-> last survivor's new
# view), means over the kills, and keyed / unkeyed. The target is a cost
# under 20%; nothing is asserted (a busy machine moves these figures more
# than sealing does). Then build/tests/seal_cost: the nanoseconds.
#
#   tests/bench/keyed.sh   (SIZES="5 64", KILLS=3, IDLE_S=10, HB_MS=100;
#                           groups over 10 peers at HB_LARGE_MS=1000)
#
# 64 peers heartbeating every 100 ms send 40,000 datagrams a second
# between them, more than a 2-core machine shared with other work keeps
# up with (the group never settles), so large groups run at T = 1 s,
# the daemon's default.
set -u
cd "$(dirname "$0")/../.."
ROLLCALL=${ROLLCALL:-build/rollcall}
SIZES=${SIZES:-5 64}
export KILLS=${KILLS:-3} IDLE_S=${IDLE_S:-10}
HB_SMALL_MS=${HB_MS:-100}
HB_LARGE_MS=${HB_LARGE_MS:-1000}
hb_of() { if [ "$1" -gt 10 ]; then echo "$HB_LARGE_MS"; else echo "$HB_SMALL_MS"; fi; }
out=$(mktemp -d /tmp/rollcall-keyed-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT

# figures FILE: "cpu detect settle" from one detect.sh output.
figures() {
	awk '/^idle cpu per peer/ { sub("%", "", $5); cpu = $5 }
	     /^kill / { d += $6; s += $9; k++ }
	     END { if (k) printf "%s %.1f %.1f\n", cpu, d / k, s / k
		   else print "- - -" }' "$1"
}

for n in $SIZES; do
	for keyed in 0 1; do
		echo "== $n peers, $([ "$keyed" = 1 ] && echo keyed || echo unkeyed)"
		N=$n KEYED=$keyed HB_MS=$(hb_of "$n") ROLLCALL=$ROLLCALL \
			bash tests/bench/detect.sh \
			> "$out/$n.$keyed" 2>&1
		sed 's/^/  /' "$out/$n.$keyed"
	done
done

echo
echo "keyed against unkeyed, $KILLS kills, idle CPU over $IDLE_S s"
printf '%-6s %-6s %-24s %-24s %-24s\n' peers T "idle cpu %/peer" "detect ms" "settle ms"
for n in $SIZES; do
	read -r c0 d0 s0 < <(figures "$out/$n.0")
	read -r c1 d1 s1 < <(figures "$out/$n.1")
	awk -v n="$n" -v t="$(hb_of "$n")" -v c0="$c0" -v c1="$c1" -v d0="$d0" -v d1="$d1" \
		-v s0="$s0" -v s1="$s1" 'function cell(a, b) {
			return sprintf("%s -> %s (%s)", a, b,
				a > 0 ? sprintf("x%.2f", b / a) : "-") }
		BEGIN { printf "%-6s %-6s %-24s %-24s %-24s\n", n, t, cell(c0, c1),
			cell(d0, d1), cell(s0, s1) }'
done

# Side by side: a keyed and an unkeyed group of N run at once (on
# 127.0.0.x and 127.0.1.x), so both see the same machine at the same
# moment, and their idle CPU is read over the same IDLE_S seconds.
side_by_side() {
	local n=$1 hb=$2 dir g i pids=() want
	dir=$(mktemp -d /tmp/rollcall-side.XXXXXX)
	(umask 077 && head -c 32 /dev/urandom | base64 > "$dir/keyring")
	local port=$((10000 + ($$ * 11) % 20000)) # below the ephemeral range
	for g in 0 1; do
		: > "$dir/hosts.$g"
		for i in $(seq 1 "$n"); do echo "127.0.$g.$i" >> "$dir/hosts.$g"; done
	done
	for i in $(seq 1 "$n"); do
		for g in 0 1; do
			local key=()
			[ "$g" = 1 ] && key=(--keyring "$dir/keyring")
			"$ROLLCALL" -h "$dir/hosts.$g" --id "$i" --port "$port" \
				--heartbeat-ms "$hb" "${key[@]}" 2> "$dir/$g.$i.log" &
			pids+=($!)
		done
		sleep 0.05
	done
	want="memb_list: [$(seq -s, 1 "$n")]"
	local tries
	for tries in $(seq 1 600); do
		local ok=1 f
		for f in "$dir"/*.log; do grep -qF "$want" "$f" || { ok=0; break; }; done
		[ "$ok" = 1 ] && break
		sleep 0.1
	done
	sleep 1
	cpu_of() { # group: summed schedstat ns of its peers
		local sum=0 k
		for k in $(seq 0 $((n - 1))); do
			sum=$((sum + $(awk '{print $1}' "/proc/${pids[$((2 * k + $1))]}/schedstat")))
		done
		echo "$sum"
	}
	local u0 k0 u1 k1
	u0=$(cpu_of 0) k0=$(cpu_of 1)
	sleep "$IDLE_S"
	u1=$(cpu_of 0) k1=$(cpu_of 1)
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	[ "$ok" = 1 ] || echo "  ($n peers: not every group formed; figures anyway)"
	awk -v n="$n" -v hb="$hb" -v s="$IDLE_S" -v u=$((u1 - u0)) -v k=$((k1 - k0)) 'BEGIN {
		cu = 100 * u / 1e9 / n / s; ck = 100 * k / 1e9 / n / s
		printf "%-6s %-6s %.3f%% -> %.3f%% of one core per peer (x%.2f)\n",
			n, hb, cu, ck, ck / cu }'
	rm -rf "$dir"
}
echo
echo "idle CPU, a keyed and an unkeyed group side by side, over $IDLE_S s"
printf '%-6s %-6s %s\n' peers T "unkeyed -> keyed"
for n in $SIZES; do side_by_side "$n" "$(hb_of "$n")"; done

echo
make -s "$(dirname "$ROLLCALL")/tests/seal_cost" >/dev/null &&
	"$(dirname "$ROLLCALL")/tests/seal_cost"
