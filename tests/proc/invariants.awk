# Invariants over the output of several peers (one log file per peer).
#
#  - every line is one of the four output formats;
#  - each peer's view ids strictly increase;
#  - a view id means the same member list and leader at every peer.
# Prints the first violation and exits 1; prints nothing and exits 0 if none.

function bad(msg) {
	print FILENAME ":" FNR ": " msg
	failed = 1
	exit 1
}

FNR == 1 { last = -1 }

/^\{peer_id:[0-9]+, view_id: [0-9]+, leader: [0-9]+, memb_list: \[[0-9]+(,[0-9]+)*\]\}$/ {
	line = $0
	sub(/^\{peer_id:[0-9]+, view_id: /, "", line)
	view = line + 0
	sub(/^[0-9]+, /, "", line)
	if (view <= last)
		bad("view id " view " after " last)
	last = view
	if (view in seen && seen[view] != line)
		bad("view " view " is '" line "' here but '" seen[view] "' elsewhere")
	seen[view] = line
	next
}
/^\{peer_id:[0-9]+, view_id: [0-9]+, leader: [0-9]+, message:"(crashing|peer [0-9]+ unreachable|peer [0-9]+ \(leader\) unreachable)"\}$/ { next }
{ bad("not an output line: " $0) }
END { exit failed }
