#!/usr/bin/env bash
# The network scenarios, named by $1: five peers on 127.0.0.1..5 with real
# cuts and loss (iptables rules of tests/proc/cut.sh, removed again by the
# EXIT trap however the run ends). Exit 0 on pass, 1 on failure, 77 when
# iptables cannot be used here (one line says why).
#
# A cut scenario forms the full group [1,2,3,4,5], cuts it for CUT_T
# periods, heals, and judges from the printed lines:
#   - no view id names two lists or two leaders in any log (the compose
#     judge's common checks, tc=0);
#   - the side without a quorum prints no view line while cut off: a
#     minority commits nothing;
#   - the majority side is, by the heal, in one view of exactly its
#     peers, led by its lowest id, and keeps that view;
#   - within HEAL_T periods of the heal, a peer left out of that view has
#     learned it and goes quiet (its -v line "removed from the group",
#     then no output line), or, with --rejoin on every peer, all five are
#     one view again (JOIN_S seconds more for the join); a state counts
#     only if it still holds when the bound is over.
# What each side printed while cut off is shown either way.
set -u
cd "$(dirname "$0")/../.."
. tests/proc/lib.sh
. tests/proc/cut.sh

CUT_T=${CUT_T:-20}
HEAL_T=10
JOIN_S=3
LOSS_S=10
declare -A MARK=()

# form5: peers 1..5, each with -v and NET_ARGS, in the full view; returns
# 1 (and fails the scenario) when they do not get there.
form5() {
	local i
	for i in 1 2 3 4 5; do printf -v "ARGS_$i" '%s' "-v ${NET_ARGS:-}"; done
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	[ "$FAILURES" = 0 ]
}

# Microseconds now, without a fork.
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

# wait_periods N COMMAND...: poll every 50 ms for N heartbeat periods
# (stretched by TIMEOUT_SCALE) until COMMAND succeeds; WAITED_MS says how
# long that took.
wait_periods() {
	local n=$1 t0 end
	shift
	t0=$(now_us)
	end=$((t0 + n * HB_MS * TIMEOUT_SCALE * 1000))
	until "$@"; do
		[ "$(now_us)" -lt "$end" ] || return 1
		sleep 0.05
	done
	WAITED_MS=$((($(now_us) - t0) / 1000))
}

# settle N COMMAND...: COMMAND holds within N periods (WAITED_MS: when)
# and still holds when the N periods are over.
settle() {
	local n=$1 t0
	shift
	t0=$(now_us)
	wait_periods "$n" "$@" || return 1
	sleep "$(awk "BEGIN{t = $n * $HB_MS * $TIMEOUT_SCALE / 1000 - ($(now_us) - $t0) / 1e6; print (t > 0 ? t : 0)}")"
	"$@"
}

# hold_cut N LIST LEADER IDS...: keep the cut for N periods (stretched),
# and note when IDS first were in one view [LIST] led by LEADER.
hold_cut() {
	local n=$1 t0 end reached=""
	shift
	t0=$(now_us)
	end=$((t0 + n * HB_MS * TIMEOUT_SCALE * 1000))
	while [ "$(now_us)" -lt "$end" ]; do
		if [ -z "$reached" ] && one_view "$@"; then
			reached=$((($(now_us) - t0) / 1000))
			echo "  majority side [$1] in one view ${reached} ms after the cut"
		fi
		sleep 0.05
	done
}

# mark NAME: remember where every log ends now.
mark() {
	local id
	for id in 1 2 3 4 5; do
		MARK[$1,$id]=$(wc -l < "$PROC_DIR/$id.log")
	done
}

# printed ID FROM [TO]: the output lines (no -v diagnostics) peer ID
# printed after mark FROM, up to mark TO or now.
printed() {
	local to=999999999
	[ -z "${3:-}" ] || to=${MARK[$3,$1]}
	awk -v a="${MARK[$2,$1]}" -v b="$to" 'NR > a && NR <= b' \
		"$PROC_DIR/$1.log" | sed 's/^[0-9][0-9-]*T[0-9:.]*Z //' |
		grep -v '^rollcall\['
}

# Output lines on stdin, shortened and joined: "view 5 [2,3,4,5] leader 2;
# peer 1 (leader) unreachable".
brief() {
	sed -e 's/^{peer_id:[0-9]*, view_id: \([0-9]*\), leader: \([0-9]*\), memb_list: \(\[[0-9,]*\]\)}$/view \1 \3 leader \2/' \
		-e 's/^{peer_id:[0-9]*, view_id: [0-9]*, leader: [0-9]*, message:"\(.*\)"}$/\1/' |
		paste -sd';' | sed 's/;/; /g'
}

# report FROM TO WHAT: what every peer printed between two marks.
report() {
	local id lines
	echo "  $3:"
	for id in 1 2 3 4 5; do
		lines=$(printed "$id" "$1" "$2" | brief)
		echo "    peer $id: ${lines:-nothing}"
	done
}

# one_view LIST LEADER IDS...: every one of IDS is at the same view, with
# members [LIST] and leader LEADER ('*': any).
one_view() {
	local list=$1 leader=$2 id v first=""
	shift 2
	for id in "$@"; do
		v=$(last_view "$id")
		# shellcheck disable=SC2053
		[[ ${v#* } == $leader" [$list]" ]] || return 1
		[ -z "$first" ] || [ "$v" = "$first" ] || return 1
		first=$v
	done
}

views_of() {
	local id
	for id in "$@"; do printf 'peer %s at %s; ' "$id" "$(last_view "$id")"; done
}

# no_view_while_cut IDS...: the cut-off side commits nothing.
no_view_while_cut() {
	local id v
	for id in "$@"; do
		v=$(printed "$id" cut heal | grep memb_list | brief)
		[ -z "$v" ] ||
			fail "peer $id printed a view while cut off: $v"
	done
}

# left_out_quiet ID: a peer left out of the majority's view learns it
# within HEAL_T periods of the heal and then prints nothing.
left_out_quiet() {
	local id=$1 after
	if wait_periods "$HEAL_T" grep -q "removed from the group in view" \
		"$PROC_DIR/$id.log"; then
		echo "  peer $id said it was removed $WAITED_MS ms after the heal"
	else
		fail "peer $id, left out, did not say it was removed (-v) within ${HEAL_T}T of the heal"
	fi
	sleep "$(periods 5)"
	kill -0 "${PEER_PID[$id]}" 2> /dev/null || fail "peer $id exited"
	# It may print a view the other side decided while it was cut off
	# (one that still lists it, before the one that removes it): the
	# same line as a peer of that side printed. And a peer's unreachable
	# line, when a REQ removing that peer, sent while the cut held, comes
	# in after the heal (TCP retransmits it) and a view it prints later
	# leaves that peer out: the other side's decision, not its detector's.
	# Nothing else.
	local line other found all gone n=0
	all=$(printed "$id" heal)
	after=$(printf '%s\n' "$all" | while IFS= read -r line; do
		n=$((n + 1)) found=0
		case $line in
		*memb_list*)
			for other in "${!PEER_PID[@]}"; do
				[ "$other" = "$id" ] && continue
				grep -qF "${line#\{peer_id:$id, }" "$PROC_DIR/$other.log" &&
					found=1 && break
			done ;;
		*'message:"peer '*' unreachable"}')
			gone=${line#*message:\"peer }
			gone=${gone%% *}
			printf '%s\n' "$all" | tail -n +"$n" | grep memb_list |
				grep -vqE "[[,]$gone[],]" && found=1 ;;
		esac
		[ -z "$line" ] || [ "$found" = 1 ] || printf '%s\n' "$line"
	done | brief)
	[ -z "$after" ] || fail "peer $id, left out, printed after the heal: $after"
}

# split SMALL BIG: the peers of SMALL (no quorum) cut from those of BIG,
# both ways, for CUT_T periods; then heal and judge as the head says.
split() {
	local small=$1 big=$2 lead list kept="" id
	lead=${big%% *}
	list=$(echo "$big" | tr ' ' ,)
	form5 || return
	cut_sides "$small" "$big" || { fail "cannot cut"; return; }
	mark cut
	hold_cut "$CUT_T" "$list" "$lead" $big
	one_view "$list" "$lead" $big && kept=$(views_of $big)
	[ -n "$kept" ] ||
		fail "at the heal the majority side was not in one view [$list] led by $lead: $(views_of $big)"
	# Marked first: a line after the heal must not count as printed while
	# cut off (a peer may print within a millisecond of the heal).
	mark heal
	heal
	report cut heal "while cut ($CUT_T T)"
	no_view_while_cut $small
	if [[ " ${NET_ARGS:-} " == *" --rejoin "* ]]; then
		if settle $((HEAL_T + JOIN_S * 1000 / HB_MS)) \
			one_view "1,2,3,4,5" '*' 1 2 3 4 5; then
			echo "  all five in one view $WAITED_MS ms after the heal"
		else
			fail "not all five (or not still) in one view [1,2,3,4,5] within ${HEAL_T}T + ${JOIN_S}s of the heal: $(views_of 1 2 3 4 5)"
		fi
		report heal "" "after the heal"
		return
	fi
	if settle "$HEAL_T" one_view "$list" "$lead" $big; then
		echo "  majority side at $(last_view "$lead") $WAITED_MS ms after the heal"
	else
		fail "within ${HEAL_T}T of the heal the majority side is not (or not still) in one view [$list] led by $lead: $(views_of $big)"
	fi
	for id in $small; do left_out_quiet "$id"; done
	[ -z "$kept" ] || [ "$(views_of $big)" = "$kept" ] ||
		fail "the majority side did not keep its view: at the heal $kept now $(views_of $big)"
	report heal "" "after the heal"
}

leader_cut() { split "1" "2 3 4 5"; }
member_cut() { split "3" "1 2 4 5"; }
# Two and three hold the next leader: their side may try a takeover.
two_members_cut() { split "2 3" "1 4 5"; }
split_leader_small() { split "1 2" "3 4 5"; }
leader_cut_rejoin() { NET_ARGS="--rejoin" split "1" "2 3 4 5"; }

# The leader still hears member 3 (and the others), but 3 does not hear
# the leader. Peer 1 still reaches a quorum, so it stays the leader: one
# view led by 1 holds 1, 2, 4 and 5 at the end, either the full view (3
# kept, and at that view too) or [1,2,4,5] (3 left out, told, quiet).
oneway_settled() {
	one_view "1,2,3,4,5" 1 1 2 3 4 5 || one_view "1,2,4,5" 1 1 2 4 5
}

oneway_leader_member() {
	form5 || return
	cut_oneway 1 3 || { fail "cannot cut"; return; }
	mark cut
	sleep "$(periods "$CUT_T")"
	# Marked first: a line after the heal must not count as printed while
	# cut off (a peer may print within a millisecond of the heal).
	mark heal
	heal
	report cut heal "while 1 -> 3 is cut ($CUT_T T)"
	no_view_while_cut 3
	if ! settle "$HEAL_T" oneway_settled; then
		fail "within ${HEAL_T}T of the heal 1, 2, 4, 5 are not (or not still) in one view led by 1 ([1,2,3,4,5] with 3, or [1,2,4,5]): $(views_of 1 2 3 4 5)"
	elif one_view "1,2,4,5" 1 1 2 4 5; then
		echo "  3 was left out ($(last_view 1), $WAITED_MS ms after the heal)"
		left_out_quiet 3
	else
		echo "  3 was kept ($(last_view 1), $WAITED_MS ms after the heal)"
	fi
	report heal "" "after the heal"
}

# One link down: 2 and 3 cannot hear each other at all (UDP and TCP, both
# ways) for CUT_T periods, while 1, 4 and 5 hear both. Each hears of the
# other through them (heartbeats name whom their sender heard): nobody
# prints an unreachable line, the view keeps all five, and 2's status
# file lists 3 as degraded (3's lists 2) while the link is down, and
# neither once it heals. Then 5 is killed: every survivor reports it.
DEGRADED='
import json, sys
d = json.load(open(sys.argv[1]))
print(",".join(map(str, d["degraded"])))
'
degraded_is() {
	[ "$(python3 -c "$DEGRADED" "$PROC_DIR/$1.json" 2>/dev/null)" = "$2" ]
}

link_cut() {
	local id
	for id in 1 2 3 4 5; do
		printf -v "ARGS_$id" '%s' "-v --status $PROC_DIR/$id.json"
	done
	start_group 5
	await_view 10 "4 1 [1,2,3,4,5]" 1 2 3 4 5
	[ "$FAILURES" = 0 ] || return
	cut_both 2 3 || { fail "cannot cut"; return; }
	mark cut
	# 2T + A after the cut, the link is degraded for both ends.
	if wait_periods "$CUT_T" degraded_is 2 3; then
		echo "  2's status file shows 3 degraded $WAITED_MS ms after the cut"
	else
		fail "2's status file never showed 3 degraded: $(python3 -c "$DEGRADED" "$PROC_DIR/2.json" 2>&1)"
	fi
	wait_periods 5 degraded_is 3 2 ||
		fail "3's status file never showed 2 degraded"
	sleep "$(periods "$CUT_T")"
	mark heal
	heal
	report cut heal "while 2 <-> 3 is cut ($CUT_T T)"
	for id in 1 2 3 4 5; do
		n=$(printed "$id" cut heal | grep -c unreachable)
		[ "$n" = 0 ] || fail "peer $id printed $n unreachable lines while only 2 <-> 3 was cut"
		n=$(printed "$id" cut heal | grep -c memb_list)
		[ "$n" = 0 ] || fail "peer $id printed $n views while only 2 <-> 3 was cut"
	done
	wait_periods "$HEAL_T" degraded_is 2 "" ||
		fail "2's status file still shows degraded links ${HEAL_T}T after the heal"
	peer_kill 5
	mark kill
	if settle "$HEAL_T" one_view "1,2,3,4" '*' 1 2 3 4; then
		echo "  5 killed: 1..4 at $(last_view 1) $WAITED_MS ms later"
	else
		fail "5 killed: 1..4 not (or not still) in one view [1,2,3,4] within ${HEAL_T}T: $(views_of 1 2 3 4)"
	fi
	for id in 1 2 3 4; do
		[ "$(printed "$id" kill | grep -c '"peer 5 unreachable"')" -ge 1 ] ||
			fail "peer $id did not report the crash of 5"
	done
}

# Issue 10's real loss: 20% of the UDP to and from member 3 dropped for
# LOSS_S seconds. Lost heartbeats may make a detector report 3 (a false
# suspicion, and again after 3 is heard again: the judge allows a repeat
# while 3 is in the reporter's view), but no view may leave 3 out. Then
# peer 5 is killed: every survivor reports it and installs [1,2,3,4].
loss_member() {
	local id lacks n
	JUDGE_REHEARD=1
	form5 || return
	thin_udp 3 20 || { fail "cannot thin"; return; }
	mark cut
	sleep "$LOSS_S"
	thin_check 3 20
	# Marked first: a line after the heal must not count as printed while
	# cut off (a peer may print within a millisecond of the heal).
	mark heal
	heal
	report cut heal "while 20% of 3's UDP is dropped (${LOSS_S}s)"
	for id in 1 2 4 5; do
		n=$(printed "$id" cut heal | grep -c '"peer 3 unreachable"')
		echo "  peer $id reported 3 unreachable $n times"
	done
	peer_kill 5
	mark kill
	if settle "$HEAL_T" one_view "1,2,3,4" '*' 1 2 3 4; then
		echo "  5 killed: 1..4 at $(last_view 1) $WAITED_MS ms later"
	else
		fail "5 killed: 1..4 not (or not still) in one view [1,2,3,4] within ${HEAL_T}T: $(views_of 1 2 3 4)"
	fi
	for id in 1 2 3 4; do
		[ "$(printed "$id" kill | grep -c '"peer 5 unreachable"')" -ge 1 ] ||
			fail "peer $id did not report the crash of 5"
		lacks=$(printed "$id" cut | grep memb_list |
			grep -v 'memb_list: \[\(3\|.*,3\)[],]' | brief)
		[ -z "$lacks" ] || fail "peer $id printed views without 3: $lacks"
	done
	report kill "" "after 5 was killed"
}

# thin_check ID PERCENT: the loss thin_udp really made, from its counts.
# Over at least 100 datagrams a way, the share dropped must be within
# PERCENT +- 10 (about four standard deviations at 20% of 100).
thin_check() {
	local c
	read -r -a c <<< "$(thin_counts "$1")"
	echo "  dropped ${c[1]} of ${c[0]} datagrams from $1, ${c[3]} of ${c[2]} to it"
	awk -v f="${c[0]}" -v fd="${c[1]}" -v t="${c[2]}" -v td="${c[3]}" \
		-v p="$2" 'function bad(n, d) { return n >= 100 && (d * 100 < (p - 10) * n || d * 100 > (p + 10) * n) }
		BEGIN { exit !(bad(f, fd) || bad(t, td)) }' &&
		fail "thin_udp $1 $2 dropped another share: ${c[*]}"
	return 0
}

# cut_self: the mechanism alone. Peers 1 and 3 of three are cut from each
# other while 2 hears both, so neither reports anyone (docs/design.md: a
# peer is unreachable only when silent both directly and in every other
# member's reports); the UDP rules counted this run's heartbeats both ways
# (OUTPUT alone holds the cut); every rule names this run's port; heal
# empties the chain. Then runs that are stopped by TERM, by INT and by a
# failure leave no rule or chain behind.
cut_self() {
	local n how
	ARGS_1=-v ARGS_2=-v ARGS_3=-v
	start_group 3
	await_view 10 "2 1 [1,2,3]" 1 2 3
	[ "$FAILURES" = 0 ] || return
	cut_both 1 3 || { fail "cannot cut"; return; }
	n=$(cut__ipt -S "$CUT_CHAIN" | grep '^-A' | grep -vc -- "$PROC_PORT")
	[ "$n" = 0 ] || fail "$n rules do not name port $PROC_PORT"
	sleep "$(periods 10)"
	[ "$(count_lines 1 unreachable)" = 0 ] ||
		fail "1 reported a peer that 2 still hears"
	[ "$(count_lines 3 unreachable)" = 0 ] ||
		fail "3 reported a peer that 2 still hears"
	n=$(cut__ipt -L "$CUT_CHAIN" -n -v -x |
		awk '($4 == "udp" || $4 == "17") && $1 > 0' | wc -l)
	[ "$n" = 2 ] || fail "$n of the 2 UDP rules dropped anything"
	echo "  cut: 1 and 3 reported nobody (2 hears both); both UDP rules dropped heartbeats"
	heal
	[ "$(cut_rules)" = 0 ] || fail "heal left $(cut_rules) rules"
	for how in TERM INT fail; do cut_child "$how"; done
}

# cut_child HOW: a run that cuts 1 from 2 and is then ended by signal HOW
# (from timeout(1)) or fails; afterwards iptables-save names its chain
# nowhere.
cut_child() {
	local how=$1 out=$PROC_DIR/child.$1 chain left
	if [ "$how" = fail ]; then
		bash tests/proc/partitions.sh _cut_child fail > "$out" 2>&1
	else
		# Its set-up takes well under a second; then it waits for the signal.
		timeout -k 5 -s "$how" $((2 * TIMEOUT_SCALE)) \
			bash tests/proc/partitions.sh _cut_child "$how" > "$out" 2>&1
	fi
	chain=$(sed -n 's/^iptables chain //p' "$out")
	if grep -q "^$how ignored" "$out"; then
		echo "  $how: not tried, ignored on entry (a background job)"
		return
	fi
	grep -q '^cut 6 rules$' "$out" || {
		fail "child ($how) did not cut: $(cat "$out")"
		return
	}
	left=$(iptables-save | grep -c -- "$chain\b")
	[ "$left" = 0 ] || {
		fail "child ended by $how left $left lines of $chain"
		CUT_CHAIN=$chain CUT_OWNED=1 cut_teardown
	}
	echo "  ended by $how: $chain gone"
}

_cut_child() {
	cut_both 1 2 || exit 1
	echo "cut $(cut_rules) rules"
	case $1 in
	fail) exit 1 ;;
	INT) [[ $(trap -p INT) == *"exit 130"* ]] || { echo "INT ignored"; exit 0; } ;;
	esac
	sleep 60
}

name=${1:?usage: partitions.sh NAME}
declare -F "$name" > /dev/null || { echo "no scenario '$name'"; exit 2; }
if ! cut_setup; then
	echo "SKIP $name: iptables cannot be used here ($CUT_WHY)"
	exit 77
fi
"$name" "${@:2}"
check_invariants
exit $((FAILURES > 0))
