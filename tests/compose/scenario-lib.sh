# Shared by the Docker scenarios that judge peers from their logs as they
# run (tests/swarm/run.sh, tests/k8s/docker.sh). Source it; it needs
#   peer_log NAME    a function printing NAME's stamped log lines
#   WAIT_S           the bound of every wait, in seconds

# wait_for REGEX NAME... : until every NAME's log has a line matching the
# extended REGEX, polling once a second for at most WAIT_S seconds; the
# names that never did are left in $missing. Returns 1 on timeout.
wait_for() {
	local what=$1 name n
	shift
	for n in $(seq 1 "$WAIT_S"); do
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
