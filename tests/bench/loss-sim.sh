#!/usr/bin/env bash
# Benchmark: issue 19's two loss models in the simulator (deterministic,
# free of the machine's load). Prints figures; asserts nothing.
#
# Five peers, T = 100 ms, SEEDS runs of 10 simulated minutes each, no
# crash, no cut: every unreachable line and every removal is false.
#
#   one    25% of peer 3's datagrams lost, in and out (--lossy-peer 3)
#   all    20% of every datagram lost
#
# then the false suspicions per member-minute at 5, 10 and 20% loss on
# every link (3 to 8 peers, short runs; docs/testing.md's table).
set -u
cd "$(dirname "$0")/../.."
SIM=${SIM:-build/tests/rollcall-sim}
SEEDS=${SEEDS:-100}
quiet=(--faults 0 --no-partitions --no-c --no-t --loss-forever --keep-going
	--failures-only)
ten_min=(--peers 5 --heartbeat-ms 100 --quiet-t 6000 "${quiet[@]}")

figures() { grep -E "^(live peers removed|false)"; }

echo "loss-sim: one peer's datagrams at 25% loss, $SEEDS runs of 10 min"
"$SIM" --seeds "$SEEDS" "${ten_min[@]}" --loss 0.25 --lossy-peer 3 | figures
echo "loss-sim: every datagram at 20% loss, $SEEDS runs of 10 min"
"$SIM" --seeds "$SEEDS" "${ten_min[@]}" --loss 0.2 | figures
for p in 0.05 0.1 0.2; do
	echo "loss-sim: $p loss, 1000 short runs of 3 to 8 peers"
	"$SIM" --seeds 1000 "${quiet[@]}" --loss "$p" | figures
done
