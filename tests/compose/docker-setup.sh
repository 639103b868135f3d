#!/usr/bin/env bash
# Make a Docker engine usable for the compose tests, or say why not.
#
#   tests/compose/docker-setup.sh
#
# Idempotent; each step is skipped when already done:
#   1. docker.io and docker-compose installed with apt-get when missing;
#   2. dockerd started in the background when `docker info` fails
#      (log in /tmp/rollcall-dockerd.log);
#   3. the base image debian:bookworm-slim pulled, or, when no registry can
#      be reached, made here with debootstrap from the same Debian mirror
#      apt uses and imported with `docker import`. The root filesystem is
#      cached as a tarball under /var/cache/rollcall-docker, so only the
#      first run pays the minutes debootstrap takes.
#
# Exit 0: an engine answers and the base image is present.
# Exit 77: no engine can be had here (the usual "skipped" code); one line
#          "compose tests skipped: no Docker engine (reason)" on stderr.
# Exit 1: an engine answers but the base image could not be made.
#
# ROLLCALL_DOCKER_CACHE and ROLLCALL_BASE_IMAGE change the cache folder
# and the image name (for testing this script). Every wait has a bound;
# none asks a question.

set -u

CACHE_DIR=${ROLLCALL_DOCKER_CACHE:-/var/cache/rollcall-docker}
DOCKERD_LOG=/tmp/rollcall-dockerd.log
BASE_IMAGE=${ROLLCALL_BASE_IMAGE:-debian:bookworm-slim}
SUITE=bookworm
DOCKERD_WAIT_S=60
PULL_WAIT_S=30

say() { printf 'docker-setup: %s\n' "$*" >&2; }

skip() {
	printf 'compose tests skipped: no Docker engine (%s)\n' "$*" >&2
	exit 77
}

is_root() { [ "$(id -u)" -eq 0 ]; }

engine_up() { timeout 10 docker info >/dev/null 2>&1; }

apt_install() {
	is_root || return 1
	export DEBIAN_FRONTEND=noninteractive
	if [ -z "${APT_UPDATED:-}" ]; then
		say "apt-get update"
		timeout 300 apt-get update -qq >/dev/null 2>&1 || return 1
		APT_UPDATED=1
	fi
	say "apt-get install $*"
	timeout 900 apt-get install -y -qq --no-install-recommends "$@" \
		>/dev/null 2>&1
}

have_compose() {
	timeout 10 docker compose version >/dev/null 2>&1 ||
		command -v docker-compose >/dev/null 2>&1
}

# 1. The client, the daemon, compose.
install_tools() {
	local want=()
	command -v docker >/dev/null 2>&1 || want+=(docker.io)
	command -v dockerd >/dev/null 2>&1 || want+=(docker.io)
	if ! have_compose; then
		want+=(docker-compose)
	fi
	[ ${#want[@]} -eq 0 ] && return 0
	# docker.io may be named twice above; apt-get does not mind.
	if ! is_root; then
		command -v docker >/dev/null 2>&1 ||
			skip "docker is not installed and this user is not root"
		return 0
	fi
	apt_install "${want[@]}" || say "could not install ${want[*]}"
}

# 2. The daemon.
start_engine() {
	engine_up && return 0
	command -v docker >/dev/null 2>&1 || skip "no docker client"
	if ! is_root; then
		skip "docker info fails and this user is not root to start dockerd"
	fi
	command -v dockerd >/dev/null 2>&1 || skip "no dockerd binary"
	say "starting dockerd (log: $DOCKERD_LOG)"
	# setsid and nohup: the daemon outlives this script and its terminal.
	# It must not inherit any other descriptor: run under
	# `flock LOCK tests/compose/docker-setup.sh`, the lock's would go with
	# it, and the lock would stay taken for as long as the engine runs.
	(
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
		done
		exec setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null
	) &
	local waited=0
	while [ "$waited" -lt "$DOCKERD_WAIT_S" ]; do
		engine_up && return 0
		if ! pgrep -x dockerd >/dev/null 2>&1; then
			skip "dockerd exited: $(tail -n 1 "$DOCKERD_LOG" | cut -c1-200)"
		fi
		sleep 1
		waited=$((waited + 1))
	done
	skip "dockerd did not answer within ${DOCKERD_WAIT_S}s: $(tail -n 1 "$DOCKERD_LOG" | cut -c1-200)"
}

# The first Debian mirror apt is configured with, from either format:
# one-line "deb URI suite ..." in *.list, or deb822 "URIs:" in *.sources.
apt_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" {
			for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) {
				if ($i ~ /\/debian\/?$/) { print $i; exit }
				break
			}
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '/^URIs:/ { for (i = 2; i <= NF; i++)
			if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f"
	done
}

# Give the new root filesystem the host's way to reach Debian: the source
# files whose keyrings it also has, and the Acquire settings that matter
# (a proxy; not checking Valid-Until for a snapshot mirror).
configure_rootfs_apt() {
	local root=$1 f key ok
	rm -f "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -s "$f" ] || continue
		ok=1
		for key in $(sed -n 's/.*[Ss]igned-[Bb]y[:=] *\([^] ]*\).*/\1/p' "$f"); do
			[ -e "$root$key" ] || ok=0
		done
		if [ "$ok" -eq 1 ]; then
			mkdir -p "$root$(dirname "$f")"
			cp "$f" "$root$f"
		else
			say "not copying $f into the image: its keyring is not there"
		fi
	done
	apt-config dump 2>/dev/null |
		grep -E '^Acquire::((https?::)?[Pp]roxy|Check-Valid-Until|Check-Date) ' \
			>"$root/etc/apt/apt.conf.d/99rollcall-host" || true
	# What the official image sets for apt: no binary caches kept in
	# layers, compressed lists, no translations.
	cat >"$root/etc/apt/apt.conf.d/docker-slim" <<-'EOF'
	Dir::Cache::pkgcache "";
	Dir::Cache::srcpkgcache "";
	Acquire::GzipIndexes "true";
	Acquire::Languages "none";
	Apt::AutoRemove::SuggestsImportant "false";
	EOF
	# Slim, as the official image is: no docs, manuals or locales now,
	# nor from packages installed later.
	mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
	cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<-'EOF'
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/lintian/*
	path-exclude /usr/share/linda/*
	path-exclude /usr/share/locale/*
	EOF
	find "$root/usr/share/doc" -mindepth 1 -not -name copyright \
		-not -type d -delete 2>/dev/null
	rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/usr/share/locale/* "$root"/var/cache/apt/*.bin \
		"$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

# 3. The base image. The cache holds debootstrap's output as it came;
# the settings above are applied to a copy at each import, so changing
# them never costs another debootstrap.
make_base_image() {
	local tarball=$CACHE_DIR/$SUITE-minbase.tar
	local rootfs=$CACHE_DIR/rootfs
	if [ ! -s "$tarball" ]; then
		is_root || { say "cannot debootstrap without root"; return 1; }
		command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap ||
			{ say "no debootstrap"; return 1; }
		local mirror
		mirror=$(apt_mirror | head -n 1)
		mirror=${mirror:-http://deb.debian.org/debian}
		mkdir -p "$CACHE_DIR"
		rm -rf "$rootfs"
		say "debootstrap --variant=minbase $SUITE from $mirror (a few minutes; log: $CACHE_DIR/debootstrap.log)"
		if ! timeout 1200 debootstrap --variant=minbase "$SUITE" \
			"$rootfs" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1; then
			say "debootstrap failed: $(tail -n 1 "$CACHE_DIR/debootstrap.log")"
			rm -rf "$rootfs"
			return 1
		fi
		tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" . &&
			mv "$tarball.tmp" "$tarball" || return 1
		rm -rf "$rootfs"
	fi
	is_root || { say "cannot unpack $tarball without root"; return 1; }
	local work rc
	work=$(mktemp -d "$CACHE_DIR/import.XXXXXX") || return 1
	tar --numeric-owner -C "$work" -xf "$tarball" &&
		configure_rootfs_apt "$work"
	say "importing $tarball as $BASE_IMAGE"
	tar --numeric-owner -C "$work" -c . |
		timeout 300 docker import \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'CMD ["bash"]' \
			--change 'LABEL org.rollcall.base=debootstrap' \
			- "$BASE_IMAGE" >/dev/null
	rc=$?
	rm -rf "$work"
	return "$rc"
}

ensure_base_image() {
	timeout 10 docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
	say "pulling $BASE_IMAGE (at most ${PULL_WAIT_S}s)"
	timeout "$PULL_WAIT_S" docker pull -q "$BASE_IMAGE" >/dev/null 2>&1 &&
		return 0
	say "no registry: making $BASE_IMAGE with debootstrap"
	make_base_image
}

install_tools
start_engine
if ! ensure_base_image; then
	say "the engine works but $BASE_IMAGE could not be had"
	exit 1
fi
if ! have_compose; then
	say "the engine works but neither 'docker compose' nor docker-compose is there"
	exit 1
fi
say "ready: $(docker version --format 'engine {{.Server.Version}}' 2>/dev/null), base image $BASE_IMAGE"
exit 0
