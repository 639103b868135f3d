#!/usr/bin/env python3
"""Judge a replicated-bank run from its merged, time-ordered log.

    tests/bank/judge.py LOG --commands N --clients K [--killed NAME]

LOG holds "STAMP NAME | LINE" lines (tests/compose/stamp.awk), or
"NAME | LINE". A replica's lines are the JSON lines with "replica"; a
client's summary is its JSON line with "client" and "rtt_ms". The
verdict, the last line printed, is "PASS ..." (exit 0) or "FAIL ...: the
first reason" (exit 1):

- one replica never shows two different contents for one slot (a
  restarted replica may print a slot again, identically);
- the replicas agree slot by slot on every slot two of them applied;
- no replica applies one (client, seq) twice;
- every replica still running (all but --killed) applied exactly N x K
  client commands, and the same number of slots;
- every client's summary says commands == ok == N.

With --killed, the failover is split from the log's own stamps: the kill
(a "script | killed NAME" line), the detector (the first "(leader)
unreachable" line), the new view naming a leader, its phase 1, and the
first slot it decided.
"""
import argparse
import json
import re
import sys
from datetime import datetime

LINE = re.compile(r'^(?:(\S+) )?(\S+) \| (.*)$')


def stamp(s):
    if s is None:
        return None
    m = re.match(r'(\d+-\d+-\d+T\d+:\d+:\d+)\.(\d+)Z', s)
    if not m:
        return None
    t = datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S')
    return t.timestamp() + float('0.' + m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('log')
    ap.add_argument('--commands', type=int, required=True)
    ap.add_argument('--clients', type=int, required=True)
    ap.add_argument('--killed', default='')
    ap.add_argument('--summaries-any', action='store_true',
                    help='clients of any size: each all ok (N x K is the '
                    'replicas\' total only)')
    a = ap.parse_args()

    slots = {}       # replica name -> {slot: line content}
    applied = {}     # replica name -> {(client, seq): slot}
    summaries = {}
    fails = []
    events = []      # (time, name, text) of the failover's markers

    def fail(msg):
        fails.append(msg)

    with open(a.log, errors='replace') as f:
        for raw in f:
            m = LINE.match(raw.rstrip('\n'))
            if not m:
                continue
            t, name, text = stamp(m.group(1)), m.group(2), m.group(3)
            if text.startswith('{"replica"'):
                try:
                    j = json.loads(text)
                except ValueError:
                    fail('%s: a line that is not JSON: %s' % (name, text))
                    continue
                s = j['slot']
                content = dict(j)
                del content['replica']
                mine = slots.setdefault(name, {})
                if s in mine and mine[s] != content:
                    fail('%s shows slot %d twice, differently' % (name, s))
                mine[s] = content
                if j['op'] != 'noop':
                    key = (j['client'], j['seq'])
                    seen = applied.setdefault(name, {})
                    if key in seen and seen[key] != s:
                        fail('%s applied %s seq %d twice (slots %d, %d)'
                             % (name, key[0], key[1], seen[key], s))
                    seen[key] = s
            elif text.startswith('{"client"') and '"rtt_ms"' in text:
                try:
                    summaries[name] = json.loads(text)
                except ValueError:
                    fail('%s: a summary that is not JSON' % name)
            elif name == 'script' and text.startswith('killed '):
                events.append((t, name, 'kill'))
            elif '(leader) unreachable' in text:
                events.append((t, name, 'detected'))
            elif 'names me leader' in text:
                events.append((t, name, 'view'))
            elif 'first slot decided' in text:
                events.append((t, name, text))

    replicas = sorted(slots)
    running = [r for r in replicas if r != a.killed]
    want = a.commands * a.clients
    for r in replicas:
        cmds = sum(1 for c in slots[r].values() if c['op'] != 'noop')
        noops = len(slots[r]) - cmds
        top = max(slots[r]) + 1 if slots[r] else 0
        print('%s: %d slots (0..%d), %d client commands, %d no-ops%s'
              % (r, len(slots[r]), top - 1, cmds, noops,
                 ' (killed)' if r == a.killed else ''))
        if len(slots[r]) != top:
            fail('%s skipped slots: %d shown below %d' % (r, len(slots[r]),
                                                          top))
        if r in running and cmds != want:
            fail('%s applied %d client commands, not %d' % (r, cmds, want))
    for i, r in enumerate(replicas):
        for q in replicas[i + 1:]:
            for s in set(slots[r]) & set(slots[q]):
                if slots[r][s] != slots[q][s]:
                    fail('%s and %s differ at slot %d' % (r, q, s))
                    break
    if len({len(slots[r]) for r in running}) > 1:
        fail('the running replicas applied different numbers of slots')
    if len(running) < 2 and not replicas:
        fail('no replica printed a slot')

    for name in sorted(summaries):
        s = summaries[name]
        r = s['rtt_ms']
        print('%s: %d commands, %d ok; rtt ms mean %.2f min %.2f median '
              '%.2f p99 %.2f max %.2f stddev %.2f'
              % (name, s['commands'], s['ok'], r['mean'], r['min'],
                 r['median'], r['p99'], r['max'], r['stddev']))
        n = s['commands'] if a.summaries_any else a.commands
        if s['commands'] != n or s['ok'] != n:
            fail('%s: %d of %d commands ok' % (name, s['ok'], n))
    if len(summaries) != a.clients and not a.summaries_any:
        fail('%d client summaries, not %d' % (len(summaries), a.clients))

    if a.killed:
        kill = next((t for t, n, e in events if e == 'kill'), None)
        det = next((t for t, n, e in events
                    if e == 'detected' and kill and t >= kill), None)
        view = next((t for t, n, e in events
                     if e == 'view' and det and t >= det), None)
        first = next(((t, e) for t, n, e in events
                      if e.startswith('bank[') and view and t >= view), None)
        if None in (kill, det, view, first):
            fail('the failover is not all in the log (kill %s, detected %s,'
                 ' view %s, first decided %s)' % (kill, det, view, first))
        else:
            m = re.search(r'decided (\d+) ms after the view \(phase 1 '
                          r'took (\d+) ms\)', first[1])
            after, p1 = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
            print('failover: %.0f ms from "docker kill" to the first slot '
                  'decided (the kill itself takes some of it)'
                  % ((det - kill) * 1000 + (view - det) * 1000 + after))
            print('  detector (kill to "leader unreachable"): %.0f ms'
                  % ((det - kill) * 1000))
            print('  view change (to the view naming the new leader): '
                  '%.0f ms' % ((view - det) * 1000))
            print('  new leader (its own clock): phase 1 %d ms, first slot '
                  'decided %d ms after the view' % (p1, after))
            worst = max((s['rtt_ms']['max'] for s in summaries.values()),
                        default=0)
            print('  the client saw it as its longest round trip: %.0f ms'
                  % worst)
    if fails:
        print('FAIL %s' % fails[0])
        return 1
    print('PASS: %d replicas agree slot by slot; %d client commands each, '
          'none twice' % (len(replicas), want))
    return 0


if __name__ == '__main__':
    sys.exit(main())
