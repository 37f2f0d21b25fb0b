#!/usr/bin/env python3
"""tls_cost.py - what TLS costs the daemon: its CPU time serving N camview clients over TLS
against the same clients in the clear, in one run.

One daemon (--tls auto, a throw-away state directory) serves both: for each round, N headless
camviews stream for --seconds over one dialect, and the daemon's CPU time (utime + stime from
/proc) over that window is taken. Rounds alternate clear, TLS, clear, TLS... so a change in the
machine's load falls on both alike. Prints one line per round and the ratio of the medians.

usage: bench/tls_cost.py --daemon build/bench/device/camstreamd --viewer build/bench/viewer/camview
       [--clients 4] [--seconds 10] [--rounds 3] [--size 1280x720] [--fps 30]
"""
import argparse
import hashlib
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def frames_of(out):
    return len(re.findall(rb"^frame ", out, re.M))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--viewer", required=True)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", default="30")
    a = ap.parse_args()

    state = tempfile.mkdtemp(prefix="camstream-tls-bench-")
    daemon = subprocess.Popen([a.daemon, "--config", "", "--listen", "127.0.0.1:0", "--tls", "auto",
                               "--state-dir", state, "--size", a.size, "--fps", a.fps,
                               "--source", "testpattern"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = daemon.stdout.readline().decode()
        port = int(re.search(r":(\d+)$", line.strip()).group(1))
        with open(os.path.join(state, "tls-cert.pem")) as f:
            pin = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()
        targets = {"clear": ["127.0.0.1:%d" % port],
                   "tls": ["camstreams://127.0.0.1:%d" % port, "--pin", pin]}
        results = {"clear": [], "tls": []}
        print("tls_cost: %d clients, %s at %s fps, %g s a round, load average %.2f"
              % (a.clients, a.size, a.fps, a.seconds, os.getloadavg()[0]))
        for r in range(a.rounds):
            for kind in ("clear", "tls"):
                viewers = [subprocess.Popen([a.viewer, *targets[kind], "--no-display",
                                             "--check-pattern", "--no-reconnect"],
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                           for _ in range(a.clients)]
                time.sleep(2)  # connected and streaming
                before = cpu_seconds(daemon.pid)
                time.sleep(a.seconds)
                used = cpu_seconds(daemon.pid) - before
                frames = 0
                for v in viewers:
                    v.terminate()
                    out, _ = v.communicate()
                    frames += frames_of(out)
                share = 100 * used / a.seconds
                results[kind].append(share)
                print("round %d %-5s daemon CPU %5.1f %% of a core, %d frames to %d clients"
                      % (r + 1, kind, share, frames, a.clients))
        clear, tls = statistics.median(results["clear"]), statistics.median(results["tls"])
        print("tls_cost: median daemon CPU clear %.1f %%, TLS %.1f %%: TLS/clear = %.2f"
              % (clear, tls, tls / clear if clear else float("nan")))
    finally:
        daemon.terminate()
        daemon.wait()
        shutil.rmtree(state, True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
