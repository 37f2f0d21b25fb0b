"""test_robustness.py - garbage, floods and abrupt peers leave camstreamd serving."""
import os
import random
import socket
import struct
import threading
import time
import unittest

import camstream_e2e as e2e


class Robustness(unittest.TestCase):
    def test_random_bytes_leave_the_daemon_serving(self):
        rng = random.Random(1234)
        with e2e.Daemon(size="640x480", fps="30") as d:
            # A client streams the whole time; garbage must cost it nothing.
            watcher = e2e.start_viewer(d.address, "--no-display", "--check-pattern",
                                       "--frames", "120")
            payloads = [bytes(rng.randrange(256) for _ in range(n)) for n in (1, 3, 4, 64, 4096)]
            payloads += [
                b"CAMS",                                   # a hello cut short
                b"CAMS" + b"\x00\x01\x00\x07",             # reserved flags set
                b"CAMS\x00\x01\x00\x00" + os.urandom(512),  # garbage after the handshake
                # Handshake, then a message header claiming 4 GiB.
                b"CAMS\x00\x01\x00\x00" + struct.pack(">BBHI", 2, 0, 0, 0xFFFFFFFF),
                # Handshake, then a frame message, which only the daemon may send.
                b"CAMS\x00\x01\x00\x00" + struct.pack(">BBHI", 1, 0, 0, 28),
                b"\x00" * 100000,
            ]
            for p in payloads:
                s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
                try:
                    s.sendall(p)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                s.close()
            # The ones that broke the protocol after the handshake are disconnected.
            for bad in (b"CAMS\x00\x01\x00\x00" + struct.pack(">BBHI", 2, 0, 0, 0xFFFFFFFF),
                        b"CAMS\x00\x01\x00\x00" + b"\xee" * 8):
                c = e2e.RawClient(d.port)
                c.send(bad)
                self.assertTrue(c.closed_by_peer(timeout=5), "daemon kept a client sending %r" % bad)
                c.close()
            # A silent client is dropped after the handshake timeout, not kept forever.
            silent = e2e.RawClient(d.port, timeout=10)
            self.assertTrue(silent.closed_by_peer(timeout=10))
            silent.close()

            out, err = watcher.communicate(timeout=60)
            self.assertEqual(watcher.returncode, 0, err.decode())
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out.decode()), at_least=120)
            self.assertTrue(d.alive())
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--check-pattern",
                                            "--frames", "30")
            self.assertEqual(code, 0, err)
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), at_least=30)
            code, err = d.stop()
            self.assertEqual(code, 0, err)

    def test_many_connections_at_once(self):
        with e2e.Daemon(size="320x240", fps="30") as d:
            clients = []
            for i in range(40):
                # From four addresses: more than one address may hold by default.
                c = e2e.RawClient(d.port, source="127.0.0.%d" % (2 + i % 4))
                c.handshake()
                clients.append(c)
            for c in clients:
                f = c.read_frame()
                self.assertEqual((f["width"], f["height"]), (320, 240))
            for i, c in enumerate(clients):
                c.reset() if i % 2 else c.close()
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--frames", "10")
            self.assertEqual(code, 0, err)

    def test_a_client_that_never_reads_does_not_hold_up_the_others(self):
        with e2e.Daemon(size="1280x720", fps="30") as d:
            stuck = e2e.RawClient(d.port)
            stuck.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stuck.handshake()
            # Never read again: its socket buffers fill within a few frames.
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--check-pattern",
                                            "--frames", "90")
            self.assertEqual(code, 0, err)
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), at_least=90)
            stuck.close()


if __name__ == "__main__":
    e2e.main()
