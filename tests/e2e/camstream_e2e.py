"""camstream_e2e.py - runs the real camstreamd and camview binaries for end-to-end tests.

Every process is started with a deadline and killed at the end of the test, so a bug makes a
test fail, never hang. Only loopback addresses are used.
"""
import argparse
import atexit
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

DAEMON = None
VIEWER = None

MAGIC = b"CAMS"
VERSION = 3
MSG_FRAME, MSG_PING, MSG_PONG = 1, 2, 3


def parse_args():
    """Takes --daemon and --viewer off sys.argv; the rest goes to unittest."""
    global DAEMON, VIEWER
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--daemon", required=True)
    p.add_argument("--viewer")
    args, rest = p.parse_known_args()
    DAEMON, VIEWER = args.daemon, args.viewer
    sys.argv = [sys.argv[0]] + rest
    emulator = shlex.split(os.environ.get("CAMSTREAM_EMULATOR", ""))
    if emulator:
        DAEMON = emulated(emulator, DAEMON)


def emulated(emulator, program):
    """A script that runs `program` under `emulator` (a cross build's daemon under qemu-user).

    The script execs the emulator, so the process the tests start, signal and kill is qemu
    itself, which passes signals on to the program.
    """
    folder = tempfile.mkdtemp(prefix="camstream-e2e-")
    atexit.register(shutil.rmtree, folder, True)
    wrapper = os.path.join(folder, os.path.basename(program))
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in emulator + [program]))
    os.chmod(wrapper, 0o755)
    return wrapper


def main():
    parse_args()
    unittest.main(verbosity=2)


class Daemon:
    """camstreamd on a free port of `listen`'s address (127.0.0.1 unless told another, such as
    0.0.0.0); clients reach it on 127.0.0.1."""

    def __init__(self, *args, size="640x480", fps="30", env=None, listen="127.0.0.1", port=0):
        """`port` 0 takes a free one; another, e.g. a killed daemon's, comes back on it."""
        self.args = [DAEMON, "--listen", "%s:%d" % (listen, port), "--size", size, "--fps", fps,
                     *args]
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        line = read_line(self.proc.stdout, timeout=10)
        m = re.match(rb"listening on " + re.escape(listen.encode()) + rb":(\d+)$", line.strip())
        if not m:
            self.kill()
            raise AssertionError("camstreamd did not print its port; got %r, stderr %r"
                                 % (line, self.proc.stderr.read()))
        self.port = int(m.group(1))
        self.address = "127.0.0.1:%d" % self.port

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Sends `sig` and returns (exit code, stderr)."""
        if self.alive():
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("camstreamd did not stop within %d s of %s" % (timeout, sig))
        return self.proc.returncode, err.decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def read_line(stream, timeout):
    """One line from a pipe, or b'' once `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    buf = b""
    fd = stream.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            break
        c = os.read(fd, 1)
        if not c:
            break
        buf += c
    return buf


def free_port():
    """A loopback port nothing listens on (at the moment of asking)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def small_tmpfs(test, size="1M"):
    """A tmpfs of `size` mounted for `test` (a disk that fills up), unmounted at its end; skips
    the test where mounting is not allowed (not root, a container without the capability)."""
    folder = tempfile.mkdtemp(prefix="camstream-tmpfs-")
    test.addCleanup(shutil.rmtree, folder, True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", folder],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        test.skipTest("cannot mount a %s tmpfs here (%s)" % (size, mounted.stderr.strip()))
    test.addCleanup(subprocess.run, ["umount", "-l", folder])
    return folder


# The test pattern's bars in RGB, left to right.
PATTERN_BARS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
                (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]


def chromium_command(folder, *args):
    """Headless Chromium's command line, its profile in `folder`, `args` added."""
    return ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + os.path.join(folder, "profile"), *args]


class ChromiumPage:
    """Headless Chromium showing one page, driven over the DevTools protocol on a pipe
    (--remote-debugging-pipe: JSON messages ending in NUL, read on fd 3, written on fd 4), so a
    test can run script in the page: evaluate() returns what an expression comes to."""

    def __init__(self, folder, timeout=30):
        self.timeout = timeout
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds():
            # Copies first: either end may already sit on fd 3 or 4. The copies are the lowest
            # free numbers, so one is 3 or 4 only where that was free.
            copies = os.dup(to_chrome_r), os.dup(from_chrome_w)
            for fd, wanted in zip(copies, (3, 4)):
                if fd == wanted:
                    os.set_inheritable(fd, True)
                else:
                    os.dup2(fd, wanted)

        # Its output goes to a file: a pipe nobody reads could fill and stall it.
        self.log = open(os.path.join(folder, "chromium.log"), "w+b")
        self.proc = subprocess.Popen(
            chromium_command(folder, "--remote-debugging-pipe", "--window-size=800,600",
                             "about:blank"),
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next_id = 0
        self.session = None
        try:
            targets = self.call("Target.getTargets")["targetInfos"]
            page = next(t for t in targets if t["type"] == "page")
            self.session = self.call("Target.attachToTarget", targetId=page["targetId"],
                                     flatten=True)["sessionId"]
        except BaseException:
            self.close()
            raise

    def call(self, method, **params):
        """Sends one command (to the page once attached) and returns its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" not in self._buf:
                left = deadline - time.monotonic()
                r, _, _ = select.select([self._from_chrome], [], [], max(left, 0))
                if not r:
                    raise AssertionError("Chromium did not answer %s within %d s"
                                         % (method, self.timeout))
                chunk = os.read(self._from_chrome, 65536)
                if not chunk:
                    self.log.seek(0)
                    raise AssertionError("Chromium closed its pipe; its output: %s"
                                         % self.log.read().decode(errors="replace")[-2000:])
                self._buf += chunk
            raw, _, self._buf = self._buf.partition(b"\0")
            answer = json.loads(raw)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise AssertionError("%s failed: %s" % (method, answer["error"]))
                return answer.get("result", {})

    def open(self, url):
        self.call("Page.navigate", url=url)

    def evaluate(self, expression):
        """The value of `expression` in the page (promises awaited); a thrown error fails."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError("%s threw: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def wait_for(self, expression, timeout=10, what=None):
        """Waits until `expression` is truthy in the page and returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("%s: not so within %d s (it is %r)"
                                     % (what or expression, timeout, value))
            time.sleep(0.1)

    def close(self):
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def assert_browser_shows_the_pattern(test, url, folder, *flags):
    """Headless Chromium opens `url` (camstreamd's page, `flags` added to its command line) in
    an 800x600 window; its screenshot must show a 320x240 test pattern's bars where the page
    puts the picture (centred at the top: 320 px wide from x = 240)."""
    shot = os.path.join(folder, "page.png")
    p = subprocess.run(
        chromium_command(folder, *flags, "--screenshot=" + shot, "--window-size=800,600",
                         "--timeout=5000", url),
        capture_output=True, text=True, timeout=120)
    test.assertTrue(os.path.exists(shot), p.stderr[-2000:])
    raw = subprocess.run(["convert", shot, "-depth", "8", "rgb:-"], check=True,
                         capture_output=True, timeout=30).stdout
    test.assertEqual(len(raw), 3 * 800 * 600)
    y = 20
    for i, want in enumerate(PATTERN_BARS):
        x = 240 + 40 * i + 20
        j = 3 * (y * 800 + x)
        got = tuple(raw[j:j + 3])
        test.assertTrue(all(abs(a - b) <= 40 for a, b in zip(got, want)),
                        "bar %d at (%d, %d) is %s, want %s" % (i, x, y, got, want))


def start_viewer(address, *args):
    return subprocess.Popen([VIEWER, address, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def run_viewer(address, *args, timeout=60):
    """Runs camview to its end; returns (exit code, stdout, stderr) as text."""
    proc = start_viewer(address, *args)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("camview did not finish within %d s; stderr: %s" % (timeout, err))
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


FRAME_LINE = re.compile(r"^frame seq=(\d+) pixel_seq=(\d+|none)$")


def pattern_frames(stdout):
    """(seq, pixel_seq) for each `--check-pattern` line of camview's output."""
    frames = []
    for line in stdout.splitlines():
        m = FRAME_LINE.match(line)
        if m:
            pixel = None if m.group(2) == "none" else int(m.group(2))
            frames.append((int(m.group(1)), pixel))
    return frames


def assert_increasing_pattern(test, frames, at_least):
    test.assertGreaterEqual(len(frames), at_least, "too few frames")
    for seq, pixel in frames:
        test.assertEqual(pixel, seq & 0xFFFFFFFF,
                         "frame %d: sequence number read from the pixels is %s" % (seq, pixel))
    seqs = [s for s, _ in frames]
    for a, b in zip(seqs, seqs[1:]):
        test.assertLess(a, b, "sequence numbers must only increase: %d then %d" % (a, b))


class RawClient:
    """A hand-written native-protocol client, for sending what camview never would."""

    def __init__(self, port, timeout=5, source="127.0.0.1"):
        # `source`: any address of 127.0.0.0/8 (Linux answers them all on lo), to be one of
        # several hosts to the daemon's per-address limit.
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0))

    def send(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def handshake(self, version=VERSION):
        self.send(MAGIC + struct.pack(">HH", version, 0))
        hello = self.recv_exact(16)
        magic, ver, status, server_us = struct.unpack(">4sHHQ", hello)
        return magic, ver, status, server_us

    def read_message(self):
        mtype, flags, reserved, length = struct.unpack(">BBHI", self.recv_exact(8))
        return mtype, self.recv_exact(length)

    def read_frame(self):
        while True:
            mtype, payload = self.read_message()
            if mtype == MSG_FRAME:
                seq, cap, w, h, sub, r1, r2, jlen = struct.unpack(">QQHHBBHI", payload[:28])
                return dict(seq=seq, capture_us=cap, width=w, height=h, subsampling=sub,
                            jpeg=payload[28:], jpeg_size=jlen)

    def closed_by_peer(self, timeout=5):
        """True once the peer closes (EOF or reset) within `timeout` seconds."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        return False

    def reset(self):
        """Vanishes abruptly: an RST instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        self.sock.close()


def http_get(port, path, timeout=10, headers=()):
    """GET `path` with Connection: close and any `headers` ("Name: value" strings); returns
    (status, fields with lower-case names, body). A field sent twice keeps its values joined
    by a newline."""
    return http_request(port, "GET", path, timeout=timeout, headers=headers)


def http_request(port, method, path, body=b"", timeout=10, headers=()):
    """`method` `path` with `body` (a Content-Length for any POST) and Connection: close;
    returns (status, fields, body) as http_get() does."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    extra = "".join(h + "\r\n" for h in headers)
    if body or method == "POST":
        extra += "Content-Length: %d\r\n" % len(body)
    s.sendall(method.encode() + b" " + path.encode() +
              b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + extra.encode() + b"\r\n" + body)
    reply = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    finally:
        s.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        fields[key] = fields[key] + "\n" + value.strip() if key in fields else value.strip()
    status = int(lines[0].split(" ")[1]) if lines[0].startswith("HTTP/1.") else None
    return status, fields, body


class MjpegStream:
    """An HTTP MJPEG client of camstreamd's /stream that hands out whole parts."""

    BOUNDARY = b"--camstreamframe\r\n"

    def __init__(self, port, path="/stream", timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise AssertionError("/stream answered %r" % head[:200])

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("the stream ended")
        self.buf += chunk

    def _until(self, marker):
        while marker not in self.buf:
            self._fill()
        got, _, self.buf = self.buf.partition(marker)
        return got

    def next_part(self):
        """(fields, jpeg, arrival time) of the next part; fields have their names as sent."""
        self._until(self.BOUNDARY)
        head = self._until(b"\r\n\r\n").decode()
        fields = dict(line.split(": ", 1) for line in head.split("\r\n"))
        length = int(fields["Content-Length"])
        while len(self.buf) < length:
            self._fill()
        jpeg, self.buf = self.buf[:length], self.buf[length:]
        return fields, jpeg, time.monotonic()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
