"""test_descriptors.py - camstreamd at RLIMIT_NOFILE 256 with 400 connections waiting.

Issue 10's first finding: out of descriptors, the accept loop spun at 83-103 % CPU and wrote
12.7 million log lines in 20 s. Here the daemon runs under a limit of 256 open files with 400
silent connections from 400 addresses kept up for 15 s, once with limits above what the
descriptors allow (so accept() fails with EMFILE and the backoff and reserve descriptor do the
work) and once at the default limits (which keep it from running out at all). Either way it
must stay under 20 % of a core, write under 100 lines, keep its viewer at 29 fps, and give a
new viewer frames within a second of the crowd leaving.
"""
import time

import fault_harness as fh

ATTACK_S = 15
MAX_CPU_PERCENT = 20.0  # issue 10's bound
NEW_VIEWER_S = 1.0      # issue 10's bound, from the crowd's leaving to the first frame


class Descriptors(fh.FaultCase):
    def crowd_at_256(self, *args):
        with fh.Daemon(*args, nofile=256) as d:
            v = self.start_viewer(d)
            before = d.figures()
            with fh.Crowd(d.address, 400, addresses=400) as crowd:
                time.sleep(1)
                cpu = fh.CpuMeter(d)
                t0 = time.monotonic()
                time.sleep(ATTACK_S)
                t1 = time.monotonic()
                percent = cpu.percent()
                during = d.figures()
                peak_fds = during["fds"]
            delay = fh.first_frame_delay(d.address, timeout=10)
            self.assertIsNotNone(delay, "no frame for a new viewer after the crowd left")
            self.assertLess(delay, NEW_VIEWER_S)
            self.assertLess(percent, MAX_CPU_PERCENT)
            fps = self.assert_kept_up(v, t0, t1, "beside 400 connections at 256 descriptors")
            figures = self.assert_unharmed(d, before, during)
            s = fh.status(d)
            self.report(cpu_percent=percent, new_viewer_s=delay, viewer_fps=fps,
                        peak_fds=peak_fds, crowd_connections=crowd.connected,
                        accept_failures=s["defences"]["accept_failures"],
                        shed=s["defences"]["shed"], **figures)
            return s

    def test_out_of_descriptors_the_daemon_pauses_instead_of_spinning(self):
        s = self.crowd_at_256("--max-handshakes", "1000", "--max-clients", "1000",
                              "--max-per-address", "0")
        self.assertGreater(s["defences"]["accept_failures"], 0, "descriptors never ran out")
        self.assertGreater(s["defences"]["shed"], 0)

    def test_at_the_default_limits_descriptors_do_not_run_out(self):
        s = self.crowd_at_256()
        self.assertEqual(s["defences"]["accept_failures"], 0)
        self.assertGreater(s["defences"]["handshakes_dropped"], 0)


if __name__ == "__main__":
    fh.main()
