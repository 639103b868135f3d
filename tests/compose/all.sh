#!/usr/bin/env bash
# The whole Docker path: engine, image, the four testcases.
#
#   tests/compose/all.sh
#
# 1. docker-setup.sh; when it says no engine can be had (77), says so and
#    exits 77 without counting anything.
# 2. docker build . -t prj3 (a failure fails all four testcases);
#    image.sh checks what it holds (size at most 2 MB, no shell, ...).
# 3. run.sh 1..4, the first with --stats for a memory sample mid-run.
# Then a summary: each testcase's verdict and wall time, the image size,
# the memory each container used in testcase 1, and "N passed, N failed"
# (the image's checks count as one).

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2
logdir=$root/build/compose
mkdir -p "$logdir"

"$here/docker-setup.sh"
rc=$?
if [ "$rc" -eq 77 ]; then
	echo "compose tests skipped (docker-setup.sh exited 77)"
	exit 77
elif [ "$rc" -ne 0 ]; then
	echo "FAIL: docker-setup.sh exited $rc"
	echo "0 passed, 5 failed"
	exit 1
fi

# shellcheck source=compose-lib.sh
. "$here/compose-lib.sh"
t0=$(date +%s)
if ! image_build Dockerfile prj3 "$logdir/build.log"; then
	echo "FAIL: docker build failed (build/compose/build.log)"
	echo "0 passed, 5 failed"
	exit 1
fi
echo "built in $(($(date +%s) - t0))s"
size=$(docker image inspect -f '{{.Size}}' prj3)

passed=0
failed=0
summary=()
"$here/image.sh" | tee "$logdir/image.out"
if [ "${PIPESTATUS[0]}" -eq 0 ]; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi
summary+=("$(tail -n 1 "$logdir/image.out")")
echo
for n in 1 2 3 4; do
	extra=()
	[ "$n" -eq 1 ] && extra=(--stats)
	t0=$(date +%s)
	"$here/run.sh" "${extra[@]}" "$n" | tee "$logdir/run$n.out"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - t0))
	verdict=$(tail -n 1 "$logdir/run$n.out")
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	summary+=("$(printf '%-60s %4ss' "$verdict" "$secs")")
	echo
done

echo "== summary"
printf '%s\n' "${summary[@]}"
echo "image prj3: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1e6 }') MB)"
echo "memory per container, mid-testcase 1:"
sed -n '/^== docker stats/,/^==/{/^==/d;p}' "$logdir/run1.out" | sed 's/^/  /'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
