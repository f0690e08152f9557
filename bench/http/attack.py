#!/usr/bin/env python3
"""What a hostile client does to the HTTP server's memory (RSS), tether beside Node.

    python3 bench/http/attack.py --build-dir build/release [--seconds 4]

For each server (bench/http/tether_http_server and node_server.js, plain
mode), on a fresh process each time:
  pipelining   one connection sends GET / pipelined as fast as the server
               takes them and never reads an answer
  slow reader  one connection sends three pipelined GET /big (256 MiB each,
               written 64 KiB per awaited write / per 'drain') and reads
               nothing
It samples the server's VmRSS (/proc/<pid>/status) before, every 100 ms
while the attack runs, and 1 s after the client closed, and prints a
Markdown table. The tests (tests/http/backpressure_test.cpp) bound what a
connection holds exactly; RSS shows what the process as a whole does,
allocator included. Linux only; Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

from run import BENCH_DIR, start_reporting  # bench/http/run.py, beside this file


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def warm_up(port: int) -> None:
    """A few ordinary requests, so that the baseline includes a served connection."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 100)
        data = b""
        while data.count(b"hello ") < 100:
            data += s.recv(65536)


def attack(port: int, pid: int, request: bytes, repeat: bool, seconds: float) -> tuple[int, int]:
    """Sends `request` (again and again if `repeat`) without reading for
    `seconds`; returns the peak RSS seen, and the RSS 1 s after closing."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.setblocking(False)
    batch = request * (1000 if repeat else 1)
    pending = batch
    peak = 0
    end = time.monotonic() + seconds
    next_sample = 0.0
    while time.monotonic() < end:
        if pending:
            try:
                sent = s.send(pending)
                pending = pending[sent:]
            except BlockingIOError:
                time.sleep(0.005)  # the server stopped reading us
        elif repeat:
            pending = batch
        else:
            time.sleep(0.01)
        if time.monotonic() >= next_sample:
            peak = max(peak, rss_kib(pid))
            next_sample = time.monotonic() + 0.1
    s.close()
    time.sleep(1.0)
    return peak, rss_kib(pid)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build/release")
    ap.add_argument("--seconds", type=float, default=4.0, help="how long each attack runs")
    args = ap.parse_args()
    if not sys.platform.startswith("linux"):
        print("bench/http/attack.py: reads /proc: Linux only", file=sys.stderr)
        return 1
    server = pathlib.Path(args.build_dir) / "bench" / "tether_http_server"
    if not os.access(server, os.X_OK):
        print(f"bench/http/attack.py: {server} is missing: build the release preset first",
              file=sys.stderr)
        return 1
    servers = {
        "tether": [str(server), "0", "plain"],
        "node": [shutil.which("node") or "node", str(BENCH_DIR / "node_server.js"), "0", "plain"],
    }
    attacks = {
        "pipelining non-reader": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        "slow reader, 3 x 256 MiB": (b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n" * 3, False),
    }
    print("| server | attack | RSS before | peak during | 1 s after the client left |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, cmd in servers.items():
        for what, (request, repeat) in attacks.items():
            proc, port = start_reporting(cmd)
            try:
                warm_up(port)
                before = rss_kib(proc.pid)
                peak, after = attack(port, proc.pid, request, repeat, args.seconds)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            mib = lambda k: f"{k / 1024:.1f} MiB"
            print(f"| {name} | {what} | {mib(before)} | {mib(peak)} (+{mib(peak - before)}) | "
                  f"{mib(after)} (+{mib(after - before)}) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
