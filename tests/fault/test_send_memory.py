"""test_send_memory.py - 200 clients that complete the handshake and never read.

Issue 10: they pinned 790 MB of kernel TCP memory (4 MB of send buffer each) and were dropped
only after ~45 s, their unsent data then living on in orphaned sockets. Here, at the default
1280x720, the kernel's TCP memory (/proc/net/sockstat, both ends, since on loopback the
clients' receive buffers are this kernel's too) must stay under 100 MB, and the daemon must cut
them within the write timeout and 5 s (issue 10 asks for 35 s at the default 30 s; the test uses
10 s so it takes 15, docs/security.md gives the default's figures) and free their memory.
"""
import subprocess
import time

import fault_harness as fh

CLIENTS = 200
WRITE_TIMEOUT_S = 10
MARGIN_S = 5
MAX_PINNED = 100e6  # bytes of kernel TCP memory, issue 10's bound
LEFT_AFTER = 10e6   # what may remain once they are cut: the viewer's and the noise of others


class SendMemory(fh.FaultCase):
    def test_clients_that_never_read_pin_little_and_are_cut(self):
        with fh.Daemon("--write-timeout", str(WRITE_TIMEOUT_S), size="1280x720") as d:
            v = self.start_viewer(d)
            before = d.figures()
            mem0 = fh.tcp_memory_bytes()
            with fh.Crowd(d.address, CLIENTS, mode="stall", addresses=CLIENTS,
                          renew=False) as crowd:
                t0 = time.monotonic()
                peak = peak_queues = 0
                cut = None
                while time.monotonic() - t0 < WRITE_TIMEOUT_S + 3 * MARGIN_S:
                    peak = max(peak, fh.tcp_memory_bytes() - mem0)
                    sockets, queued = fh.daemon_send_queues(d.port)
                    peak_queues = max(peak_queues, queued)
                    if crowd.closed_by_peer >= CLIENTS and sockets <= 1:
                        cut = time.monotonic() - t0
                        break
                    time.sleep(0.25)
                t1 = time.monotonic()
                during = d.figures()
                left = fh.settle(lambda: fh.tcp_memory_bytes() - mem0, lambda m: m < LEFT_AFTER,
                                 timeout=5)
                connected = crowd.connected
            self.assertEqual(connected, CLIENTS)
            self.assertIsNotNone(cut, "still connected after %.0f s: %s" % (
                t1 - t0, subprocess.run(["ss", "-tan", "sport", "= :%d" % d.port],
                                        capture_output=True, text=True).stdout[-2000:]))
            self.assertLess(cut, WRITE_TIMEOUT_S + MARGIN_S)
            self.assertLess(peak, MAX_PINNED, "kernel TCP memory grew by %.0f MB" % (peak / 1e6))
            self.assertLess(left, LEFT_AFTER, "%.0f MB still held after the cut" % (left / 1e6))
            fps = self.assert_kept_up(v, t0 + 1, t1, "beside %d clients that never read" % CLIENTS)
            figures = self.assert_unharmed(d, before, during)
            s = fh.status(d)
            self.assertGreaterEqual(s["defences"]["stalled"], CLIENTS)
            self.report(peak_mb=peak / 1e6, daemon_queues_mb=peak_queues / 1e6, cut_after_s=cut,
                        left_mb=left / 1e6, viewer_fps=fps, **figures)


if __name__ == "__main__":
    fh.main()
