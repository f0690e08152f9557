#!/usr/bin/env python3
"""The HTTP benchmark: tether's server beside nginx and Node under the same wrk load.

    python3 bench/http/run.py --build-dir build/release [--duration 5]

Five servers, one after another, each on a free loopback port, each loaded
twice after a 1 s warm-up: `wrk -t1 -c50 -d<duration>s` (one request per
round trip, the issue's settings) and the same with bench/http/pipeline.lua
(16 requests pipelined per write):
  nginx             /usr/sbin/nginx, one worker, access log off, `return 200`
                    with a 14-byte body; config and prefix in a temp dir
  tether plain      <build-dir>/bench/tether_http_server plain
  tether context    ... context  (async_local_storage middleware + one counting hook)
  node plain        node bench/http/node_server.js plain
  node context      ... context  (AsyncLocalStorage + one counting hook)
Prints a Markdown table of requests/second and the ratios the targets are
about: tether plain / nginx (>= 1.0x), what context costs tether (<= 5%),
tether / Node. Nothing fails on speed: the exit status is 1 only when a
server or wrk could not run. nginx is skipped (with a note) if it is not
installed (apt-get install nginx-light). Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BENCH_DIR = pathlib.Path(__file__).resolve().parent
NGINX = "/usr/sbin/nginx"

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type text/plain; return 200 "hello 1234567\\n"; }}
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, what: str) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} is not listening on {port}")


def start_reporting(cmd: list[str]) -> tuple[subprocess.Popen, int]:
    """A server that prints 'listening <port>' (tether's and Node's)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    m = re.match(r"listening (\d+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"{' '.join(cmd)}: expected 'listening <port>', got {line!r}")
    return proc, int(m.group(1))


def start_nginx(prefix: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = pathlib.Path(prefix) / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port))
    proc = subprocess.Popen([NGINX, "-p", prefix, "-c", str(conf), "-e", f"{prefix}/error.log"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(port, proc, "nginx")
    return proc, port


def wrk(port: int, seconds: int, connections: int, pipeline: int) -> tuple[float, str]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    if pipeline > 1:
        cmd += ["-s", str(BENCH_DIR / "pipeline.lua")]
    cmd.append(f"http://127.0.0.1:{port}/")
    if pipeline > 1:
        cmd += ["--", str(pipeline)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    return float(m.group(1)), errors.group(0) if errors else ""


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)  # nginx: fast shutdown; the others exit
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def measure(name: str, start, seconds: int, connections: int, depth: int) -> dict[str, float]:
    proc, port = start()
    out = {}
    try:
        for load, pipeline in (("plain", 1), ("pipelined", depth)):
            wrk(port, 1, connections, pipeline)  # warm-up: connections, caches, JIT
            rps, errors = wrk(port, seconds, connections, pipeline)
            out[load] = rps
            print(f"  {name:16} {load:10} {rps:>12,.0f} req/s {errors}", file=sys.stderr)
    finally:
        stop(proc)
    return out


def load_average() -> str:
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build/release")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--depth", type=int, default=16, help="requests per pipelined write")
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
    have_nginx = os.access(NGINX, os.X_OK)
    if not have_nginx:
        print(f"bench/http: {NGINX} is missing (apt-get install nginx-light): no nginx column",
              file=sys.stderr)

    print(f"bench/http: wrk -t1 -c{args.connections} -d{args.duration}s on 127.0.0.1, "
          f"then {args.depth}-deep pipelining; load {load_average()}", file=sys.stderr)
    r: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="tether-bench-nginx-") as prefix:
            runs = []
            if have_nginx:
                runs.append(("nginx", lambda: start_nginx(prefix)))
            for side, cmd in (("tether", tether), ("node", node)):
                for mode in ("plain", "context"):
                    runs.append((f"{side} {mode}", lambda c=cmd + [mode]: start_reporting(c)))
            for name, start in runs:
                r[name] = measure(name, start, args.duration, args.connections, args.depth)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        print(f"bench/http: {e}", file=sys.stderr)
        return 1
    try:  # tether::stack_trace capturing at every init (if the build has it)
        r["tether stack_traces"] = measure("tether traces", lambda: start_reporting(tether + ["stack_traces"]),
                                           args.duration, args.connections, args.depth)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        print(f"bench/http: no stack_traces row: {e}", file=sys.stderr)

    def ratio(a: str, b: str, load: str) -> str:
        return f"{r[a][load] / r[b][load]:.2f}x" if a in r and b in r else "-"

    loads = ("plain", "pipelined")
    print()
    print(f"| server | {' | '.join(f'{l} req/s' for l in loads)} |")
    print("| --- | " + " | ".join("---:" for _ in loads) + " |")
    for name in r:
        print(f"| {name} | " + " | ".join(f"{r[name][l]:,.0f}" for l in loads) + " |")
    print()
    print(f"| ratio | {' | '.join(loads)} | target |")
    print("| --- | " + " | ".join("---:" for _ in loads) + " | --- |")
    if "nginx" in r:
        verdict = " / ".join("yes" if r["tether plain"][l] >= r["nginx"][l] else "**no**" for l in loads)
        print(f"| tether plain / nginx | " + " | ".join(ratio("tether plain", "nginx", l) for l in loads) +
              f" | >= 1.0x: {verdict} |")
    costs = [1 - r["tether context"][l] / r["tether plain"][l] for l in loads]
    verdict = " / ".join("yes" if c <= 0.05 else "**no**" for c in costs)
    print("| context cost, tether (1 - context/plain) | " +
          " | ".join(f"{c * 100:.1f}%" for c in costs) + f" | <= 5%: {verdict} |")
    node_costs = [1 - r["node context"][l] / r["node plain"][l] for l in loads]
    print("| context cost, Node | " + " | ".join(f"{c * 100:.1f}%" for c in node_costs) + " | |")
    for mode in ("plain", "context"):
        print(f"| tether / Node, {mode} | " +
              " | ".join(ratio(f"tether {mode}", f"node {mode}", l) for l in loads) + " | |")
    if "tether stack_traces" in r:
        costs = [1 - r["tether stack_traces"][l] / r["tether plain"][l] for l in loads]
        verdict = " / ".join("yes" if c <= 0.15 else "**no**" for c in costs)
        print("| stack traces on, tether (1 - traces/plain) | " +
              " | ".join(f"{c * 100:.1f}%" for c in costs) + f" | <= 15%: {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
