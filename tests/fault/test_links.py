"""test_links.py - a throttled link and a lossy one, in network namespaces, beside a viewer.

The daemon and a viewer beside it run in one namespace, a remote viewer in another, joined by
a veth pair (fault_harness.Link). A token bucket (tc tbf) on the daemon's side slows the link
below the stream's rate; nft drops a share of the packets reaching the remote viewer (netem is
not in every kernel). The remote viewer must still get frames, fewer and the newest ones (frames
skipped, latency bounded instead of a queue that grows), and the daemon and its local viewer
must not notice. Skips (exit 77) where namespaces, tc or nft are missing or not permitted.
"""
import sys
import time

import fault_harness as fh

WINDOW_S = 10
# Newest frames: a queue of stale frames would grow by seconds within the window (30 fps of
# ~30 kB frames is about 7 Mbit/s into 3 Mbit/s); dropping them keeps latency near a frame's
# transmission time. The bound leaves room for a busy machine.
MAX_LATENCY_MS = 1500


class Links(fh.FaultCase):
    def remote_viewer_beside_local(self, link, what):
        with fh.Daemon(listen=link.daemon_ip + ":0", netns=link.daemon_ns) as d:
            local = self.start_viewer(d, netns=link.daemon_ns)
            remote = fh.Viewer(d.address, "--print-fps", netns=link.viewer_ns)
            self.addCleanup(remote.stop)
            self.assertTrue(remote.wait_frames(5, 20), "the remote viewer got no frames %s: %s"
                            % (what, remote.errors.decode(errors="replace")))
            before = d.figures()
            t0 = time.monotonic()
            time.sleep(WINDOW_S)
            t1 = time.monotonic()
            during = d.figures()
            remote_fps = remote.fps_between(t0, t1)
            lost, latency = remote.lost_and_latency(t0, t1)
            local_fps = self.assert_kept_up(local, t0, t1, "beside a viewer %s" % what)
            self.assertGreater(remote_fps, 1.0, "the remote viewer starved %s" % what)
            self.assertTrue(remote.increasing(), "frames went backwards")
            self.assertEqual(remote.bad, [])
            figures = self.assert_unharmed(d, before, during)
            return dict(remote_fps=remote_fps, lost=lost, latency_p50_ms=latency,
                        local_fps=local_fps, **figures)

    def test_a_throttled_link_gets_fewer_newer_frames(self):
        with fh.Link() as link:
            link.throttle(rate="1mbit", burst="32kbit", latency="100ms")
            f = self.remote_viewer_beside_local(link, "behind a 1 Mbit/s token bucket")
            self.assertLess(f["remote_fps"], fh.MIN_FPS, "the throttle did not bite")
            self.assertGreater(f["lost"], 0, "no frame was skipped for the slow viewer")
            self.assertIsNotNone(f["latency_p50_ms"])
            self.assertLess(f["latency_p50_ms"], MAX_LATENCY_MS)
            self.report(**f)

    def test_a_lossy_link_still_gets_frames(self):
        with fh.Link() as link:
            link.lossy(10)
            f = self.remote_viewer_beside_local(link, "losing 10 % of its packets")
            self.report(**f)


if __name__ == "__main__":
    why = fh.can_make_namespaces()
    if why:
        print("skipped: " + why)
        sys.exit(77)
    fh.main()
