#!/usr/bin/env python3
"""The profiler's figures (issue 11), one run, as ratios:

    python3 bench/profiler/run.py --build-dir build/release

1. Recording overhead on the 1,000,000-immediate chain (tether_profiler_bench).
2. Recording overhead on the HTTP benchmark's server (wrk -t1 -c50), plain
   vs TETHER_PROFILE, alternating rounds; bytes of trace per request.
3. The flagship demo (request_context) under tether-prof: events, bytes per
   event and per request, report size, Perfetto size.
4. A 10,000,000-event trace (tether_profiler_generate): tether-prof report
   time and peak memory, HTML size, time until the page in headless Chromium
   has rendered (playwright-core from the build tree's npm-profiler/ if
   tests installed it; skipped otherwise).
Prints Markdown. Nothing fails on speed. Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(cmd, env=None, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, **kw)


def immediate_chain(build: pathlib.Path) -> list[str]:
    out = run([str(build / "bench/tether_profiler_bench"), "--benchmark_format=json",
               "--benchmark_repetitions=3"]).stdout
    rows = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "aggregate" or b.get("aggregate_name") != "median":
            continue
        rows[b["run_name"]] = b
    lines = ["| workload | plain ns/op | recording ns/op | ratio | target |", "| --- | ---: | ---: | ---: | --- |"]
    for name, label, target in (("BM_ImmediateChain", "chain of 1,000,000 immediates", "<= 1.5x"),
                                ("BM_ResourceLife", "bare resource life (4 events)", "")):
        plain = rows.get(f"{name}/recording:0/iterations:1000000/real_time") or rows.get(f"{name}/recording:0")
        rec = rows.get(f"{name}/recording:1/iterations:1000000/real_time") or rows.get(f"{name}/recording:1")
        if not plain or not rec:
            continue
        p, r = plain["real_time"], rec["real_time"]
        extra = f" (dropped {rec.get('dropped', 0):.0f}, {rec.get('bytes_per_event', 0):.2f} B/event)" if "dropped" in rec else ""
        lines.append(f"| {label} | {p:.1f} | {r:.1f}{extra} | {r / p:.2f}x | {target} |")
    return lines


def http(build: pathlib.Path, seconds: int, rounds: int) -> list[str]:
    if not shutil.which("wrk"):
        return ["(wrk not installed: HTTP rows skipped)"]
    server = build / "bench/tether_http_server"
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="tether-prof-http-"))
    results = {"plain": [], "recording": []}
    trace_bytes = []
    requests = []
    for k in range(rounds):
        for mode in ("plain", "recording"):
            env = dict(os.environ)
            env.pop("TETHER_PROFILE", None)
            trace = tmp / f"http.{k}.tether"
            if mode == "recording":
                env["TETHER_PROFILE"] = str(trace)
            proc = subprocess.Popen([str(server), "0", "plain"], stdout=subprocess.PIPE, text=True, env=env)
            port = int(re.match(r"listening (\d+)", proc.stdout.readline()).group(1))
            try:
                run(["wrk", "-t1", "-c50", "-d1s", f"http://127.0.0.1:{port}/"])
                out = run(["wrk", "-t1", "-c50", f"-d{seconds}s", f"http://127.0.0.1:{port}/"]).stdout
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            total = int(re.search(r"(\d+) requests in", out).group(1))
            results[mode].append(rps)
            if mode == "recording" and trace.exists():
                trace_bytes.append(trace.stat().st_size)
                # the warm-up's requests are in the trace too
                warm = 0
                requests.append(total + warm)
    shutil.rmtree(tmp, ignore_errors=True)
    p, r = max(results["plain"]), max(results["recording"])
    per_req = (sum(trace_bytes) / max(1, sum(requests))) if trace_bytes else 0
    return ["| server (wrk -t1 -c50) | plain req/s | recording req/s | below plain | target |",
            "| --- | ---: | ---: | ---: | --- |",
            f"| tether_http_server, best of {rounds} alternating rounds | {p:,.0f} | {r:,.0f} | {100 * (1 - r / p):.1f}% | <= 10% |",
            f"",
            f"Trace written while serving: ~{per_req:,.0f} bytes per request (warm-up requests included in the trace, not in the count)."]


def demo(build: pathlib.Path, requests: int) -> list[str]:
    out_dir = pathlib.Path(tempfile.mkdtemp(prefix="tether-prof-demo-"))
    plain = run([str(build / "examples/request_context"), "--requests", str(requests)]).stdout
    prof = run([str(build / "bin/tether-prof"), "run", "-o", str(out_dir), "--",
                str(build / "examples/request_context"), "--requests", str(requests)]).stdout
    rps = lambda s: float(re.search(r"throughput\s+(\d+) req/s", s).group(1))
    events = int(re.search(r"tether-prof: (\d+) events", prof).group(1))
    lost = int(re.search(r"(\d+) lost", prof).group(1))
    trace = next(out_dir.glob("trace.*.tether"))
    size = trace.stat().st_size
    html = (out_dir / "report.html").stat().st_size
    perf = (out_dir / "trace.perfetto-trace").stat().st_size
    shutil.rmtree(out_dir, ignore_errors=True)
    return [f"| request_context, {requests:,} requests | value |", "| --- | ---: |",
            f"| throughput plain / recording (self-driven, one run each) | {rps(plain):,.0f} / {rps(prof):,.0f} req/s |",
            f"| events, lost | {events:,}, {lost} |",
            f"| tether trace | {size:,} B = {size / events:.2f} B/event, {size / requests:,.0f} B/request |",
            f"| Perfetto trace | {perf:,} B = {perf / events:.1f} B/event |",
            f"| HTML report | {html:,} B |"]


def big_report(build: pathlib.Path, lives: int) -> list[str]:
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="tether-prof-10m-"))
    trace = tmp / "big.tether"
    env = dict(os.environ, TETHER_PROFILE=str(trace), TETHER_PROFILE_BUFFER=str(1 << 22))
    t0 = time.monotonic()
    run([str(build / "bench/tether_profiler_generate"), str(lives)], env=env)
    record_s = time.monotonic() - t0
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.monotonic()
    run([str(build / "bin/tether-prof"), "--progress", "never", "report", str(trace), "-o", str(tmp / "report.html")])
    report_s = time.monotonic() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary = run([str(build / "bin/tether-prof"), "summary", str(trace)]).stdout
    m = re.search(r"(\d+) events, \d+ resources", summary)
    recorded = int(m.group(1)) if m else 0
    lost = re.search(r"LOST: (\d+) events dropped", summary)
    dropped = int(lost.group(1)) if lost else 0
    html = (tmp / "report.html").stat().st_size
    size = trace.stat().st_size
    render = "n/a (playwright-core not installed in <build>/npm-profiler; run the profiler tests once)"
    npm = ROOT / "build/dev/npm-profiler/node_modules"
    if not npm.exists():
        npm = build / "npm-profiler/node_modules"
    if npm.exists() and pathlib.Path("/usr/bin/chromium").exists():
        script = tmp / "render.js"
        script.write_text(RENDER_JS)
        out = run(["node", str(script), str(tmp / "report.html")], env=dict(os.environ, NODE_PATH=str(npm))).stdout
        render = out.strip()
    shutil.rmtree(tmp, ignore_errors=True)
    events = lives * 8
    return [f"| {events:,}-event trace | value | target |", "| --- | ---: | --- |",
            f"| recording (tether_profiler_generate) | {record_s:.2f} s | |",
            f"| events recorded / dropped (writer behind) | {recorded:,} / {dropped:,} | |",
            f"| trace size | {size:,} B = {size / max(1, recorded):.2f} B per recorded event | <= 16 B/event |",
            f"| tether-prof report | {report_s:.2f} s, peak RSS {peak_kb / 1024:.0f} MB (max of the children so far: {before / 1024:.0f} MB before) | <= 10 s |",
            f"| HTML report | {html / 1e6:.2f} MB | <= 10 MB |",
            f"| open in headless Chromium until rendered | {render} | <= 3 s |"]


RENDER_JS = r"""
const { chromium } = require('playwright-core');
const os = require('os'); const fs = require('fs'); const path = require('path');
(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tether-render-'));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'] });
  const page = ctx.pages()[0] || await ctx.newPage();
  const t0 = Date.now();
  await page.goto('file://' + path.resolve(process.argv[2]));
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60000 });
  const ms = Date.now() - t0;
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log((ms / 1000).toFixed(2) + ' s');
})();
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build/release")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--demo-requests", type=int, default=20000)
    ap.add_argument("--lives", type=int, default=1_250_000, help="8 events each")
    a = ap.parse_args()
    build = pathlib.Path(a.build_dir).resolve()
    print("### Recording overhead\n")
    print("\n".join(immediate_chain(build)), "\n")
    print("\n".join(http(build, a.seconds, a.rounds)), "\n")
    print("### The flagship demo under tether-prof\n")
    print("\n".join(demo(build, a.demo_requests)), "\n")
    print("### Report generation\n")
    print("\n".join(big_report(build, a.lives)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
