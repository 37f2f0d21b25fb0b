#!/usr/bin/env python3
"""measure.py - the "Staying up" figures of docs/security.md, measured on a real camstreamd.

    tests/fault/measure.py --daemon build/dev/device/camstreamd --viewer build/dev/viewer/camview \
        [fds] [storm] [silent] [stall] [-- DAEMON-ARGS...]

Each scenario prints one line of figures. Run as root on an otherwise quiet machine; the
numbers are what docs/security.md quotes, the fault tests (test_*.py) assert bounds on them.
  fds     RLIMIT_NOFILE 256, 400 silent connections from 400 addresses, each renewed a second
          after the daemon drops it, for 20 s beside a streaming viewer: the daemon's CPU, its
          log lines, the viewer's fps, and how soon a new client gets a frame once the crowd
          leaves
  storm   the same crowd renewed at once: a connection storm as fast as one Python thread
          reconnects; the daemon's CPU, connections a second, the viewer's fps
  silent  256 silent sockets from 256 addresses, renewed, for 15 s: how many of 9 new
          clients, one every 1.5 s, get a frame within 3 s
  stall   200 clients that complete the handshake and never read, at 1280x720: the kernel's
          TCP memory, the daemon's send queues, and how long until the daemon let them go
DAEMON-ARGS go to every daemon, e.g. -- --write-timeout 10 (a flag the old daemon lacks).
"""
import argparse
import subprocess
import sys
import time

import fault_harness as fh

e2e = fh.e2e


def sockets_on(port):
    """The daemon's TCP sockets on `port` in any state but LISTEN."""
    out = subprocess.run(["ss", "-Htan", "sport", "= :%d" % port], capture_output=True,
                         text=True, timeout=30).stdout
    return sum(1 for line in out.splitlines() if line and not line.startswith("LISTEN"))


def crowd_at_256(args, renew_after):
    """400 silent connections from 400 addresses at RLIMIT_NOFILE 256 for 20 s: the figures."""
    with fh.Daemon(*args, nofile=256) as d, fh.Viewer(d.address) as v:
        assert v.wait_frames(30, 20), "the viewer got no frames"
        before = d.figures()
        cpu = fh.CpuMeter(d)
        t0 = time.monotonic()
        with fh.Crowd(d.address, 400, addresses=400, renew_after=renew_after) as crowd:
            time.sleep(20)
            t1 = time.monotonic()
            f = dict(cpu=cpu.percent(), connected=crowd.connected, before=before,
                     during=d.figures(), fps=v.fps_between(t0 + 1, t1), seconds=t1 - t0)
        f["delay"] = fh.first_frame_delay(d.address, timeout=20)
        f["after"] = d.figures()
        return f


def fds(args):
    f = crowd_at_256(args, renew_after=1.0)
    b, d, a = f["before"], f["during"], f["after"]
    print("fds: cpu %.1f %%, log +%d lines (+%d bytes), viewer %.1f fps, first frame %s s after "
          "the crowd left; fds %d -> %d (%d during), RSS %d -> %d kB"
          % (f["cpu"], d["log_lines"] - b["log_lines"], d["log_bytes"] - b["log_bytes"],
             f["fps"], "%.3f" % f["delay"] if f["delay"] is not None else "never", b["fds"],
             a["fds"], d["fds"], b["rss_kb"], a["rss_kb"]))


def storm(args):
    f = crowd_at_256(args, renew_after=0.0)
    b, d = f["before"], f["during"]
    print("storm: cpu %.1f %%, %.0f connections a second, log +%d lines, viewer %.1f fps, "
          "fds %d -> %d, RSS %d -> %d kB"
          % (f["cpu"], f["connected"] / f["seconds"], d["log_lines"] - b["log_lines"], f["fps"],
             b["fds"], d["fds"], b["rss_kb"], d["rss_kb"]))


def silent(args):
    with fh.Daemon(*args) as d:
        before = d.figures()
        with fh.Crowd(d.address, 256, addresses=256) as crowd:
            time.sleep(2)
            got = []
            for _ in range(9):
                got.append(fh.first_frame_delay(d.address, timeout=3))
                time.sleep(1.5)
            during = d.figures()
        ok = [g for g in got if g is not None]
        print("silent: %d of 9 new clients got a frame (slowest %s s); log +%d lines in %.0f s; "
              "fds %d -> %d" % (len(ok), "%.3f" % max(ok) if ok else "-",
                                during["log_lines"] - before["log_lines"], 2 + 9 * 1.5,
                                before["fds"], during["fds"]))


def established_on(port):
    return fh.daemon_send_queues(port)[0]


def stall(args):
    with fh.Daemon(*args, size="1280x720") as d, fh.Viewer(d.address) as v:
        assert v.wait_frames(10, 20), "the viewer got no frames"
        mem0 = fh.tcp_memory_bytes()
        with fh.Crowd(d.address, 200, mode="stall", addresses=200, renew=False) as crowd:
            t0 = time.monotonic()
            peak = 0
            peak_queue = 0
            cut = gone = None
            mem_cut = 0
            while time.monotonic() - t0 < 90:
                now = time.monotonic() - t0
                peak = max(peak, fh.tcp_memory_bytes() - mem0)
                peak_queue = max(peak_queue, fh.daemon_send_queues(d.port)[1])
                # The viewer's socket stays; the crowd's 200 must go: first closed by the
                # daemon (no longer established), then gone from the kernel altogether.
                if cut is None and now > 2 and established_on(d.port) <= 1:
                    cut = now
                    mem_cut = fh.tcp_memory_bytes() - mem0
                if cut is not None and sockets_on(d.port) <= 1:
                    gone = now
                    break
                time.sleep(0.5)
            after = fh.tcp_memory_bytes() - mem0
            fps = v.fps_between(t0 + 1, time.monotonic())
            print("stall: kernel TCP memory +%.0f MB at the peak (daemon send queues %.0f MB); "
                  "cut after %s s (+%.0f MB left then), gone after %s s (+%.0f MB at the end); "
                  "viewer %.1f fps; crowd connected %d, closed by the daemon %d"
                  % (peak / 1e6, peak_queue / 1e6, "%.1f" % cut if cut else "more than 90",
                     mem_cut / 1e6, "%.1f" % gone if gone else "more than 90", after / 1e6, fps,
                     crowd.connected, crowd.closed_by_peer))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--daemon", required=True)
    p.add_argument("--viewer", required=True)
    p.add_argument("scenarios", nargs="*", default=["fds", "storm", "silent", "stall"])
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    a = p.parse_args(argv)
    e2e.DAEMON, e2e.VIEWER = a.daemon, a.viewer
    for s in a.scenarios:
        {"fds": fds, "storm": storm, "silent": silent, "stall": stall}[s](extra)


if __name__ == "__main__":
    main()
