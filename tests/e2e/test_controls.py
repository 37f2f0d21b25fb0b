"""test_controls.py - steering the camera while it streams: the control API over HTTP on the
test pattern, with clients streaming through every change.

Every check goes through the real daemon over loopback: GET/POST /controls, GET /control (and
the other streamers' URL forms), saving to the config file, full-size and fresh snapshots.
"""
import json
import os
import socket
import struct
import tempfile
import time
import unittest

import camstream_e2e as e2e

CONTROL = "control-token-0123456789abcdef"
VIEW = "view-token-0123456789abcdefgh"


def request(port, method, path, body=b"", headers=()):
    """(status, body) of one request."""
    status, _, payload = e2e.http_request(port, method, path, body, headers=headers)
    return status, payload


def post_controls(port, values, query="", headers=()):
    status, body = request(port, "POST", "/controls" + query, json.dumps(values).encode(),
                           headers)
    return status, json.loads(body)


def get_json(port, path, headers=()):
    status, _, body = e2e.http_get(port, path, headers=headers)
    assert status == 200, (status, body)
    return json.loads(body)


def jpeg_size(data):
    """(width, height) from a JPEG's start-of-frame marker."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i + 4 <= len(data):
        assert data[i] == 0xFF, "bad marker at %d" % i
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise AssertionError("no start-of-frame marker")


def snapshot(port, query=""):
    status, fields, body = e2e.http_get(port, "/snapshot" + query)
    assert status == 200, (status, body[:200])
    return fields, body


def controls_by_name(listing):
    return {c["name"]: c for c in listing["controls"]}


class Listing(unittest.TestCase):
    def test_every_control_has_type_range_and_value(self):
        with e2e.Daemon("--source", "testpattern") as d:
            status, fields, body = e2e.http_get(d.port, "/controls")
            self.assertEqual(status, 200)
            self.assertEqual(fields["content-type"], "application/json")
            listing = json.loads(body)
            names = [c["name"] for c in listing["controls"]]
            for name in ("quality", "fps", "size", "hflip", "vflip", "rotate"):
                self.assertIn(name, names)
            for c in listing["controls"]:
                self.assertIn("type", c, c)
                self.assertIn("value", c, c)
                self.assertIn("default", c, c)
                if c["type"] in ("integer", "float"):
                    self.assertLessEqual(c["min"], c["value"], c)
                    self.assertLessEqual(c["value"], c["max"], c)
                if c["type"] == "menu":
                    self.assertIn(c["value"], [m["value"] for m in c["menu"]], c)
            by_name = controls_by_name(listing)
            self.assertEqual(by_name["size"]["value"], "640x480")
            self.assertEqual(by_name["fps"]["value"], 30)
            self.assertIn("cannot flip", by_name["hflip"]["read_only"])
            self.assertEqual(listing["still"], {"width": 1920, "height": 1080})


class LiveChanges(unittest.TestCase):
    def test_quality_20_halves_the_snapshot_with_clients_still_connected(self):
        # Grain, as a camera's picture has: a flat picture compresses small at any quality.
        with e2e.Daemon("--source", "testpattern", "--noise", "8") as d:
            native = e2e.RawClient(d.port)
            native.handshake()
            native.read_frame()
            with e2e.MjpegStream(d.port) as http:
                http.next_part()
                _, at_80 = snapshot(d.port)
                status, outcome = post_controls(d.port, {"quality": 20})
                self.assertEqual(status, 200, outcome)
                self.assertEqual(outcome, {"applied": {"quality": 20}, "refused": {}})
                time.sleep(0.3)  # frames already in the encoders were made at 80
                _, at_20 = snapshot(d.port)
                self.assertLess(len(at_20), len(at_80) / 2,
                                "quality 20: %d bytes, quality 80: %d" % (len(at_20), len(at_80)))
                # Both clients stream on, and get the smaller frames.
                for _ in range(15):
                    _, part, _ = http.next_part()
                self.assertLess(len(part), len(at_80) / 2)
                for _ in range(15):
                    frame = native.read_frame()
                self.assertLess(frame["jpeg_size"], len(at_80) / 2)
            native.close()
            self.assertEqual(controls_by_name(get_json(d.port, "/controls"))["quality"]["value"],
                             20)

    def test_fps_10_takes_the_stream_to_10_fps_within_2_s(self):
        with e2e.Daemon("--source", "testpattern") as d:
            with e2e.MjpegStream(d.port) as http:
                for _ in range(5):
                    http.next_part()
                status, _, body = e2e.http_get(d.port, "/control?fps=10")
                self.assertEqual(status, 200, body)
                changed = time.monotonic()
                while time.monotonic() < changed + 2:
                    http.next_part()
                arrivals = []
                while time.monotonic() < changed + 5:
                    arrivals.append(http.next_part()[2])
                rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
                self.assertGreaterEqual(rate, 9, "%.2f fps" % rate)
                self.assertLessEqual(rate, 11, "%.2f fps" % rate)

    def test_a_new_size_reaches_native_and_http_clients_without_disconnecting(self):
        with e2e.Daemon("--source", "testpattern") as d:
            native = e2e.RawClient(d.port)
            native.handshake()
            self.assertEqual(native.read_frame()["width"], 640)
            with e2e.MjpegStream(d.port) as http:
                _, jpeg, _ = http.next_part()
                self.assertEqual(jpeg_size(jpeg), (640, 480))
                status, outcome = post_controls(d.port, {"size": "320x240"})
                self.assertEqual(status, 200, outcome)
                deadline = time.monotonic() + 5
                while True:
                    frame = native.read_frame()
                    if (frame["width"], frame["height"]) == (320, 240):
                        break
                    self.assertLess(time.monotonic(), deadline, "native: still the old size")
                self.assertEqual(jpeg_size(frame["jpeg"]), (320, 240))
                while jpeg_size(http.next_part()[1]) != (320, 240):
                    self.assertLess(time.monotonic(), deadline, "HTTP: still the old size")
                # And on: the same connections keep streaming at the new size.
                self.assertEqual(jpeg_size(http.next_part()[1]), (320, 240))
                self.assertEqual(native.read_frame()["width"], 320)
            native.close()

    def test_several_at_once_each_applied_or_refused_with_its_reason(self):
        with e2e.Daemon("--source", "testpattern") as d:
            status, outcome = post_controls(
                d.port, {"quality": 55, "fps": 500, "hflip": True, "Nonsense": 1, "size": "9x9"})
            self.assertEqual(status, 400, outcome)
            self.assertEqual(outcome["applied"], {"quality": 55})
            refused = outcome["refused"]
            self.assertEqual(set(refused), {"fps", "hflip", "Nonsense", "size"})
            self.assertIn("out of range", refused["fps"])
            self.assertIn("read-only", refused["hflip"])
            self.assertIn("no such control", refused["Nonsense"])
            self.assertIn("320x240", refused["size"])
            self.assertEqual(controls_by_name(get_json(d.port, "/controls"))["quality"]["value"],
                             55)

    def test_other_streamers_urls(self):
        with e2e.Daemon("--source", "testpattern") as d:
            # camera-streamer names controls in lower case.
            status, _, body = e2e.http_get(d.port, "/option?QUALITY=33")
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["applied"], {"quality": 33})
            # mjpg-streamer: V4L2_CID_JPEG_COMPRESSION_QUALITY.
            status, _, body = e2e.http_get(
                d.port, "/?action=command&dest=0&plugin=0&id=10291459&group=1&value=44")
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["applied"], {"quality": 44})
            status, _, body = e2e.http_get(d.port, "/?action=command&id=9963776&value=1")
            self.assertEqual(status, 400)
            self.assertIn(b"no counterpart", body)

    def test_bad_requests_get_a_reason_and_change_nothing(self):
        with e2e.Daemon("--source", "testpattern") as d:
            status, body = request(d.port, "POST", "/controls", b"{quality: 20")
            self.assertEqual(status, 400)
            self.assertIn(b"not JSON", body)
            status, outcome = post_controls(d.port, [1, 2])
            self.assertEqual(status, 400)
            self.assertIn("JSON object", outcome["refused"]["(request)"])
            status, body = request(d.port, "POST", "/controls", b"{}" + b" " * 20000)
            self.assertEqual(status, 413)
            status, body = request(d.port, "POST", "/controls", b"",
                                   headers=("Transfer-Encoding: chunked",))
            self.assertEqual(status, 411)
            status, body = request(d.port, "POST", "/snapshot", b"{}")
            self.assertEqual(status, 405)
            status, _, body = e2e.http_get(d.port, "/control?quality")
            self.assertEqual(status, 400)
            self.assertIn(b"NAME=VALUE", body)
            status, _, body = e2e.http_get(d.port, "/control?quality=%zz")
            self.assertEqual(status, 400)
            # A name that is not UTF-8 is refused like any unknown name, in valid JSON.
            status, _, body = e2e.http_get(d.port, "/control?%FF%FE=1")
            self.assertEqual(status, 400)
            self.assertIn("no such control", json.loads(body)["refused"]["\ufffd\ufffd"])
            status, body = request(d.port, "POST", "/controls", b'{"\xff": 1}')
            self.assertEqual(status, 400)
            status, _, body = e2e.http_get(d.port, "/control?quality=20", headers=())
            self.assertEqual(status, 200)
            status, body = request(d.port, "HEAD", "/control?quality=30")
            self.assertEqual(status, 405)
            # A body that never arrives ends with 408 within the handshake time.
            s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
            s.sendall(b"POST /controls HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n{")
            reply = s.recv(4096)
            s.close()
            self.assertTrue(reply.startswith(b"HTTP/1.1 408"), reply[:100])
            self.assertEqual(controls_by_name(get_json(d.port, "/controls"))["quality"]["value"],
                             20)
            self.assertTrue(d.alive())


class Roles(unittest.TestCase):
    def test_watching_lists_and_only_the_control_role_sets(self):
        with e2e.Daemon("--source", "testpattern", "--auth-token", CONTROL, "--view-token",
                        VIEW) as d:
            view = ("Authorization: Bearer " + VIEW,)
            control = ("Authorization: Bearer " + CONTROL,)
            self.assertIn("controls", get_json(d.port, "/controls", headers=view))
            status, outcome = post_controls(d.port, {"quality": 20}, headers=view)
            self.assertEqual(status, 403, outcome)
            self.assertIn("control role", outcome["refused"]["quality"])
            status, _, body = e2e.http_get(d.port, "/control?quality=20&token=" + VIEW)
            self.assertEqual(status, 403, body)
            status, _, _ = e2e.http_get(d.port, "/controls")
            self.assertEqual(status, 401)
            status, outcome = post_controls(d.port, {"quality": 20}, headers=control)
            self.assertEqual(status, 200, outcome)


class Persist(unittest.TestCase):
    def test_saved_on_request_only_and_read_back_at_the_next_start(self):
        folder = tempfile.mkdtemp(prefix="camstream-controls-")
        config = os.path.join(folder, "camstreamd.conf")
        with open(config, "w") as f:
            f.write("# my camera\nquality = 80\nnoise = 4\n")
        with e2e.Daemon("--source", "testpattern", "--config", config) as d:
            status, outcome = post_controls(d.port, {"quality": 60})
            self.assertEqual(status, 200, outcome)
            with open(config) as f:
                self.assertEqual(f.read(), "# my camera\nquality = 80\nnoise = 4\n",
                                 "a change without persist=1 must not touch the file")
            status, outcome = post_controls(d.port, {"fps": 15}, query="?persist=1")
            self.assertEqual(status, 200, outcome)
            self.assertTrue(outcome["saved"], outcome)
        with open(config) as f:
            text = f.read()
        self.assertIn("# my camera\n", text)
        self.assertIn("quality = 60\n", text)
        self.assertIn("noise = 4\n", text)
        self.assertIn("fps = 15\n", text)
        self.assertNotIn("quality = 80", text)
        # Flags win over the file; the helper passes --fps, so read fps back without it.
        with e2e.Daemon("--source", "testpattern", "--config", config, fps="15") as d:
            by_name = controls_by_name(get_json(d.port, "/controls"))
            self.assertEqual(by_name["quality"]["value"], 60)
        os.remove(config)
        os.rmdir(folder)

    def test_a_failed_save_says_why(self):
        with e2e.Daemon("--source", "testpattern", "--config", "") as d:
            status, outcome = post_controls(d.port, {"quality": 60}, query="?persist=1")
            self.assertEqual(status, 500, outcome)
            self.assertEqual(outcome["applied"], {"quality": 60})
            self.assertIn("--config", outcome["save_error"])


class Snapshots(unittest.TestCase):
    def test_full_size_still_while_the_stream_stays_small(self):
        with e2e.Daemon("--source", "testpattern") as d:
            with e2e.MjpegStream(d.port) as http:
                http.next_part()
                _, still = snapshot(d.port, "?size=full")
                self.assertEqual(jpeg_size(still), (1920, 1080))
                for _ in range(10):
                    self.assertEqual(jpeg_size(http.next_part()[1]), (640, 480))
            # And with nobody streaming.
            _, still = snapshot(d.port, "?size=full")
            self.assertEqual(jpeg_size(still), (1920, 1080))
            status, _, body = e2e.http_get(d.port, "/snapshot?size=huge")
            self.assertEqual(status, 400)

    def test_fresh_is_captured_after_the_request(self):
        with e2e.Daemon("--source", "testpattern", fps="5") as d:
            with e2e.MjpegStream(d.port) as http:
                fields, _, _ = http.next_part()
                seen = int(fields["X-Sequence"])
                asked = time.time()
                fields, _ = snapshot(d.port, "?fresh=1")
                self.assertGreater(int(fields["x-sequence"]), seen)
                self.assertGreaterEqual(float(fields["x-timestamp"]), asked - 0.05)


if __name__ == "__main__":
    e2e.main()
