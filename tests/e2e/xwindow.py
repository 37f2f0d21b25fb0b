"""xwindow.py - a real X display for camview's window tests: Xvfb with a window manager,
screenshots, pixels, keys and clicks through xdotool, and the window's title and size.

Everything here needs Xvfb, openbox, xdotool, ImageMagick's import and convert, and xwininfo
(scripts/install-deps installs them); missing_tools() names the ones this machine lacks.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import camstream_e2e as e2e

TOOLS = ["Xvfb", "openbox", "xdotool", "import", "convert", "xwininfo"]


def missing_tools(tools=TOOLS):
    return [t for t in tools if shutil.which(t) is None]


def skip_unless_tools(tools=TOOLS):
    """Exits 77 (ctest's skip) before unittest runs, naming what is missing."""
    import sys
    missing = missing_tools(tools)
    if missing:
        print("SKIP: no %s here; scripts/install-deps installs them" % ", ".join(missing))
        sys.exit(77)


class Xvfb:
    """An X server of its own; with `wm`, openbox manages windows (fullscreen needs one)."""

    def __init__(self, width=1024, height=768, wm=True):
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
        self.width, self.height = width, height
        self.wm = None
        if wm:
            self.wm = subprocess.Popen(["openbox", "--sm-disable"], env=self.env(),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # openbox owns the screen once it has set its _NET_SUPPORTING_WM_CHECK.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                out = subprocess.run(["xprop", "-display", self.display, "-root",
                                      "_NET_SUPPORTING_WM_CHECK"], capture_output=True,
                                     text=True).stdout if shutil.which("xprop") else "window id"
                if "window id" in out:
                    break
                time.sleep(0.1)

    def env(self, **extra):
        # In the sanitizer build, LeakSanitizer would report what libdbus, fontconfig and Mesa
        # (loaded by SDL) leave at exit; camview's own code is leak-checked by the headless
        # tests.
        return dict(os.environ, DISPLAY=self.display, SDL_VIDEODRIVER="x11",
                    LSAN_OPTIONS="detect_leaks=0", **extra)

    def stop(self):
        for p in (self.wm, self.proc):
            if p:
                p.kill()
                p.wait()

    def run(self, *args, timeout=30):
        return subprocess.run(list(args), env=self.env(), capture_output=True, text=True,
                              timeout=timeout)

    # The waits are long because the ThreadSanitizer build runs these tests too, many times
    # slower; a window that never comes still fails.
    def window(self, name="camview", timeout=60):
        """The id of the first window whose title matches `name`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.run("xdotool", "search", "--name", name).stdout.split()
            if out:
                return out[0]
            time.sleep(0.1)
        raise AssertionError("no window named %r" % name)

    def title(self, wid):
        return self.run("xdotool", "getwindowname", wid).stdout.strip()

    def wait_title(self, wid, pattern, timeout=60):
        deadline = time.monotonic() + timeout
        title = ""
        while time.monotonic() < deadline:
            title = self.title(wid)
            if re.search(pattern, title):
                return title
            time.sleep(0.05)
        raise AssertionError("title %r never matched %r" % (title, pattern))

    def geometry(self, wid):
        """(x, y, width, height) of the window's inside, in root coordinates."""
        out = self.run("xwininfo", "-id", wid).stdout
        get = lambda key: int(re.search(key + r":\s+(-?\d+)", out).group(1))
        return (get("Absolute upper-left X"), get("Absolute upper-left Y"), get("Width"),
                get("Height"))

    def wait_geometry(self, wid, pred, timeout=20):
        deadline = time.monotonic() + timeout
        g = None
        while time.monotonic() < deadline:
            g = self.geometry(wid)
            if pred(g):
                return g
            time.sleep(0.05)
        raise AssertionError("the window's geometry stayed %s" % (g,))

    def key(self, wid, *keys):
        """Types `keys` into the window, as a person would: focus, then real key events."""
        self.run("xdotool", "windowactivate", "--sync", wid)
        self.run("xdotool", "windowfocus", "--sync", wid)
        self.run("xdotool", "key", "--delay", "50", *keys)

    def click(self, wid, x, y, repeat=1):
        """Left click(s) at (x, y) inside the window."""
        self.run("xdotool", "mousemove", "--window", wid, str(x), str(y))
        self.run("xdotool", "click", "--repeat", str(repeat), "--delay", "80", "1")

    def screenshot(self, path):
        """(width, height, raw RGB bytes) of the whole screen, also kept at `path`."""
        subprocess.run(["import", "-display", self.display, "-window", "root", path],
                       check=True, timeout=30)
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


def red_text(raw, width, x0, y0, x1, y1):
    """How many pixels in the box look like camview's red text (errors on screen)."""
    return sum(1 for y in range(y0, y1, 2) for x in range(x0, x1, 2)
               if (lambda p: p[0] >= 180 and p[1] <= 150 and p[2] <= 150 and p[0] - p[1] >= 80)(
                   pixel(raw, width, x, y)))


def eventually(pred, timeout=20, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


class WindowTest(unittest.TestCase):
    """A test with its own X display and scratch folder; with DAEMON set, a camstreamd too."""

    DAEMON = True

    def setUp(self):
        self.x = Xvfb()
        self.addCleanup(self.x.stop)
        self.tmp = tempfile.mkdtemp(prefix="camview-window-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        if self.DAEMON:
            self.d = self.daemon()

    def daemon(self, *args, port=0):
        d = e2e.Daemon(*args, size="640x480", fps="30", port=port)
        self.addCleanup(d.kill)
        return d

    def viewer(self, *args):
        """camview with `args`, on this display; killed at the end if still running."""
        v = subprocess.Popen([e2e.VIEWER, *args], env=self.x.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.addCleanup(lambda: v.poll() is None and v.kill())
        return v

    def start(self, *args, live=r" - live$"):
        """camview on this test's daemon, once its title says `live`: (process, window)."""
        v = self.viewer(self.d.address, *args)
        wid = self.window()
        # Generous: the first window on a fresh machine also builds Mesa's shader cache and
        # fontconfig's, which took over 20 s on a loaded 2-core machine. A hang still fails.
        self.x.wait_title(wid, live, timeout=90)
        return v, wid

    def window(self, name="camview", timeout=60):
        return self.x.window(name, timeout=timeout)

    def red_text_shows(self, wid, where):
        """Whether red text (an error) shows in `where` of the window: "centre" or "bottom"."""
        gx, gy, gw, gh = self.x.geometry(wid)
        box = {"centre": (gx, gy + gh // 3, gx + gw, gy + 2 * gh // 3),
               "bottom": (gx, gy + gh - 80, gx + gw, gy + gh)}[where]

        def shows():
            w, _, raw = self.x.screenshot(os.path.join(self.tmp, "red.png"))
            return red_text(raw, w, *box) > 20

        return eventually(shows, timeout=10)

    def stop(self, v):
        """Ends camview as a person would (SIGTERM) and expects exit 0; its stderr."""
        v.terminate()
        _, err = v.communicate(timeout=20)
        self.assertEqual(v.returncode, 0, err)
        return err.decode()
