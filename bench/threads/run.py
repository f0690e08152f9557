#!/usr/bin/env python3
"""The threads benchmark: tether's post and message ports beside raw libuv
and Node's worker_threads, as a Markdown table.

    python3 bench/threads/run.py --build-dir build/release [--repetitions 3] [--stat min]

Runs <build-dir>/bench/tether_threads_bench (Google Benchmark, JSON; each run
reports its wall-clock "ns_per_op") and bench/node/threads_messages.js, then
prints tether ns, the comparison (raw libuv or Node) and the target. The
statistic over repetitions (and Node trials) is the median, or the minimum
with --stat min. Nothing fails on time: exit status 1 only if a program could
not run. Python 3 standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parent.parent

# (label, tether workload (name/args), compared with, kind, target)
#   kind "floor": tether / raw libuv, at most `target`;
#   kind "node":  Node / tether, at least `target`.
ROWS = [
    ("post round trip (to another thread's loop and back)", "PostRoundTrip/20000",
     "UvAsyncPingPong/20000", "floor", 1.2),
    ("posts from 4 threads into one loop, per post (capacity 2^20, the default)",
     "PostFromFourThreads/1000000/1048576", None, None, None),
    ("posts from 4 threads into one loop, per post (capacity 65536)",
     "PostFromFourThreads/1000000/65536", None, None, None),
    ("message port, int, per message (capacity 4096, the default)", "PortMessages_int/1000000/4096",
     "PortMessages_int", "node", 5.0),
    ("message port, int, capacity 65536", "PortMessages_int/1000000/65536",
     "PortMessages_int", "node", 5.0),
    ("message port, 1 KiB string, per message (capacity 4096)", "PortMessages_string1k/200000/4096",
     "PortMessages_string1k", "node", 5.0),
    ("message port, 1 KiB string, capacity 65536", "PortMessages_string1k/200000/65536",
     "PortMessages_string1k", "node", 5.0),
]


def gbench(binary: pathlib.Path, repetitions: int, stat: str) -> dict[str, float]:
    proc = subprocess.run([str(binary), "--benchmark_format=json",
                           f"--benchmark_repetitions={repetitions}",
                           "--benchmark_report_aggregates_only=false"],
                          stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"run.py: {binary} failed with status {proc.returncode}")
    samples: dict[str, list[float]] = {}
    for b in json.loads(proc.stdout)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        parts = [p for p in b["run_name"].split("/")
                 if ":" not in p and p not in ("manual_time", "real_time")]
        name = "/".join(parts).removeprefix("BM_")
        samples.setdefault(name, []).append(float(b["ns_per_op"]))
    pick = min if stat == "min" else statistics.median
    return {k: pick(v) for k, v in samples.items()}


def node_results(node: str, stat: str) -> dict[str, float]:
    env = dict(os.environ, TETHER_NODE_STAT=stat)
    proc = subprocess.run([node, str(BENCH / "node" / "threads_messages.js")],
                          stdout=subprocess.PIPE, text=True, check=False, env=env)
    out = {}
    for line in proc.stdout.splitlines():
        try:
            r = json.loads(line)
            out[r["name"]] = float(r["ns_per_op"])
        except (ValueError, KeyError):
            pass
    return out


def fmt(v):
    return "n/a" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.1f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build/release")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--stat", choices=("median", "min"), default="median")
    args = ap.parse_args()
    binary = pathlib.Path(args.build_dir) / "bench" / "tether_threads_bench"
    if not binary.exists():
        sys.exit(f"run.py: {binary} not found; build the release preset first")
    tether = gbench(binary, args.repetitions, args.stat)
    node = shutil.which("node")
    js = node_results(node, args.stat) if node else {}
    print("| workload | tether ns | compared with | its ns | ratio | target |")
    print("| --- | ---: | --- | ---: | ---: | --- |")
    for label, name, other, kind, target in ROWS:
        t = tether.get(name)
        if kind is None:
            rate = f"{1e9 / t:,.0f} posts/s" if t else "n/a"
            print(f"| {label} | {fmt(t)} | | | {rate} | |")
            continue
        if kind == "floor":
            o, what = tether.get(other), f"raw libuv `{other}`"
            ratio = t / o if t and o else None
            cell = "n/a" if ratio is None else f"tether/libuv {ratio:.2f}"
            verdict = "" if ratio is None else (": met" if ratio <= target else ": missed")
            goal = f"<= {target}x{verdict}"
        else:
            o, what = js.get(other), "Node `MessagePort`"
            ratio = o / t if t and o else None
            cell = "n/a" if ratio is None else f"node/tether {ratio:.1f}"
            verdict = "" if ratio is None else (": met" if ratio >= target else ": missed")
            goal = f">= {target}x{verdict}"
        print(f"| {label} | {fmt(t)} | {what} | {fmt(o)} | {cell} | {goal} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
