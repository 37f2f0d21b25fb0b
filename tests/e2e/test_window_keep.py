"""test_window_keep.py - the keys that keep what you saw, typed into a real window: s saves the
JPEG the daemon sent (byte for byte), r records what ffprobe reads at the real pace, and an
unusable snapshot folder is one line, not a crash.

Skipped (exit 77, saying what is missing) without the tools in xwindow.TOOLS or ffprobe.
"""
import json
import os
import re
import shutil
import subprocess
import threading
import time

import camstream_e2e as e2e
import xwindow

SNAPSHOT = re.compile(r"saved (\S+-seq(\d+)\.jpg)")


class FrameCollector(threading.Thread):
    """A native client of the same daemon that keeps every frame it gets by sequence number:
    the daemon encodes a frame once and sends the same JPEG to every client."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.client = e2e.RawClient(port)
        self.client.handshake()
        self.frames = {}
        self.lock = threading.Lock()
        self.stopping = False

    def run(self):
        try:
            while not self.stopping:
                f = self.client.read_frame()
                with self.lock:
                    self.frames[f["seq"]] = f["jpeg"]
        except (OSError, EOFError):
            pass

    def get(self, seq):
        with self.lock:
            return self.frames.get(seq)

    def stop(self):
        self.stopping = True
        self.client.close()


class Keep(xwindow.WindowTest):
    def test_s_saves_the_jpeg_the_daemon_sent(self):
        collector = FrameCollector(self.d.port)
        collector.start()
        self.addCleanup(collector.stop)
        snaps = os.path.join(self.tmp, "snaps")
        v, wid = self.start("--snapshot-dir", snaps)
        matched = None
        # The collector may have skipped the very frame on screen (a slow reader); try again.
        for _ in range(5):
            self.x.key(wid, "s")
            line = e2e.read_line(v.stderr, timeout=10).decode()
            m = SNAPSHOT.search(line)
            self.assertTrue(m, "no snapshot saved: %r" % line)
            path, seq = m.group(1), int(m.group(2))
            self.assertTrue(path.startswith(snaps + "/camview-127.0.0.1_%d-" % self.d.port), path)
            xwindow.eventually(lambda: collector.get(seq) is not None, timeout=2)
            sent = collector.get(seq)
            if sent is not None:
                with open(path, "rb") as f:
                    self.assertEqual(f.read(), sent, "the snapshot is not the JPEG that was sent")
                matched = seq
                break
        self.assertIsNotNone(matched, "the collector never saw a snapshot's frame")
        v.terminate()
        v.communicate(timeout=20)

    def test_r_records_at_the_real_pace(self):
        if shutil.which("ffprobe") is None:
            self.skipTest("no ffprobe here; scripts/install-deps installs ffmpeg")
        snaps = os.path.join(self.tmp, "snaps")
        v, wid = self.start("--snapshot-dir", snaps)
        self.x.key(wid, "r")
        started = time.monotonic()
        line = e2e.read_line(v.stderr, timeout=10).decode()
        self.assertIn("recording into", line)
        time.sleep(6)
        self.x.key(wid, "r")
        wall = time.monotonic() - started
        line = e2e.read_line(v.stderr, timeout=10).decode()
        m = re.search(r"recorded (\d+) frames into (\S+\.mkv)", line)
        self.assertTrue(m, line)
        frames, path = int(m.group(1)), m.group(2)
        info = json.loads(subprocess.run(
            ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
             "-show_entries", "stream=codec_name,nb_read_frames:format=duration", "-of", "json",
             path], capture_output=True, text=True, timeout=60, check=True).stdout)
        self.assertEqual(info["streams"][0]["codec_name"], "mjpeg")
        self.assertEqual(int(info["streams"][0]["nb_read_frames"]), frames)
        duration = float(info["format"]["duration"])
        print("recorded %d frames: %.3f s in the file, %.3f s between the keys"
              % (frames, duration, wall))
        self.assertAlmostEqual(duration, wall, delta=0.05 * wall)
        v.terminate()
        v.communicate(timeout=20)

    def test_an_unusable_snapshot_folder_is_one_line(self):
        blocker = os.path.join(self.tmp, "a-file")
        with open(blocker, "w") as f:
            f.write("not a folder")
        v, wid = self.start("--snapshot-dir", os.path.join(blocker, "snaps"))
        self.x.key(wid, "s")
        line = e2e.read_line(v.stderr, timeout=10).decode()
        self.assertIn("cannot make the folder", line)
        self.assertIn("--snapshot-dir", line)
        self.assertTrue(self.red_text_shows(wid, "bottom"), "the reason is not on screen")
        # Still alive and live.
        self.x.wait_title(wid, r" - live$")
        self.assertIsNone(v.poll())
        self.stop(v)

    def test_a_full_disk_while_recording_is_one_line_on_screen(self):
        mnt = e2e.small_tmpfs(self)
        v, wid = self.start("--record", os.path.join(mnt, "x.mkv"))
        line = e2e.read_line(v.stderr, timeout=30).decode()
        self.assertIn("recording stopped", line)
        self.assertIn("No space left on device", line)
        self.assertTrue(self.red_text_shows(wid, "bottom"), "the reason is not on screen")
        self.x.wait_title(wid, r" - live$")
        self.stop(v)


if __name__ == "__main__":
    xwindow.skip_unless_tools()
    e2e.main()
