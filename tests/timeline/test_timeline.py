"""Tests of tools/timeline: the line forms it reads, the spans and marks it
computes for the canned testcase 4 log, the order axis of a log without
stamps, and a non-empty picture for every canned compose log and for a
multi-process test's folder.

    /usr/bin/python3 -m unittest discover -s tests/timeline
"""

import importlib.machinery
import importlib.util
import os
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LOGS = os.path.join(ROOT, "tests", "compose", "logs")


def load_tool():
    path = os.path.join(ROOT, "tools", "timeline")
    loader = importlib.machinery.SourceFileLoader("timeline", path)
    spec = importlib.util.spec_from_loader("timeline", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


tl = load_tool()
VIEW = "{peer_id:2, view_id: 4, leader: 1, memb_list: [1,2,3,4,5]}"


class LineForms(unittest.TestCase):
    def test_forms(self):
        st = "2026-12-01T10:00:02.123456789Z"
        cases = {
            # docker compose logs -t (v2), and v1 with its _1 suffix
            "two    | %s %s" % (st, VIEW): (st, "two"),
            "two_1  | %s %s" % (st, VIEW): (st, "two_1"),
            # tests/compose/run.sh, with colour codes and CRLF
            "%s \x1b[36mtwo |\x1b[0m %s\r\n" % (st, VIEW): (st, "two"),
            # the multi-process tests' own logs
            "%s %s" % (st, VIEW): (st, None),
            # docker-compose logs without -t
            "two   | %s" % VIEW: (None, "two"),
            VIEW: (None, None),
        }
        for line, (stamp, name) in cases.items():
            self.assertEqual(tl.split_line(line), (stamp, name, VIEW), line)

    def test_names(self):
        for raw in ("two", "two_1", "rollcall_two_1", "rollcall-two-1"):
            self.assertEqual(tl.short_name(raw), "two")

    def test_stamps(self):
        a = tl.stamp_seconds("2026-12-01T10:00:02.5Z")
        self.assertAlmostEqual(tl.stamp_seconds("2026-12-01T10:00:02.500000001Z"), a)
        self.assertAlmostEqual(tl.stamp_seconds("2026-12-01T11:00:02.5+01:00"), a)

    def test_other_lines_skipped(self):
        ev = tl.parse_lines(["Attaching to one, two", "rollcall[2]: listening",
                             "two exited with code 0", VIEW])
        self.assertEqual([e.kind for e in ev], ["view"])


class Testcase4Spans(unittest.TestCase):
    """tc4-good.log: t = 0 at 10:00:00.512; the log ends at 10.122 s and
    the axis half a second later."""

    @classmethod
    def setUpClass(cls):
        cls.t = tl.compute(tl.read_inputs([os.path.join(LOGS,
                                                        "tc4-good.log")]))

    def spans(self, peer):
        return [(s.view, s.leader, s.members, round(s.start, 3),
                 round(s.end, 3))
                for s in self.t.spans if s.peer == peer]

    def test_axis(self):
        self.assertTrue(self.t.timed)
        self.assertEqual(self.t.peers, [1, 2, 3, 4, 5])
        self.assertEqual(self.t.names, {1: "one", 2: "two", 3: "three",
                                        4: "four", 5: "five"})
        self.assertAlmostEqual(self.t.end, 10.122 + 0.5061, places=6)

    def test_leader_spans_end_at_its_crash(self):
        self.assertEqual(self.spans(1), [
            (0, 1, (1,), 0.0, 2.018),
            (1, 1, (1, 2), 2.018, 4.029),
            (2, 1, (1, 2, 3), 4.029, 6.039),
            (3, 1, (1, 2, 3, 4), 6.039, 8.049),
            (4, 1, (1, 2, 3, 4, 5), 8.049, 8.089),
        ])

    def test_survivor_spans(self):
        end = round(self.t.end, 3)
        self.assertEqual(self.spans(2), [
            (1, 1, (1, 2), 2.019, 4.03),
            (2, 1, (1, 2, 3), 4.03, 6.04),
            (3, 1, (1, 2, 3, 4), 6.04, 8.05),
            (4, 1, (1, 2, 3, 4, 5), 8.05, 10.11),
            (5, 2, (2, 3, 4, 5), 10.11, 10.12),
            (6, 2, (2, 3, 4), 10.12, end),
        ])
        # Five is removed in view 6: its last view lasts to the end.
        self.assertEqual(self.spans(5), [
            (4, 1, (1, 2, 3, 4, 5), 8.053, 10.113),
            (5, 2, (2, 3, 4, 5), 10.113, end),
        ])

    def test_marks(self):
        marks = sorted((m.peer, m.kind, round(m.t, 3), m.target,
                        m.target_is_leader) for m in self.t.marks)
        self.assertEqual(marks, [
            (1, "crashing", 8.089, None, False),
            (2, "unreachable", 10.1, 1, True),
            (3, "unreachable", 10.101, 1, True),
            (4, "unreachable", 10.102, 1, True),
            (5, "unreachable", 10.103, 1, True),
        ])


class NoStamps(unittest.TestCase):
    def test_order_is_the_axis(self):
        t = tl.compute(tl.read_inputs([os.path.join(LOGS,
                                                    "tc1-good-grouped.log")]))
        self.assertFalse(t.timed)
        # 15 view lines in the order printed; five's is the last.
        self.assertEqual([(s.view, s.start, s.end)
                          for s in t.spans if s.peer == 5],
                         [(4, 14.0, 15.0)])
        self.assertEqual(len(t.spans), 15)


class Pictures(unittest.TestCase):
    def draw(self, args, out):
        self.assertEqual(tl.main(args + ["-o", out]), 0)
        with open(out, "rb") as f:
            head = f.read(8)
        self.assertGreater(os.path.getsize(out), 10000)
        return head

    def test_every_canned_log(self):
        with tempfile.TemporaryDirectory() as d:
            for name in sorted(os.listdir(LOGS)):
                out = os.path.join(d, name + ".png")
                head = self.draw([os.path.join(LOGS, name)], out)
                self.assertEqual(head, b"\x89PNG\r\n\x1a\n", name)
            svg = os.path.join(d, "tc3.svg")
            self.draw([os.path.join(LOGS, "tc3-good.log")], svg)
            with open(svg) as f:
                self.assertIn("<svg", f.read())

    def test_proc_folder(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "1.log"), "w") as f:
                f.write("2026-12-01T10:00:00.100000Z {peer_id:1, view_id: 0, leader: 1, memb_list: [1]}\n"
                        "2026-12-01T10:00:00.300000Z rollcall[1]: a diagnostic\n"
                        "2026-12-01T10:00:00.400000Z {peer_id:1, view_id: 1, leader: 1, memb_list: [1,2]}\n"
                        "2026-12-01T10:00:01.000000Z {peer_id:1, view_id: 1, leader: 1, message:\"crashing\"}\n")
            with open(os.path.join(d, "2.log"), "w") as f:
                f.write("2026-12-01T10:00:00.410000Z {peer_id:2, view_id: 1, leader: 1, memb_list: [1,2]}\n"
                        "2026-12-01T10:00:01.200000Z {peer_id:2, view_id: 1, leader: 1, message:\"peer 1 (leader) unreachable\"}\n"
                        "2026-12-01T10:00:01.300000Z == restart of peer 2\n")
            t = tl.compute(tl.read_inputs([d]))
            self.assertEqual(t.peers, [1, 2])
            self.assertTrue(t.timed)
            self.assertEqual([(m.peer, m.kind, round(m.t, 3)) for m in t.marks],
                             [(1, "crashing", 0.9), (2, "unreachable", 1.1),
                              (2, "restart", 1.2)])
            self.assertEqual([(s.peer, s.view, round(s.start, 3), round(s.end, 3))
                              for s in t.spans],
                             [(1, 0, 0.0, 0.3), (1, 1, 0.3, 0.9),
                              (2, 1, 0.31, 1.2)])
            self.draw([d], os.path.join(d, "t.png"))

    def test_errors(self):
        with tempfile.TemporaryDirectory() as d:
            empty = os.path.join(d, "empty.log")
            open(empty, "w").close()
            self.assertEqual(tl.main([empty]), 1)
            self.assertEqual(tl.main([os.path.join(d, "none.log")]), 2)
            self.assertEqual(tl.main([os.path.join(LOGS, "tc1-good.log"),
                                      "-o", os.path.join(d, "x.jpg")]), 2)


if __name__ == "__main__":
    unittest.main()
