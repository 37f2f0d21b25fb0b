"""fault_harness.py - the real camstreamd under attack: hostile clients, a viewer, and the figures.

The fault tests (test_*.py here) and tests/fault/measure.py share it. A daemon is started with
its log in a file (a flood must not block it on a pipe), optionally with a low RLIMIT_NOFILE or
inside a network namespace, and its CPU time, RSS, open fds and log size are read from /proc and
the file. Hostile clients come from addresses of their own in 127.0.0.0/8 (Linux answers the
whole block on lo), so a per-address limit is tested apart from the global ones, and a real
viewer (camview, headless, checking the pattern) comes from 127.0.0.1.
"""
import json
import os
import re
import resource
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import camstream_e2e as e2e  # noqa: E402  (the shared argument parsing and clients)

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def attacker_address(i):
    """The i-th hostile address, 127.0.1.0 and up: never 127.0.0.1, the viewer's."""
    return "127.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)


# Beyond loopback camstreamd serves only clients with credentials (docs/security.md): a daemon
# listening on another address gets this token, and every Viewer presents it.
TOKEN = "fault-tests-token-0123456789"


class Daemon:
    """camstreamd with its log in a file, its figures read from /proc.

    `nofile` sets RLIMIT_NOFILE (soft and hard) in the child before exec, as `ulimit -n` does;
    `netns` runs it inside that network namespace; `listen` is its --listen address.
    """

    def __init__(self, *args, size="640x480", fps="30", nofile=None, netns=None,
                 listen="127.0.0.1:0"):
        self.log = tempfile.NamedTemporaryFile(prefix="camstreamd-fault-", suffix=".log")
        cmd = [e2e.DAEMON, "--config", "", "--listen", listen, "--size", size, "--fps", fps,
               *args]
        if not listen.startswith("127."):
            cmd += ["--auth-token", TOKEN]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log,
                                     preexec_fn=limit)
        line = e2e.read_line(self.proc.stdout, timeout=10)
        m = re.match(rb"listening on ([\d.]+):(\d+)$", line.strip())
        if not m:
            self.kill()
            raise AssertionError("camstreamd did not print its port; got %r, log %r"
                                 % (line, self.log_text()[-2000:]))
        self.host = m.group(1).decode()
        self.port = int(m.group(2))
        self.address = "%s:%d" % (self.host, self.port)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def cpu_seconds(self):
        """User + system CPU time so far."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def open_fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def log_text(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode(errors="replace")

    def log_lines(self):
        with open(self.log.name, "rb") as f:
            return sum(1 for _ in f)

    def log_bytes(self):
        return os.path.getsize(self.log.name)

    def figures(self):
        """What a test compares before and after: RSS, open fds, log lines and bytes."""
        return dict(rss_kb=self.rss_kb(), fds=self.open_fds(), log_lines=self.log_lines(),
                    log_bytes=self.log_bytes())

    def stop(self, timeout=10):
        """SIGTERM; returns the exit code."""
        if self.alive():
            self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("camstreamd did not stop within %d s" % timeout)
        self.proc.stdout.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        self.log.close()


class CpuMeter:
    """The daemon's share of one core between start() and percent()."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.start()

    def start(self):
        self.cpu0 = self.daemon.cpu_seconds()
        self.t0 = time.monotonic()

    def percent(self):
        return 100.0 * (self.daemon.cpu_seconds() - self.cpu0) / (time.monotonic() - self.t0)


# camview --print-fps: "7.0 fps, 2000 kbit/s, 3 skipped, 40 lost, latency from capture p50/p99:
# received 120.3/300.1 ms ...".
FPS_LINE = re.compile(r"^([\d.]+) fps, [\d.]+ kbit/s, \d+ skipped, (\d+) lost")
LATENCY = re.compile(r"received ([\d.]+)/[\d.]+ ms")


class Viewer:
    """camview --no-display --check-pattern, each frame line stamped as it arrives.

    The fps over a window is counted from those stamps, not taken from --print-fps lines, so a
    window need not line up with camview's seconds.
    """

    def __init__(self, address, *args, netns=None):
        cmd = [e2e.VIEWER, address, "--no-display", "--check-pattern", *args]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=dict(os.environ, CAMSTREAM_TOKEN=TOKEN))
        self.started = time.monotonic()
        self.frames = []  # (arrival, seq)
        self.lines = []  # (arrival, fps, frames lost, received latency p50 ms or None)
        self.bad = []
        self.errors = b""
        self._lock = threading.Lock()
        self._out = threading.Thread(target=self._read, daemon=True)
        self._err = threading.Thread(target=self._read_err, daemon=True)
        self._out.start()
        self._err.start()

    def _read(self):
        for line in self.proc.stdout:
            now = time.monotonic()
            text = line.decode(errors="replace").strip()
            f = FPS_LINE.match(text)
            if f:
                latency = LATENCY.search(text)
                with self._lock:
                    self.lines.append((now, float(f.group(1)), int(f.group(2)),
                                       float(latency.group(1)) if latency else None))
                continue
            m = e2e.FRAME_LINE.match(text)
            if not m:
                continue
            seq = int(m.group(1))
            with self._lock:
                self.frames.append((now, seq))
                if m.group(2) == "none" or int(m.group(2)) != seq & 0xFFFFFFFF:
                    self.bad.append(seq)

    def _read_err(self):
        self.errors = self.proc.stderr.read()

    def count(self):
        with self._lock:
            return len(self.frames)

    def fps_between(self, t0, t1):
        with self._lock:
            n = sum(1 for t, _ in self.frames if t0 <= t < t1)
        return n / (t1 - t0)

    def first_frame_after(self, t0):
        with self._lock:
            for t, _ in self.frames:
                if t >= t0:
                    return t
        return None

    def wait_frames(self, n, timeout):
        """True once `n` frames arrived in all, within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.count() < n and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.01)
        return self.count() >= n

    def lost_and_latency(self, t0, t1):
        """Frames lost (sequence gaps) and the largest received-latency p50 between t0 and t1."""
        with self._lock:
            rows = [r for r in self.lines if t0 <= r[0] < t1]
        latencies = [r[3] for r in rows if r[3] is not None]
        return sum(r[2] for r in rows), (max(latencies) if latencies else None)

    def increasing(self):
        with self._lock:
            seqs = [s for _, s in self.frames]
        return all(a < b for a, b in zip(seqs, seqs[1:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.join(timeout=5)
        self._err.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def first_frame_delay(address, timeout=10, source="127.0.0.1"):
    """Seconds from connecting to the first frame for a new native client, or None.

    Connects from `source` with the native handshake, like camview, but answers sooner than
    a new camview process could start, which would blur the figure being measured.
    """
    t0 = time.monotonic()
    host, port = address.rsplit(":", 1)
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        s = socket.socket()
        try:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            s.bind((source, 0))
            s.connect((host, int(port)))
            s.sendall(e2e.MAGIC + struct.pack(">HH", e2e.VERSION, 0))
            buf = b""
            while len(buf) < 16 + 8:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionResetError("closed")
                buf += chunk
            if buf[16] == e2e.MSG_FRAME:
                return time.monotonic() - t0
        except OSError:
            time.sleep(0.01)  # refused or shed: the storm's leftovers; try again
        finally:
            s.close()
    return None


class Crowd:
    """Hostile sockets that connect and then do as told, kept up on a thread of their own.

    mode "silent": connect and never send a byte; "trickle": send an HTTP request head one byte
    every `trickle_s` and never finish it (slowloris); "stall": complete the native handshake,
    then never read (the daemon's frames pile up in both kernels' buffers). With `renew`, a
    socket the daemon closes is replaced `renew_after` seconds later (0: at once, which makes
    a crowd the daemon drops from a connection storm), so the crowd stays `count` strong.
    Addresses cycle through `addresses` hostile addresses (attacker_address).
    """

    def __init__(self, address, count, mode="silent", addresses=1, renew=True, renew_after=0.0,
                 trickle_s=1.0, rcvbuf=None):
        host, port = address.rsplit(":", 1)
        self.target = (host, int(port))
        self.count = count
        self.mode = mode
        self.addresses = max(1, addresses)
        self.renew = renew
        self.renew_after = renew_after
        self.due = []  # when each dropped socket is to be replaced
        self.trickle_s = trickle_s
        self.rcvbuf = rcvbuf
        self.connected = 0  # sockets that completed a connect, over the whole run
        self.closed_by_peer = 0
        self.failed = 0  # connects refused, reset or timed out
        self.socks = {}  # fd -> [socket, bytes still to trickle]
        self._next = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._poll = select.epoll()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _open(self):
        s = socket.socket()
        s.setblocking(False)
        if self.rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        s.bind((attacker_address(self._next % self.addresses), 0))
        self._next += 1
        try:
            s.connect(self.target)
        except BlockingIOError:
            pass
        except OSError:
            self.failed += 1
            s.close()
            self.due.append(time.monotonic() + max(self.renew_after, 0.01))
            return
        state = [s, b"", False]  # socket, bytes left to send, connected
        if self.mode == "trickle":
            state[1] = b"GET /stream HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"s" * 4096
        elif self.mode == "stall":
            state[1] = e2e.MAGIC + struct.pack(">HH", e2e.VERSION, 0)
        self.socks[s.fileno()] = state
        self._poll.register(s.fileno(), select.EPOLLOUT | select.EPOLLIN | select.EPOLLRDHUP)

    def _drop(self, fd, by_peer):
        s = self.socks.pop(fd)[0]
        self._poll.unregister(fd)
        s.close()
        if by_peer:
            self.closed_by_peer += 1
        self.due.append(time.monotonic() + self.renew_after)

    def _run(self):
        last_trickle = time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                now = time.monotonic()
                ready = sum(1 for t in self.due if t <= now)
                while self._next < self.count or (self.renew and ready > 0):
                    if self._next >= self.count:
                        self.due.remove(min(self.due))
                        ready -= 1
                    self._open()
                    if self.failed > 10 * self.count:
                        break
            for fd, ev in self._poll.poll(0.05):
                state = self.socks.get(fd)
                if state is None:
                    continue
                s = state[0]
                if ev & (select.EPOLLERR | select.EPOLLHUP | select.EPOLLRDHUP):
                    if not state[2] and ev & select.EPOLLERR:
                        self.failed += 1
                    self._drop(fd, by_peer=state[2])
                    continue
                if ev & select.EPOLLIN:
                    if self.mode == "stall" and state[2] and not state[1]:
                        # Read only up to the hello, so the daemon's stream fills our buffer.
                        self._poll.modify(fd, select.EPOLLRDHUP)
                        continue
                    try:
                        if not s.recv(65536):
                            self._drop(fd, by_peer=True)
                            continue
                    except OSError:
                        self._drop(fd, by_peer=True)
                        continue
                if ev & select.EPOLLOUT and not state[2]:
                    state[2] = True
                    self.connected += 1
                    if self.mode == "stall":
                        s.send(state[1])
                        state[1] = b""
                        self._poll.modify(fd, select.EPOLLIN | select.EPOLLRDHUP)
                    else:
                        self._poll.modify(fd, select.EPOLLIN | select.EPOLLRDHUP)
            if self.mode == "trickle" and time.monotonic() - last_trickle >= self.trickle_s:
                last_trickle = time.monotonic()
                for fd, state in list(self.socks.items()):
                    if state[2] and state[1]:
                        try:
                            state[0].send(state[1][:1])
                            state[1] = state[1][1:]
                        except OSError:
                            self._drop(fd, by_peer=True)

    def open_now(self):
        """Sockets open at this moment (connected or connecting)."""
        with self._lock:
            return len(self.socks)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)
        for fd in list(self.socks):
            self._drop(fd, by_peer=False)
        self._poll.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def storm(address, seconds, addresses=256):
    """Connects and closes at once, as fast as one thread can, for `seconds`: the count."""
    host, port = address.rsplit(":", 1)
    target = (host, int(port))
    n = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            s.bind((attacker_address(n % addresses), 0))
            s.settimeout(1)
            s.connect(target)
            if n % 2:
                s.send(b"GET / HTTP/1.1\r\n")
            n += 1
        except OSError:
            pass
        finally:
            s.close()
    return n


def tcp_memory_bytes():
    """The kernel's TCP memory in use (/proc/net/sockstat 'TCP: ... mem', in pages)."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                parts = line.split()
                return int(parts[parts.index("mem") + 1]) * PAGE
    return 0


def daemon_send_queues(port):
    """Bytes queued for sending on the daemon's sockets of `port`: (sockets, total), from ss."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "sport", "= :%d" % port],
                         capture_output=True, text=True, timeout=30).stdout
    sockets = 0
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            sockets += 1
            total += int(parts[1])  # Send-Q
    return sockets, total


def need_root(test):
    if os.geteuid() != 0:
        test.skipTest("needs root (network namespaces, tc, nft); CI runs the tests as root")


def need_tools(test, *tools):
    for t in tools:
        if shutil.which(t) is None:
            test.skipTest("%s is not installed; scripts/install-deps installs it" % t)


def status(daemon, timeout=10):
    """The daemon's /status as a dict (over HTTP from 127.0.0.1)."""
    code, _, body = e2e.http_get(daemon.port, "/status", timeout=timeout)
    if code != 200:
        raise AssertionError("/status answered %s" % code)
    return json.loads(body)


def settle(read, want, timeout=15):
    """Polls read() until want(value) holds or `timeout` seconds pass; returns the last value."""
    deadline = time.monotonic() + timeout
    value = read()
    while not want(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    return value


def run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


class Link:
    """Two network namespaces joined by a veth pair: the daemon's side and the viewer's.

    The daemon listens on `daemon_ip` in `daemon_ns`, the viewer runs in `viewer_ns`. throttle()
    puts a token bucket (tc tbf) on the daemon's egress, lossy() has nft drop a share of the
    packets reaching the viewer. Everything lives in the two namespaces, so the host's own
    qdiscs and rule sets are never touched; close() deletes both namespaces.
    """

    def __init__(self):
        tag = "%d" % (os.getpid() % 100000)
        self.daemon_ns = "csf-d-" + tag
        self.viewer_ns = "csf-v-" + tag
        net = os.getpid() % 250
        self.daemon_ip = "10.231.%d.1" % net
        self.viewer_ip = "10.231.%d.2" % net
        self._made = []
        try:
            for ns in (self.daemon_ns, self.viewer_ns):
                run("ip", "netns", "add", ns)
                self._made.append(ns)
            run("ip", "-n", self.daemon_ns, "link", "add", "csf-d", "type", "veth", "peer", "name",
                "csf-v", "netns", self.viewer_ns)
            for ns, dev, ip in ((self.daemon_ns, "csf-d", self.daemon_ip),
                                (self.viewer_ns, "csf-v", self.viewer_ip)):
                run("ip", "-n", ns, "addr", "add", ip + "/30", "dev", dev)
                run("ip", "-n", ns, "link", "set", dev, "up")
                run("ip", "-n", ns, "link", "set", "lo", "up")
        except Exception:
            self.close()
            raise

    def throttle(self, rate="2mbit", burst="32kbit", latency="100ms"):
        run("ip", "netns", "exec", self.daemon_ns, "tc", "qdisc", "add", "dev", "csf-d", "root",
            "tbf", "rate", rate, "burst", burst, "latency", latency)

    def lossy(self, percent):
        nft = ("add table inet csf\n"
               "add chain inet csf in { type filter hook input priority 0; }\n"
               "add rule inet csf in iifname \"csf-v\" numgen random mod 100 < %d drop\n" % percent)
        subprocess.run(["ip", "netns", "exec", self.viewer_ns, "nft", "-f", "-"], input=nft,
                       text=True, check=True, capture_output=True, timeout=30)

    def close(self):
        for ns in self._made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        self._made = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def can_make_namespaces():
    """None when network namespaces, veth and the tools work here, else why not."""
    for tool in ("ip", "tc", "nft"):
        if shutil.which(tool) is None:
            return "%s is not installed; scripts/install-deps installs it" % tool
    if os.geteuid() != 0:
        return "network namespaces need root; CI runs the fault tests as root"
    try:
        Link().close()
    except (subprocess.CalledProcessError, OSError) as e:
        err = getattr(e, "stderr", b"") or b""
        return "cannot make a network namespace with a veth pair here: %s" % (
            err.decode(errors="replace").strip() or e)
    return None


# What every fault test holds the daemon to. The viewer's rate is issue 10's requirement at
# --fps 30, taken over windows of several seconds so that one late wake-up of a busy machine
# does not decide it; the rest are bounds with room to spare, not performance figures.
MIN_FPS = 29.0
MAX_LOG_LINES = 100       # written during one attack
MAX_RSS_GROWTH_KB = 16 * 1024
MAX_FD_GROWTH = 2         # once the attack is over and the daemon has closed what it dropped


class FaultCase(unittest.TestCase):
    """A unittest case with the checks the fault tests share."""

    def start_viewer(self, daemon, netns=None, address=None):
        v = Viewer(address or daemon.address, netns=netns)
        self.addCleanup(v.stop)
        self.assertTrue(v.wait_frames(30, 20), "the viewer got no frames before the attack: %s"
                        % v.errors.decode(errors="replace"))
        return v

    def assert_kept_up(self, viewer, t0, t1, what):
        fps = viewer.fps_between(t0, t1)
        self.assertGreaterEqual(fps, MIN_FPS, "the viewer fell to %.1f fps %s" % (fps, what))
        self.assertTrue(viewer.increasing(), "frames went backwards")
        self.assertEqual(viewer.bad, [], "frames failed the pattern check")
        return fps

    def assert_unharmed(self, daemon, before, during):
        """`before`: figures before the attack, `during`: at its end; waits for the fds."""
        self.assertTrue(daemon.alive(), "camstreamd died")
        lines = during["log_lines"] - before["log_lines"]
        self.assertLess(lines, MAX_LOG_LINES, "the attack wrote %d log lines" % lines)
        fds = settle(daemon.open_fds, lambda n: n <= before["fds"] + MAX_FD_GROWTH)
        self.assertLessEqual(fds, before["fds"] + MAX_FD_GROWTH,
                             "open fds %d before, %d after" % (before["fds"], fds))
        rss = daemon.rss_kb()
        self.assertLess(rss - before["rss_kb"], MAX_RSS_GROWTH_KB,
                        "RSS %d kB before, %d kB after" % (before["rss_kb"], rss))
        return dict(log_lines=lines, fds=fds, rss_kb=rss)

    def report(self, **figures):
        """One line of figures in the test's output (ctest --output-on-failure, -V)."""
        print("%s: %s" % (self.id().rsplit(".", 1)[-1],
                          ", ".join("%s %s" % (k, ("%.1f" % v) if isinstance(v, float) else v)
                                    for k, v in figures.items())), flush=True)


def main():
    e2e.parse_args()
    unittest.main(verbosity=2)
