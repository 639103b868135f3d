#!/usr/bin/env bash
# Check the image prj3 is what the Dockerfile promises: at most 2 MB, no
# shell, a numeric unprivileged user, the daemon as entrypoint in /app
# with its hostsfile, and ROLLCALL_STATE's directory the user's alone.
#
#   tests/compose/image.sh            (after docker build . -t prj3)
#
# Prints one line per check, then "PASS image" (exit 0) or "FAIL image:
# first reason" (exit 1). The files are read from `docker export` of a
# container that is created, never started; the one container that runs
# has no network (--network none) and names the peers by --add-host.

set -u
IMAGE=prj3
SIZE_MAX=2000000
STATE=/var/lib/rollcall
first=
check() {
	if [ "$1" = ok ]; then
		echo "ok: $2"
	else
		echo "FAIL: $2"
		[ -n "$first" ] || first=$2
	fi
}
is() { [ "$1" = "$2" ] && echo ok || echo no; }

size=$(timeout 10 docker image inspect -f '{{.Size}}' "$IMAGE") ||
	{ echo "FAIL image: no image $IMAGE"; exit 1; }
check "$( [ "$size" -le "$SIZE_MAX" ] && echo ok || echo no)" \
	"size $size bytes, at most $SIZE_MAX"
cfg=$(timeout 10 docker image inspect -f \
	'{{.Config.User}}|{{json .Config.Entrypoint}}|{{.Config.WorkingDir}}|{{range .Config.Env}}{{.}} {{end}}' "$IMAGE")
IFS='|' read -r user entry workdir env <<<"$cfg"
uid=${user%%:*}
check "$( [[ $uid =~ ^[0-9]+$ ]] && [ "$uid" -ne 0 ] && echo ok || echo no)" \
	"numeric unprivileged USER ($user)"
check "$(is "$entry" '["/usr/local/bin/rollcall"]')" "entrypoint $entry"
check "$(is "$workdir" /app)" "WORKDIR $workdir"
check "$( [[ " $env" == *" ROLLCALL_STATE=$STATE "* ]] && echo ok || echo no)" \
	"ENV ROLLCALL_STATE=$STATE"

c=$(timeout 30 docker create "$IMAGE") || { echo "FAIL image: docker create failed"; exit 1; }
listing=$(timeout 60 docker export "$c" | tar -tvf - --numeric-owner)
timeout 30 docker rm "$c" >/dev/null
has() { printf '%s\n' "$listing" | grep -Eq "$1" && echo ok || echo no; }
check "$(has "^drwx------ $uid/[0-9]+ .* ${STATE#/}/?\$")" \
	"$STATE is mode 0700, owned by $uid"
check "$(has '^-r.x.*usr/local/bin/rollcall$')" "the binary at /usr/local/bin/rollcall"
check "$(has ' app/hostsfile.txt$')" "/app/hostsfile.txt"
check "$( [ "$(has ' (bin|usr/bin)/(sh|bash|dash|busybox)$')" = no ] && echo ok || echo no)" \
	"no shell"
# The static libc's lookups through /etc/hosts, in a container with no
# network but its loopback (so no DNS either): peer 1 finds its id by the
# hostname, resolves every peer by the hosts file, leads view 0 and exits
# by -c.
out=$(timeout 30 docker run --rm --network none --hostname one \
	--add-host one:127.0.0.1 --add-host two:127.0.0.2 --add-host three:127.0.0.3 \
	--add-host four:127.0.0.4 --add-host five:127.0.0.5 \
	"$IMAGE" -h hostsfile.txt -c 0.3 -v 2>&1)
check "$( [ "$(printf '%s\n' "$out" | grep -o 'peer [1-5] ([a-z]*) resolved to 127\.0\.0\.[1-5]:' | sort -u | wc -l)" -eq 5 ] &&
	printf '%s\n' "$out" | grep -q '^{peer_id:1, view_id: 0, leader: 1, message:"crashing"}$' &&
	echo ok || echo no)" "names resolve through /etc/hosts (no network, no DNS)"
files=$(printf '%s\n' "$listing" | grep -vc '^d')
echo "   $files files; the largest: $(printf '%s\n' "$listing" | sort -k3 -n | tail -n 1 | awk '{print $3, $NF}')"
if [ -n "$first" ]; then
	echo "FAIL image: $first"
	exit 1
fi
echo "PASS image"
