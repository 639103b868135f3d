#!/usr/bin/env bash
# The bank's three benchmarks under docker compose, for `make test`
# (test-compose): the image once, then tests/bank/compose.sh 1, 2 and 3.
# Exit 77 when no engine can be had (a skip), else 1 if any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2
bash tests/compose/docker-setup.sh
rc=$?
[ "$rc" -eq 77 ] && { echo "bank compose tests skipped (no engine)"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAIL: docker-setup.sh exited $rc"; exit 1; }
failed=0
bash "$here/compose.sh" --build 1 || failed=$((failed + 1))
bash "$here/compose.sh" 2 || failed=$((failed + 1))
bash "$here/compose.sh" 3 || failed=$((failed + 1))
echo "bank compose: $((3 - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
