"""test_deploy.py - scripts/deploy for real, against a stand-in board reached over ssh.

    python3 tests/deploy/test_deploy.py          (as root; scripts/test runs it)

The board: an arm64 Debian 13 root (scripts/make-root board-trixie-arm64, unpacked afresh for
every run) with libcamera 0.4's runtime but none of the -dev packages; its programs run through
binfmt_misc and qemu-user-static. Its ssh: this machine's sshd, started by the test on
127.0.0.1:2222 with ChrootDirectory into that root and a key the test makes. It all runs in new
network, mount and PID namespaces: the ports are the test's own, and every process it started
(sshd, the daemon on the board) ends with it.

What stands in: no systemd runs in a chroot, so the board's systemctl and journalctl are small
scripts the test puts in the board's /usr/local/bin (start runs the unit's ExecStart as its
User, the log goes to /var/log/camstreamd.log). No camera either: the daemon reaches libcamera,
finds none and serves the test pattern. Everything else is real: the sysroot is copied from the
board by rsync over ssh, the package is built with trixie's cross compiler, installed with
apt-get on the board, and its daemon answers over TCP.

Checked, in order: ssh that fails; a board without the -dev packages (named, refused); with
--install-board-deps the whole deploy, then a JPEG from /snapshot and `camstreamd --version`
on the board saying camera support on; a camera-less package refused on that board, and let
through by --test-pattern-only.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOARD_ROOT_NAME = "board-trixie-arm64"
BOARD = os.path.join(CHECKOUT, "build/roots", BOARD_ROOT_NAME)
WORK = os.path.join(CHECKOUT, "build/test-deploy")
NOCAM = os.path.join(WORK, "nocam")
SSH_PORT = 2222
HOST = "root@127.0.0.1"
RSH = None  # the ssh command line, set once the keys exist

SYSTEMCTL = r"""#!/bin/sh
# systemctl stand-in, put here by tests/deploy/test_deploy.py: no systemd runs in this chroot.
# It does what scripts/deploy and the package's scripts ask: daemon-reload, enable, start,
# restart, stop, is-active; start runs the unit's ExecStart as its User, nohup, logging to
# /var/log/UNIT.log.
set -eu
cmd=${1:-}
[ $# -eq 0 ] || shift
quiet=0
if [ "${1:-}" = --quiet ]; then quiet=1; shift; fi
unit=${1:-}
unit=${unit%.service}
file=/usr/lib/systemd/system/$unit.service
[ -e "$file" ] || file=/lib/systemd/system/$unit.service
mkdir -p /run/standin-systemd
pidfile=/run/standin-systemd/$unit.pid
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
value() { sed -n "s/^$1=//p" "$file" | tail -n 1; }
stop() {
  if running; then
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}
start() {
  [ -e "$file" ] || { echo "Unit $unit.service not found." >&2; exit 5; }
  user=$(value User)
  group=$(value Group)
  # StateDirectory=: made for the service's user, and named in $STATE_DIRECTORY, as systemd does.
  state=$(value StateDirectory)
  if [ -n "$state" ]; then
    mkdir -p "/var/lib/$state"
    chown "$user:${group:-$user}" "/var/lib/$state"
    chmod "$(value StateDirectoryMode | grep . || echo 0755)" "/var/lib/$state"
    export STATE_DIRECTORY="/var/lib/$state"
  fi
  # shellcheck disable=SC2046 # ExecStart is a command line
  nohup setpriv --reuid="$user" --regid="${group:-$user}" --init-groups -- $(value ExecStart) \
    </dev/null >>"/var/log/$unit.log" 2>&1 &
  echo $! >"$pidfile"
}
case "$cmd" in
  daemon-reload) ;;
  enable)
    mkdir -p /etc/systemd/system/multi-user.target.wants
    ln -sf "$file" /etc/systemd/system/multi-user.target.wants/ ;;
  start) running || start ;;
  restart) stop; start ;;
  stop) stop ;;
  is-active)
    if running; then [ "$quiet" = 1 ] || echo active
    else [ "$quiet" = 1 ] || echo inactive; exit 3; fi ;;
  *) echo "systemctl stand-in: '$cmd' is not known here" >&2; exit 1 ;;
esac
"""

JOURNALCTL = r"""#!/bin/sh
# journalctl stand-in, put here by tests/deploy/test_deploy.py: -u UNIT [-n LINES] prints the
# end of /var/log/UNIT.log, which the systemctl stand-in writes.
unit= lines=30
while [ $# -gt 0 ]; do
  case "$1" in
    -u) unit=${2%.service}; shift ;;
    -n) lines=$2; shift ;;
  esac
  shift
done
tail -n "$lines" "/var/log/$unit.log" 2>/dev/null
"""


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def prepare():
    """Outside the namespaces (the mirror is reachable): tools, the board, a camera-less .deb."""
    wanted = {"/usr/sbin/sshd": "openssh-server", "/usr/bin/ssh": "openssh-client",
              "/usr/bin/rsync": "rsync", "/usr/bin/curl": "curl",
              "/usr/sbin/update-binfmts": "binfmt-support",
              "/usr/libexec/qemu-binfmt/aarch64-binfmt-P": "qemu-user-static"}
    missing = sorted({pkg for path, pkg in wanted.items() if not os.path.exists(path)})
    if missing:
        subprocess.run(["apt-get", "update", "-q"], check=False)
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    start = time.monotonic()
    # A clean board each run (the cached tarball unpacked again); made once with debootstrap.
    run([os.path.join(CHECKOUT, "scripts/make-root"), "--fresh", BOARD_ROOT_NAME],
        stdout=subprocess.DEVNULL)
    print("test_deploy: board ready in %.0f s" % (time.monotonic() - start), flush=True)
    # What deploy's build needs, made now while the mirror is reachable.
    run([os.path.join(CHECKOUT, "scripts/make-root"), "cross-trixie-arm64"], stdout=subprocess.DEVNULL)
    # A package without camera support, for the refusal: against Debian 13's sysroot, like CI.
    start = time.monotonic()
    run([os.path.join(CHECKOUT, "scripts/cross-build"), "--debian", "trixie", "--arch", "arm64",
         "--camera", "off", "--build-dir", NOCAM])
    print("test_deploy: camera-less package built in %.0f s" % (time.monotonic() - start),
          flush=True)
    # Deploy copies the sysroot from the board (not from an earlier run) and builds in its tree.
    shutil.rmtree(os.path.join(CHECKOUT, "build/boards/127.0.0.1/sysroot"), True)
    for f in ("sysroot.key",):
        path = os.path.join(CHECKOUT, "build/boards/127.0.0.1", f)
        if os.path.exists(path):
            os.remove(path)


def set_up_board(tmp):
    """Inside the namespaces: loopback, the board's mounts and stand-ins, sshd and its keys."""
    global RSH
    # sshd's ChrootDirectory wants every folder up to the board root owned by root and
    # writable by no one else.
    path = BOARD
    while path != "/":
        st = os.stat(path)
        if st.st_uid != 0 or st.st_mode & 0o022:
            raise RuntimeError("sshd will not chroot into %s: %s is not root's or is writable by "
                               "others; clone the repository under a folder only root can write"
                               % (BOARD, path))
        path = os.path.dirname(path)
    run(["ip", "link", "set", "lo", "up"])
    run(["mount", "-t", "proc", "proc", os.path.join(BOARD, "proc")])
    run(["mount", "--rbind", "/dev", os.path.join(BOARD, "dev")])
    for d in ("tmp", "run"):
        run(["mount", "-t", "tmpfs", "tmpfs", os.path.join(BOARD, d)])
    for name, text in (("systemctl", SYSTEMCTL), ("journalctl", JOURNALCTL)):
        path = os.path.join(BOARD, "usr/local/bin", name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(tmp, "host_key")])
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(tmp, "user_key")])
    shutil.copy(os.path.join(tmp, "user_key.pub"), os.path.join(tmp, "authorized_keys"))
    config = os.path.join(tmp, "sshd_config")
    with open(config, "w") as f:
        f.write("\n".join([
            "Port %d" % SSH_PORT, "ListenAddress 127.0.0.1",
            "HostKey " + os.path.join(tmp, "host_key"),
            "PidFile " + os.path.join(tmp, "sshd.pid"),
            "AuthorizedKeysFile " + os.path.join(tmp, "authorized_keys"),
            "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
            # The board: every session runs inside its root (arm64 programs, through binfmt).
            "ChrootDirectory " + BOARD, ""]))
    os.makedirs("/run/sshd", exist_ok=True)
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", config, "-E",
                             os.path.join(tmp, "sshd.log")])
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", SSH_PORT), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or sshd.poll() is not None:
                raise RuntimeError("sshd did not start; see " + os.path.join(tmp, "sshd.log"))
            time.sleep(0.2)
    RSH = ("ssh -p %d -i %s -o BatchMode=yes -o StrictHostKeyChecking=no "
           "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR" % (SSH_PORT, os.path.join(tmp, "user_key")))
    return sshd


def deploy(*args, rsh=None):
    """scripts/deploy ARGS root@127.0.0.1: (exit code, everything it printed)."""
    start = time.monotonic()
    p = subprocess.run([os.path.join(CHECKOUT, "scripts/deploy")] + list(args) + [HOST],
                       env=dict(os.environ, CAMSTREAM_RSH=rsh or RSH), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800)
    print(p.stdout, flush=True)
    print("test_deploy: deploy %s exited %d after %.0f s" % (" ".join(args), p.returncode,
                                                            time.monotonic() - start), flush=True)
    return p.returncode, p.stdout


def on_board(command):
    return subprocess.run(RSH.split() + [HOST, command], capture_output=True, text=True,
                          timeout=120)


def board_token():
    """The token the package made on the board at install (root may read it)."""
    p = on_board("cat /etc/camstream/token")
    return p.stdout.strip()


def snapshot(token=None):
    """GET /snapshot from the daemon on the board, with the board's token unless told another;
    retried while it starts under qemu."""
    if token is None:
        token = board_token()
    deadline = time.monotonic() + 60
    while True:
        p = subprocess.run(["curl", "-sS", "--max-time", "20",
                            "http://127.0.0.1:8080/snapshot?token=%s" % token],
                           capture_output=True)
        if p.returncode == 0 and p.stdout[:2] == b"\xff\xd8" or time.monotonic() > deadline:
            return p
        time.sleep(1)


class Deploy(unittest.TestCase):
    def test_1_ssh_that_fails_is_named(self):
        code, out = deploy(rsh=RSH.replace("-p %d" % SSH_PORT, "-p %d" % (SSH_PORT + 1)))
        self.assertEqual(code, 1, out)
        self.assertIn("deploy: cannot run commands on %s over ssh" % HOST, out)
        self.assertIn("check that 'ssh %s' works" % HOST, out)

    def test_2_missing_dev_packages_are_named(self):
        code, out = deploy()
        self.assertEqual(code, 1, out)
        self.assertIn("lacks what its sysroot needs: run 'sudo apt-get install libcamera-dev "
                      "libturbojpeg0-dev libasio-dev libcli11-dev nlohmann-json3-dev libssl-dev' there, or add "
                      "--install-board-deps", out)
        self.assertFalse(os.path.exists(os.path.join(BOARD, "usr/bin/camstreamd")),
                         "a refused deploy installed something")

    def test_3_deploy_builds_against_the_board_and_starts_the_service(self):
        code, out = deploy("--install-board-deps")
        self.assertEqual(code, 0, out)
        self.assertIn("copying %s's sysroot" % HOST, out)
        self.assertIn("Debian GNU/Linux 13 (trixie) arm64 sysroot, aarch64-linux-gnu-g++ (GCC 14)", out)
        self.assertIn("libcamera0.4 (>= 0.4.0)", out)
        version = on_board("camstreamd --version")
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertIn("camera support: on (built against libcamera 0.4.0", version.stdout)
        self.assertEqual(on_board("systemctl is-active camstreamd").stdout.strip(), "active")
        status = on_board("dpkg-query -W -f '${Status} ${Depends}' camstreamd").stdout
        self.assertIn("install ok installed", status)
        self.assertIn("libcamera0.4", status)
        # The package made a token and the service asks for it: the camera is private.
        token = board_token()
        self.assertGreaterEqual(len(token), 40, token)
        self.assertIn("?token=" + token, out, "deploy did not print the addresses to use")
        self.assertEqual(on_board("stat -c '%a %U %G' /etc/camstream/token").stdout.strip(),
                         "640 root camstream")
        refused = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                  "--max-time", "20", "http://127.0.0.1:8080/snapshot"],
                                 capture_output=True, text=True)
        self.assertEqual(refused.stdout, "401", refused.stderr)
        p = snapshot(token)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout[:2], b"\xff\xd8", "GET /snapshot did not return a JPEG")
        self.assertGreater(len(p.stdout), 1000)
        # The package's TLS: a certificate the service made in its own state directory, the
        # addresses deploy printed are https:// with its fingerprint, and curl trusts it.
        self.assertEqual(on_board("stat -c '%a %U %G' /var/lib/camstream").stdout.strip(),
                         "700 camstream camstream")
        cert = os.path.join(BOARD, "var/lib/camstream/tls-cert.pem")
        self.assertIn("https://", out)
        self.assertIn("--pin ", out)
        p = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", cert,
                            "https://127.0.0.1:8080/snapshot?token=%s" % token],
                           capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout[:2], b"\xff\xd8", "GET https:///snapshot did not return a JPEG")
        # The daemon reached libcamera, found no camera and says it serves the test pattern.
        log = on_board("journalctl -u camstreamd -n 50").stdout
        self.assertIn("no camera found", log)
        # Deploying again with nothing changed reuses the sysroot.
        code, out = deploy()
        self.assertEqual(code, 0, out)
        self.assertIn("is up to date", out)

    def test_4_a_camera_less_package_is_refused_on_a_board_with_libcamera(self):
        deb = os.path.join(NOCAM, "camstreamd_0.1.0_arm64.deb")
        code, out = deploy("--deb", deb)
        self.assertEqual(code, 1, out)
        self.assertIn("has no camera support (its camstreamd does not link libcamera) but "
                      "%s has libcamera (libcamera0.4)" % HOST, out)
        self.assertIn("--test-pattern-only", out)
        # Still the camera build on the board.
        self.assertIn("camera support: on", on_board("camstreamd --version").stdout)

    def test_5_test_pattern_only_lets_it_through(self):
        deb = os.path.join(NOCAM, "camstreamd_0.1.0_arm64.deb")
        code, out = deploy("--deb", deb, "--test-pattern-only")
        self.assertEqual(code, 0, out)
        self.assertIn("camera support: off", on_board("camstreamd --version").stdout)
        self.assertEqual(on_board("systemctl is-active camstreamd").stdout.strip(), "active")
        self.assertEqual(snapshot().stdout[:2], b"\xff\xd8")


def main():
    if os.geteuid() != 0:
        print("test_deploy: needs root (namespaces, chroot, sshd)")
        sys.exit(1)
    if "--inner" not in sys.argv:
        start = time.monotonic()
        prepare()
        code = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc",
                               sys.executable, os.path.abspath(__file__), "--inner"]).returncode
        print("test_deploy: %s in %.0f s" % ("passed" if code == 0 else "FAILED",
                                              time.monotonic() - start))
        sys.exit(code)
    tmp = tempfile.mkdtemp(prefix="camstream-deploy-")
    sshd = set_up_board(tmp)
    try:
        result = unittest.main(argv=[sys.argv[0]], verbosity=2, exit=False).result
    finally:
        sshd.terminate()
        sshd.wait()
        shutil.rmtree(tmp, True)
    # Leaving the PID namespace ends the daemon on the board and anything else still running.
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
