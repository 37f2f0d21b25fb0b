#!/usr/bin/env python3
# system_bench.py - runs camstreamd, GStreamer and ffmpeg under load and reports the figures.
#
# Called by scripts/bench, which builds the binaries first. Every figure is measured in this
# run and held against the codec baseline measured in the same run. Writes results.json,
# results.md (the tables for docs/performance.md), the latency samples and the PNG plots to
# --out.
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
NOISE = 11  # the grain level of the "noisy" picture (about 200 kB per 720p JPEG at q80)


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def cpu_seconds(pid):
    """User + system CPU seconds of a process and all its threads so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """camstreamd on a free loopback port; stopped with SIGTERM."""

    def __init__(self, build, *args):
        self.proc = subprocess.Popen(
            # Every load client comes from 127.0.0.1: one address, which --max-per-address
            # would hold to 32 of the fan-out's 100 clients.
            [f"{build}/device/camstreamd", "--listen", "127.0.0.1:0", "--config", "",
             "--stats", "1", "--max-per-address", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on [\d.]+:(\d+)", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"camstreamd did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(m.group(1))
        self.pid = self.proc.pid

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def stage_times(stderr):
    """Per-second stage lines of the daemon: medians of their p50 and p99 figures."""
    rows = re.findall(r"queue ([\d.]+)/([\d.]+) ms, encode ([\d.]+)/([\d.]+) ms, send "
                      r"([\d.]+)/([\d.]+) ms \((\d+) writes\)", stderr)
    rows = [r for r in rows if int(r[6]) > 0]
    if not rows:
        return {}
    col = lambda i: statistics.median(float(r[i]) for r in rows)
    return {"queue_p50": col(0), "queue_p99": col(1), "encode_p50": col(2),
            "encode_p99": col(3), "send_p50": col(4), "send_p99": col(5)}


def run_clients(build, port, clients, seconds, warmup, mode="native", slow=0, slow_kbit=1000,
                latency_file=None):
    cmd = [f"{build}/bench/camstream_bench_clients", "--port", str(port), "--mode", mode,
           "--clients", str(clients), "--slow", str(slow), "--slow-kbit", str(slow_kbit),
           "--warmup", str(warmup), "--seconds", str(seconds)]
    if latency_file:
        cmd += ["--latency-file", latency_file]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + warmup + 60)
    if out.returncode != 0:
        log(f"clients reported failures: {out.stderr.strip()}")
    return json.loads(out.stdout)


def thread_cpu(pid):
    """CPU seconds so far of each thread of a process, summed by thread name."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def measured(pid, build, port, clients, seconds, warmup, **kw):
    """Runs the clients against a server process and samples its CPU and RSS over the window."""
    import threading
    result = {}
    t = threading.Thread(target=lambda: result.update(
        run_clients(build, port, clients, seconds, warmup, **kw)))
    t.start()
    time.sleep(warmup)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    threads0 = thread_cpu(pid)
    rss_peak = 0
    while t.is_alive() and time.monotonic() - t0 < seconds:
        rss_peak = max(rss_peak, rss_kb(pid))
        time.sleep(0.2)
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    threads1 = thread_cpu(pid)
    t.join()
    result["thread_cpu_s"] = {k: v - threads0.get(k, 0) for k, v in threads1.items()}
    result["cpu_percent"] = 100 * (cpu1 - cpu0) / (t1 - t0)
    result["cpu_s"] = cpu1 - cpu0
    result["rss_kb"] = rss_peak
    return result


# --- 1. codec baseline and throughput -----------------------------------------------------

def micro(build, min_time):
    out = subprocess.run(
        [f"{build}/bench/camstream_bench_encode", "--benchmark_format=json",
         f"--benchmark_min_time={min_time}"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    res = {}
    for b in data["benchmarks"]:
        name = b["name"]
        m = re.match(r"BM_(\w+)/w:(\d+)/h:(\d+)(?:/noisy:(\d))?", name)
        kind, w, h, noisy = m.group(1), m.group(2), m.group(3), m.group(4)
        key = f"{kind} {w}x{h}" + ("" if noisy is None else (" noisy" if noisy == "1" else " flat"))
        res[key] = {"fps": b.get("fps"), "cpu_ms": b["cpu_time"] if b["time_unit"] == "ms" else None,
                    "mpix": b.get("Mpixel/s"), "jpeg_kB": b.get("jpeg_kB")}
    return res


def throughput(build, seconds, warmup, base, cores):
    rows = []
    for pattern in ("flat", "noisy"):
        raw = base[f"TjCompressFromYUVPlanes 1280x720 {pattern}"]["fps"]
        for workers in range(1, cores + 1):
            args = ["--size", "1280x720", "--fps", "0", "--workers", str(workers)]
            if pattern == "noisy":
                args += ["--noise", str(NOISE)]
            d = Daemon(build, *args)
            r = measured(d.pid, build, d.port, 1, seconds, warmup)
            err = d.stop()
            fps = r["fast"]["fps_mean"]
            # The daemon's own counters over the seconds a client was attached: all it encoded,
            # and the share that finished after a newer frame and was dropped.
            counts = [(int(a), int(b)) for a, b in re.findall(
                r"encoded (\d+) \([\d.]+ ms each\), failed \d+, late (\d+); clients 1,", err)]
            enc_fps = late_pct = float("nan")
            if len(counts) >= 3:
                (e0, l0), (e1, l1) = counts[1], counts[-1]
                enc_fps = (e1 - e0) / (len(counts) - 2)
                late_pct = 100 * (l1 - l0) / max(e1 - e0, 1)
            rows.append({"pattern": pattern, "workers": workers, "fps": fps,
                         "raw_single_fps": raw, "ratio": fps / (workers * raw),
                         "encoded_fps": enc_fps, "late_percent": late_pct,
                         "cpu_percent": r["cpu_percent"]})
            log(f"throughput {pattern} workers={workers}: {fps:.1f} fps, "
                f"{100 * fps / (workers * raw):.1f}% of {workers} x raw {raw:.1f}")
    return rows


# --- 2. latency ---------------------------------------------------------------------------

def viewer_lines(text):
    rows = []
    for line in text.splitlines():
        row = {}
        for name in ("received", "decoded", "presented"):
            m = re.search(name + r" ([\d.]+)/([\d.]+) ms", line)
            if m:
                row[name] = (float(m.group(1)), float(m.group(2)))
        m = re.search(r"decode ([\d.]+)/([\d.]+) ms", line)
        if m:
            row["decode"] = (float(m.group(1)), float(m.group(2)))
        if "decoded" in row:
            rows.append(row)
    return rows


def latency(build, seconds, warmup, out_dir):
    res = {}
    for pattern in ("flat", "noisy"):
        args = ["--size", "1280x720", "--fps", "30"]
        if pattern == "noisy":
            args += ["--noise", str(NOISE)]
        d = Daemon(build, *args)
        samples = os.path.join(out_dir, f"latency-{pattern}.txt")
        # The load client alone first: its per-frame capture -> received times draw the CDF.
        r = run_clients(build, d.port, 1, seconds, warmup, latency_file=samples)
        view_cmd = [f"{build}/viewer/camview", "--no-display", "--print-fps",
                    f"127.0.0.1:{d.port}"]
        window = bool(shutil.which("xvfb-run")) and pattern == "flat"
        v = subprocess.run(["timeout", "-s", "INT", str(seconds + warmup)] + view_cmd,
                           capture_output=True, text=True)
        rows = viewer_lines(v.stdout)[int(warmup):]
        presented = []
        if window:
            # A real window on a virtual X server: capture -> presented.
            w = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24",
                                "timeout", "-s", "INT", str(seconds + warmup),
                                f"{build}/viewer/camview", "--print-fps", f"127.0.0.1:{d.port}"],
                               capture_output=True, text=True)
            presented = [r_["presented"] for r_ in viewer_lines(w.stdout)[int(warmup):]
                         if "presented" in r_]
        err = d.stop()
        st = stage_times(err)
        med = lambda key, i: statistics.median(x[key][i] for x in rows) if rows else float("nan")
        entry = {
            "received_p50": r["fast"]["latency_p50_ms"], "received_p99": r["fast"]["latency_p99_ms"],
            "camview_received_p50": med("received", 0), "camview_received_p99": med("received", 1),
            "decoded_p50": med("decoded", 0), "decoded_p99": med("decoded", 1),
            "decode_p50": med("decode", 0), "decode_p99": med("decode", 1),
            **st}
        if presented:
            entry["presented_p50"] = statistics.median(p[0] for p in presented)
            entry["presented_p99"] = statistics.median(p[1] for p in presented)
        enc = st.get("encode_p50", 0)
        entry["non_codec_p50"] = entry["decoded_p50"] - enc - entry["decode_p50"]
        entry["non_codec_p99"] = entry["decoded_p99"] - enc - entry["decode_p50"]
        # From the load client's samples: capture -> received minus the encode time.
        entry["non_codec_received_p50"] = entry["received_p50"] - enc
        entry["non_codec_received_p99"] = entry["received_p99"] - enc
        res[pattern] = entry
        log(f"latency {pattern}: {json.dumps(entry)}")
    return res


# --- 3./4. fan-out and the slow client ----------------------------------------------------

def fanout(build, seconds, warmup, modes):
    rows = []
    frame_kb = None
    for mode in modes:
        for n in (1, 10, 100):
            d = Daemon(build, "--size", "1280x720", "--fps", "30")
            r = measured(d.pid, build, d.port, n, seconds, warmup, mode=mode)
            d.stop()
            f = r["fast"]
            if mode == "native" and n == 1:
                frame_kb = f["kbit_per_s_each"] / 8 / max(f["fps_mean"], 1)
            rows.append({"mode": mode, "clients": n, "fps_min": f["fps_min"],
                         "fps_mean": f["fps_mean"], "cpu_percent": r["cpu_percent"],
                         "rss_kb": r["rss_kb"], "latency_p50": f["latency_p50_ms"],
                         "latency_p99": f["latency_p99_ms"]})
            log(f"fan-out {mode} {n}: {rows[-1]}")
    return rows, frame_kb


def slow_client(build, seconds, warmup):
    rows = []
    for slow in (0, 1):
        d = Daemon(build, "--size", "1280x720", "--fps", "30")
        r = measured(d.pid, build, d.port, 10 + slow, seconds, warmup, slow=slow, slow_kbit=1000)
        d.stop()
        row = {"slow_clients": slow, "fast_fps_mean": r["fast"]["fps_mean"],
               "fast_fps_min": r["fast"]["fps_min"], "rss_kb": r["rss_kb"],
               "cpu_percent": r["cpu_percent"]}
        if slow:
            row["slow_fps"] = r["slow"]["fps_mean"]
            row["slow_kbit"] = r["slow"]["kbit_per_s_each"]
        rows.append(row)
        log(f"slow client: {row}")
    return rows


# --- 5. peers -----------------------------------------------------------------------------

def process_cpu_per_frame(cmd, build, port, seconds, warmup, probe=True):
    """Starts a server command, reads it with one client, returns CPU s per 1000 frames."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # ffmpeg's listen=1 serves exactly one connection: no probing it, just time to start.
        for _ in range(100 if probe else 0):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3 if probe else 1.5)
        r = measured(proc.pid, build, port, 1, seconds, warmup, mode="mjpeg")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    frames = r["fast"]["fps_mean"] * seconds
    return {"fps": r["fast"]["fps_mean"], "cpu_s": r["cpu_s"],
            "cpu_s_per_1000": 1000 * r["cpu_s"] / frames if frames else float("nan"),
            "threads_s_per_1000": {k: 1000 * v / frames for k, v in r["thread_cpu_s"].items()}
            if frames else {},
            "kB_per_frame": r["fast"]["kbit_per_s_each"] / 8 / max(r["fast"]["fps_mean"], 1)}


def generation_cost(cmd, frames):
    """CPU s per 1000 frames of a command that only generates pictures: `cmd(n)` makes n.
    Run for `frames` and for twice as many, the difference cancels the start-up cost."""
    def run(n):
        t = os.times()
        before = t.children_user + t.children_system
        subprocess.run(cmd(n), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        t = os.times()
        return t.children_user + t.children_system - before
    return 1000 * (run(2 * frames) - run(frames)) / frames


def dump_frames(build, path, w, h, frames, noise):
    """Writes `frames` frames of camstreamd's own test pattern as raw I420 (what its capture
    thread hands over for sequence numbers 0..frames-1), for the peers to encode."""
    cmd = [f"{build}/bench/camstream_bench_dump", "--size", f"{w}x{h}", "--frames", str(frames),
           "--out", path]
    if noise:
        cmd += ["--noise", str(noise)]
    subprocess.run(cmd, check=True)


def peers(build, seconds, warmup, base):
    """All three encode the very same frames: camstreamd draws its test pattern, GStreamer and
    ffmpeg read that pattern, dumped as raw I420, from a file they loop over. What reading and
    parsing the file costs them is measured apart, as the capture thread is for camstreamd."""
    import tempfile
    res = {}
    w, h, q = 1280, 720, 80
    frames = 60  # frames in the file; the peers loop over it
    # ffmpeg's mjpeg has no libjpeg quality scale: -q:v 4 gives JPEGs closest in size to
    # libjpeg's q80 on the noisy picture (the flat one is ~7 kB at any -q:v).
    ffmpeg_q = "4"
    cores = min(os.cpu_count() or 1, 4)
    tmp = tempfile.mkdtemp(prefix="camstream-peers-")
    try:
        for pattern in ("flat", "noisy"):
            noise = NOISE if pattern == "noisy" else 0
            raw = os.path.join(tmp, f"{pattern}.i420")
            dump_frames(build, raw, w, h, frames, noise)
            # camstreamd as fast as it goes, with one encoder as the peers have, and with the
            # default (one per core), where frames that finish behind a newer one are dropped.
            for workers in sorted({1, cores}):
                args = ["--size", f"{w}x{h}", "--fps", "0", "--workers", str(workers)]
                if noise:
                    args += ["--noise", str(noise)]
                d = Daemon(build, *args)
                r = measured(d.pid, build, d.port, 1, seconds, warmup)
                d.stop()
                n = r["fast"]["fps_mean"] * seconds
                # The picture's cost is what the capture thread spent: drawing, grain, hand-over.
                res[f"{pattern}: camstreamd --workers {workers}"] = {
                    "pattern": pattern, "fps": r["fast"]["fps_mean"], "cpu_s": r["cpu_s"],
                    "cpu_s_per_1000": 1000 * r["cpu_s"] / n,
                    "generate_s_per_1000": 1000 * r["thread_cpu_s"].get("capture", 0) / n,
                    "threads_s_per_1000": {k: 1000 * v / n for k, v in r["thread_cpu_s"].items()},
                    "kB_per_frame": r["fast"]["kbit_per_s_each"] / 8 / r["fast"]["fps_mean"]}
            if shutil.which("gst-launch-1.0"):
                src = ["multifilesrc", f"location={raw}", "loop=true"]
                parse = ["!", "rawvideoparse", "format=i420", f"width={w}", f"height={h}",
                         "framerate=30/1"]
                # One buffer of multifilesrc is the whole file, `frames` frames.
                gen = generation_cost(lambda n: ["gst-launch-1.0", "-q", *src,
                                                 f"num-buffers={n // frames}", *parse, "!",
                                                 "fakesink", "sync=false"], 3000)
                # jpegenc's default DCT is libjpeg's fast, less accurate one; TurboJPEG (and so
                # camstreamd) uses the accurate one. Same settings first, then the default.
                for name, dct in (("GStreamer jpegenc idct-method=islow", "islow"),
                                  ("GStreamer jpegenc (default ifast)", "ifast")):
                    port = free_port()
                    key = f"{pattern}: {name}"
                    res[key] = process_cpu_per_frame(
                        ["gst-launch-1.0", "-q", *src, *parse, "!", "jpegenc", f"quality={q}",
                         f"idct-method={dct}", "!", "multipartmux", "!", "tcpserversink",
                         "host=127.0.0.1", f"port={port}", "sync=false"],
                        build, port, seconds, warmup)
                    res[key].update(pattern=pattern, generate_s_per_1000=gen)
                # The same with a queue after the parser: the file is then read in its own
                # thread (multifilesrc0:src), so its cost is measured in the same run, per
                # thread, as camstreamd's capture thread is, rather than subtracted.
                port = free_port()
                key = f"{pattern}: GStreamer jpegenc idct-method=islow, queue (per thread)"
                res[key] = process_cpu_per_frame(
                    ["gst-launch-1.0", "-q", *src, *parse, "!", "queue", "max-size-buffers=4",
                     "!", "jpegenc", f"quality={q}", "idct-method=islow", "!", "multipartmux",
                     "!", "tcpserversink", "host=127.0.0.1", f"port={port}", "sync=false"],
                    build, port, seconds, warmup)
                res[key].update(pattern=pattern, generate_s_per_1000=sum(
                    v for k, v in res[key]["threads_s_per_1000"].items()
                    if k.startswith("multifilesrc")))
            if shutil.which("ffmpeg"):
                # yuvj420p: the same bytes, declared full range as a JPEG's are, so that ffmpeg
                # encodes them as they are instead of scaling them from video range first.
                src = ["-stream_loop", "-1", "-f", "rawvideo", "-pix_fmt", "yuvj420p",
                       "-s", f"{w}x{h}", "-r", "30", "-i", raw]
                port = free_port()
                key = f"{pattern}: ffmpeg -c:v mjpeg -q:v {ffmpeg_q} -f mpjpeg"
                res[key] = process_cpu_per_frame(
                    ["ffmpeg", "-nostdin", "-loglevel", "error", *src, "-c:v", "mjpeg",
                     "-q:v", ffmpeg_q, "-f", "mpjpeg", f"tcp://127.0.0.1:{port}?listen=1"],
                    build, port, seconds, warmup, probe=False)
                res[key].update(pattern=pattern, generate_s_per_1000=generation_cost(
                    lambda n: ["ffmpeg", "-nostdin", "-loglevel", "error", *src, "-frames:v",
                               str(n), "-f", "null", "-"], 3000))
            os.remove(raw)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, v in res.items():
        v["encode_serve_s_per_1000"] = v["cpu_s_per_1000"] - v["generate_s_per_1000"]
        log(f"peer {name}: {v}")
    return res


# --- report -------------------------------------------------------------------------------

def plots(out_dir, lat, fan):
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no plots")
        return
    for pattern in lat:
        path = os.path.join(out_dir, f"latency-{pattern}.txt")
        vals = sorted(float(x) for x in open(path) if x.strip())
        with open(os.path.join(out_dir, f"latency-{pattern}.cdf"), "w") as f:
            for i, v in enumerate(vals):
                f.write(f"{v} {(i + 1) / len(vals)}\n")
    with open(os.path.join(out_dir, "fanout.dat"), "w") as f:
        for row in fan:
            if row["mode"] == "native":
                f.write(f"{row['clients']} {row['cpu_percent']} {row['rss_kb'] / 1024} "
                        f"{row['fps_min']}\n")
    script = f"""
set terminal pngcairo size 900,500 noenhanced
set output '{out_dir}/latency.png'
set title 'camstreamd 1280x720 at 30 fps over loopback: capture -> received, per frame'
set xlabel 'latency (ms)'
set ylabel 'fraction of frames'
set grid
set key bottom right
set logscale x
plot '{out_dir}/latency-flat.cdf' using 1:2 with lines lw 2 title 'flat pattern (~17 kB)', \\
     '{out_dir}/latency-noisy.cdf' using 1:2 with lines lw 2 title 'noisy pattern (~200 kB)'
set output '{out_dir}/fanout.png'
unset logscale x
set logscale x
set title 'camstreamd fan-out, 1280x720 at 30 fps (native protocol)'
set xlabel 'clients'
set ylabel 'daemon CPU (% of one core)'
set y2label 'daemon RSS (MiB)'
set ytics nomirror
set y2tics
set key top left
set xtics (1, 10, 100)
set yrange [0:*]
set y2range [0:*]
plot '{out_dir}/fanout.dat' using 1:2 with linespoints lw 2 title 'CPU %' axes x1y1, \\
     '{out_dir}/fanout.dat' using 1:3 with linespoints lw 2 title 'RSS MiB' axes x1y2
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=False)


def report_peers(res):
    L = []
    L.append("### 5. Peers, 1280x720, the same frames (camstreamd's test pattern), "
             "as fast as they go, one client\n")
    L.append("| picture | server | fps | JPEG kB | CPU s / 1000 frames | of which the picture | "
             "encode + serve | vs camstreamd --workers 1 |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, v in res["peers"].items():
        pattern, server = name.split(": ", 1)
        ours = res["peers"][f"{pattern}: camstreamd --workers 1"]["encode_serve_s_per_1000"]
        L.append(f"| {pattern} | {server} | {v['fps']:.0f} | {v['kB_per_frame']:.1f} | "
                 f"{v['cpu_s_per_1000']:.2f} | {v['generate_s_per_1000']:.2f} | "
                 f"{v['encode_serve_s_per_1000']:.2f} | "
                 f"{v['encode_serve_s_per_1000'] / ours:.2f}x |")
    L.append("")
    return L


def report(res):
    L = []
    base = res["micro"]
    L.append("### 1. Encoder baseline (one core, tjCompressFromYUVPlanes, q80, 4:2:0)\n")
    L.append("| size | picture | Mpixel/s | fps | JPEG kB |")
    L.append("|---|---|---:|---:|---:|")
    for key, v in base.items():
        if key.startswith("TjCompress"):
            _, size, pic = key.split()
            L.append(f"| {size} | {pic} | {v['mpix']:.0f} | {v['fps']:.0f} | {v['jpeg_kB']:.0f} |")
    L.append("")
    L.append("| source cost per 1280x720 frame | ms |")
    L.append("|---|---:|")
    L.append(f"| drawing the pattern | {base['RenderPattern 1280x720']['cpu_ms']:.3f} |")
    L.append(f"| laying the grain (--noise {NOISE}) | {base['PatternNoise 1280x720']['cpu_ms']:.3f} |")
    L.append("")
    L.append("### 1. Daemon throughput, 1280x720, --fps 0, one client\n")
    L.append("| picture | workers | delivered fps | workers x raw fps | ratio | encoded fps | "
             "late (dropped) | daemon CPU % |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in res["throughput"]:
        L.append(f"| {r['pattern']} | {r['workers']} | {r['fps']:.1f} | "
                 f"{r['workers'] * r['raw_single_fps']:.1f} | {100 * r['ratio']:.1f} % | "
                 f"{r['encoded_fps']:.1f} | {r['late_percent']:.1f} % | {r['cpu_percent']:.0f} |")
    L.append("")
    L.append("### 2. Latency, 1280x720 at 30 fps over loopback (ms, p50 / p99)\n")
    L.append("| picture | capture->received (load client) | capture->decoded (camview) | "
             "capture->presented (camview, Xvfb) | daemon encode | camview decode | "
             "not encode+decode |")
    L.append("|---|---|---|---|---|---|---|")
    for p, e in res["latency"].items():
        pres = (f"{e['presented_p50']:.1f} / {e['presented_p99']:.1f}"
                if "presented_p50" in e else "-")
        L.append(f"| {p} | {e['received_p50']:.2f} / {e['received_p99']:.2f} | "
                 f"{e['decoded_p50']:.1f} / {e['decoded_p99']:.1f} | {pres} | "
                 f"{e.get('encode_p50', 0):.2f} / {e.get('encode_p99', 0):.2f} | "
                 f"{e['decode_p50']:.1f} / {e['decode_p99']:.1f} | "
                 f"{e['non_codec_p50']:.2f} / {e['non_codec_p99']:.2f} |")
    L.append("")
    L.append("Daemon stage times (median of the per-second p50 / p99, ms):\n")
    L.append("| picture | queue | encode | send |")
    L.append("|---|---|---|---|")
    for p, e in res["latency"].items():
        if "queue_p50" in e:
            L.append(f"| {p} | {e['queue_p50']:.2f} / {e['queue_p99']:.2f} | "
                     f"{e['encode_p50']:.2f} / {e['encode_p99']:.2f} | "
                     f"{e['send_p50']:.2f} / {e['send_p99']:.2f} |")
    L.append("")
    L.append("### 3. Fan-out, 1280x720 at 30 fps, flat pattern\n")
    L.append("| protocol | clients | fps per client (min / mean) | daemon CPU % | daemon RSS MiB | "
             "capture->received p50 / p99 ms |")
    L.append("|---|---:|---|---:|---:|---|")
    for r in res["fanout"]:
        lat = (f"{r['latency_p50']:.2f} / {r['latency_p99']:.2f}" if r["mode"] == "native"
               else "-")
        L.append(f"| {r['mode']} | {r['clients']} | {r['fps_min']:.1f} / {r['fps_mean']:.2f} | "
                 f"{r['cpu_percent']:.1f} | {r['rss_kb'] / 1024:.1f} | {lat} |")
    L.append(f"\nOne frame is {res['frame_kB']:.1f} kB.\n")
    L.append("### 4. A slow client (1 Mbit/s) next to 10 fast ones, 1280x720 at 30 fps\n")
    L.append("| slow clients | fast fps (min / mean) | slow client fps | daemon RSS MiB | "
             "daemon CPU % |")
    L.append("|---:|---|---:|---:|---:|")
    for r in res["slow"]:
        L.append(f"| {r['slow_clients']} | {r['fast_fps_min']:.1f} / {r['fast_fps_mean']:.2f} | "
                 f"{r.get('slow_fps', float('nan')):.1f} | {r['rss_kb'] / 1024:.1f} | "
                 f"{r['cpu_percent']:.1f} |")
    L.append("")
    L += report_peers(res)
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true", help="short runs, to check the scripts")
    ap.add_argument("--only", default="micro,throughput,latency,fanout,slow,peers")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    seconds, warmup, min_time = (3, 1, 0.1) if a.quick else (10, 2, 1.0)
    cores = os.cpu_count() or 1
    only = a.only.split(",")
    res = {"machine": {"cores": cores, "load_before": os.getloadavg()[0],
                       "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                                    if l.startswith("model name")), "?")}}
    log(f"load average {os.getloadavg()}, {cores} cores")
    # The codec baseline is what parts 1 to 4 are held to; the peers need none.
    res["micro"] = micro(a.build, min_time) if only != ["peers"] else {}
    if "throughput" in only:
        res["throughput"] = throughput(a.build, seconds, warmup, res["micro"], min(cores, 4))
    if "latency" in only:
        res["latency"] = latency(a.build, seconds, warmup, a.out)
    if "fanout" in only:
        modes = ["native", "http"]
        res["fanout"], res["frame_kB"] = fanout(a.build, seconds, warmup, modes)
    if "slow" in only:
        res["slow"] = slow_client(a.build, seconds, warmup)
    if "peers" in only:
        res["peers"] = peers(a.build, seconds, warmup, res["micro"])
    res["machine"]["load_after"] = os.getloadavg()[0]
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    if all(k in res for k in ("throughput", "latency", "fanout", "slow", "peers")):
        plots(a.out, res["latency"], res["fanout"])
        md = report(res)
        with open(os.path.join(a.out, "results.md"), "w") as f:
            f.write(md)
        print(md)
    elif "peers" in res:
        md = "\n".join(report_peers(res))
        with open(os.path.join(a.out, "results-peers.md"), "w") as f:
            f.write(md)
        print(md)
    log(f"load average after: {os.getloadavg()}; results in {a.out}")


if __name__ == "__main__":
    main()
