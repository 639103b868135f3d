# Judge one compose testcase from its logs alone.
#
#   awk -v tc=N [-v names="one two three four five"] -f judge.awk LOG
#
# tc=0 applies only the checks common to every run (the multi-process
# tests use it, with names "1 2 ... N" for their N peers).
#
# LOG holds the peers' output lines, in the order they were printed. Each
# line may carry the prefixes `docker compose logs` or `docker logs -t`
# add: an RFC 3339 time stamp, "name | ", or both in either order; colour
# codes and compose's own chatter ("Attaching to", "exited with code") are
# dropped, and so is the multi-process tests' marker "== restart of peer
# N" (after which N is a new life). What remains must be one of the four
# output lines of common/out.h, exactly; any other line fails the testcase.
#
# Prints each peer's timeline (times relative to the first stamped line,
# when there are stamps), the reasons for a failure if any, and then
# "PASS testcaseN" (exit 0) or "FAIL testcaseN: <first reason>" (exit 1).
#
# Checked for every testcase:
#   - every line is a well-formed output line, from a peer whose id
#     matches its container's name (the line number in the hostsfile);
#   - every peer 1..5 printed something;
#   - a peer's view ids strictly increase; a member list is sorted and
#     holds the peer itself and the leader;
#   - one view id means one member list and one leader everywhere;
#   - nothing after a peer's "crashing";
#   - "peer X unreachable" at most once per peer and X (with -v reheard=1:
#     again only while X is in the reporter's latest view), with
#     "(leader)" exactly when X is the leader the line names.
# And per testcase (the full view is view 4, [1,2,3,4,5], leader 1):
#   1  every peer ends in the full view; no crash, no failure reported;
#   2  five crashes after the full view; one..four each then print
#      "peer 5 unreachable" once and end in view 5 [1,2,3,4];
#   3  five, four, three, two crash in that order; after each crash X
#      every peer below X prints "peer X unreachable" once and then the
#      view without X (views 5..8); one ends alone in view 8 [1];
#   4  one crashes after the full view; two, three and four each print
#      "peer 1 (leader) unreachable" once, then end in one view with
#      members [2,3,4] and leader 2.

function fail(msg) {
	nfail++
	if (nfail == 1)
		first_reason = msg
	if (nfail <= 20)
		reasons[nfail] = msg
}

function strip_stamp(s) {
	if (s ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9][.0-9]*(Z|[+-][0-9][0-9]:?[0-9][0-9])? /) {
		stamp = substr(s, 1, index(s, " ") - 1)
		s = substr(s, index(s, " ") + 1)
	}
	return s
}

# Seconds since midnight of a stamp; the date is ignored.
function stamp_secs(t,    c) {
	c = substr(t, index(t, "T") + 1)
	return substr(c, 1, 2) * 3600 + substr(c, 4, 2) * 60 + (substr(c, 7) + 0)
}

function full_list(n,    i, s) {
	s = "1"
	for (i = 2; i <= n; i++)
		s = s "," i
	return s
}

# A peer's event in the form the timelines and the sequences use.
function token(p, k) {
	if (etype[p, k] == "V")
		return "view " evid[p, k] " [" elist[p, k] "] leader " eld[p, k]
	if (etype[p, k] == "C")
		return "crashing"
	return "peer " etarget[p, k] (eisleader[p, k] ? " (leader)" : "") \
		" unreachable"
}

# The events after the peer's first full view, joined by "; ", or the
# string "NOFULL" when it never saw the full view. Anything but a view
# before the full view fails.
function tail_after_full(p,    k, start, s) {
	start = 0
	for (k = 1; k <= cnt[p]; k++) {
		if (etype[p, k] == "V" && elist[p, k] == FULL) {
			start = k
			break
		}
		if (etype[p, k] != "V")
			fail("peer " p " printed \"" token(p, k) \
				"\" before the full view")
	}
	if (!start)
		return "NOFULL"
	s = ""
	for (k = start + 1; k <= cnt[p]; k++)
		s = s (s == "" ? "" : "; ") token(p, k)
	return s
}

function expect_tail(p, want,    got) {
	got = tail_after_full(p)
	if (got == "NOFULL") {
		fail("peer " p " never printed the full view [" FULL "]")
		return
	}
	if (got != want)
		fail("peer " p " after the full view printed: " \
			(got == "" ? "nothing" : got) "; expected: " \
			(want == "" ? "nothing" : want))
}

function last_view(p,    k) {
	for (k = cnt[p]; k >= 1; k--)
		if (etype[p, k] == "V")
			return k
	return 0
}

BEGIN {
	if (tc !~ /^[0-4]$/) {
		print "judge.awk: usage: awk -v tc=0..4 -f judge.awk LOG" > "/dev/stderr"
		bad_usage = 1
		exit 2
	}
	if (names == "")
		names = "one two three four five"
	npeers = split(names, nm, " ")
	for (i = 1; i <= npeers; i++)
		id_of[nm[i]] = i
	FULL = full_list(npeers)
	FULL_VIEW = 4
	VIEW_RE = "^[{]peer_id:[0-9]+, view_id: [0-9]+, leader: [0-9]+, memb_list: [[]([0-9]+(,[0-9]+)*)?[]][}]$"
	MSG_RE = "^[{]peer_id:[0-9]+, view_id: [0-9]+, leader: [0-9]+, message:\"(crashing|peer [0-9]+( [(]leader[)])? unreachable)\"[}]$"
	t0 = ""
}

{
	s = $0
	sub(/\r$/, "", s)
	gsub(/\033\[[0-9;]*[A-Za-z]/, "", s)
	stamp = ""
	name = ""
	s = strip_stamp(s)
	if (match(s, /^[A-Za-z0-9_.-]+ *\| ?/)) {
		name = substr(s, 1, RLENGTH)
		sub(/ *\| ?$/, "", name)
		s = substr(s, RLENGTH + 1)
		s = strip_stamp(s)
	} else if (s ~ /^[ \t]*$/ ||
	    s ~ /^(Attaching to|Creating|Starting|Stopping|Removing|Recreating|Network|Container|Aborting|Gracefully|Killing) / ||
	    s ~ / exited with code [0-9]+$/) {
		next
	}
	if (s ~ /^== restart of peer [0-9]+$/) {
		# The multi-process tests mark a new process with the same id:
		# a new life, whose view ids start over and whose failures are
		# reported anew.
		p = substr(s, 20) + 0
		delete lastv[p]
		delete lastl[p]
		crashed[p] = 0
		for (q = 1; q <= npeers; q++) {
			ucount[p, q] = 0
			ucount[q, p] = 0
		}
		next
	}
	nlines++
	if (s ~ VIEW_RE) {
		kind = "V"
	} else if (s ~ MSG_RE) {
		kind = (s ~ /"crashing"/) ? "C" : "U"
	} else {
		fail("stray line" (name != "" ? " from " name : "") ": " s)
		next
	}
	n = split(s, f, /[^0-9]+/)
	p = f[2] + 0
	vid = f[3] + 0
	ld = f[4] + 0
	if (p < 1 || p > npeers) {
		fail("line from an unknown peer_id " p ": " s)
		next
	}
	if (name != "" && (name in id_of) && id_of[name] != p)
		fail("container " name " printed peer_id " p)
	if (stamp != "") {
		if (t0 == "")
			t0 = stamp_secs(stamp)
		rel = stamp_secs(stamp) - t0
		if (rel < -1)
			rel += 86400
	}
	if (crashed[p])
		fail("peer " p " printed after \"crashing\": " s)
	k = ++cnt[p]
	etype[p, k] = kind
	evid[p, k] = vid
	eld[p, k] = ld
	erel[p, k] = (stamp != "") ? sprintf("%6.1fs ", rel) : ""
	if (kind == "V") {
		lst = substr(s, index(s, "[") + 1)
		lst = substr(lst, 1, index(lst, "]") - 1)
		elist[p, k] = lst
		m = split(lst, mem, ",")
		has_self = 0
		has_leader = 0
		for (i = 1; i <= m; i++) {
			if (mem[i] + 0 < 1 || mem[i] + 0 > npeers)
				fail("peer " p " view " vid " lists unknown peer " mem[i])
			if (i > 1 && mem[i] + 0 <= mem[i - 1] + 0)
				fail("peer " p " view " vid " list [" lst "] is not sorted")
			if (mem[i] + 0 == p)
				has_self = 1
			if (mem[i] + 0 == ld)
				has_leader = 1
		}
		if (!has_self)
			fail("peer " p " view " vid " [" lst "] leaves out the peer itself")
		if (!has_leader)
			fail("peer " p " view " vid " [" lst "] leaves out its leader " ld)
		if ((p in lastv) && vid <= lastv[p])
			fail("peer " p " view id went from " lastv[p] " to " vid)
		lastv[p] = vid
		lastl[p] = lst
		if (vid in vlist) {
			if (vlist[vid] != lst || vlead[vid] != ld)
				fail("view " vid ": peer " p " has [" lst "] leader " ld \
					", peer " vby[vid] " had [" vlist[vid] "] leader " \
					vlead[vid])
		} else {
			vlist[vid] = lst
			vlead[vid] = ld
			vby[vid] = p
		}
	} else if (kind == "C") {
		crashed[p] = 1
		crash_order = crash_order (crash_order == "" ? "" : " ") p
	} else {
		t = f[5] + 0
		etarget[p, k] = t
		eisleader[p, k] = (s ~ /[(]leader[)]/)
		if (t == p)
			fail("peer " p " reports itself unreachable")
		if (eisleader[p, k] && t != ld)
			fail("peer " p " calls " t " the leader but its line names leader " ld)
		if (!eisleader[p, k] && t == ld)
			fail("peer " p " reports its leader " t " without \"(leader)\"")
		# reheard=1: a peer reported and then heard again is alive again
		# for the reporter (issue 10's detector), which may report it
		# anew; honest only while it is still in the reporter's view.
		if (++ucount[p, t] >= 2 && \
		    !(reheard && index("," lastl[p] ",", "," t ",")) && \
		    !dup_failed[p, t]++)
			fail("peer " p " printed \"" token(p, k) "\" more than once")
	}
}

END {
	if (bad_usage)
		exit 2
	for (p = 1; p <= npeers; p++) {
		print "peer " p " (" nm[p] "):"
		if (!cnt[p])
			print "  (nothing)"
		for (k = 1; k <= cnt[p]; k++)
			print "  " erel[p, k] token(p, k)
	}
	if (!nlines)
		fail("no output lines at all")
	for (p = 1; p <= npeers; p++)
		if (nlines && !cnt[p])
			fail("peer " p " printed nothing")

	if (tc == 1) {
		for (p = 1; p <= npeers; p++)
			expect_tail(p, "")
		for (p = 1; p <= npeers; p++) {
			k = last_view(p)
			if (k && (evid[p, k] != FULL_VIEW || elist[p, k] != FULL))
				fail("peer " p " ends in view " evid[p, k] " [" \
					elist[p, k] "], not view " FULL_VIEW " [" FULL "]")
		}
	} else if (tc == 2) {
		for (p = 1; p < npeers; p++)
			expect_tail(p, "peer " npeers " unreachable; view " \
				(FULL_VIEW + 1) " [" full_list(npeers - 1) "] leader 1")
		expect_tail(npeers, "crashing")
	} else if (tc == 3) {
		want_order = ""
		for (x = npeers; x >= 2; x--)
			want_order = want_order (want_order == "" ? "" : " ") x
		if (crash_order != want_order)
			fail("crashes in the order [" crash_order "], expected [" \
				want_order "]")
		for (p = 1; p <= npeers; p++) {
			want = ""
			for (x = npeers; x > p; x--)
				want = want (want == "" ? "" : "; ") "peer " x \
					" unreachable; view " (FULL_VIEW + npeers + 1 - x) \
					" [" full_list(x - 1) "] leader 1"
			if (p >= 2)
				want = want (want == "" ? "" : "; ") "crashing"
			expect_tail(p, want)
		}
	} else if (tc == 4) {
		expect_tail(1, "crashing")
		if (crash_order != "1")
			fail("crashes: [" crash_order "], expected [1] only")
		final = ""
		for (p = 2; p < npeers; p++) {
			if (tail_after_full(p) == "NOFULL")
				fail("peer " p " never printed the full view [" FULL "]")
			seen_u = 0
			for (k = 1; k <= cnt[p]; k++)
				if (etype[p, k] == "U" && etarget[p, k] == 1)
					seen_u = k
			if (!seen_u || !eisleader[p, seen_u])
				fail("peer " p " never printed \"peer 1 (leader) unreachable\"")
			k = last_view(p)
			if (!k || elist[p, k] != "2,3,4" || eld[p, k] != 2) {
				fail("peer " p " ends in " (k ? "view " evid[p, k] " [" \
					elist[p, k] "] leader " eld[p, k] : "no view") \
					", not [2,3,4] leader 2")
			} else if (seen_u > k) {
				fail("peer " p " printed the leader unreachable after its last view")
			}
			if (k) {
				if (final == "")
					final = evid[p, k]
				else if (evid[p, k] != final)
					fail("peers two..four end in different views (" \
						final " and " evid[p, k] ")")
			}
		}
	}

	if (nfail) {
		for (i = 1; i <= nfail && i <= 20; i++)
			print "why: " reasons[i]
		if (nfail > 20)
			print "why: ... and " (nfail - 20) " more"
		print "FAIL testcase" tc ": " first_reason
		exit 1
	}
	print "PASS testcase" tc
	exit 0
}
