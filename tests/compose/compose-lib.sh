# shellcheck shell=bash
# shellcheck disable=SC2034 # COMPOSE_DIR, compose_name, states and exited
# are read by the caller
# Shared by the scripts that build an image and run a compose project from
# the repository's top: tests/compose/all.sh and run.sh (prj3),
# tests/paxos/compose.sh and run.sh (prj4), tests/bank/compose.sh (bank).
# Source it. Every docker call is bounded.

# compose_pick PROJECT FILE [DIR] : COMPOSE becomes the command driving
# FILE as project PROJECT (`docker compose`, else docker-compose), run in
# DIR (default: here), and compose_name which of the two it is. Returns 1,
# setting nothing, when neither is installed.
compose_pick() {
	if timeout 10 docker compose version >/dev/null 2>&1; then
		COMPOSE=(docker compose -p "$1" -f "$2")
		compose_name="docker compose"
	elif command -v docker-compose >/dev/null 2>&1; then
		COMPOSE=(docker-compose -p "$1" -f "$2")
		compose_name=docker-compose
	else
		return 1
	fi
	COMPOSE_DIR=${3:-.}
}

# compose_down LOG : the project down, with its volumes and orphans; the
# output goes to LOG. Safe to call when nothing is up.
compose_down() {
	(cd "$COMPOSE_DIR" && timeout 120 "${COMPOSE[@]}" down -v \
		--remove-orphans -t 1) >>"$1" 2>&1
}

# compose_up LOG : the project up, detached; the output goes to LOG, and
# on failure its last lines are shown and it returns 1.
compose_up() {
	(cd "$COMPOSE_DIR" && timeout 120 "${COMPOSE[@]}" up -d) >>"$1" 2>&1 &&
		return 0
	tail -n 20 "$1"
	return 1
}

# image_build DOCKERFILE IMAGE LOG : docker build -f DOCKERFILE -t IMAGE .,
# at most 20 minutes, its output in LOG; on failure its last lines are
# shown and it returns 1.
image_build() {
	echo "== docker build -f $1 -t $2 ."
	timeout 1200 docker build -f "$1" -t "$2" . >"$3" 2>&1 && return 0
	tail -n 30 "$3"
	return 1
}

# collect_logs LOG NAME... : every container NAME's output, stamped by
# docker and named (stamp.awk), and the lines of LOG.marks if there is one
# (the script's own stamped notes), merged in time order into LOG. A
# container that does not exist is skipped.
collect_logs() {
	local log=$1 name
	shift
	: >"$log.tmp"
	for name in "$@"; do
		timeout 10 docker container inspect "$name" >/dev/null 2>&1 ||
			continue
		timeout 30 docker logs -t "$name" 2>&1 |
			awk -v c="$name" -f "$(dirname "${BASH_SOURCE[0]}")/stamp.awk" \
				>>"$log.tmp"
	done
	[ -f "$log.marks" ] && cat "$log.marks" >>"$log.tmp"
	sort -s -k1,1 "$log.tmp" >"$log"
	rm -f "$log.tmp" "$log.marks"
}

# container_states NAME... : how each container stands, as
# " NAME=status(exit code)" each, in $states; the first one not running,
# as "NAME status (exit code N)", in $exited (empty when all run).
container_states() {
	local name st
	states=
	exited=
	for name in "$@"; do
		st=$(timeout 10 docker container inspect \
			-f '{{.State.Status}} {{.State.ExitCode}}' "$name" \
			2>/dev/null) || st="missing -"
		states="$states $name=${st% *}(${st#* })"
		[ "${st% *}" = running ] ||
			exited=${exited:-"$name ${st% *} (exit code ${st#* })"}
	done
}
