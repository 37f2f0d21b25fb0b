"""test_camera.py - camstreamd's camera flags where there is no camera, and a real camera where
there is one.

Without --real-camera: --list-cameras and --source libcamera say clearly that there is no
camera (or no libcamera in this build) and exit 1; --source auto falls back to the test pattern
with a warning and streams it. With --real-camera: streams from the camera, or exits 77
(skipped) with a message when there is none.
"""
import subprocess
import sys
import unittest

import camstream_e2e as e2e

NO_CAMERA = ("no camera found", "no libcamera support")


def run_daemon(*args, timeout=20):
    p = subprocess.run([e2e.DAEMON, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def have_camera():
    code, _, _ = run_daemon("--list-cameras")
    return code == 0


class WithoutCamera(unittest.TestCase):
    def setUp(self):
        if have_camera():
            self.skipTest("a camera is present; these tests are for a machine without one")

    def assert_no_camera_message(self, err):
        lines = [l for l in err.splitlines() if l.startswith("camstreamd:")]
        self.assertTrue(lines, err)
        self.assertTrue(lines[-1].startswith("camstreamd: error:"), err)
        self.assertTrue(any(s in lines[-1] for s in NO_CAMERA), err)
        self.assertIn("--source testpattern", lines[-1])

    def test_list_cameras_says_there_is_none(self):
        code, out, err = run_daemon("--list-cameras")
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assert_no_camera_message(err)

    def test_source_libcamera_says_there_is_none(self):
        code, out, err = run_daemon("--source", "libcamera", "--listen", "127.0.0.1:0")
        self.assertEqual(code, 1)
        self.assertNotIn("listening on", out)
        self.assert_no_camera_message(err)

    def test_auto_streams_the_test_pattern_with_a_warning(self):
        with e2e.Daemon("--source", "auto") as d:
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--frames", "5",
                                            "--check-pattern")
            self.assertEqual(code, 0, err)
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), at_least=5)
            code, derr = d.stop()
        self.assertEqual(code, 0, derr)
        self.assertIn("serving the test pattern instead", derr)

    def test_testpattern_is_quiet_about_cameras(self):
        with e2e.Daemon("--source", "testpattern") as d:
            code, _, err = e2e.run_viewer(d.address, "--no-display", "--frames", "2")
            self.assertEqual(code, 0, err)
            code, derr = d.stop()
        self.assertEqual(code, 0, derr)
        self.assertNotIn("camera", derr)


class CameraFlags(unittest.TestCase):
    def test_bad_values_name_the_option(self):
        cases = [
            (["--rotate", "90"], "--rotate"),
            (["--control", "ExposureTime"], "--control"),
            (["--control", "=5"], "--control"),
            (["--source", "v4l2"], "--source"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                code, _, err = run_daemon(*args)
                self.assertEqual(code, 2, err)
                self.assertTrue(err.startswith("camstreamd: error:"), err)
                self.assertIn(needle, err)

    def test_help_lists_the_camera_flags(self):
        code, out, _ = run_daemon("--help")
        self.assertEqual(code, 0)
        for flag in ("--list-cameras", "--camera", "--hflip", "--vflip", "--rotate", "--control"):
            self.assertIn(flag, out)


def real_camera():
    """Streams 10 frames from the first camera; exit 77 when there is none."""
    code, out, err = run_daemon("--list-cameras")
    if code != 0:
        print("SKIP: no camera on this machine: " + err.strip().splitlines()[-1])
        sys.exit(77)
    print(out)
    with e2e.Daemon("--source", "libcamera", size="640x480", fps="15") as d:
        vcode, vout, verr = e2e.run_viewer(d.address, "--no-display", "--frames", "10")
        dcode, derr = d.stop()
    print(derr)
    if vcode != 0 or dcode != 0:
        print("FAIL: camview exit %d (%s), camstreamd exit %d" % (vcode, verr, dcode))
        sys.exit(1)
    print("10 frames from the camera")
    sys.exit(0)


if __name__ == "__main__":
    if "--real-camera" in sys.argv:
        sys.argv.remove("--real-camera")
        e2e.parse_args()
        real_camera()
    e2e.main()
