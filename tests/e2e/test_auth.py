"""test_auth.py - who gets in: tokens, view and control roles, HTTP Basic users, the native
token proof, and a daemon reachable beyond this machine never open by accident.

Every check goes through the real daemon and camview over loopback.
"""
import base64
import hashlib
import hmac
import re
import socket
import struct
import subprocess
import unittest

import camstream_e2e as e2e

CONTROL = "control-token-0123456789abcdef"
VIEW = "view-token-0123456789abcdefgh"
MSG_AUTH, MSG_AUTH_RESULT = 4, 5


def basic(user, password):
    return "Authorization: Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def hash_password(password):
    p = subprocess.run([e2e.DAEMON, "--hash-password"], input=password + "\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def native_auth(port, token):
    """The native handshake with a token, as camview does it; returns (outcome, role) or None
    when the daemon asked for no token."""
    c = e2e.RawClient(port)
    try:
        magic, version, status, _ = c.handshake()
        assert (magic, version) == (b"CAMS", e2e.VERSION), (magic, version)
        if status == 0:
            return None
        assert status == 2, status
        nonce = c.recv_exact(32)
        proof = hmac.new(token.encode(), b"camstream auth v2" + nonce, hashlib.sha256).digest()
        c.send(struct.pack(">BBHI", MSG_AUTH, 0, 0, 32) + proof)
        mtype, payload = c.read_message()
        assert mtype == MSG_AUTH_RESULT, mtype
        outcome, role = struct.unpack(">HH", payload)
        if outcome == 0:
            c.read_frame()  # an accepted client streams at once
        else:
            assert c.closed_by_peer(), "a refused client was left connected"
        return outcome, role
    finally:
        c.close()


class Credentials(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hash = hash_password("correct horse")
        cls.d = e2e.Daemon("--auth-token", CONTROL, "--view-token", VIEW, "--auth-user",
                           "viewer:" + cls.hash, "--control-user", "owner:plain-password")

    @classmethod
    def tearDownClass(cls):
        code, err = cls.d.stop()
        assert code == 0, err

    def get(self, path, *headers):
        return e2e.http_get(self.d.port, path, headers=headers)

    def test_nothing_without_credentials(self):
        for path in ("/", "/stream", "/snapshot", "/status", "/metrics", "/?action=snapshot"):
            code, fields, body = self.get(path)
            self.assertEqual(code, 401, path)
            self.assertIn('Basic realm="camstream"', fields["www-authenticate"])
            self.assertIn('Bearer realm="camstream"', fields["www-authenticate"])
            # Nothing about the camera in the answer.
            self.assertNotIn(b"test pattern", body)
            self.assertNotIn(b"\xff\xd8", body)

    def test_each_way_of_presenting_a_token(self):
        for path, headers in (("/snapshot", ["Authorization: Bearer " + CONTROL]),
                              ("/snapshot?token=" + VIEW, []),
                              ("/snapshot", ["authorization: bearer " + VIEW]),
                              ("/snapshot", [basic("viewer", "correct horse")]),
                              ("/snapshot", [basic("owner", "plain-password")])):
            code, fields, body = self.get(path, *headers)
            self.assertEqual(code, 200, (path, headers))
            self.assertEqual(body[:2], b"\xff\xd8")

    def test_wrong_credentials_are_refused_and_counted(self):
        before = self.auth_failures()
        for path, headers in (("/snapshot", ["Authorization: Bearer " + CONTROL + "x"]),
                              ("/snapshot?token=" + VIEW[:-1], []),
                              ("/snapshot", [basic("viewer", "correct horsE")]),
                              ("/snapshot", [basic("owner", self.hash)]),  # the hash itself
                              ("/snapshot", ["Authorization: Basic not-base64!"])):
            code, _, _ = self.get(path, *headers)
            self.assertEqual(code, 401, (path, headers))
        self.assertEqual(self.auth_failures(), before + 5)

    def auth_failures(self):
        code, _, body = self.get("/metrics", "Authorization: Bearer " + CONTROL)
        self.assertEqual(code, 200)
        return int(re.search(rb"\ncamstream_auth_failures_total (\d+)\n", body).group(1))

    def test_only_the_control_role_sees_who_watches(self):
        with e2e.MjpegStream(self.d.port, "/stream?token=" + VIEW) as stream:
            stream.next_part()
            _, _, as_view = self.get("/status?token=" + VIEW)
            _, _, as_control = self.get("/status?token=" + CONTROL)
        self.assertIn(b'"kind":"http"', as_view)
        self.assertNotIn(b'"peer"', as_view)
        self.assertIn(b'"peer":"127.0.0.1:', as_control)

    def test_the_page_passes_its_token_on(self):
        code, _, page = self.get("/?token=" + VIEW)
        self.assertEqual(code, 200)
        self.assertIn(('src="/stream?token=%s"' % VIEW).encode(), page)
        # The script adds it to every address it fetches (/status, /controls) through url().
        self.assertIn(("const token = 'token=%s';" % VIEW).encode(), page)
        self.assertIn(b"fetch(url('/status')", page)
        self.assertIn(b"fetch(url('/controls')", page)

    def test_native_clients_prove_a_token_without_sending_it(self):
        self.assertEqual(native_auth(self.d.port, VIEW), (0, 1))
        self.assertEqual(native_auth(self.d.port, CONTROL), (0, 2))
        self.assertEqual(native_auth(self.d.port, "not-a-token-of-ours"), (1, 0))

    def test_camview_with_and_without_the_token(self):
        code, out, err = e2e.run_viewer(self.d.address, "--no-display", "--frames", "3",
                                        "--token", VIEW)
        self.assertEqual(code, 0, err)
        code, _, err = e2e.run_viewer(self.d.address, "--no-display", "--frames", "3")
        self.assertEqual(code, 1)
        self.assertIn("needs a token; give it with --token", err)
        code, _, err = e2e.run_viewer(self.d.address, "--no-display", "--frames", "3",
                                      "--token", "wrong-token-0123456789")
        self.assertEqual(code, 1)
        self.assertIn("refused the token", err)
        # Over HTTP: a Bearer token, or a user name and password in the URL.
        url = "http://127.0.0.1:%d/stream" % self.d.port
        code, _, err = e2e.run_viewer(url, "--no-display", "--frames", "3", "--token", VIEW)
        self.assertEqual(code, 0, err)
        url = "http://viewer:correct%%20horse@127.0.0.1:%d/stream" % self.d.port
        code, _, err = e2e.run_viewer(url, "--no-display", "--frames", "3")
        self.assertEqual(code, 0, err)

    def test_an_old_viewer_is_told_to_upgrade(self):
        c = e2e.RawClient(self.d.port)
        magic, version, status, _ = c.handshake(version=1)
        self.assertEqual((magic, version, status), (b"CAMS", e2e.VERSION, 1))
        self.assertTrue(c.closed_by_peer())
        c.close()


class BeyondThisMachine(unittest.TestCase):
    def test_without_credentials_a_run_gets_a_token_of_its_own(self):
        with e2e.Daemon(listen="0.0.0.0") as d:
            code, _, _ = e2e.http_get(d.port, "/snapshot")
            self.assertEqual(code, 401)
            code, err = d.stop()
        self.assertEqual(code, 0, err)
        m = re.search(r"this run needs the token ([A-Za-z0-9_-]{43}) ", err)
        self.assertTrue(m, err)
        self.assertIn("/?token=" + m.group(1), err)

    def test_the_generated_token_works(self):
        d = e2e.Daemon(listen="0.0.0.0")
        try:
            # The token is logged once the port is known, right after "listening on".
            line = e2e.read_line(d.proc.stderr, timeout=10).decode()
            while "this run needs the token" not in line:
                line = e2e.read_line(d.proc.stderr, timeout=10).decode()
            token = re.search(r"the token ([A-Za-z0-9_-]{43}) ", line).group(1)
            code, _, body = e2e.http_get(d.port, "/snapshot?token=" + token)
            self.assertEqual(code, 200)
            self.assertEqual(body[:2], b"\xff\xd8")
        finally:
            d.stop()

    def test_no_auth_says_so_loudly(self):
        with e2e.Daemon("--no-auth", listen="0.0.0.0") as d:
            code, _, _ = e2e.http_get(d.port, "/snapshot")
            self.assertEqual(code, 200)
            _, err = d.stop()
        self.assertIn("NO AUTHENTICATION (--no-auth)", err)

    def test_loopback_needs_no_credentials(self):
        with e2e.Daemon() as d:
            code, _, _ = e2e.http_get(d.port, "/snapshot")
            self.assertEqual(code, 200)
            self.assertIsNone(native_auth(d.port, ""))


class BadCredentialSettings(unittest.TestCase):
    def run_daemon(self, *args):
        p = subprocess.run([e2e.DAEMON, "--listen", "127.0.0.1:0", *args], capture_output=True,
                           text=True, timeout=30)
        return p.returncode, p.stderr

    def test_each_is_refused_with_what_to_do(self):
        for args, says in (
                (["--auth-token", "short"], "at least 16 characters"),
                (["--auth-token", "has a space in it, sadly"], "spaces or control characters"),
                (["--auth-token-file", "/nonexistent/token"], "cannot read the secret file"),
                (["--auth-user", "nopassword"], "expected USER:PASSWORD")):
            code, err = self.run_daemon(*args)
            self.assertEqual(code, 2, (args, err))
            self.assertIn(says, err)

    def test_failed_attempts_are_logged_once_per_address(self):
        with e2e.Daemon("--auth-token", CONTROL) as d:
            for _ in range(20):
                code, _, _ = e2e.http_get(d.port, "/snapshot?token=wrong")
                self.assertEqual(code, 401)
            _, err = d.stop()
        self.assertEqual(err.count("presented credentials that match none"), 1, err)


if __name__ == "__main__":
    e2e.main()
