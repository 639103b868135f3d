#!/usr/bin/env bash
# The bank beside etcd: commands/s and round trips at 1, 3 and 10 clients.
#
#   tests/bank/bench.sh            (make bench APP=bank)
#
# Both on loopback, on this machine, in the same run, three members each,
# every write on disk before it is answered:
#   - bank: three replicas on 127.0.0.1..3 (build/bank, --state in a
#     scratch directory: the acceptor's state is fsynced before each
#     promise and vote), clients build/bank-client --benchmark;
#   - etcd: Debian's etcd-server (installed here when missing), three
#     members on 127.0.0.1..3 (its WAL fsynced per write, the default),
#     clients tests/bank/etcd_put.py: synchronous single-key puts on one
#     kept-alive connection each, to member 1.
# Each row: C clients at once, PER commands each; commands/s is all of
# them over the wall time from the first start to the last end; the round
# trips are the clients' (mean of their means, median of their medians,
# the worst p99). The last column is bank's commands/s over etcd's.
# Everything started is killed on exit; scratch under a mktemp directory.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2
PYTHON=${PYTHON:-python3}
PER=${BENCH_PER:-300}
PORT=${BENCH_PORT:-27610}
tmp=$(mktemp -d /tmp/bank-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make -s bank || exit 1
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
	echo "== installing Debian's etcd-server and etcd-client"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends etcd-server etcd-client >/dev/null ||
		{ echo "bench: cannot install etcd-server"; exit 1; }
fi

# One row: run C clients of kind K (bank|etcd) at once, PER commands
# each, and print the figures.
row() {
	local kind=$1 c=$2 i t0 t1
	t0=$(date +%s.%N)
	local cp=()
	for i in $(seq 1 "$c"); do
		if [ "$kind" = bank ]; then
			timeout 300 build/bank-client -h "$tmp/hosts" --port "$PORT" \
				--id "b$c-$i" --benchmark "$PER" --seed "$i" \
				>"$tmp/$kind-$c-$i.json" 2>/dev/null &
		else
			timeout 300 "$PYTHON" "$here/etcd_put.py" 127.0.0.1:2379 \
				"$PER" "e$c-$i" >"$tmp/$kind-$c-$i.json" &
		fi
		cp+=($!)
	done
	for p in "${cp[@]}"; do wait "$p"; done
	t1=$(date +%s.%N)
	cat "$tmp/$kind-$c-"*.json | "$PYTHON" -c '
import json, sys, statistics
rows = [json.loads(l) for l in sys.stdin if l.startswith("{")]
n = sum(r["ok"] for r in rows)
wall = float(sys.argv[2]) - float(sys.argv[1])
mean = statistics.mean(r["rtt_ms"]["mean"] for r in rows) if rows else 0
med = statistics.median(r["rtt_ms"]["median"] for r in rows) if rows else 0
p99 = max((r["rtt_ms"]["p99"] for r in rows), default=0)
want = int(sys.argv[4]) * int(sys.argv[3])
print("%s %d %.0f %.2f %.2f %.2f %d/%d" % (sys.argv[5], int(sys.argv[3]),
      n / wall if wall > 0 else 0, mean, med, p99, n, want))
' "$t0" "$t1" "$c" "$PER" "$kind"
}

# ---- bank ----
printf '127.0.0.1\n127.0.0.2\n127.0.0.3\n' >"$tmp/hosts"
for i in 1 2 3; do
	mkdir -p "$tmp/bank$i"
	build/bank -h "$tmp/hosts" --id "$i" --port "$PORT" \
		--state "$tmp/bank$i" >"$tmp/bank$i.out" 2>"$tmp/bank$i.err" &
	pids+=($!)
done
# The view forms (bounded): the client waits for the leader itself.
sleep 3
: >"$tmp/rows"
for c in 1 3 10; do row bank "$c" >>"$tmp/rows"; done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
pids=()

# ---- etcd ----
cluster=m1=http://127.0.0.1:2380,m2=http://127.0.0.2:2380,m3=http://127.0.0.3:2380
for i in 1 2 3; do
	etcd --name "m$i" --data-dir "$tmp/etcd$i" \
		--listen-peer-urls "http://127.0.0.$i:2380" \
		--initial-advertise-peer-urls "http://127.0.0.$i:2380" \
		--listen-client-urls "http://127.0.0.$i:2379" \
		--advertise-client-urls "http://127.0.0.$i:2379" \
		--initial-cluster "$cluster" --initial-cluster-state new \
		--initial-cluster-token bank-bench >"$tmp/etcd$i.log" 2>&1 &
	pids+=($!)
done
ok=0
for _ in $(seq 1 100); do
	if ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379 \
		endpoint health >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.2
done
[ "$ok" = 1 ] || { echo "bench: etcd did not come up ($tmp/etcd1.log)"; tail -5 "$tmp/etcd1.log"; exit 1; }
for c in 1 3 10; do row etcd "$c" >>"$tmp/rows"; done

echo "== bank vs etcd $(etcd --version | head -1 | sed 's/.*: //'), 3 members," \
	"loopback, fsync on; $PER commands per client"
"$PYTHON" - "$tmp/rows" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    k, c, rate, mean, med, p99, done = line.split()
    rows[(k, int(c))] = (float(rate), float(mean), float(med), float(p99), done)
print("%-8s %7s %9s %9s %9s %9s %9s" % ("clients", "", "cmds/s", "mean ms",
                                        "median", "p99 ms", "done"))
for c in (1, 3, 10):
    for k in ("bank", "etcd"):
        r = rows.get((k, c))
        if r:
            print("%-8d %7s %9.0f %9.2f %9.2f %9.2f %9s" % (c, k, *r))
    b, e = rows.get(("bank", c)), rows.get(("etcd", c))
    if b and e and e[0] > 0:
        print("%-8d %7s %9.2f" % (c, "ratio", b[0] / e[0]))
EOF
