"""test_window_reconnect.py - a window that stays: the daemon killed and restarted, a daemon
that stalls, a grid of two daemons each reconnecting on its own, and a refused token.

Skipped (exit 77, saying what is missing) without the tools in xwindow.TOOLS.
"""
import os
import signal

import camstream_e2e as e2e
import xwindow
from xwindow import pixel


def is_grey(p, tolerance=12):
    return max(p) - min(p) <= tolerance


class WindowReconnect(xwindow.WindowTest):
    DAEMON = False  # each test starts its own, some two, some again on the same port

    def test_the_window_stays_through_a_daemon_restart(self):
        d = self.daemon()
        port = d.port
        v = self.viewer(d.address, "--print-fps")
        wid = self.window()
        self.x.wait_title(wid, r" - live$")
        d.stop(signal.SIGKILL)
        self.x.wait_title(wid, r" - reconnecting$")
        # The last picture stays, without its colours: the yellow bar turns grey.
        gx, gy, gw, gh = self.x.geometry(wid)
        spot = (gx + int(1.5 * gw / 8), gy + 20)

        def yellow_bar_is_grey():
            w, _, raw = self.x.screenshot(os.path.join(self.tmp, "grey.png"))
            p = pixel(raw, w, *spot)
            return is_grey(p) and max(p) > 60

        self.assertTrue(xwindow.eventually(yellow_bar_is_grey, timeout=10),
                        "the last picture is not greyed while reconnecting")
        d = self.daemon(port=port)
        self.x.wait_title(wid, r" - live$")
        self.assertEqual(self.window(), wid, "the window was replaced")
        # Frames flow again: more figures, with frames in them.
        line = b""
        for _ in range(3):
            line = e2e.read_line(v.stdout, timeout=10)
        self.assertRegex(line.decode(), r"^[1-9]\d*\.\d fps")
        v.terminate()
        _, err = v.communicate(timeout=20)
        self.assertEqual(v.returncode, 0, err)
        self.assertIn(b"is back", err)

    def test_a_daemon_that_stops_sending_is_stalled(self):
        d = self.daemon()
        v = self.viewer(d.address)
        wid = self.window()
        self.x.wait_title(wid, r" - live$")
        d.proc.send_signal(signal.SIGSTOP)
        try:
            self.x.wait_title(wid, r" - stalled$", timeout=10)
        finally:
            d.proc.send_signal(signal.SIGCONT)
        self.x.wait_title(wid, r" - live$")
        v.terminate()
        v.communicate(timeout=20)

    def test_a_grid_of_two_daemons(self):
        a, b = self.daemon(), self.daemon()
        v = self.viewer(a.address, b.address)
        wid = self.window()
        self.x.wait_title(wid, r"^camview - 2 cameras - live, live$")
        gx, gy, gw, gh = self.x.geometry(wid)
        self.assertGreater(gw, gh, "two 4:3 pictures side by side make a wide window")
        # Both cells show the pattern: a white bar at the top left of each half.
        w, _, raw = self.x.screenshot(os.path.join(self.tmp, "grid.png"))
        for half in (0, 1):
            x0 = gx + half * gw // 2
            whites = sum(min(pixel(raw, w, x0 + x, gy + y)) >= 230
                         for x in range(5, 40, 5) for y in range(gh // 2 - 20, gh // 2 + 20, 5))
            self.assertGreater(whites, 20, "cell %d shows no pattern" % half)
        # 2 shows the second camera alone, 0 the grid again.
        self.x.key(wid, "2")
        self.x.wait_title(wid, r"^camview - 127\.0\.0\.1:%d - 640x480 - .* - live$" % b.port)
        self.x.key(wid, "0")
        self.x.wait_title(wid, r"^camview - 2 cameras")
        # Each camera reconnects on its own: the other stays live.
        b.stop(signal.SIGKILL)
        self.x.wait_title(wid, r"^camview - 2 cameras - live, reconnecting$")
        # A click on the first cell shows it alone.
        self.x.click(wid, gw // 4, gh // 2)
        self.x.wait_title(wid, r"^camview - 127\.0\.0\.1:%d - .* - live$" % a.port)
        v.terminate()
        _, err = v.communicate(timeout=20)
        self.assertEqual(v.returncode, 0, err)

    def test_a_refused_token_stays_on_screen_and_ends_with_one(self):
        d = self.daemon("--auth-token", "a-token-of-sixteen-or-more")
        v = self.viewer(d.address, "--token", "wrong-token-0123456789")
        wid = self.window()
        self.x.wait_title(wid, r" - ended$")
        # Said once on stderr, and the window stays until closed.
        line = e2e.read_line(v.stderr, timeout=10)
        self.assertIn(b"refused the token", line)
        self.assertTrue(self.red_text_shows(wid, "centre"), "the reason is not on screen")
        self.assertIsNone(v.poll())
        self.x.key(wid, "q")
        _, err = v.communicate(timeout=20)
        self.assertEqual(v.returncode, 1)
        self.assertNotIn(b"refused the token", err, "said more than once")

    def test_unreachable_host_is_one_line_and_a_live_window(self):
        v = self.viewer("127.0.0.1:%d" % e2e.free_port())
        wid = self.window()
        self.x.wait_title(wid, r" - reconnecting$")
        line = e2e.read_line(v.stderr, timeout=10)
        self.assertIn(b"connection refused", line)
        # The window still answers: a key is handled while nothing connects.
        self.x.key(wid, "h")
        self.x.wait_title(wid, r" - reconnecting$")
        v.terminate()
        _, err = v.communicate(timeout=20)
        self.assertEqual(v.returncode, 0, err)
        self.assertNotIn(b"connection refused", err, "the same reason was said again")


if __name__ == "__main__":
    xwindow.skip_unless_tools()
    e2e.main()
