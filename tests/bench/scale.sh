#!/usr/bin/env bash
# Benchmark: rollcall and Serf at 64 to 1024 peers on one machine, T = 1 s
# (tests/bench/scale.py says what is measured and how). Prints figures;
# asserts nothing. SIZES="64 128" narrows it, SERF_MAX the largest Serf
# group tried (256: beyond it Serf does not form here in minutes),
# ROLLCALL=path another binary, IDLE_S the idle window (20 s), TIMELINE=1
# when each view id was printed.
set -u
cd "$(dirname "$0")/../.."
if ! command -v serf > /dev/null; then
	# Debian's serf (0.9.4), for the comparison; without it rollcall alone.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q serf > /dev/null 2>&1 ||
		echo "scale: serf not installed; rollcall alone"
fi
ulimit -n 8192 2> /dev/null || true
if [ -z "${SCALE_NETNS:-}" ] && command -v ip > /dev/null &&
	unshare -n true 2> /dev/null; then
	# A network namespace of its own: its loopback carries only the
	# groups', and no connection tracking sees it (the host's table,
	# loaded for Docker's rules, fills at 1024 peers and then drops
	# every loopback connection on the machine).
	exec unshare -n env SCALE_NETNS=1 \
		sh -c 'ip link set lo up && exec python3 tests/bench/scale.py'
fi
exec python3 tests/bench/scale.py
