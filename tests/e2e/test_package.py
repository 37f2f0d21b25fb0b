"""test_package.py - the camstreamd .deb: contents, control data, the unit, and the packaged daemon.

    test_package.py --deb camstreamd_0.1.0_arm64.deb --viewer NATIVE_CAMVIEW [--arch arm64]

The package is unpacked into a temporary folder, never installed. Its daemon runs under
$CAMSTREAM_EMULATOR (qemu-aarch64 for an arm64 package) and a native camview receives frames
from it; systemd's notify protocol is checked against a socket standing in for systemd.
"""
import argparse
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

import camstream_e2e as e2e

DEB = None
ARCH = None
ROOT = None

# What readelf -h says for each Debian architecture, and the loader the binary asks for.
MACHINES = {
    "amd64": ("Advanced Micro Devices X86-64", "/lib64/ld-linux-x86-64.so.2"),
    "arm64": ("AArch64", "/lib/ld-linux-aarch64.so.1"),
    "armhf": ("ARM", "/lib/ld-linux-armhf.so.3"),
}


def field(name):
    return subprocess.run(["dpkg-deb", "-f", DEB, name], capture_output=True, text=True,
                          check=True).stdout.strip()


class Contents(unittest.TestCase):
    def test_architecture_and_binary_match(self):
        self.assertEqual(field("Architecture"), ARCH)
        binary = os.path.join(ROOT, "usr/bin/camstreamd")
        self.assertTrue(os.access(binary, os.X_OK), "usr/bin/camstreamd is not executable")
        header = subprocess.run(["readelf", "-h", "-l", binary], capture_output=True, text=True,
                                check=True).stdout
        machine, loader = MACHINES[ARCH]
        m = re.search(r"Machine:\s+(.+)", header)
        self.assertEqual(m.group(1).strip(), machine, header)
        self.assertIn("[Requesting program interpreter: %s]" % loader, header)

    def test_depends_lists_the_libraries_and_adduser(self):
        depends = [d.strip().split(" ")[0] for d in field("Depends").split(",")]
        for needed in ("libc6", "libstdc++6", "libturbojpeg0", "adduser"):
            self.assertIn(needed, depends, "Depends: %s" % field("Depends"))
        # Every library the binary links is provided by a dependency (no SDL, no host-only lib).
        needed = subprocess.run(["readelf", "-d", os.path.join(ROOT, "usr/bin/camstreamd")],
                                capture_output=True, text=True, check=True).stdout
        libs = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", needed)
        self.assertTrue(any(lib.startswith("libturbojpeg") for lib in libs), libs)
        self.assertFalse(any("SDL" in lib for lib in libs), libs)
        if any(lib.startswith("libcamera") for lib in libs):
            self.assertTrue(any(d.startswith("libcamera") for d in depends), depends)

    def test_files_unit_config_and_maintainer_scripts(self):
        for path in ("usr/bin/camstreamd", "usr/lib/systemd/system/camstreamd.service",
                     "etc/camstream/camstreamd.conf", "usr/share/doc/camstreamd/README.md"):
            self.assertTrue(os.path.isfile(os.path.join(ROOT, path)), path + " is missing")
        control = os.path.join(ROOT, "DEBIAN")
        with open(os.path.join(control, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/camstream/camstreamd.conf"])
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(control, script)
            self.assertTrue(os.access(path, os.X_OK), script + " is not executable")
            subprocess.run(["sh", "-n", path], check=True)
        with open(os.path.join(control, "postinst")) as f:
            postinst = f.read()
        self.assertIn("adduser --system", postinst)
        self.assertIn("camstream video", postinst)
        # A token only root and the service read, made once (the deploy test runs it).
        self.assertIn("/etc/camstream/token", postinst)
        self.assertIn("chmod 0640 /etc/camstream/token", postinst)

    def test_systemd_accepts_the_unit(self):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            self.skipTest("systemd-analyze is not installed (package systemd)")
        unit = os.path.join(ROOT, "usr/lib/systemd/system/camstreamd.service")
        with open(unit) as f:
            text = f.read()
        self.assertIn("Type=notify", text)
        self.assertIn("WatchdogSec=", text)
        # verify checks that ExecStart exists: point it at the unpacked binary.
        copy = os.path.join(ROOT, "camstreamd.service")
        with open(copy, "w") as f:
            f.write(text.replace("ExecStart=/usr/bin/camstreamd",
                                 "ExecStart=" + os.path.join(ROOT, "usr/bin/camstreamd")))
        p = subprocess.run([analyze, "verify", "--man=no", copy], capture_output=True, text=True)
        # An unknown or misspelt setting is only a warning to systemd: any output fails here.
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))


def packaged_config():
    """The package's config with its token file, which postinst makes at /etc/camstream/token
    (the deploy test runs the real postinst), made here instead: the daemon as installed,
    short of root. Returns (folder, config path, token)."""
    folder = tempfile.mkdtemp(prefix="camstream-package-")
    token = secrets.token_urlsafe(32)
    token_path = os.path.join(folder, "token")
    with open(token_path, "w") as f:
        f.write(token + "\n")
    with open(os.path.join(ROOT, "etc/camstream/camstreamd.conf")) as f:
        conf = f.read()
    # The shipped config names the token file: the camera is private from the first start.
    self_check = "\nauth-token-file = /etc/camstream/token\n"
    if self_check not in conf:
        raise AssertionError("the packaged config does not name /etc/camstream/token")
    # TLS's certificate in the test's folder, not the machine's /var/lib/camstream.
    conf += "\nstate-dir = %s\n" % os.path.join(folder, "state")
    path = os.path.join(folder, "camstreamd.conf")
    with open(path, "w") as f:
        f.write(conf.replace("/etc/camstream/token", token_path))
    return folder, path, token


class PackagedDaemon(unittest.TestCase):
    def test_the_packaged_daemon_asks_for_its_token(self):
        folder, conf, token = packaged_config()
        self.addCleanup(shutil.rmtree, folder, True)
        # Listening beyond loopback, as the service does, with the package's token.
        with e2e.Daemon("--config", conf, "--source", "testpattern", size="640x480", fps="15",
                        listen="0.0.0.0") as d:
            code, _, _ = e2e.http_get(d.port, "/snapshot")
            self.assertEqual(code, 401)
            code, _, body = e2e.http_get(d.port, "/snapshot?token=" + token)
            self.assertEqual(code, 200)
            self.assertEqual(body[:2], b"\xff\xd8")
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--frames", "3")
            self.assertEqual(code, 1, "camview without the token got frames")
            self.assertIn("needs a token", err)
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--check-pattern",
                                            "--frames", "20", "--token", token, timeout=120)
            self.assertEqual(code, 0, err)
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), at_least=20)
            # The shipped config turns TLS on (tls = auto): camview pins the certificate the
            # daemon made in its state directory.
            cert = os.path.join(folder, "state", "tls-cert.pem")
            with open(cert) as f:
                digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()
            code, out, err = e2e.run_viewer("camstreams://" + d.address, "--no-display",
                                            "--check-pattern", "--frames", "10", "--token", token,
                                            "--pin", digest, timeout=120)
            self.assertEqual(code, 0, err)
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), at_least=10)
            code, err = d.stop(signal.SIGTERM, timeout=30)
            self.assertEqual(code, 0, err)

    def test_native_client_gets_frames_from_the_packaged_daemon(self):
        folder, conf, token = packaged_config()
        self.addCleanup(shutil.rmtree, folder, True)
        with e2e.Daemon("--config", conf, "--source", "testpattern", size="640x480",
                        fps="15") as d:
            code, out, err = e2e.run_viewer(d.address, "--no-display", "--check-pattern",
                                            "--frames", "20", "--token", token, timeout=120)
            self.assertEqual(code, 0, err)
            e2e.assert_increasing_pattern(self, e2e.pattern_frames(out), at_least=20)
            code, err = d.stop(signal.SIGTERM, timeout=30)
            self.assertEqual(code, 0, err)

    def test_a_config_file_error_names_file_and_line(self):
        bad = os.path.join(ROOT, "bad.conf")
        with open(bad, "w") as f:
            f.write("# a typo on line 2\nqualty = 50\n")
        p = subprocess.run([e2e.DAEMON, "--config", bad], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(bad + ":2: unknown key 'qualty'", p.stderr)

    def test_ready_and_watchdog_reach_the_notify_socket(self):
        folder = tempfile.mkdtemp(prefix="camstream-notify-")
        self.addCleanup(shutil.rmtree, folder, True)
        path = os.path.join(folder, "notify")
        systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(systemd.close)
        systemd.bind(path)
        systemd.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="2000000")
        env.pop("WATCHDOG_PID", None)
        with e2e.Daemon("--config", "", "--source", "testpattern", size="320x240", fps="10",
                        env=env) as d:
            self.assertEqual(systemd.recv(4096).split(b"\n")[0], b"READY=1")
            # While a client streams, each tick (every 0.5 s) finds new frames and feeds it.
            viewer = e2e.start_viewer(d.address, "--no-display")
            try:
                pings = 0
                deadline = time.monotonic() + 60
                while pings < 3 and time.monotonic() < deadline:
                    if systemd.recv(4096) == b"WATCHDOG=1":
                        pings += 1
                self.assertEqual(pings, 3, "the watchdog was not fed while frames flowed")
            finally:
                viewer.kill()
                viewer.communicate()
            d.stop(signal.SIGTERM, timeout=30)
            self.assertIn(b"STOPPING=1", drain(systemd))


def drain(sock):
    """Every datagram that arrives within a second of the last one."""
    data = b""
    sock.settimeout(1)
    try:
        while True:
            data += sock.recv(4096) + b"\n"
    except socket.timeout:
        return data


def main():
    global DEB, ARCH, ROOT
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--deb", required=True)
    p.add_argument("--viewer", required=True)
    p.add_argument("--arch", help="the architecture the package must be for")
    args, rest = p.parse_known_args()
    if not os.path.isfile(args.deb):
        print("no package at %s: build it first with cpack" % args.deb)
        sys.exit(1)
    DEB = args.deb
    ARCH = args.arch or subprocess.run(["dpkg-deb", "-f", DEB, "Architecture"],
                                       capture_output=True, text=True, check=True).stdout.strip()
    ROOT = tempfile.mkdtemp(prefix="camstream-deb-")
    try:
        subprocess.run(["dpkg-deb", "-R", DEB, ROOT], check=True)
        # The packaged daemon, under the emulator when it is for another architecture.
        sys.argv = [sys.argv[0], "--daemon", os.path.join(ROOT, "usr/bin/camstreamd"),
                    "--viewer", args.viewer] + rest
        e2e.parse_args()
        result = unittest.main(verbosity=2, exit=False).result
    finally:
        shutil.rmtree(ROOT, True)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
