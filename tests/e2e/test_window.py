"""test_window.py - camview in a real X window (Xvfb): the screenshot shows the bars.

Needs Xvfb, ImageMagick's `import` and `convert`, and xwininfo, which scripts/install-deps
installs; without them the test is skipped with a message saying which one is missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import camstream_e2e as e2e

# The test pattern's bars in RGB (shared/ draws them in full-range YUV).
BARS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
        (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]
TOOLS = ["Xvfb", "import", "convert", "xwininfo"]


class Xvfb:
    def __init__(self, width=1024, height=768):
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", "%dx%dx24" % (width, height),
             "-nolisten", "tcp"], pass_fds=(w,), stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r, "rb") as pipe:
            number = e2e.read_line(pipe, timeout=20).strip()
        if not number:
            self.proc.kill()
            raise AssertionError("Xvfb did not start")
        self.display = ":" + number.decode()

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def screenshot(display, path):
    subprocess.run(["import", "-display", display, "-window", "root", path], check=True,
                   timeout=30)
    size = subprocess.run(["convert", path, "-format", "%w %h", "info:"], check=True,
                          capture_output=True, text=True).stdout.split()
    raw = subprocess.run(["convert", path, "-depth", "8", "rgb:-"], check=True,
                         capture_output=True).stdout
    return int(size[0]), int(size[1]), raw


def pixel(raw, width, x, y):
    i = 3 * (y * width + x)
    return tuple(raw[i:i + 3])


def close(a, b, tolerance=40):
    return all(abs(p - q) <= tolerance for p, q in zip(a, b))


class Window(unittest.TestCase):
    def test_window_shows_the_pattern(self):
        xvfb = Xvfb()
        self.addCleanup(xvfb.stop)
        # In the sanitizer build, LeakSanitizer would report what libdbus and Mesa (loaded by
        # SDL) leave at exit; camview's own code is leak-checked by the headless tests.
        env = dict(os.environ, DISPLAY=xvfb.display, SDL_VIDEODRIVER="x11",
                   LSAN_OPTIONS="detect_leaks=0")
        with e2e.Daemon(size="640x480", fps="30") as d:
            viewer = subprocess.Popen([e2e.VIEWER, d.address, "--print-fps"], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.addCleanup(lambda: viewer.poll() is None and viewer.kill())
            # Two summaries: a second of frames has been presented.
            for _ in range(2):
                line = e2e.read_line(viewer.stdout, timeout=20)
                self.assertIn(b" fps, ", line, viewer.stderr.read1() if not line else line)

            with tempfile.TemporaryDirectory() as tmp:
                w, h, raw = screenshot(xvfb.display, os.path.join(tmp, "shot.png"))
            # Find the white bar: the only pure-white area (the moving square is 235 grey).
            xs, ys = [], []
            for y in range(0, h, 2):
                for x in range(0, w, 2):
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

            # The title names the source, the resolution and the frame rate.
            tree = subprocess.run(["xwininfo", "-display", xvfb.display, "-root", "-tree"],
                                  capture_output=True, text=True, timeout=30).stdout
            self.assertRegex(tree, r"camview - 127\.0\.0\.1:%d - 640x480 - \d+\.\d fps" % d.port)

            viewer.terminate()
            _, err = viewer.communicate(timeout=20)
            self.assertEqual(viewer.returncode, 0, err)


if __name__ == "__main__":
    # Checked before unittest runs: an exit inside a test would count as an error, not a skip.
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print("SKIP: no %s here; scripts/install-deps installs them" % ", ".join(missing))
        sys.exit(77)
    e2e.main()
