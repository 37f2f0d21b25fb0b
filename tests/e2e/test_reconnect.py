"""test_reconnect.py - camview stays with a camera whose daemon dies and comes back.

Headless (no window needed): the frame count carries across the restart, camview is back soon
after the daemon, and the errors no retry can mend still end it with one line.
"""
import signal
import time
import unittest

import camstream_e2e as e2e

FRAMES = 300


class Reconnect(unittest.TestCase):
    def test_frames_n_reached_across_a_daemon_restart(self):
        """The issue's "done when": --frames 300 while the daemon is killed and restarted."""
        self.restart_midway(lambda port: "127.0.0.1:%d" % port)

    def test_an_http_stream_reconnects_too(self):
        self.restart_midway(lambda port: "http://127.0.0.1:%d/stream" % port)

    def restart_midway(self, source):
        """camview --frames 300 on `source(port)`; the daemon is killed after 60 frames and
        started again on its port a second later."""
        d = e2e.Daemon(size="320x240", fps="30")
        self.addCleanup(lambda: d.kill())
        port = d.port
        v = e2e.start_viewer(source(port), "--no-display", "--frames", str(FRAMES),
                             "--check-pattern")
        self.addCleanup(lambda: v.poll() is None and v.kill())
        seqs = []
        while len(seqs) < 60:
            line = e2e.read_line(v.stdout, timeout=20)
            self.assertTrue(line, "camview stopped printing frames before the restart")
            seqs.append(e2e.pattern_frames(line.decode())[0][0])
        d.stop(signal.SIGKILL)
        time.sleep(1.0)  # long enough for several failed attempts
        d = e2e.Daemon(size="320x240", fps="30", port=port)
        back_from = time.monotonic()
        back_after = None
        while True:
            line = e2e.read_line(v.stdout, timeout=20)
            if not line:
                break
            frames = e2e.pattern_frames(line.decode())
            if not frames:
                continue
            seq, pixel = frames[0]
            self.assertEqual(pixel, seq & 0xFFFFFFFF)
            if back_after is None and seq < seqs[-1]:
                back_after = time.monotonic() - back_from  # the new daemon counts from 0
            seqs.append(seq)
        v.wait(timeout=20)
        err = v.stderr.read().decode()
        self.assertEqual(v.returncode, 0, err)
        self.assertEqual(len(seqs), FRAMES, "the count did not carry across the restart")
        self.assertIsNotNone(back_after, "no frame from the restarted daemon")
        print("camview was back %.2f s after the daemon listened again" % back_after)
        # The promise is a second; the bound is generous for a loaded machine.
        self.assertLess(back_after, 3.0)
        self.assertIn("(reconnecting)", err)
        self.assertIn("is back", err)

    def test_keeps_trying_a_daemon_that_is_not_there_yet(self):
        port = e2e.free_port()
        v = e2e.start_viewer("127.0.0.1:%d" % port, "--no-display", "--frames", "5")
        self.addCleanup(lambda: v.poll() is None and v.kill())
        time.sleep(1.5)
        self.assertIsNone(v.poll(), "camview gave up on a daemon that was not there yet")
        with e2e.Daemon(port=port):
            out, err = v.communicate(timeout=30)
        self.assertEqual(v.returncode, 0, err)
        # One line for the reason, however many attempts failed the same way.
        self.assertEqual(err.decode().count("connection refused"), 1, err)

    def test_no_reconnect_exits_when_the_stream_ends(self):
        with e2e.Daemon() as d:
            v = e2e.start_viewer(d.address, "--no-display", "--check-pattern", "--no-reconnect")
            self.assertTrue(e2e.read_line(v.stdout, timeout=10))
            d.stop(signal.SIGKILL)
            _, err = v.communicate(timeout=20)
        self.assertEqual(v.returncode, 1)
        self.assertEqual(len(err.decode().strip().splitlines()), 1, err)

    def test_a_refused_token_is_final_even_when_reconnecting(self):
        token = "a-token-of-sixteen-or-more"
        with e2e.Daemon("--auth-token", token, listen="0.0.0.0") as d:
            code, _, err = e2e.run_viewer(d.address, "--no-display", "--token",
                                          "wrong-token-0123456789", timeout=20)
            self.assertEqual(code, 1)
            self.assertIn("refused the token", err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            code, _, err = e2e.run_viewer("http://127.0.0.1:%d/stream" % d.port, "--no-display",
                                          "--token", "wrong-token-0123456789", timeout=20)
            self.assertEqual(code, 1)
            self.assertIn("refused the credentials", err)


if __name__ == "__main__":
    e2e.main()
