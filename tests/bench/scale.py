#!/usr/bin/env python3
"""Benchmark: a group of N peers on one machine, rollcall and Serf.

For each size, N processes start at once on 127.77.x.y loopback addresses
(every 127/8 address is local), with T = 1 s (rollcall --heartbeat-ms
1000; Serf's LAN profile, whose probe interval is 1 s). Starting at once:
each process is spawned as a shell that stops itself (SIGSTOP) before it
execs the peer; once all N have stopped, one SIGCONT each releases them
together, so the figures do not count spawning N processes one after
another (reported apart, as "spawn"). Figures:

  full view   the release -> the last peer whose view holds all N
              (rollcall: its view line; Serf: its N-th EventMemberJoin)
  idle CPU    CPU time of all peers over IDLE_S seconds, in % of one core
              (from /proc/PID/stat), and per member; with the datagrams
              received a second and those a full receive buffer dropped
              (/proc/net/snmp: the bench's own network namespace, so
              only the group's, when scale.sh could make one)
  memory      VmRSS per peer, average, and PSS (smaps_rollup): RSS counts
              the shared libraries' pages (libc alone is 1.5 MiB) in
              every peer, PSS divides them among the peers that share
              them, so it is what each peer costs the machine
  kill        kill -9 of one member -> the last survivor with the new
              view (rollcall: a view line without it; Serf: its
              EventMemberFailed), and the first line naming it

Each peer's stderr (rollcall's lines) or stdout (Serf's log) comes
through a pipe to this one process, which stamps every line on arrival
(time.monotonic(), selectors, no polling; it runs before the peers, see
reader_first); no per-peer reader process. Prints one line per system
and size, and with TIMELINE=1 when each rollcall view id was first and
last printed; asserts nothing.
"""
import os
import re
import selectors
import signal
import subprocess
import sys
import time

ROLLCALL = os.environ.get("ROLLCALL", "build/rollcall")
IDLE_S = float(os.environ.get("IDLE_S", "20"))
PORT = int(os.environ.get("PORT", str(21000 + os.getpid() % 9000)))


def addr(i):
    return "127.77.%d.%d" % (i // 250, i % 250 + 1)


class Group:
    def __init__(self, n, tmp):
        self.n = n
        self.tmp = tmp
        self.procs = {}
        self.sel = selectors.DefaultSelector()
        self.buf = {}
        self.full_at = {}
        self.events = []  # (time, id, line)

    def spawn(self, i, argv, stream):
        # Held before exec until release(); the pid stays the peer's.
        argv = ["sh", "-c", 'kill -STOP $$; exec "$@"', "sh"] + argv
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE if stream == "out"
                             else subprocess.DEVNULL,
                             stderr=subprocess.PIPE if stream == "err"
                             else subprocess.DEVNULL)
        self.procs[i] = p
        f = p.stderr if stream == "err" else p.stdout
        os.set_blocking(f.fileno(), False)
        self.sel.register(f, selectors.EVENT_READ, i)
        self.buf[i] = b""

    def pump(self, until, stop=None):
        """Read and stamp lines until time `until` or stop() is true."""
        while True:
            now = time.monotonic()
            if now >= until or (stop is not None and stop()):
                return
            for key, _ in self.sel.select(timeout=min(0.2, until - now)):
                i = key.data
                try:
                    data = os.read(key.fileobj.fileno(), 65536)
                except BlockingIOError:
                    continue
                t = time.monotonic()
                if not data:
                    self.sel.unregister(key.fileobj)
                    continue
                b = self.buf[i] + data
                *lines, self.buf[i] = b.split(b"\n")
                for line in lines:
                    self.on_line(t, i, line.decode("utf-8", "replace"))

    def release(self):
        """Wait (bounded) until every spawned shell has stopped itself,
        then continue them all; returns the release time."""
        waiting = {p.pid for p in self.procs.values()}
        deadline = time.monotonic() + 60 + self.n / 10
        while waiting and time.monotonic() < deadline:
            for pid in list(waiting):
                try:
                    with open("/proc/%d/stat" % pid) as f:
                        state = f.read().rsplit(")", 1)[1].split()[0]
                except OSError:
                    state = "gone"
                if state in ("T", "gone"):
                    waiting.discard(pid)
            if waiting:
                time.sleep(0.05)
        if waiting:
            raise RuntimeError("%d peers never stopped before exec"
                               % len(waiting))
        t = time.monotonic()
        for p in self.procs.values():
            os.kill(p.pid, signal.SIGCONT)
        return t

    def cpu_ticks(self):
        total = 0
        for p in self.procs.values():
            try:
                with open("/proc/%d/stat" % p.pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return total

    def rss_kib(self):
        vals = []
        for p in self.procs.values():
            try:
                with open("/proc/%d/status" % p.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            vals.append(int(line.split()[1]))
            except OSError:
                pass
        return sum(vals) / len(vals) if vals else 0

    def pss_kib(self):
        vals = []
        for p in self.procs.values():
            try:
                with open("/proc/%d/smaps_rollup" % p.pid) as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            vals.append(int(line.split()[1]))
            except OSError:
                pass
        return sum(vals) / len(vals) if vals else 0

    def stop(self):
        for p in self.procs.values():
            try:
                p.kill()
            except OSError:
                pass
        for p in self.procs.values():
            p.wait()
        self.sel.close()


class Rollcall(Group):
    name = "rollcall"

    def __init__(self, n, tmp):
        super().__init__(n, tmp)
        self.hosts = os.path.join(tmp, "hosts")
        with open(self.hosts, "w") as f:
            for i in range(1, n + 1):
                f.write(addr(i) + "\n")
        self.view = {}
        self.victim = None
        self.new_view_at = {}
        self.first_line = None
        self.views = {}  # view id -> [first line, last line, size, lines]

    def start(self):
        for i in range(1, self.n + 1):
            self.spawn(i, [ROLLCALL, "-h", self.hosts, "--id", str(i),
                           "--port", str(PORT), "--heartbeat-ms", "1000"],
                       "err")

    def on_line(self, t, i, line):
        m = re.search(r"memb_list: \[([0-9,]*)\]", line)
        if m:
            members = set(m.group(1).split(","))
            self.view[i] = members
            v = re.search(r"view_id: (\d+)", line)
            if v:
                row = self.views.setdefault(int(v.group(1)),
                                            [t, t, len(members), 0])
                row[1], row[3] = t, row[3] + 1
            if len(members) == self.n and i not in self.full_at:
                self.full_at[i] = t
            if (self.victim is not None and str(self.victim) not in members
                    and len(members) == self.n - 1
                    and i not in self.new_view_at):
                self.new_view_at[i] = t
        elif (self.victim is not None and self.first_line is None and
              ("peer %d unreachable" % self.victim) in line):
            self.first_line = t

    def formed(self):
        return len(self.full_at) == self.n

    def kill(self, v):
        self.victim = v
        self.procs[v].kill()
        del self.procs[v]

    def settled(self):
        return len(self.new_view_at) == self.n - 1


class Serf(Group):
    name = "serf"

    def __init__(self, n, tmp):
        super().__init__(n, tmp)
        self.joined = {}
        self.victim = None
        self.failed_at = {}
        self.first_line = None

    def start(self):
        for i in range(1, self.n + 1):
            a = addr(i)
            self.spawn(i, ["serf", "agent", "-node=n%d" % i,
                           "-bind=%s:%d" % (a, PORT),
                           "-rpc-addr=%s:%d" % (a, PORT + 1),
                           "-profile=lan", "-log-level=info",
                           "-retry-join=%s:%d" % (addr(1), PORT),
                           "-retry-interval=1s"], "out")

    def on_line(self, t, i, line):
        m = re.search(r"EventMemberJoin: (n\d+)", line)
        if m:
            s = self.joined.setdefault(i, set())
            s.add(m.group(1))
            if len(s) == self.n and i not in self.full_at:
                self.full_at[i] = t
            return
        m = re.search(r"EventMemberFailed: n(\d+)", line)
        if m and self.victim is not None and int(m.group(1)) == self.victim:
            if i not in self.failed_at:
                self.failed_at[i] = t
            if self.first_line is None:
                self.first_line = t

    def formed(self):
        return len(self.full_at) == self.n

    def kill(self, v):
        self.victim = v
        self.procs[v].kill()
        del self.procs[v]

    def settled(self):
        return len(self.failed_at) == self.n - 1


def udp_counters():
    """/proc/net/snmp's Udp: InDatagrams and RcvbufErrors."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    udp = dict(zip(rows[0][1:], rows[1][1:]))
    return int(udp["InDatagrams"]), int(udp["RcvbufErrors"])


def reader_first(on):
    """While a group runs, this reader preempts its peers (SCHED_FIFO,
    the lowest real-time priority; it sleeps in select() but for the
    moments it stamps a line). Among N busy peers an ordinary process
    gets about 2/N of the machine: at 1024 it stamped lines tens of
    seconds late. Off before spawning, so no peer inherits it."""
    try:
        if on:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        else:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    except (OSError, AttributeError):
        if on:
            print("scale: cannot run the reader first; stamps may lag",
                  file=sys.stderr)


def run(kind, n, tmp, form_s, kill_s):
    g = kind(n, tmp)
    try:
        ts = time.monotonic()
        g.start()
        reader_first(True)
        t0 = g.release()
        spawn_s = t0 - ts
        g.pump(t0 + form_s, g.formed)
        formed = g.formed()
        full_n = len(g.full_at)
        full = (max(g.full_at.values()) - t0) if formed else None
        # Settle, then measure idle CPU over IDLE_S, reading lines as
        # they come (the readers' CPU is this process's, not counted).
        g.pump(time.monotonic() + 3)
        hz = os.sysconf("SC_CLK_TCK")
        u0, c0, w0 = udp_counters(), g.cpu_ticks(), time.monotonic()
        g.pump(w0 + IDLE_S)
        u1, c1, w1 = udp_counters(), g.cpu_ticks(), time.monotonic()
        cpu = 100.0 * (c1 - c0) / hz / (w1 - w0)
        udp_in = (u1[0] - u0[0]) / (w1 - w0)
        udp_dropped = u1[1] - u0[1]
        rss = g.rss_kib()
        pss = g.pss_kib()
        victim = n // 2 + 1
        tk = time.monotonic()
        g.kill(victim)
        g.pump(tk + kill_s, g.settled)
        done = g.new_view_at if kind is Rollcall else g.failed_at
        last = (max(done.values()) - tk) if g.settled() else None
        first = (g.first_line - tk) if g.first_line is not None else None
        fmt = (lambda x: "%.2f s" % x if x is not None else "not within")
        print("%-8s %5d peers: spawn %.1f s; full view %s%s; idle CPU %.1f%% "
              "of a core (%.3f%% per member), %.0f datagrams in a second, %d dropped; "
              "RSS %.0f KiB, PSS %.0f KiB per peer; "
              "kill -9 of %d: first line %s, every survivor %s%s"
              % (g.name, n, spawn_s, fmt(full),
                 " after the release" if formed
                 else " %.0f s after the release (%d of %d full by then)"
                 % (form_s, full_n, n),
                 cpu, cpu / n, udp_in, udp_dropped, rss, pss, victim,
                 fmt(first), fmt(last),
                 "" if last is not None else " %.0f s (%d of %d)"
                 % (kill_s, len(done), n - 1)), flush=True)
        if os.environ.get("TIMELINE") and kind is Rollcall:
            for vid, (a, b, size, lines) in sorted(g.views.items()):
                print("  view %d: %d members, %d lines, %.2f to %.2f s"
                      % (vid, size, lines, a - t0, b - t0))
    finally:
        reader_first(False)
        g.stop()


def main():
    import tempfile
    sizes = [int(x) for x in os.environ.get(
        "SIZES", "64 128 256 512 1024").split()]
    serf_max = int(os.environ.get("SERF_MAX", "256"))
    form_s = float(os.environ.get("FORM_S", "120"))
    kill_s = float(os.environ.get("KILL_S", "30"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="rollcall-scale.") as tmp:
        for n in sizes:
            run(Rollcall, n, tmp, form_s, kill_s)
            if n <= serf_max and os.path.exists("/usr/bin/serf"):
                run(Serf, n, tmp, form_s, kill_s)


if __name__ == "__main__":
    main()
