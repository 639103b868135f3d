# Real network faults for the multi-process tests: iptables rules that cut
# or thin the traffic among this run's peers on 127.0.0.x, and nothing
# else. Sourced after lib.sh; lib.sh's proc_cleanup (the one EXIT trap,
# reached on HUP, INT and TERM too) calls cut_teardown, so the rules go
# even when a scenario fails, times out or is interrupted.
#
# Scope. Every rule sits in a chain of this run's own, rollcall-net-PORT,
# hooked into OUTPUT. Loopback traffic passes OUTPUT once, on its way out,
# and a packet dropped there never reaches INPUT, so no INPUT hook is
# needed (the cut_self scenario checks that a cut holds with this hook
# alone). Each rule names the peers' addresses and this run's port:
#   - UDP by source and destination port both: a peer sends its
#     heartbeats from its bound socket, so both are PROC_PORT;
#   - TCP by the port the connection was opened to (conntrack's original
#     destination port). That is PROC_PORT both for the connections FROM
#     opens to TO and for FROM's replies on the ones TO opened, and never
#     for another run's connection whose ephemeral port happens to equal
#     this run's port (plain --sport/--dport matches could hit those);
#   - a TCP packet conntrack calls INVALID has no original tuple, so a
#     third rule drops those by either port: a cut never leaks.
#
# cut_setup fails (CUT_WHY says why) where iptables cannot be used: not
# root, no iptables, no netfilter, no conntrack or statistic match. The
# scenarios then skip (exit 77) rather than fail.

CUT_CHAIN=${CUT_CHAIN:-rollcall-net-${PROC_PORT:-0}}
CUT_WHY=""
CUT_OWNED=0

cut__ipt() { iptables -w "$@"; }

# cut_setup: make this run's chain and hook it into OUTPUT, or return 1.
cut_setup() {
	local p=${PROC_PORT:?cut.sh needs lib.sh first} err
	if [ "$(id -u)" != 0 ]; then
		CUT_WHY="not root"
		return 1
	fi
	if ! command -v iptables > /dev/null; then
		CUT_WHY="no iptables (tests/deps.sh installs it)"
		return 1
	fi
	# A chain left by a killed run on the same port is taken over.
	if ! err=$(cut__ipt -N "$CUT_CHAIN" 2>&1) &&
		! cut__ipt -F "$CUT_CHAIN" 2> /dev/null; then
		CUT_WHY="iptables cannot make a chain: $err"
		return 1
	fi
	CUT_OWNED=1
	# Named at once, so tests/proc/run.sh can check it is gone afterwards.
	echo "iptables chain $CUT_CHAIN"
	if ! cut__ipt -C OUTPUT -j "$CUT_CHAIN" 2> /dev/null &&
		! err=$(cut__ipt -I OUTPUT 1 -j "$CUT_CHAIN" 2>&1); then
		CUT_WHY="iptables cannot hook OUTPUT: $err"
		return 1
	fi
	# The matches the helpers use, tried on an address no peer has.
	if ! err=$({ cut__ipt -A "$CUT_CHAIN" -s 127.0.0.254 -p tcp \
		-m conntrack --ctorigdstport "$p" -j DROP &&
		cut__ipt -A "$CUT_CHAIN" -s 127.0.0.254 -p tcp \
			-m conntrack --ctstate INVALID -m multiport --ports "$p" \
			-j DROP &&
		cut__ipt -A "$CUT_CHAIN" -s 127.0.0.254 -p udp \
			-m statistic --mode random --probability 0.5 -j DROP; } 2>&1)
	then
		CUT_WHY="iptables lacks a match these tests use: $err"
		return 1
	fi
	cut__ipt -F "$CUT_CHAIN"
}

# cut_teardown: unhook and delete the chain. Quiet, and safe to repeat.
cut_teardown() {
	local i
	[ "$CUT_OWNED" = 1 ] || return 0
	for i in 1 2 3 4 5 6 7 8; do
		cut__ipt -D OUTPUT -j "$CUT_CHAIN" 2> /dev/null || break
	done
	cut__ipt -F "$CUT_CHAIN" 2> /dev/null
	cut__ipt -X "$CUT_CHAIN" 2> /dev/null
	CUT_OWNED=0
}

# cut_oneway FROM TO: drop everything peer FROM sends peer TO.
cut_oneway() {
	local s=127.0.0.$1 d=127.0.0.$2 p=$PROC_PORT
	cut__ipt -A "$CUT_CHAIN" -s "$s" -d "$d" -p udp --sport "$p" \
		--dport "$p" -j DROP &&
		cut__ipt -A "$CUT_CHAIN" -s "$s" -d "$d" -p tcp \
			-m conntrack --ctorigdstport "$p" -j DROP &&
		cut__ipt -A "$CUT_CHAIN" -s "$s" -d "$d" -p tcp \
			-m conntrack --ctstate INVALID -m multiport --ports "$p" \
			-j DROP
}

# cut_both A B: A and B no longer hear each other.
cut_both() { cut_oneway "$1" "$2" && cut_oneway "$2" "$1"; }

# cut_sides "A..." "B...": every peer of one side cut from every peer of
# the other, both ways; each side still hears itself.
cut_sides() {
	local a b
	for a in $1; do
		for b in $2; do cut_both "$a" "$b" || return 1; done
	done
}

# thin_udp ID PERCENT: drop, at random, PERCENT of the UDP peer ID sends
# and of the UDP sent to it (each datagram passes one of the two drop
# rules). Two rules without a target ahead of them count every datagram,
# so thin_counts can say what was really dropped.
thin_udp() {
	local a=127.0.0.$1 prob udp=(-p udp --sport "$PROC_PORT" --dport "$PROC_PORT")
	local drop=(-m statistic --mode random --probability)
	prob=$(awk "BEGIN{print $2/100}")
	cut__ipt -A "$CUT_CHAIN" -s "$a" "${udp[@]}" &&
		cut__ipt -A "$CUT_CHAIN" -d "$a" "${udp[@]}" &&
		cut__ipt -A "$CUT_CHAIN" -s "$a" "${udp[@]}" "${drop[@]}" "$prob" \
			-j DROP &&
		cut__ipt -A "$CUT_CHAIN" -d "$a" "${udp[@]}" "${drop[@]}" "$prob" \
			-j DROP
}

# thin_counts ID: "FROM_ALL FROM_DROPPED TO_ALL TO_DROPPED", the
# datagrams from and to peer ID that thin_udp's rules saw and dropped.
thin_counts() {
	cut__ipt -S "$CUT_CHAIN" -v | awk -v a="127.0.0.$1/32" '
		/^-A/ {
			for (i = 1; i < NF; i++) {
				if ($i == "-c") n = $(i + 1)
				if ($i == "-s" || $i == "-d") { dir = $i; addr = $(i + 1) }
			}
			if (addr != a) next
			k = dir (/statistic/ ? "x" : "")
			c[k] += n
		}
		END { print c["-s"] + 0, c["-sx"] + 0, c["-d"] + 0, c["-dx"] + 0 }'
}

# heal: remove every rule this run added (the chain stays until exit).
heal() { cut__ipt -F "$CUT_CHAIN"; }

# The number of rules in this run's chain.
cut_rules() { cut__ipt -S "$CUT_CHAIN" 2> /dev/null | grep -c '^-A'; }
