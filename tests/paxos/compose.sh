#!/usr/bin/env bash
# The Paxos lab's Docker path: the image prj4 and the instructor's two
# testcases, unmodified.
#
#   tests/paxos/compose.sh
#
# 1. tests/compose/docker-setup.sh; when it says no engine can be had
#    (77), says so and exits 77.
# 2. docker build -f paxos-lab/Dockerfile -t prj4 . and what the image
#    must hold: the program as entrypoint, /app as working directory with
#    both hostsfiles, a numeric unprivileged user, no shell, at most 2 MB.
# 3. tests/paxos/run.sh 1 and 2, each judged by tests/paxos/judge.py.
# Ends with "N passed, N failed" (the image's checks count as one).

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2
logdir=$root/build/compose
mkdir -p "$logdir"

bash "$root/tests/compose/docker-setup.sh"
rc=$?
if [ "$rc" -eq 77 ]; then
	echo "paxos compose tests skipped (docker-setup.sh exited 77)"
	exit 77
elif [ "$rc" -ne 0 ]; then
	echo "FAIL: docker-setup.sh exited $rc"
	exit 1
fi

# shellcheck source=../compose/compose-lib.sh
. "$root/tests/compose/compose-lib.sh"
if ! image_build paxos-lab/Dockerfile prj4 "$logdir/paxos-build.log"; then
	echo "FAIL: docker build failed (build/compose/paxos-build.log)"
	echo "0 passed, 3 failed"
	exit 1
fi

passed=0
failed=0
why=
size=$(timeout 10 docker image inspect -f '{{.Size}}' prj4)
cfg=$(timeout 10 docker image inspect -f \
	'{{.Config.User}}|{{json .Config.Entrypoint}}|{{.Config.WorkingDir}}' prj4)
IFS='|' read -r user entry workdir <<<"$cfg"
[ "$size" -le 2000000 ] || why="size $size bytes, over 2 MB"
[ "$entry" = '["/usr/local/bin/paxos-peer"]' ] || why=${why:-"entrypoint $entry"}
[ "$workdir" = /app ] || why=${why:-"WORKDIR $workdir"}
[[ ${user%%:*} =~ ^[1-9][0-9]*$ ]] || why=${why:-"USER $user"}
c=$(timeout 30 docker create prj4) || why=${why:-"docker create failed"}
listing=$(timeout 60 docker export "$c" | tar -tf -)
timeout 30 docker rm "$c" >/dev/null
for f in app/hostsfile-testcase1.txt app/hostsfile-testcase2.txt \
	usr/local/bin/paxos-peer; do
	printf '%s\n' "$listing" | grep -qx "$f" || why=${why:-"no /$f"}
done
printf '%s\n' "$listing" | grep -Eq '^(bin|usr/bin)/(sh|bash|dash|busybox)$' &&
	why=${why:-"a shell in the image"}
if [ -z "$why" ]; then
	echo "PASS image prj4: $size bytes, entrypoint $entry in /app"
	passed=$((passed + 1))
else
	echo "FAIL image prj4: $why"
	failed=$((failed + 1))
fi

for n in 1 2; do
	if bash "$here/run.sh" "$n"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
