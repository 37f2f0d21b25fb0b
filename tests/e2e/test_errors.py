"""test_errors.py - every error a user can meet ends in one clear sentence and the right code."""
import signal
import socket
import struct
import subprocess
import threading
import unittest

import camstream_e2e as e2e


def run_daemon(*args, timeout=10):
    p = subprocess.run([e2e.DAEMON, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class FakeServer:
    """A loopback server that answers every connection with fixed bytes, then closes."""

    def __init__(self, reply, close=True):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.reply, self.close_after = reply, close
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(8)
                conn.sendall(self.reply)
                if not self.close_after:
                    conn.recv(1)
            except OSError:
                pass

    def stop(self):
        self.sock.close()


class DaemonErrors(unittest.TestCase):
    def test_bad_values_name_the_option(self):
        cases = [
            (["--size", "abc"], "--size"),
            (["--size", "100x50"], "--size"),
            (["--size", "641x480"], "--size"),
            (["--fps", "-1"], "--fps"),
            (["--fps", "fast"], "--fps"),
            (["--quality", "0"], "--quality"),
            (["--quality", "101"], "--quality"),
            (["--listen", "localhost:99999"], "--listen"),
            (["--source", "webcam"], "--source"),
            (["--no-such-flag"], "no-such-flag"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                code, out, err = run_daemon(*args)
                self.assertEqual(code, 2)
                self.assertIn(needle, err)
                self.assertTrue(err.startswith("camstreamd: error:"), err)

    def test_port_in_use(self):
        with e2e.Daemon() as d:
            code, out, err = run_daemon("--listen", "127.0.0.1:%d" % d.port)
            self.assertEqual(code, 1)
            self.assertIn("already in use", err)
            self.assertIn("--listen", err)
            self.assertTrue(d.alive())

    def test_not_a_local_address(self):
        code, out, err = run_daemon("--listen", "not-an-ip:8080")
        self.assertEqual(code, 1)
        self.assertIn("not an IP address", err)

    def test_sigint_and_sigterm_exit_zero_with_clients_attached(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(sig=sig), e2e.Daemon() as d:
                c = e2e.RawClient(d.port)
                c.handshake()
                c.read_frame()
                code, err = d.stop(sig)
                self.assertEqual(code, 0, err)
                c.close()

    def test_wrong_protocol_version_is_refused_with_the_daemons_version(self):
        with e2e.Daemon() as d:
            c = e2e.RawClient(d.port)
            magic, version, status, _ = c.handshake(version=99)
            self.assertEqual((magic, version, status), (b"CAMS", e2e.VERSION, 1))
            self.assertTrue(c.closed_by_peer())
            code, err = d.stop()
            self.assertIn("version 99", err)

    def test_http_request_gets_an_answer_not_silence(self):
        # The port speaks HTTP too (test_http.py covers it): an unknown page gets a 404 that
        # names the pages there are, and the connection is closed, not left hanging.
        with e2e.Daemon() as d:
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            s.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            self.assertTrue(reply.startswith(b"HTTP/1.1 404 "), reply)
            self.assertIn(b"/stream", reply)


class ViewerErrors(unittest.TestCase):
    def test_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        code, out, err = e2e.run_viewer("127.0.0.1:%d" % port, "--no-display", "--no-reconnect")
        self.assertEqual(code, 1)
        self.assertIn("connection refused", err)

    def test_bad_address(self):
        for target in ("", "[::1", "host:0", "host:70000", "a:b:c"):
            with self.subTest(target=target):
                code, out, err = e2e.run_viewer(target, "--no-display")
                self.assertEqual(code, 2)
                self.assertIn("camview: error", err)

    def test_peer_that_is_not_camstreamd(self):
        fake = FakeServer(b"SSH-2.0-OpenSSH_9.2\r\n")
        code, out, err = e2e.run_viewer("127.0.0.1:%d" % fake.port, "--no-display")
        fake.stop()
        self.assertEqual(code, 1)
        self.assertIn("does not speak the camstream protocol", err)

    def test_peer_with_another_protocol_version(self):
        fake = FakeServer(b"CAMS" + struct.pack(">HHQ", 7, 1, 0))
        code, out, err = e2e.run_viewer("127.0.0.1:%d" % fake.port, "--no-display")
        fake.stop()
        self.assertEqual(code, 1)
        self.assertIn("version 7", err)
        self.assertIn("same release", err)

    def test_peer_announcing_a_frame_over_the_bound(self):
        hello = b"CAMS" + struct.pack(">HHQ", e2e.VERSION, 0, 0)
        fake = FakeServer(hello + struct.pack(">BBHI", 1, 0, 0, 0x7FFFFFFF), close=False)
        code, out, err = e2e.run_viewer("127.0.0.1:%d" % fake.port, "--no-display",
                                        "--no-reconnect")
        fake.stop()
        self.assertEqual(code, 1)
        self.assertIn("bound", err)

    def test_stream_end_is_an_error(self):
        with e2e.Daemon() as d:
            v = e2e.start_viewer(d.address, "--no-display", "--check-pattern", "--no-reconnect")
            for _ in range(5):
                self.assertTrue(e2e.read_line(v.stdout, timeout=10))
            d.stop()
            out, err = v.communicate(timeout=20)
            self.assertEqual(v.returncode, 1)
            self.assertIn("stream ended", err.decode())

    def test_frames_flag_exits_zero(self):
        with e2e.Daemon() as d:
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--frames", "3")
            self.assertEqual(code, 0, err)

    def test_no_display_without_flag_says_what_to_do(self):
        import os
        env = dict(os.environ)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        env["SDL_VIDEODRIVER"] = "x11"
        with e2e.Daemon() as d:
            p = subprocess.run([e2e.VIEWER, d.address], capture_output=True, text=True,
                               timeout=30, env=env)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--no-display", p.stderr)


if __name__ == "__main__":
    e2e.main()
