#!/usr/bin/env python3
"""Judge a Paxos lab run from its merged log.

    judge.py --hosts HOSTSFILE [--tc N] [--expect V] [--dead 3,4] LOG

LOG holds lines "STAMP NAME | LINE" (or "NAME | LINE"), time ordered, as
tests/compose/stamp.awk writes them for docker logs, and as
tests/paxos/proc.sh writes them for processes; NAME ends in the printing
peer's id (peer3). One NAME is one life of a peer: a restarted peer's
lines go under another name with the same id (r1-peer3), and the checks
of one process (order, chose once) are per life. Every LINE must be one JSON object with the handout's
fields in order: peer_id, action, message_type, message_value,
proposal_num (a number). Then, from the hostsfile's roles:

- lines: peer_id is the printer on sent and chose lines and another peer
  on received ones; a prepare or accept names its sender's own proposal
  number (proposal_num % 65536 is the sender's id);
- messages: every received line matches a sent line by that sender (same
  type, value and number), no more often than it was sent;
- order, as each peer printed it: an acceptor answers a prepare or accept
  only after receiving it; a proposer sends accept only after prepare_acks
  from a majority of its acceptors at that number, and chooses only after
  accept_acks from a majority; a proposer's accept carries a value one
  of its prepare_acks at that number reported, when any reported one; an
  acceptor or learner prints chose only after receiving chose;
- safety: one value per proposal number, and one value chosen by all;
  each peer prints chose at most once;
- liveness: every peer that takes part (a proposer's acceptors and
  learners, the proposers) and is not --dead chose, learners excepted
  (nothing or chose);
- --expect V: the value chosen is V, and no chose line ever shows another;
- --tc 2 (the lab's testcase 2): peer 5's first prepare comes after peer
  3's accept_ack to peer 1, peer 5 sends accept with X only, and never
  does an accept, accept_ack or chose line show Y.

Prints each peer's line count and what it chose, then "PASS NAME" (exit 0)
or "FAIL NAME: reason" (exit 1). NAME is paxos-testcaseN (or --name).
"""

import argparse
import json
import re
import sys

FIELDS = ["peer_id", "action", "message_type", "message_value",
          "proposal_num"]
ACTIONS = {"sent", "received", "chose"}
TYPES = {"prepare", "prepare_ack", "accept", "accept_ack", "chose"}
ROLE_RE = re.compile(r"^(proposer|acceptor|learner)([1-9][0-9]*)$")


class Fail(Exception):
    pass


def load_roles(path):
    """{peer id: {(kind, K)}} from a hostsfile in the roles form."""
    roles = {}
    peer = 0
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            peer += 1
            host, _, rest = line.rpartition(":")
            if not host:
                raise Fail("hostsfile %s: line without a role: %r"
                           % (path, line))
            got = set()
            for r in rest.split(","):
                m = ROLE_RE.match(r.strip())
                if not m:
                    raise Fail("hostsfile %s: unknown role %r" % (path, r))
                got.add((m.group(1), int(m.group(2))))
            roles[peer] = got
    return roles


def parse_log(path):
    """[(stamp, printer id, object, text)], in the file's order."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            raw = raw.rstrip("\n")
            if not raw.strip():
                continue
            head, sep, text = raw.partition(" | ")
            if not sep:
                raise Fail("line %d: not 'NAME | LINE': %r" % (n, raw[:80]))
            words = head.split()
            name = words[-1]
            stamp = words[0] if len(words) > 1 else ""
            m = re.search(r"([0-9]+)$", name)
            if not m:
                raise Fail("line %d: name %r has no peer id" % (n, name))
            printer = int(m.group(1))
            try:
                obj = json.loads(text, object_pairs_hook=list)
            except ValueError as e:
                raise Fail("line %d (%s): not JSON (%s): %r"
                           % (n, name, e, text[:80]))
            if not isinstance(obj, list) or [k for k, _ in obj] != FIELDS:
                raise Fail("line %d (%s): fields are not %s in that order: "
                           "%r" % (n, name, ", ".join(FIELDS), text[:80]))
            o = dict(obj)
            if (not isinstance(o["peer_id"], int) or
                    isinstance(o["peer_id"], bool) or o["peer_id"] < 1):
                raise Fail("line %d (%s): peer_id is not a peer id"
                           % (n, name))
            if o["action"] not in ACTIONS:
                raise Fail("line %d (%s): unknown action %r"
                           % (n, name, o["action"]))
            if o["message_type"] not in TYPES:
                raise Fail("line %d (%s): unknown message_type %r"
                           % (n, name, o["message_type"]))
            if not isinstance(o["message_value"], str):
                raise Fail("line %d (%s): message_value is not a string"
                           % (n, name))
            num = o["proposal_num"]
            if not isinstance(num, int) or isinstance(num, bool) or num < 1:
                raise Fail("line %d (%s): proposal_num is not a positive "
                           "JSON number" % (n, name))
            out.append((stamp, printer, o, n, name))
    return out


def proposers_of(roles):
    """{K: proposer peer id}."""
    return {k: p for p, rs in roles.items() for (kind, k) in rs
            if kind == "proposer"}


def acceptors_of(roles, k):
    return {p for p, rs in roles.items() if ("acceptor", k) in rs}


def learners_of(roles, k):
    return {p for p, rs in roles.items() if ("learner", k) in rs}


def check_lines(lines):
    for _, printer, o, n, _ in lines:
        a, t = o["action"], o["message_type"]
        if a in ("sent", "chose") and o["peer_id"] != printer:
            raise Fail("line %d: peer %d printed %s with peer_id %d (the "
                       "sender's or chooser's own id)"
                       % (n, printer, a, o["peer_id"]))
        if a == "received" and o["peer_id"] == printer:
            raise Fail("line %d: peer %d received from itself" % (n, printer))
        if a == "chose" and t != "chose":
            raise Fail("line %d: action chose with type %s" % (n, t))
        if t in ("prepare", "accept") and \
                o["proposal_num"] % 65536 != o["peer_id"]:
            raise Fail("line %d: %s %d is not peer %d's proposal number"
                       % (n, t, o["proposal_num"], o["peer_id"]))


def key(o):
    return (o["peer_id"], o["message_type"], o["message_value"],
            o["proposal_num"])


def check_matching(lines):
    sent, received = {}, {}
    for _, printer, o, n, _ in lines:
        if o["action"] == "sent":
            sent[key(o)] = sent.get(key(o), 0) + 1
        elif o["action"] == "received":
            received.setdefault(key(o), []).append(n)
    for k, ns in received.items():
        if len(ns) > sent.get(k, 0):
            raise Fail("line %d: received %s %r %d from peer %d, which sent "
                       "it %d times, received %d times"
                       % (ns[-1], k[1], k[2], k[3], k[0], sent.get(k, 0),
                          len(ns)))


def check_values(lines):
    """One value per proposal number (prepares and prepare_acks aside)."""
    value = {}
    for _, _, o, n, _ in lines:
        if o["message_type"] in ("accept", "accept_ack", "chose"):
            v = value.setdefault(o["proposal_num"], (o["message_value"], n))
            if v[0] != o["message_value"]:
                raise Fail("line %d: proposal %d carries %r, but line %d "
                           "carried %r" % (n, o["proposal_num"],
                                           o["message_value"], v[1], v[0]))


def lives(lines, peer):
    """The names (lives) under which peer printed, in order."""
    names = []
    for _, printer, _, _, name in lines:
        if printer == peer and name not in names:
            names.append(name)
    return names


def check_acceptor_order(lines, life):
    got = set()
    for _, peer, o, n, name in lines:
        if name != life:
            continue
        t, num = o["message_type"], o["proposal_num"]
        if o["action"] == "received" and t in ("prepare", "accept"):
            got.add((t, num))
        if o["action"] == "sent" and t in ("prepare_ack", "accept_ack"):
            asked = "prepare" if t == "prepare_ack" else "accept"
            if (asked, num) not in got:
                raise Fail("line %d: peer %d sent %s %d before receiving "
                           "%s %d" % (n, peer, t, num, asked, num))


def check_proposer_order(lines, life, acceptors):
    promised, voted = {}, {}
    majority = len(acceptors) // 2 + 1
    for _, peer, o, n, name in lines:
        if name != life:
            continue
        t, num, a = o["message_type"], o["proposal_num"], o["action"]
        if a == "received" and t == "prepare_ack":
            if o["peer_id"] in acceptors:
                promised.setdefault(num, set()).add(o["peer_id"])
        elif a == "received" and t == "accept_ack":
            if o["peer_id"] in acceptors:
                voted.setdefault(num, set()).add(o["peer_id"])
        elif a == "sent" and t == "accept":
            if len(promised.get(num, ())) < majority:
                raise Fail("line %d: peer %d sent accept %d after "
                           "prepare_acks from %d of its %d acceptors"
                           % (n, peer, num, len(promised.get(num, ())),
                              len(acceptors)))
        elif a == "chose":
            if len(voted.get(num, ())) < majority:
                raise Fail("line %d: peer %d chose at %d after accept_acks "
                           "from %d of its %d acceptors"
                           % (n, peer, num, len(voted.get(num, ())),
                              len(acceptors)))
    return promised


def check_chose(lines, roles, dead, expect):
    chose, lives_chose = {}, set()
    for _, printer, o, n, name in lines:
        if o["action"] != "chose":
            continue
        if name in lives_chose:
            raise Fail("line %d: peer %d printed chose twice" % (n, printer))
        lives_chose.add(name)
        chose[printer] = o["message_value"]
        if expect is not None and o["message_value"] != expect:
            raise Fail("line %d: peer %d chose %r, not %r"
                       % (n, printer, o["message_value"], expect))
    values = set(chose.values())
    if len(values) > 1:
        raise Fail("peers chose different values: %s"
                   % ", ".join("peer %d %r" % kv for kv in sorted(chose.items())))
    must = set()
    for k, p in proposers_of(roles).items():
        ran = any(pr == p for _, pr, _, _, _ in lines)
        if not ran:
            continue
        must |= {p} | acceptors_of(roles, k)
    must -= set(dead)
    missing = sorted(must - set(chose))
    if missing:
        raise Fail("peer%s %s took part but never chose"
                   % ("s" if len(missing) > 1 else "",
                      ", ".join(map(str, missing))))
    if not values:
        raise Fail("nothing was chosen")
    return chose, values.pop()


def check_received_chose(lines, roles):
    """A non-proposer prints chose only after receiving chose."""
    props = set(proposers_of(roles).values())
    seen = set()
    for _, printer, o, n, name in lines:
        if o["action"] == "received" and o["message_type"] == "chose":
            seen.add(name)
        if o["action"] == "chose" and printer not in props and \
                name not in seen:
            raise Fail("line %d: peer %d chose before receiving chose"
                       % (n, printer))


def check_adopted(lines, life):
    """The accept carries a value a promise reported, when any did."""
    reports = {}
    for _, peer, o, n, name in lines:
        if name != life:
            continue
        t, num = o["message_type"], o["proposal_num"]
        if o["action"] == "received" and t == "prepare_ack" and \
                o["message_value"] != "":
            reports.setdefault(num, []).append(o["message_value"])
        if o["action"] == "sent" and t == "accept" and reports.get(num):
            if o["message_value"] not in reports[num]:
                raise Fail("line %d: peer %d proposed %r at %d though the "
                           "promises reported %s" % (n, peer,
                                                     o["message_value"], num,
                                                     sorted(set(reports[num]))))


def check_tc2(lines):
    ack3 = None
    for i, (_, printer, o, n, _) in enumerate(lines):
        if printer == 3 and o["action"] == "sent" and \
                o["message_type"] == "accept_ack" and \
                o["proposal_num"] % 65536 == 1 and ack3 is None:
            ack3 = i
        if printer == 5 and o["action"] == "sent" and \
                o["message_type"] == "prepare":
            if ack3 is None:
                raise Fail("line %d: peer 5 prepared before peer 3's "
                           "accept_ack to peer 1" % n)
            break
    else:
        raise Fail("peer 5 never sent prepare")
    for _, printer, o, n, _ in lines:
        if o["message_value"] == "Y" and \
                o["message_type"] in ("accept", "accept_ack", "chose"):
            raise Fail("line %d: %s with Y (peer %d)"
                       % (n, o["message_type"], printer))
    if not any(p == 5 and o["action"] == "sent" and
               o["message_type"] == "accept" for _, p, o, _, _ in lines):
        raise Fail("peer 5 never sent accept (it should propose X)")


def judge(args):
    roles = load_roles(args.hosts)
    lines = parse_log(args.log)
    if not lines:
        raise Fail("no output lines")
    for _, printer, _, n, _ in lines:
        if printer not in roles:
            raise Fail("line %d: peer %d is not in %s" % (n, printer,
                                                          args.hosts))
    check_lines(lines)
    check_matching(lines)
    check_values(lines)
    for peer, rs in roles.items():
        if any(kind == "acceptor" for kind, _ in rs):
            for life in lives(lines, peer):
                check_acceptor_order(lines, life)
    for k, p in proposers_of(roles).items():
        for life in lives(lines, p):
            check_proposer_order(lines, life, acceptors_of(roles, k))
            check_adopted(lines, life)
    check_received_chose(lines, roles)
    chose, value = check_chose(lines, roles, args.dead, args.expect)
    if args.tc == 2:
        check_tc2(lines)
    for peer in sorted(roles):
        n = sum(1 for _, p, _, _, _ in lines if p == peer)
        print("peer %d: %d lines, %s" % (
            peer, n, ("chose %r" % chose[peer]) if peer in chose
            else "chose nothing"))
    return "%d lines, %d peers chose %r" % (len(lines), len(chose), value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--tc", type=int, default=0)
    ap.add_argument("--expect")
    ap.add_argument("--dead", default="")
    ap.add_argument("--name")
    ap.add_argument("log")
    args = ap.parse_args()
    args.dead = [int(x) for x in args.dead.split(",") if x]
    name = args.name or ("paxos-testcase%d" % args.tc)
    try:
        what = judge(args)
    except (Fail, OSError) as e:
        print("FAIL %s: %s" % (name, e))
        return 1
    print("PASS %s: %s" % (name, what))
    return 0


if __name__ == "__main__":
    sys.exit(main())
