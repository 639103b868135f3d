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
echo
make -s "$(dirname "$ROLLCALL")/tests/seal_cost" >/dev/null &&
	"$(dirname "$ROLLCALL")/tests/seal_cost"
