"""test_stream.py - live streams from the real camstreamd to real camview clients."""
import signal
import threading
import time
import unittest

import camstream_e2e as e2e


class Stream(unittest.TestCase):
    def test_two_clients_get_increasing_frames_read_from_pixels(self):
        with e2e.Daemon(size="640x480", fps="30") as d:
            results = {}

            def watch(name):
                results[name] = e2e.run_viewer(d.address, "--no-display", "--check-pattern",
                                               "--frames", "70", timeout=60)

            threads = [threading.Thread(target=watch, args=(n,)) for n in ("a", "b")]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for name, (code, out, err) in results.items():
                self.assertEqual(code, 0, "camview %s failed: %s" % (name, err))
                e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), at_least=60)
                frames = e2e.pattern_frames(out)
                # Sizes come from the header and the pixels: the daemon's --size is honoured.
            code, err = d.stop(signal.SIGTERM)
            self.assertEqual(code, 0, err)

    def test_killing_one_client_does_not_disturb_the_other(self):
        with e2e.Daemon(size="640x480", fps="30") as d:
            survivor = e2e.start_viewer(d.address, "--no-display", "--check-pattern",
                                        "--frames", "90")
            victim = e2e.start_viewer(d.address, "--no-display", "--check-pattern")
            # Let the victim stream for a while, then kill it without warning.
            for _ in range(20):
                self.assertTrue(e2e.read_line(victim.stdout, timeout=10), "victim got no frame")
            victim.kill()
            victim.communicate()
            # A third client that vanishes in the middle of a frame, with a reset.
            raw = e2e.RawClient(d.port)
            self.assertEqual(raw.handshake()[2], 0)
            raw.recv_exact(8 + 28 + 100)
            raw.reset()

            out, err = survivor.communicate(timeout=60)
            self.assertEqual(survivor.returncode, 0, err.decode())
            frames = e2e.pattern_frames(out.decode())
            e2e.assert_increasing_pattern(self, frames, at_least=90)
            self.assertTrue(d.alive())
            # And the daemon still takes new clients afterwards.
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--check-pattern",
                                            "--frames", "10")
            self.assertEqual(code, 0, err)
            code, err = d.stop(signal.SIGINT)
            self.assertEqual(code, 0, err)

    def test_frame_messages_carry_header_fields(self):
        with e2e.Daemon(size="800x600", fps="30") as d:
            c = e2e.RawClient(d.port)
            magic, version, status, server_us = c.handshake()
            self.assertEqual((magic, version, status), (b"CAMS", e2e.VERSION, 0))
            frames = [c.read_frame() for _ in range(5)]
            for f in frames:
                self.assertEqual((f["width"], f["height"], f["subsampling"]), (800, 600, 2))
                self.assertEqual(f["jpeg_size"], len(f["jpeg"]))
                self.assertEqual(f["jpeg"][:2], b"\xff\xd8")  # SOI
                self.assertEqual(f["jpeg"][-2:], b"\xff\xd9")  # EOI
            seqs = [f["seq"] for f in frames]
            self.assertEqual(seqs, sorted(set(seqs)))
            caps = [f["capture_us"] for f in frames]
            self.assertEqual(caps, sorted(caps))
            # The capture clock is the daemon's monotonic clock: the hello's time is on it too.
            self.assertLess(abs(caps[0] - server_us), 10_000_000)
            c.close()

    def test_ping_gets_a_pong_echoing_the_client_time(self):
        import struct
        with e2e.Daemon() as d:
            c = e2e.RawClient(d.port)
            c.handshake()
            c.send(struct.pack(">BBHIQ", e2e.MSG_PING, 0, 0, 8, 123456789))
            for _ in range(100):
                mtype, payload = c.read_message()
                if mtype == e2e.MSG_PONG:
                    echoed, server_us = struct.unpack(">QQ", payload)
                    self.assertEqual(echoed, 123456789)
                    self.assertGreater(server_us, 0)
                    break
            else:
                self.fail("no pong within 100 messages")
            c.close()

    def test_print_fps_reports_the_stream(self):
        with e2e.Daemon(size="640x480", fps="30") as d:
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--print-fps",
                                            "--frames", "75")
            self.assertEqual(code, 0, err)
            lines = [l for l in out.splitlines() if " fps, " in l]
            self.assertGreaterEqual(len(lines), 1, out)
            self.assertRegex(lines[-1], r"^\d+\.\d fps, \d+ kbit/s, \d+ skipped, \d+ lost")


if __name__ == "__main__":
    e2e.main()
