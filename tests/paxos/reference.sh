#!/usr/bin/env bash
# The instructor's compose files and hostsfiles, kept in paxos-lab/compose/,
# must be byte for byte the reference copies in
# $(git rev-parse --show-toplevel)/../shared/reference/paxos-lab/ (the lab
# requires them unmodified). Exit 77 (skip) when that directory is absent.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null) ||
	root=$(cd "$here/../.." && pwd)
ref=${PAXOS_REFERENCE:-$root/../shared/reference/paxos-lab}
if [ ! -d "$ref" ]; then
	echo "reference check skipped: no $ref"
	exit 77
fi
bad=0
for f in docker-compose-testcase-1.yml docker-compose-testcase-2.yml \
	hostsfile-testcase1.txt hostsfile-testcase2.txt; do
	if cmp -s "$ref/$f" "$root/paxos-lab/compose/$f"; then
		echo "ok   paxos-lab/compose/$f is the reference's"
	else
		echo "FAIL paxos-lab/compose/$f differs from $ref/$f"
		bad=1
	fi
done
exit "$bad"
