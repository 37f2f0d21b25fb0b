#!/usr/bin/env python3
"""control_latency.py - how soon a control change shows in the stream: from the moment the
daemon answers a change to the first MJPEG part that has it, in frame periods.

One daemon (the test pattern with grain, so quality shows in the JPEG's size) streams to one
HTTP client. Each round changes one control and times, from the change's 200 answer, the
arrival of the first part made under it:
- quality 80 <-> 20: the first part whose JPEG quantisation tables are the new quality's
  (told by its size: under 0.6x of the other quality's);
- size 1280x720 <-> 640x480: the first part whose JPEG has the new size.
The baseline is the stream's own frame period, measured in the same run from the parts'
arrival times; the ratio (latency / period) says how many frames a change takes to show.

usage: bench/control_latency.py --daemon build/bench/device/camstreamd [--rounds 10] [--fps 30]
"""
import argparse
import json
import re
import socket
import statistics
import struct
import subprocess
import sys
import time


def read_until(sock, buf, marker):
    while marker not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("the stream ended")
        buf += chunk
    head, _, rest = buf.partition(marker)
    return head, rest


class Stream:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(b"GET /stream HTTP/1.1\r\nHost: b\r\n\r\n")
        _, self.buf = read_until(self.sock, b"", b"\r\n\r\n")

    def part(self):
        """(JPEG bytes, arrival time) of the next part."""
        _, self.buf = read_until(self.sock, self.buf, b"--camstreamframe\r\n")
        head, self.buf = read_until(self.sock, self.buf, b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        while len(self.buf) < length:
            self.buf += self.sock.recv(65536)
        jpeg, self.buf = self.buf[:length], self.buf[length:]
        return jpeg, time.monotonic()


def jpeg_size(data):
    i = 2
    while i + 9 <= len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise ValueError("no start-of-frame marker")


def post(port, values):
    body = json.dumps(values).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /controls HTTP/1.1\r\nHost: b\r\nConnection: close\r\nContent-Length: %d"
              b"\r\n\r\n" % len(body) + body)
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    s.close()
    if not reply.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("the change was refused: %r" % reply[:300])
    return time.monotonic()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--daemon", required=True)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--fps", default="30")
    a = p.parse_args()
    daemon = subprocess.Popen([a.daemon, "--source", "testpattern", "--listen", "127.0.0.1:0",
                               "--config", "", "--noise", "8", "--size", "1280x720", "--fps",
                               a.fps], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        port = int(re.search(rb":(\d+)$", daemon.stdout.readline().strip()).group(1))
        stream = Stream(port)
        arrivals = [stream.part()[1] for _ in range(31)]
        period = statistics.median(b - a for a, b in zip(arrivals, arrivals[1:]))
        print("frame period (baseline): %.1f ms" % (period * 1000))

        results = {"quality": [], "size": []}
        sizes = {80: len(stream.part()[0])}
        post(port, {"quality": 20})
        for _ in range(10):
            stream.part()
        sizes[20] = len(stream.part()[0])
        quality = 20
        for _ in range(a.rounds):
            quality = 80 if quality == 20 else 20
            other = sizes[20 if quality == 80 else 80]
            changed = post(port, {"quality": quality})
            while True:
                jpeg, at = stream.part()
                shrank = quality == 20 and len(jpeg) < 0.6 * other
                grew = quality == 80 and len(jpeg) * 0.6 > other
                if shrank or grew:
                    results["quality"].append(at - changed)
                    break
            for _ in range(5):
                stream.part()
        size = (1280, 720)
        for _ in range(a.rounds):
            size = (640, 480) if size == (1280, 720) else (1280, 720)
            changed = post(port, {"size": "%dx%d" % size})
            while True:
                jpeg, at = stream.part()
                if jpeg_size(jpeg) == size:
                    results["size"].append(at - changed)
                    break
            for _ in range(5):
                stream.part()
        for name, times in results.items():
            med = statistics.median(times)
            print("%-7s change -> first part with it: median %.1f ms, max %.1f ms over %d "
                  "rounds = %.2f frame periods" % (name, med * 1000, max(times) * 1000,
                                                   len(times), med / period))
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
