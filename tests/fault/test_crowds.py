"""test_crowds.py - silent sockets, slowloris and connection storms beside a real viewer.

Each attack runs for about ten seconds against camstreamd at its default limits while camview
streams from 127.0.0.1; the crowd comes from addresses of its own. The viewer must keep 29 fps,
new viewers must get in during the attack, and the daemon's log, descriptors and memory must
stay bounded (fault_harness.FaultCase).
"""
import time

import fault_harness as fh

ATTACK_S = 10


class Crowds(fh.FaultCase):
    def test_silent_sockets_do_not_keep_a_new_viewer_out(self):
        with fh.Daemon() as d:
            v = self.start_viewer(d)
            before = d.figures()
            # 256 sockets that never speak, each replaced as soon as the daemon drops it.
            with fh.Crowd(d.address, 256, addresses=256) as crowd:
                time.sleep(1)
                t0 = time.monotonic()
                delays = []
                while time.monotonic() - t0 < ATTACK_S:
                    delays.append(fh.first_frame_delay(d.address, timeout=5))
                    time.sleep(1)
                t1 = time.monotonic()
                during = d.figures()
            self.assertNotIn(None, delays, "a new viewer was kept out: %s" % delays)
            fps = self.assert_kept_up(v, t0, t1, "beside 256 silent sockets")
            figures = self.assert_unharmed(d, before, during)
            s = fh.status(d)
            self.assertGreater(s["defences"]["handshakes_dropped"], 0)
            self.assertLessEqual(s["handshakes"], s["limits"]["max_handshakes"])
            self.report(new_viewers=len(delays), slowest_s=max(delays), viewer_fps=fps,
                        crowd_connections=crowd.connected, **figures)

    def test_one_address_gets_its_share_and_no_more(self):
        with fh.Daemon() as d:
            v = self.start_viewer(d)
            before = d.figures()
            with fh.Crowd(d.address, 256, addresses=1, renew_after=0.2):
                time.sleep(2)
                t0 = time.monotonic()
                time.sleep(ATTACK_S / 2)
                self.assertIsNotNone(fh.first_frame_delay(d.address, timeout=5))
                t1 = time.monotonic()
                s = fh.status(d)
                during = d.figures()
            self.assertLessEqual(s["connections"], s["limits"]["max_per_address"] + 2)
            self.assertGreater(s["defences"]["over_address_limit"], 0)
            fps = self.assert_kept_up(v, t0, t1, "beside 256 sockets from one address")
            figures = self.assert_unharmed(d, before, during)
            self.report(connections=s["connections"], viewer_fps=fps,
                        over_address_limit=s["defences"]["over_address_limit"], **figures)

    def test_slowloris_is_answered_408_and_dropped(self):
        with fh.Daemon() as d:
            v = self.start_viewer(d)
            before = d.figures()
            # HTTP request heads at a byte a second that never end, from 200 addresses.
            with fh.Crowd(d.address, 200, mode="trickle", addresses=200, renew=False,
                          trickle_s=1.0) as crowd:
                t0 = time.monotonic()
                time.sleep(2)
                self.assertIsNotNone(fh.first_frame_delay(d.address, timeout=5))
                # Every one is cut by the 5 s head deadline (or dropped for a newer one
                # before), however steadily it trickles.
                gone = fh.settle(lambda: crowd.closed_by_peer, lambda n: n >= 200, timeout=15)
                t1 = time.monotonic()
                during = d.figures()
            self.assertEqual(gone, 200, "tricklers still connected after %.0f s" % (t1 - t0))
            fps = self.assert_kept_up(v, t0, t1, "beside 200 slowloris clients")
            figures = self.assert_unharmed(d, before, during)
            self.report(tricklers_cut_after_s=t1 - t0, viewer_fps=fps, **figures)

    def test_a_connection_storm_leaves_the_viewer_its_frames(self):
        with fh.Daemon() as d:
            v = self.start_viewer(d)
            before = d.figures()
            cpu = fh.CpuMeter(d)
            t0 = time.monotonic()
            # Connect and close at once, half of them after the start of a request, as fast
            # as one thread can, from 256 addresses.
            n = fh.storm(d.address, ATTACK_S)
            t1 = time.monotonic()
            percent = cpu.percent()
            during = d.figures()
            delay = fh.first_frame_delay(d.address, timeout=5)
            self.assertIsNotNone(delay, "no frame for a new viewer after the storm")
            fps = self.assert_kept_up(v, t0, t1, "during a storm of %d connections" % n)
            figures = self.assert_unharmed(d, before, during)
            self.report(connections_per_s=n / (t1 - t0), cpu_percent=percent, viewer_fps=fps,
                        **figures)


if __name__ == "__main__":
    fh.main()
