"""test_tls.py - TLS on the daemon's one port, beside the clear dialects: curl, ffmpeg and
Chromium over https://, camview over camstreams:// and https:// trusting by CA, pin or first
use, and the refusals (a wrong pin, a changed certificate, a server without TLS, a stalled
handshake).

Every check goes through the real daemon, the real camview and the peers' own clients over
loopback.
"""
import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import camstream_e2e as e2e


def need(test, *tools):
    for t in tools:
        if shutil.which(t) is None:
            test.skipTest("%s is not installed; scripts/install-deps installs it" % t)


def certificate_fingerprint(cert_file):
    """The SHA-256 fingerprint "AB:CD:..." of a PEM certificate, computed here."""
    with open(cert_file) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, 64, 2))


class TlsDaemon(e2e.Daemon):
    """camstreamd with --tls auto and a state directory of its own (its certificate). Its log
    line about TLS gives the public key pin (curl checks it for itself) and must give the
    certificate's fingerprint as computed here."""

    def __init__(self, state_dir, *args, **kw):
        super().__init__("--tls", "auto", "--state-dir", state_dir, *args, **kw)
        self.cert = os.path.join(state_dir, "tls-cert.pem")
        self.fingerprint = certificate_fingerprint(self.cert)
        line = b""
        while b"TLS on the same port" not in line:
            line = e2e.read_line(self.proc.stderr, timeout=10)
            if not line:
                self.kill()
                raise AssertionError("camstreamd logged no line about TLS")
        text = line.decode()
        assert "fingerprint " + self.fingerprint in text, text
        self.pin = re.search(r"--pinnedpubkey (sha256//[A-Za-z0-9+/=]{44})", text).group(1)


class Tls(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="camstream-tls-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.state = os.path.join(self.tmp, "state")

    def curl(self, *args):
        return subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True,
                              timeout=60)

    def test_curl_gets_a_snapshot_over_https_trusting_the_certificate_or_its_pinned_key(self):
        need(self, "curl")
        with TlsDaemon(self.state, size="320x240") as d:
            # The name the certificate gives, without relying on /etc/hosts (a bare root has
            # none): curl's --resolve.
            url = "https://localhost:%d/snapshot" % d.port
            resolve = "localhost:%d:127.0.0.1" % d.port
            got = self.curl("--resolve", resolve, "--cacert", d.cert, "-D", "-", url)
            self.assertEqual(got.returncode, 0, got.stderr)
            head, _, body = got.stdout.partition(b"\r\n\r\n")
            self.assertIn(b"200 OK", head)
            self.assertIn(b"Content-Type: image/jpeg", head)
            self.assertEqual(body[:2], b"\xff\xd8")
            self.assertEqual(body[-2:], b"\xff\xd9")
            # The certificate names 127.0.0.1 as well as localhost.
            got = self.curl("--cacert", d.cert, "-o", "/dev/null", "-w", "%{http_code}",
                            "https://127.0.0.1:%d/snapshot" % d.port)
            self.assertEqual(got.stdout, b"200", got.stderr)
            # Pinning the public key, as the daemon's log and --show-access print it.
            got = self.curl("--resolve", resolve, "-k", "--pinnedpubkey", d.pin, "-o",
                            "/dev/null", "-w", "%{http_code}", url)
            self.assertEqual(got.stdout, b"200", got.stderr)
            got = self.curl("--resolve", resolve, "-k", "--pinnedpubkey",
                            "sha256//" + "A" * 43 + "=", "-o", "/dev/null", url)
            self.assertEqual(got.returncode, 90, "curl took a server whose key is not pinned")
            # A CA that did not sign it (another daemon's certificate): curl refuses it.
            with TlsDaemon(os.path.join(self.tmp, "other"), size="320x240") as other:
                got = self.curl("--resolve", resolve, "--cacert", other.cert, "-o", "/dev/null",
                                url)
                self.assertEqual(got.returncode, 60, got.stderr)

    def test_the_clear_dialects_stay_on_the_same_port(self):
        with TlsDaemon(self.state, size="320x240") as d:
            status, headers, body = e2e.http_get(d.port, "/snapshot")
            self.assertEqual(status, 200)
            self.assertEqual(body[:2], b"\xff\xd8")
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--frames", "10",
                                            "--check-pattern", "--no-reconnect")
            self.assertEqual(code, 0, err)
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), 10)

    def test_ffmpeg_plays_the_stream_over_https_checking_the_certificate(self):
        need(self, "ffmpeg")
        with TlsDaemon(self.state, size="320x240") as d:
            p = subprocess.run(
                ["ffmpeg", "-hide_banner", "-nostdin", "-tls_verify", "1", "-ca_file", d.cert,
                 "-f", "mpjpeg", "-i", "https://127.0.0.1:%d/stream" % d.port, "-frames:v",
                 "15", "-f", "null", "-"], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertRegex(p.stderr, r"frame=\s*15\b")

    def test_camview_streams_over_tls_trusting_a_pin_or_a_ca(self):
        with TlsDaemon(self.state, size="320x240") as d:
            for target, trust in (("camstreams://127.0.0.1:%d" % d.port, ["--pin", d.fingerprint]),
                                  ("camstreams://127.0.0.1:%d" % d.port, ["--ca", d.cert]),
                                  ("https://127.0.0.1:%d/stream" % d.port,
                                   ["--pin", d.fingerprint.replace(":", "").lower()]),
                                  ("127.0.0.1:%d" % d.port, ["--tls", "--pin", d.fingerprint])):
                code, out, err = e2e.run_viewer(target, "--no-display", "--frames", "20",
                                                "--check-pattern", "--no-reconnect", *trust)
                self.assertEqual(code, 0, "%s %s: %s" % (target, trust, err))
                e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), 20)

    def test_status_says_which_clients_are_encrypted(self):
        with TlsDaemon(self.state, size="320x240") as d:
            viewer = e2e.start_viewer("camstreams://127.0.0.1:%d" % d.port, "--no-display",
                                      "--pin", d.fingerprint)
            try:
                kinds = ""
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and '"native+tls"' not in kinds:
                    _, _, body = e2e.http_get(d.port, "/status")
                    kinds = body.decode()
                    time.sleep(0.1)
                self.assertIn('"kind":"native+tls"', kinds)
            finally:
                viewer.kill()
                viewer.communicate()

    def test_camview_refuses_a_wrong_pin_and_a_ca_that_did_not_sign(self):
        with TlsDaemon(self.state, size="320x240") as d:
            wrong = "00" + d.fingerprint[2:]
            code, _, err = e2e.run_viewer("camstreams://127.0.0.1:%d" % d.port, "--no-display",
                                          "--pin", wrong)
            # Trying again cannot mend a wrong certificate: camview stops even while reconnecting.
            self.assertEqual(code, 1, err)
            self.assertIn("not the pinned", err)
            self.assertIn(d.fingerprint, err)
            other = os.path.join(self.tmp, "other")
            with TlsDaemon(other, size="320x240") as d2:
                code, _, err = e2e.run_viewer("camstreams://127.0.0.1:%d" % d.port,
                                              "--no-display", "--ca", d2.cert)
                self.assertEqual(code, 1, err)
                self.assertIn("is not trusted", err)
            code, _, err = e2e.run_viewer("camstreams://127.0.0.1:%d" % d.port, "--no-display",
                                          "--pin", "not-a-fingerprint")
            self.assertEqual(code, 2)
            self.assertIn("--pin takes a SHA-256 fingerprint", err)

    def test_camview_trusts_on_first_use_and_refuses_a_changed_certificate(self):
        known = os.path.join(self.tmp, "config", "known_hosts")
        port = e2e.free_port()
        with TlsDaemon(self.state, size="320x240", port=port) as d:
            for _ in range(2):
                code, _, err = e2e.run_viewer("camstreams://127.0.0.1:%d" % port, "--no-display",
                                              "--frames", "5", "--known-hosts", known)
                self.assertEqual(code, 0, err)
            with open(known) as f:
                lines = f.read().splitlines()
            self.assertEqual(lines, ["127.0.0.1:%d %s" % (port, d.fingerprint.replace(":", "")
                                                            .lower())])
        # The same address with another certificate: an impostor, as far as camview can tell.
        with TlsDaemon(os.path.join(self.tmp, "impostor"), size="320x240", port=port) as d2:
            code, _, err = e2e.run_viewer("camstreams://127.0.0.1:%d" % port, "--no-display",
                                          "--frames", "5", "--known-hosts", known)
            self.assertEqual(code, 1, err)
            self.assertIn("changed", err)
            self.assertIn(d2.fingerprint, err)
            self.assertIn(known, err)

    def test_a_tls_client_of_a_daemon_without_tls_gets_one_clear_line(self):
        with e2e.Daemon(size="320x240") as d:
            code, _, err = e2e.run_viewer("camstreams://127.0.0.1:%d" % d.port, "--no-display",
                                          "--no-reconnect")
            self.assertEqual(code, 1, err)
            self.assertIn("is TLS on there", err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertTrue(d.alive())

    def test_a_stalled_or_broken_handshake_is_cut_and_the_daemon_serves_on(self):
        with TlsDaemon(self.state, "--handshake-timeout", "1", size="320x240") as d:
            # A TLS record header and then nothing: cut at the handshake timeout.
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            s.sendall(b"\x16\x03\x01")
            start = time.monotonic()
            self.assertEqual(s.recv(100), b"")
            self.assertLess(time.monotonic() - start, 4)
            s.close()
            # Garbage after the record type: the handshake fails, the connection closes.
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            s.sendall(b"\x16" + os.urandom(300))
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            s.close()
            # TLS done right, then nonsense inside it: refused like nonsense in the clear.
            ctx = ssl.create_default_context(cafile=d.cert)
            with ctx.wrap_socket(socket.create_connection(("127.0.0.1", d.port), timeout=5),
                                 server_hostname="localhost") as t:
                t.sendall(b"XXXX nonsense\r\n\r\n")
                try:
                    self.assertEqual(t.recv(100), b"")
                except (ssl.SSLError, ConnectionResetError):
                    pass
            code, _, err = e2e.run_viewer("camstreams://127.0.0.1:%d" % d.port, "--no-display",
                                          "--frames", "5", "--ca", d.cert, "--no-reconnect")
            self.assertEqual(code, 0, err)

    def test_a_bad_certificate_file_stops_the_daemon_naming_it(self):
        bad = os.path.join(self.tmp, "bad.pem")
        with open(bad, "w") as f:
            f.write("not a certificate\n")
        p = subprocess.run([e2e.DAEMON, "--listen", "127.0.0.1:0", "--tls-cert", bad, "--tls-key",
                            bad], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn(bad, p.stderr)
        self.assertEqual(p.stdout, "")

    def test_chromium_shows_the_live_picture_over_https_with_the_pinned_key(self):
        need(self, "chromium", "convert")
        with TlsDaemon(self.state, size="320x240") as d:
            e2e.assert_browser_shows_the_pattern(
                self, "https://127.0.0.1:%d/" % d.port, self.tmp,
                "--ignore-certificate-errors-spki-list=" + d.pin[len("sha256//"):])

if __name__ == "__main__":
    e2e.main()
