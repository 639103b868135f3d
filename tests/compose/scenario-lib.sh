# shellcheck shell=bash
# shellcheck disable=SC2034 # missing, whole and judged are read by the caller
# Shared by the Docker scenarios that judge peers from their logs as they
# run (tests/swarm/run.sh, tests/k8s/docker.sh). Source it; it needs
#   peer_log NAME    a function printing NAME's stamped log lines
#   WAIT_S           the bound of every wait, in seconds

# wait_for REGEX NAME... : until every NAME's log has a line matching the
# extended REGEX, polling once a second for at most WAIT_S seconds; the
# names that never did are left in $missing. Returns 1 on timeout.
wait_for() {
	local what=$1 name
	shift
	for _ in $(seq 1 "$WAIT_S"); do
		missing=
		for name in "$@"; do
			peer_log "$name" | grep -Eq "$what" || missing="$missing $name"
		done
		[ -z "$missing" ] && return 0
		sleep 1
	done
	return 1
}

# merge_logs LOG NAME... : every NAME's lines, named and stamped
# (stamp.awk), merged in time order into LOG.
merge_logs() {
	local log=$1 name
	shift
	: >"$log.tmp"
	for name in "$@"; do
		peer_log "$name" | awk -v c="$name" -f "$(dirname "${BASH_SOURCE[0]}")/stamp.awk" >>"$log.tmp"
	done
	sort -s -k1,1 "$log.tmp" >"$log"
	rm -f "$log.tmp"
}

# events LINES : output lines, one a line, as "vID lLEADER REST;" joined
# on one line, for a regular expression to match a whole sequence.
events() {
	printf '%s\n' "$1" | grep '^{' |
		sed -E 's/^\{peer_id:[0-9]+, view_id: ([0-9]+), leader: ([0-9]+), /v\1 l\2 /' |
		tr '\n' ';'
}

# wait_removal ID LIST NAME... : until every NAME has printed "peer ID
# unreachable" and a view [LIST] (as "1,2,4,5"); 1 on timeout, with the
# laggards in $missing.
wait_removal() {
	local id=$1 list=$2
	shift 2
	wait_for "peer $id unreachable" "$@" &&
		wait_for "memb_list: \\[$list\\]" "$@"
}

# last_full NAME : the id of NAME's last view line if that view holds
# the whole group [1,...,N] (N: $# of wait_whole's names), else nothing.
last_full() {
	peer_log "$1" | grep -E '\{peer_id:[0-9]+, view_id: [0-9]+, leader: [0-9]+, memb_list:' |
		tail -n 1 | sed -nE "s/.*view_id: ([0-9]+), .*memb_list: \[$full_list\]\}\$/\1/p"
}

# wait_whole FLOOR NAME... : until every NAME's last view is one and the
# same view of all of them ([1,...,N]) with an id above FLOOR; the id goes
# to $whole, or on timeout (return 1) the laggards to $missing.
wait_whole() {
	local floor=$1 name got v
	shift
	full_list=$(seq -s, 1 $#)
	whole=
	for _ in $(seq 1 "$WAIT_S"); do
		missing='' v=''
		for name in "$@"; do
			got=$(last_full "$name")
			if [ -z "$got" ] || [ "$got" -le "$floor" ] ||
				{ [ -n "$v" ] && [ "$got" != "$v" ]; }; then
				missing="$missing $name"
			fi
			v=${v:-$got}
		done
		[ -z "$missing" ] && whole=$v && return 0
		sleep 1
	done
	return 1
}

# judge_common LOG NAMES [REHEARD] : judge.awk's checks common to every
# testcase on LOG, whose peers are NAMES in id order (REHEARD 1: a peer
# reported unreachable and back in the reporter's view may be reported
# again, as after a restart); prints the timeline, and on a failure its
# first reason in $judged. Returns judge.awk's status.
judge_common() {
	local out rc
	out=$(awk -v tc=0 -v names="$2" -v reheard="${3:-0}" \
		-f "$(dirname "${BASH_SOURCE[0]}")/judge.awk" "$1")
	rc=$?
	printf '%s\n' "$out" | sed '$d'
	judged=$(printf '%s\n' "$out" | tail -n 1 | sed 's/^FAIL testcase0: //')
	return "$rc"
}
