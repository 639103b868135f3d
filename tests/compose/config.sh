#!/usr/bin/env bash
# Validate every compose file under compose/ with `docker-compose config -q`
# (the Compose Specification's schema, which `docker compose` v2 and, for
# the deploy: keys, `docker stack deploy` read too). No engine is needed.
#
#   tests/compose/config.sh
#
# Prints one line per file, then "N passed, N failed"; exit 1 on any
# failure, 77 (skipped, said in one line) when neither docker-compose nor
# `docker compose` is installed.

set -u
cd "$(dirname "$0")/../.." || exit 2

if command -v docker-compose >/dev/null 2>&1; then
	config() { docker-compose -f "$1" config -q; }
elif timeout 10 docker compose version >/dev/null 2>&1; then
	config() { docker compose -f "$1" config -q; }
else
	echo "compose file checks skipped: neither docker-compose nor 'docker compose' is installed"
	exit 77
fi

passed=0
failed=0
for f in compose/*.yml compose/*.yaml; do
	[ -e "$f" ] || continue
	if out=$(config "$f" 2>&1); then
		echo "ok: $f"
		passed=$((passed + 1))
	else
		echo "FAIL: $f: $out"
		failed=$((failed + 1))
	fi
done
[ $((passed + failed)) -gt 0 ] || { echo "FAIL: no compose files under compose/"; failed=1; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
