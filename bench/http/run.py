#!/usr/bin/env python3
"""The HTTP benchmark: tether's server and Node's under the same wrk load.

    python3 bench/http/run.py --build-dir build/release [--duration 5]

Four servers, one after another, each on a free loopback port, each loaded by
`wrk -t1 -c50 -d<duration>s` (the issue's settings) after a 1 s warm-up:
  tether plain      <build-dir>/bench/tether_http_server plain
  tether context    ... context  (async_local_storage middleware + one counting hook)
  node plain        node bench/http/node_server.js plain
  node context      ... context  (AsyncLocalStorage + one counting hook)
Prints a Markdown table of requests/second, tether / Node ratios, and what
the context (storage + hook) costs each side. Nothing fails on speed: the
exit status is 1 only when a server or wrk could not run.
Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

BENCH_DIR = pathlib.Path(__file__).resolve().parent


def start(cmd: list[str]) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    m = re.match(r"listening (\d+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"{' '.join(cmd)}: expected 'listening <port>', got {line!r}")
    return proc, int(m.group(1))


def wrk(port: int, seconds: int, connections: int) -> tuple[float, str]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"],
        check=True, capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    return float(m.group(1)), errors.group(0) if errors else ""


def measure(name: str, cmd: list[str], seconds: int, connections: int) -> float:
    proc, port = start(cmd)
    try:
        wrk(port, 1, connections)  # warm-up: connections, caches, JIT
        rps, errors = wrk(port, seconds, connections)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"  {name:16} {rps:>10,.0f} req/s {errors}", file=sys.stderr)
    return rps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build/release")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=50)
    args = ap.parse_args()

    if shutil.which("wrk") is None:
        print("bench/http: wrk is missing (apt-get install wrk, or make deps)", file=sys.stderr)
        return 1
    server = pathlib.Path(args.build_dir) / "bench" / "tether_http_server"
    if not os.access(server, os.X_OK):
        print(f"bench/http: {server} is missing: build the release preset first", file=sys.stderr)
        return 1
    node = [shutil.which("node") or "node", str(BENCH_DIR / "node_server.js"), "0"]
    tether = [str(server), "0"]

    print(f"bench/http: wrk -t1 -c{args.connections} -d{args.duration}s on 127.0.0.1", file=sys.stderr)
    r = {}
    try:
        for side, cmd in (("tether", tether), ("node", node)):
            for mode in ("plain", "context"):
                r[side, mode] = measure(f"{side} {mode}", cmd + [mode], args.duration, args.connections)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        print(f"bench/http: {e}", file=sys.stderr)
        return 1
    try:  # tether::stack_trace capturing at every init (if the build has it)
        r["tether", "stack_traces"] = measure("tether traces", tether + ["stack_traces"],
                                              args.duration, args.connections)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        print(f"bench/http: no stack_traces row: {e}", file=sys.stderr)

    def cost(side: str) -> str:
        return f"{(1 - r[side, 'context'] / r[side, 'plain']) * 100:+.1f}%".replace("+-", "-")

    print()
    print(f"| server | tether req/s | Node 20 req/s | tether / Node | target |")
    print(f"| --- | ---: | ---: | ---: | --- |")
    for mode, what in (("plain", "no context, no hook"), ("context", "async_local_storage + counting hook")):
        t, n = r["tether", mode], r["node", mode]
        print(f"| {what} | {t:,.0f} | {n:,.0f} | {t / n:.2f}x | >= 3x: {'yes' if t / n >= 3 else '**no**'} |")
    t_cost = 1 - r["tether", "context"] / r["tether", "plain"]
    print(f"| context cost (1 - context/plain) | {cost('tether')} | {cost('node')} | | "
          f"tether <= 5%: {'yes' if t_cost <= 0.05 else '**no**'} |")
    if ("tether", "stack_traces") in r:
        s_cost = 1 - r["tether", "stack_traces"] / r["tether", "plain"]
        print(f"| stack traces on (1 - traces/plain) | {s_cost * 100:+.1f}% | | | "
              f"tether <= 15%: {'yes' if s_cost <= 0.15 else '**no**'} |".replace("+-", "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
