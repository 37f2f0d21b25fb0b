"""test_controls_native.py - the controls over the native protocol (version 3): camview --set,
refusals for the view role, change notices reaching every listing client, the full-size still,
and a version-2 viewer still served.

Every check goes through the real daemon (test pattern with noise, so JPEG quality shows in
the size of a snapshot) and camview over loopback; a small native client stands in where
camview has nothing to show.
"""
import hashlib
import hmac
import json
import socket
import struct
import time
import unittest

import camstream_e2e as e2e

CONTROL = "control-token-0123456789abcdef"
VIEW = "view-token-0123456789abcdefgh"
MSG_FRAME, MSG_PONG, MSG_AUTH, MSG_AUTH_RESULT = 1, 3, 4, 5
LIST, SET, STILL_REQUEST = 6, 7, 8
CONTROLS_LIST, CONTROLS_RESULT, CONTROLS_CHANGED, STILL, STILL_ERROR = 9, 10, 11, 12, 13


class NativeClient(e2e.RawClient):
    """A version-3 client that proves `token` when asked and keeps every control message."""

    def __init__(self, port, token=None):
        super().__init__(port, timeout=10)
        magic, version, status, _ = self.handshake()
        assert (magic, version) == (b"CAMS", 3), (magic, version)
        if status == 2:
            nonce = self.recv_exact(32)
            proof = hmac.new(token.encode(), b"camstream auth v2" + nonce, hashlib.sha256).digest()
            self.send(struct.pack(">BBHI", MSG_AUTH, 0, 0, 32) + proof)
            mtype, payload = self.read_message()
            assert mtype == MSG_AUTH_RESULT and payload[:2] == b"\0\0", (mtype, payload)
        else:
            assert status == 0, status

    def request(self, mtype, payload=b""):
        self.send(struct.pack(">BBHI", mtype, 0, 0, len(payload)) + payload)

    def set(self, values, persist=False):
        self.request(SET, struct.pack(">HH", 1 if persist else 0, 0) + json.dumps(values).encode())

    def next_of(self, *types, timeout=10):
        """The payload of the next message of one of `types`, skipping frames and the rest."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mtype, payload = self.read_message()
            if mtype in types:
                return mtype, payload
        raise AssertionError("no message of types %s within %d s" % (types, timeout))

    def next_json(self, mtype, timeout=10):
        return json.loads(self.next_of(mtype, timeout=timeout)[1])


def snapshot_size(port, headers=()):
    code, _, body = e2e.http_get(port, "/snapshot?fresh=1", headers=headers)
    assert code == 200 and body[:2] == b"\xff\xd8", (code, body[:200])
    return len(body)


class OpenDaemon(unittest.TestCase):
    def setUp(self):
        self.d = e2e.Daemon("--source", "testpattern", "--noise", "8", "--quality", "80",
                            "--config", "")

    def tearDown(self):
        code, err = self.d.stop()
        self.assertEqual(code, 0, err)

    def test_camview_set_quality_makes_the_next_snapshot_smaller(self):
        before = snapshot_size(self.d.port)
        code, out, err = e2e.run_viewer(self.d.address, "--no-display", "--frames", "30",
                                        "--no-reconnect", "--set", "quality=20")
        self.assertEqual(code, 0, err)
        self.assertIn("set quality=20", out)
        after = snapshot_size(self.d.port)
        self.assertLess(after, before / 2, "quality 20 gave %d bytes, 80 gave %d" % (after, before))

    def test_camview_reports_a_refused_control_and_fails(self):
        code, out, err = e2e.run_viewer(self.d.address, "--no-display", "--frames", "5",
                                        "--no-reconnect", "--set", "quality=500",
                                        "--set", "NoSuchControl=1")
        self.assertEqual(code, 4, err)
        self.assertIn("refused quality", err)
        self.assertIn("out of range", err)
        self.assertIn("refused NoSuchControl", err)

    def test_one_client_sets_the_other_hears_of_it(self):
        a = NativeClient(self.d.port)
        b = NativeClient(self.d.port)
        try:
            for c in (a, b):
                c.request(LIST)
                listed = c.next_json(CONTROLS_LIST)
                names = {entry["name"]: entry for entry in listed["controls"]}
                self.assertEqual(names["quality"]["value"], 80)
            a.set({"quality": 35, "fps": 15})
            self.assertEqual(b.next_json(CONTROLS_CHANGED), {"quality": 35, "fps": 15.0})
            # The setter hears of its own change, then gets its answer.
            self.assertEqual(a.next_json(CONTROLS_CHANGED), {"quality": 35, "fps": 15.0})
            result = a.next_json(CONTROLS_RESULT)
            self.assertEqual(result["applied"], {"quality": 35, "fps": 15.0})
            self.assertEqual(result["refused"], {})
            # A change over HTTP reaches native listeners too.
            code, _, _ = e2e.http_get(self.d.port, "/control?quality=60")
            self.assertEqual(code, 200)
            self.assertEqual(b.next_json(CONTROLS_CHANGED), {"quality": 60})
            # And camview --set is heard by the client that listed.
            code, _, err = e2e.run_viewer(self.d.address, "--no-display", "--frames", "3",
                                          "--no-reconnect", "--set", "quality=25")
            self.assertEqual(code, 0, err)
            self.assertEqual(b.next_json(CONTROLS_CHANGED), {"quality": 25})
        finally:
            a.close()
            b.close()

    def test_bad_json_is_refused_and_the_stream_goes_on(self):
        c = NativeClient(self.d.port)
        try:
            c.request(SET, struct.pack(">HH", 0, 0) + b"{not json")
            result = c.next_json(CONTROLS_RESULT)
            self.assertIn("not JSON", result["refused"]["(request)"])
            c.read_frame()
        finally:
            c.close()

    def test_oversized_and_malformed_requests_end_the_connection(self):
        for message in (struct.pack(">BBHI", SET, 0, 0, 4 + 65536 + 1),  # over the bound
                        struct.pack(">BBHI", SET, 0, 0, 6) + b"\0\x02\0\0{}",  # unknown flag
                        struct.pack(">BBHI", LIST, 0, 0, 1) + b"x"):  # a payload on a List
            c = NativeClient(self.d.port)
            try:
                c.send(message)
                self.assertTrue(c.closed_by_peer(), message[:12])
            finally:
                c.close()
        self.assertTrue(self.d.alive())

    def test_full_size_still_or_a_reason(self):
        c = NativeClient(self.d.port)
        try:
            c.request(STILL_REQUEST)
            mtype, payload = c.next_of(STILL, STILL_ERROR, timeout=15)
            if mtype == STILL:
                seq, cap, w, h, sub, r1, r2, jlen = struct.unpack(">QQHHBBHI", payload[:28])
                self.assertEqual(len(payload), 28 + jlen)
                self.assertEqual(payload[28:30], b"\xff\xd8")
                self.assertGreaterEqual(w * h, 640 * 480)
            else:
                self.assertTrue(payload, "a StillError names its reason")
            c.read_frame()  # the stream goes on
        finally:
            c.close()

    def test_a_version_2_viewer_is_answered_in_version_2_and_streams(self):
        c = e2e.RawClient(self.d.port)
        try:
            magic, version, status, _ = c.handshake(version=2)
            self.assertEqual((magic, version, status), (b"CAMS", 2, 0))
            self.assertEqual(c.read_frame()["width"], 640)
            # A version-3 request from it is a protocol error.
            c.send(struct.pack(">BBHI", LIST, 0, 0, 0))
            self.assertTrue(c.closed_by_peer())
        finally:
            c.close()


class Roles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = e2e.Daemon("--source", "testpattern", "--noise", "8", "--config", "",
                           "--auth-token", CONTROL, "--view-token", VIEW)

    @classmethod
    def tearDownClass(cls):
        code, err = cls.d.stop()
        assert code == 0, err

    def test_a_view_client_may_list_but_its_set_is_refused_with_the_reason(self):
        c = NativeClient(self.d.port, VIEW)
        try:
            c.request(LIST)
            self.assertIn("controls", c.next_json(CONTROLS_LIST))
            c.set({"quality": 20})
            result = c.next_json(CONTROLS_RESULT)
            self.assertEqual(result["applied"], {})
            self.assertIn("control role", result["refused"]["quality"])
            c.read_frame()  # still connected and streaming
        finally:
            c.close()

    def test_camview_with_a_view_token_reports_the_refusal(self):
        code, _, err = e2e.run_viewer(self.d.address, "--no-display", "--frames", "3",
                                      "--no-reconnect", "--token", VIEW, "--set", "quality=20")
        self.assertEqual(code, 4, err)
        self.assertIn("refused quality", err)
        self.assertIn("control role", err)

    def test_camview_with_a_control_token_applies(self):
        code, out, err = e2e.run_viewer(self.d.address, "--no-display", "--frames", "3",
                                        "--no-reconnect", "--token", CONTROL, "--set",
                                        "quality=30")
        self.assertEqual(code, 0, err)
        self.assertIn("set quality=30", out)


if __name__ == "__main__":
    e2e.main()
