"""test_window.py - camview in a real X window (Xvfb): the picture, the overlay, fullscreen,
1:1 pixels and the key list, driven by keys a person would press (xdotool).

Skipped (exit 77, saying what is missing) without the tools in xwindow.TOOLS.
"""
import os
import subprocess

import camstream_e2e as e2e
import xwindow
from xwindow import close, pixel

# The test pattern's bars in RGB (shared/ draws them in full-range YUV).
BARS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
        (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]
# Where docs/viewer.md's screenshot is written, when the environment asks for one.
DOC_SHOT = os.environ.get("CAMVIEW_DOC_SCREENSHOT")


class Window(xwindow.WindowTest):
    def start(self, *args):
        v, wid = super().start(*args, live=r" - 640x480 - .* - live$")
        self.x.wait_geometry(wid, lambda g: g[2:] == (640, 480))
        return v, wid

    def test_window_shows_the_pattern(self):
        v, wid = self.start("--print-fps")
        # Two summaries: a second of frames has been presented.
        for _ in range(2):
            line = e2e.read_line(v.stdout, timeout=20)
            self.assertIn(b" fps, ", line)
        w, h, raw = self.x.screenshot(os.path.join(self.tmp, "shot.png"))
        gx, gy, gw, gh = self.x.geometry(wid)
        # Find the white bar: the only pure-white area of the window (the moving square is 235
        # grey; the window manager's frame around it is not searched).
        xs, ys = [], []
        for y in range(gy, gy + gh, 2):
            for x in range(gx, gx + gw, 2):
                if min(pixel(raw, w, x, y)) >= 250:
                    xs.append(x)
                    ys.append(y)
        self.assertTrue(xs, "no white bar anywhere in the screenshot")
        left, top, right, bottom = min(xs), min(ys), max(xs), max(ys)
        bar_w = right - left + 1
        self.assertGreater(bar_w, 40)
        centre_y = (top + bottom) // 2
        for i, expected in enumerate(BARS):
            x = left + int((i + 0.5) * bar_w)
            got = pixel(raw, w, x, centre_y)
            self.assertTrue(close(got, expected),
                            "bar %d at (%d,%d) is %s, expected %s" % (i, x, centre_y, got,
                                                                       expected))
        # The title names the source, the resolution, the frame rate and the state.
        self.assertRegex(self.x.title(wid),
                         r"^camview - 127\.0\.0\.1:%d - 640x480 - \d+\.\d fps - live$" % self.d.port)
        self.stop(v)

    def test_overlay_key_draws_text_over_the_picture(self):
        v, wid = self.start()
        gx, gy, _, _ = self.x.geometry(wid)
        # The overlay's box sits at the picture's top left, over the white bar.
        box = [(gx + x, gy + y) for y in range(12, 60, 2) for x in range(12, 70, 2)]

        def region(path):
            w, _, raw = self.x.screenshot(os.path.join(self.tmp, path))
            return [pixel(raw, w, x, y) for x, y in box]

        before = region("before.png")
        self.assertGreater(sum(min(p) >= 230 for p in before), 0.9 * len(box),
                           "the picture there is not the white bar")
        self.x.key(wid, "i")
        after = []

        def overlay_shows():
            after[:] = region("after.png")
            dark = sum(max(p) < 150 for p in after)
            text = sum(min(p) >= 200 for p in after)  # white letters on the dark box
            return dark > 0.4 * len(box) and text > 0.02 * len(box)

        self.assertTrue(xwindow.eventually(overlay_shows, timeout=10),
                        "the overlay's pixels do not differ from the picture's")
        if DOC_SHOT:
            subprocess.run(["import", "-display", self.x.display, "-window", wid, DOC_SHOT],
                           check=True, timeout=30)
        self.x.key(wid, "i")
        self.assertTrue(xwindow.eventually(
            lambda: sum(min(p) >= 230 for p in region("off.png")) > 0.9 * len(box), timeout=10),
            "i did not take the overlay away")
        self.stop(v)

    def test_fullscreen_and_one_to_one_keys(self):
        v, wid = self.start()
        full = lambda g: g[2:] == (self.x.width, self.x.height)
        self.x.key(wid, "f")
        self.x.wait_geometry(wid, full)
        self.x.key(wid, "F11")
        self.x.wait_geometry(wid, lambda g: not full(g))
        gx, gy, gw, gh = self.x.geometry(wid)
        self.x.click(wid, gw // 2, gh // 2, repeat=2)
        self.x.wait_geometry(wid, full)
        self.x.key(wid, "Escape")
        self.x.wait_geometry(wid, lambda g: not full(g))
        # g: one camera at 1:1 makes the window the picture's size again.
        self.x.run("xdotool", "windowsize", "--sync", wid, "900", "700")
        self.x.wait_geometry(wid, lambda g: g[2:] == (900, 700))
        self.x.key(wid, "g")
        self.x.wait_geometry(wid, lambda g: g[2:] == (640, 480))
        self.stop(v)

    def test_help_key_shows_the_key_list(self):
        v, wid = self.start()
        gx, gy, gw, gh = self.x.geometry(wid)
        # The help box is centred; its dark background covers the bars' middle.
        spots = [(gx + x, gy + gh // 2 - 40 + y) for y in range(0, 80, 4)
                 for x in range(gw // 4, 3 * gw // 4, 4)]

        def dark_share(path):
            w, _, raw = self.x.screenshot(os.path.join(self.tmp, path))
            return sum(max(pixel(raw, w, x, y)) < 120 for x, y in spots) / len(spots)

        before = dark_share("nohelp.png")
        self.x.key(wid, "h")
        self.assertTrue(xwindow.eventually(lambda: dark_share("help.png") > before + 0.3,
                                           timeout=10), "h showed no key list")
        self.x.key(wid, "question")
        self.assertTrue(xwindow.eventually(lambda: dark_share("help2.png") < before + 0.1,
                                           timeout=10), "? did not hide the key list")
        self.stop(v)

    def test_window_flags(self):
        v = self.viewer(self.d.address, "--window-title", "Garden", "--fullscreen",
                        "--always-on-top")
        # Found by its live title: going fullscreen and above may remake the window under
        # ThreadSanitizer's slowness, so a window found earlier by "Garden" can be gone.
        wid = self.window(r"^Garden - live$", timeout=90)
        self.x.wait_geometry(wid, lambda g: g[2:] == (self.x.width, self.x.height))
        state = self.x.run("xprop", "-id", wid, "_NET_WM_STATE").stdout
        self.assertIn("_NET_WM_STATE_ABOVE", state)
        self.stop(v)

    def test_help_lists_every_key(self):
        out = subprocess.run([e2e.VIEWER, "--help"], capture_output=True, text=True,
                             timeout=10).stdout
        self.assertIn("Keys in the window:", out)
        for key in ("i ", "s ", "r ", "f, F11, double-click", "g ", "1-9, click", "0, Esc",
                    "h, ?", "q "):
            self.assertIn("\n  " + key, out)


if __name__ == "__main__":
    # Checked before unittest runs: an exit inside a test would count as an error, not a skip.
    xwindow.skip_unless_tools()
    e2e.main()
