"""test_http.py - camstreamd's HTTP MJPEG dialect and camview's HTTP client, against real peers.

curl, ffmpeg/ffprobe, ustreamer, Chromium and ImageMagick come from scripts/install-deps; a
test whose tool is missing is skipped with a message naming it.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import camstream_e2e as e2e



def need(test, *tools):
    for t in tools:
        if shutil.which(t) is None:
            test.skipTest("%s is not installed; scripts/install-deps installs it" % t)


def request(port, data, timeout=10):
    """Sends `data` and returns everything the server sends until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    reply = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    except ConnectionResetError:
        pass
    s.close()
    return reply


def status_of(reply):
    line = reply.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/1.") else None


def read_response(sock):
    """One response with a Content-Length off a kept-alive socket: (status, fields, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise EOFError("closed before a whole head: %r" % buf)
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        fields[name.strip().lower()] = value.strip()
    length = int(fields["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("closed in the body")
        rest += chunk
    return int(lines[0].split(" ")[1]), fields, rest[:length], rest[length:]


class StreamReader(threading.Thread):
    """Counts the parts of an HTTP MJPEG stream on a raw socket until stopped."""

    def __init__(self, port, path="/stream"):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        self.parts = 0
        self.error = None
        self.stopped = False
        self.start()

    def run(self):
        buf = b""
        try:
            while not self.stopped:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.error = "stream closed"
                    return
                buf += chunk
                self.parts += buf.count(b"--camstreamframe\r\n")
                buf = buf[-20:]
        except OSError as e:
            if not self.stopped:
                self.error = str(e)

    def frames_after(self, n, timeout=20):
        """Waits until `n` more parts arrived than now; True if they did."""
        target = self.parts + n
        deadline = time.monotonic() + timeout
        while self.parts < target and time.monotonic() < deadline and self.error is None:
            time.sleep(0.02)
        return self.parts >= target

    def stop(self):
        self.stopped = True
        self.sock.close()


def image_size(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height", "-of", "csv=p=0", path],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    w, h = out.strip().split(",")
    return int(w), int(h)


class Daemon(unittest.TestCase):
    def test_curl_snapshot_decodes_to_the_configured_size(self):
        need(self, "curl", "ffprobe")
        with e2e.Daemon(size="320x240") as d, tempfile.TemporaryDirectory() as tmp:
            for path in ("/snapshot", "/?action=snapshot"):
                with self.subTest(path=path):
                    out = os.path.join(tmp, "snap.jpg")
                    p = subprocess.run(
                        ["curl", "-sS", "--max-time", "20", "-o", out, "-w",
                         "%{http_code} %{content_type}",
                         "http://127.0.0.1:%d%s" % (d.port, path)],
                        capture_output=True, text=True, timeout=30)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertEqual(p.stdout, "200 image/jpeg")
                    self.assertEqual(image_size(out), (320, 240))

    def test_ffmpeg_reads_30_frames_from_both_stream_urls(self):
        need(self, "ffprobe")
        with e2e.Daemon(size="320x240") as d:
            for path in ("/stream", "/?action=stream"):
                with self.subTest(path=path):
                    p = subprocess.run(
                        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                         "-read_intervals", "%+#30", "-show_entries",
                         "stream=codec_name,width,height,nb_read_frames", "-of", "json",
                         "http://127.0.0.1:%d%s" % (d.port, path)],
                        capture_output=True, text=True, timeout=60)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    stream = json.loads(p.stdout)["streams"][0]
                    self.assertEqual(stream["codec_name"], "mjpeg")
                    self.assertEqual((stream["width"], stream["height"]), (320, 240))
                    self.assertGreaterEqual(int(stream["nb_read_frames"]), 30)

    def test_stream_parts_carry_length_timestamp_and_sequence(self):
        with e2e.Daemon(size="320x240") as d:
            s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
            s.sendall(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            buf = b""
            while buf.count(b"--camstreamframe\r\n") < 3:
                chunk = s.recv(65536)
                self.assertTrue(chunk, "stream closed early")
                buf += chunk
            s.close()
            head, body = buf.split(b"\r\n\r\n", 1)
            self.assertIn(b"multipart/x-mixed-replace;boundary=camstreamframe", head)
            self.assertIn(b"Cache-Control: no-store", head)
            parts = body.split(b"--camstreamframe\r\n")[1:3]
            seqs = []
            for part in parts:
                fields, jpeg = part.split(b"\r\n\r\n", 1)
                f = dict(line.split(b": ", 1) for line in fields.split(b"\r\n"))
                self.assertEqual(f[b"Content-Type"], b"image/jpeg")
                n = int(f[b"Content-Length"])
                self.assertEqual(jpeg[:2], b"\xff\xd8")
                self.assertEqual(jpeg[n - 2:n + 2], b"\xff\xd9\r\n")
                stamp = float(f[b"X-Timestamp"])
                self.assertLess(abs(stamp - time.time()), 60, "capture time on the wall clock")
                seqs.append(int(f[b"X-Sequence"]))
            self.assertLess(seqs[0], seqs[1])

    def test_status_metrics_and_page(self):
        with e2e.Daemon(size="320x240") as d:
            reader = StreamReader(d.port)
            try:
                self.assertTrue(reader.frames_after(5), reader.error)
                reply = request(d.port, b"GET /status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                self.assertEqual(status_of(reply), 200)
                status = json.loads(reply.split(b"\r\n\r\n", 1)[1])
                self.assertEqual((status["width"], status["height"]), (320, 240))
                self.assertIn("test pattern", status["source"])
                self.assertGreater(status["frames"]["captured"], 0)
                self.assertEqual(len(status["clients"]), 1)
                self.assertEqual(status["clients"][0]["kind"], "http")
                self.assertGreater(status["clients"][0]["sent"], 0)
                for key in ("fps", "uptime_s", "handshakes", "defences"):
                    self.assertIn(key, status)
                self.assertEqual(status["limits"]["max_clients"], 256)
                metrics = request(d.port, b"GET /metrics HTTP/1.0\r\n\r\n")
                self.assertEqual(status_of(metrics), 200)
                self.assertIn(b"text/plain; version=0.0.4", metrics)
                self.assertRegex(metrics.decode(), r"\ncamstream_frames_sent_total [1-9]")
                self.assertIn(b"\ncamstream_clients 1\n", metrics)
                self.assertIn(b"\ncamstream_clients_stalled_total 0\n", metrics)
                page = request(d.port, b"GET / HTTP/1.0\r\n\r\n")
                self.assertEqual(status_of(page), 200)
                self.assertIn(b'src="/stream"', page)
            finally:
                reader.stop()

    def test_keep_alive_head_and_no_store(self):
        with e2e.Daemon(size="320x240") as d:
            s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
            # Two requests in one write (pipelined), then a third on the same connection.
            s.sendall(b"GET /snapshot HTTP/1.1\r\nHost: t\r\n\r\n"
                      b"HEAD /snapshot HTTP/1.1\r\nHost: t\r\n\r\n")
            status, fields, body, rest = read_response(s)
            self.assertEqual(status, 200)
            self.assertEqual(fields["cache-control"], "no-store")
            self.assertEqual(fields["connection"], "keep-alive")
            self.assertEqual(body[:2], b"\xff\xd8")
            # HEAD: the same fields, no body.
            buf = rest
            while b"\r\n\r\n" not in buf:
                buf += s.recv(4096)
            head, after = buf.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b"Content-Length: ", head)
            self.assertEqual(after, b"")
            s.sendall(b"GET /status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            status, fields, body, _ = read_response(s)
            self.assertEqual(status, 200)
            self.assertEqual(fields["connection"], "close")
            json.loads(body)
            s.close()

    def test_bad_requests_get_their_status_while_a_stream_keeps_flowing(self):
        with e2e.Daemon(size="320x240") as d:
            reader = StreamReader(d.port)
            try:
                self.assertTrue(reader.frames_after(3), reader.error)
                cases = [
                    (b"GET /nothing-here HTTP/1.1\r\nHost: t\r\n\r\n", 404),
                    (b"POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405),
                    (b"DELETE / HTTP/1.1\r\nHost: t\r\n\r\n", 405),
                    (b"GET  /stream HTTP/1.1\r\nHost: t\r\n\r\n", 400),
                    (b"GET /stream HTTP/1.1\r\n\r\n", 400),
                    (b"GET /stream HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", 400),
                    (b"GET /stream HTTP/1.1\nHost: t\n\n", 400),
                    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
                    (b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X-Pad: " + b"p" * 100 + b"\r\n" * 1
                     + (b"X-Pad: " + b"p" * 100 + b"\r\n") * 100 + b"\r\n", 431),
                    (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
                ]
                for data, want in cases:
                    with self.subTest(want=want, data=data[:40]):
                        reply = request(d.port, data)
                        self.assertEqual(status_of(reply), want, reply[:200])
                        self.assertIn(b"Cache-Control: no-store", reply)
                        body = reply.split(b"\r\n\r\n", 1)[1]
                        self.assertLess(len(body), 200, "error bodies are short")
                        self.assertTrue(body.startswith(str(want).encode()), body)

                # A client that trickles its head a byte at a time is dropped with 408. From an
                # address of its own: the log's lines about 127.0.0.1 are spent by now.
                s = socket.create_connection(("127.0.0.1", d.port), timeout=30,
                                             source_address=("127.0.0.99", 0))
                reply = b""
                for byte in b"GET /stream HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"s" * 200:
                    try:
                        s.sendall(bytes([byte]))
                    except OSError:
                        break
                    r, _, _ = __import__("select").select([s], [], [], 0.2)
                    if r:
                        break
                try:
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        reply += chunk
                except ConnectionResetError:
                    pass
                s.close()
                self.assertEqual(status_of(reply), 408, reply[:200])

                # The parallel stream never stopped.
                self.assertTrue(reader.frames_after(10), reader.error)
                self.assertIsNone(reader.error)
            finally:
                reader.stop()
            code, err = d.stop()
            self.assertEqual(code, 0, err)
            self.assertIn("408", err)


class Viewer(unittest.TestCase):
    def test_camview_reads_camstreamd_over_http_with_pattern_check(self):
        with e2e.Daemon(size="320x240") as d:
            code, out, err = e2e.run_viewer("http://127.0.0.1:%d/stream" % d.port,
                                            "--no-display", "--frames", "30", "--check-pattern")
            self.assertEqual(code, 0, err)
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), 30)

    def test_camview_reads_ffmpeg_mpjpeg_server(self):
        need(self, "ffmpeg")
        port = e2e.free_port()
        ff = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
             "testsrc=size=320x240:rate=25", "-t", "60", "-f", "mpjpeg", "-listen", "1",
             "http://127.0.0.1:%d/" % port],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # ffmpeg listens once it has opened its output; retry until it does.
            deadline = time.monotonic() + 20
            while True:
                code, out, err = e2e.run_viewer("http://127.0.0.1:%d/" % port, "--no-display",
                                                "--frames", "30", "--print-fps")
                if code == 0 or "connection refused" not in err or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(code, 0, err)
        finally:
            ff.kill()
            ff.wait()

    def test_camview_reads_ustreamer_placeholder(self):
        need(self, "ustreamer")
        port = e2e.free_port()
        with tempfile.TemporaryDirectory() as tmp:
            # No camera here: ustreamer serves its "no signal" placeholder, about 1 fps.
            us = subprocess.Popen(
                ["ustreamer", "--device", os.path.join(tmp, "no-such-video-device"),
                 "--host", "127.0.0.1", "--port", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 20
                while True:
                    code, out, err = e2e.run_viewer("http://127.0.0.1:%d/stream" % port,
                                                    "--no-display", "--frames", "30",
                                                    timeout=120)
                    if code == 0 or "connection refused" not in err or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                self.assertEqual(code, 0, err)
            finally:
                us.kill()
                us.wait()

    def test_camview_http_errors_are_one_clear_sentence(self):
        with e2e.Daemon(size="320x240") as d:
            code, out, err = e2e.run_viewer("http://127.0.0.1:%d/nothing" % d.port, "--no-display")
            self.assertEqual(code, 1)
            self.assertIn("404 Not Found", err)
            code, out, err = e2e.run_viewer("http://127.0.0.1:%d/status" % d.port, "--no-display")
            self.assertEqual(code, 1)
            self.assertIn("not an MJPEG stream", err)
        code, out, err = e2e.run_viewer("rtsp://127.0.0.1:1/", "--no-display")
        self.assertEqual(code, 2)
        self.assertIn("'rtsp' is not supported", err)
        code, out, err = e2e.run_viewer("http://127.0.0.1:%d/stream" % e2e.free_port(), "--no-display",
                                        "--no-reconnect")
        self.assertEqual(code, 1)
        self.assertIn("connection refused", err)


class Browser(unittest.TestCase):
    def test_chromium_shows_the_live_picture_on_the_page(self):
        need(self, "chromium", "convert")
        with e2e.Daemon(size="320x240") as d, tempfile.TemporaryDirectory() as tmp:
            e2e.assert_browser_shows_the_pattern(self, "http://127.0.0.1:%d/" % d.port, tmp)

if __name__ == "__main__":
    e2e.main()
