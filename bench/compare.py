#!/usr/bin/env python3
"""Runs tether's core benchmarks and their Node twins; prints a Markdown table.

    python3 bench/compare.py --build-dir build/release
    python3 bench/compare.py --build-dir build/release --output bench/results/$(date +%F).md

The C++ side is <build-dir>/bench/tether_core_bench (Google Benchmark, JSON
output; real time, or CPU time with --clock cpu; the median, or the minimum
with --stat min, of --repetitions runs). The Node side is every
bench/node/*.js except common.js (the same clock and statistic over its
trials), each printing one JSON object per line, e.g.
{"name": "GetStore/1_storage", "ns_per_op": 17.0}. A workload's Node name is
its C++ name without the "BM_" prefix.

The ratio column is node ns / tether ns: how many times longer Node takes for
the same workload (> 1: tether is faster). Derived rows (a difference of two
measured rows) subtract on each side first, then divide. Targets come from the
core issue; nothing here fails on time: the exit status is 0 whenever the C++
benchmarks ran, 1 when they could not (missing binary, crash).

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Optional

BENCH_DIR = pathlib.Path(__file__).resolve().parent
CORE_BENCH = "tether_core_bench"
NODE_HELPERS = {"common.js"}  # bench/node files that are not workloads

# --- the table ----------------------------------------------------------------

Results = dict[str, float]  # workload name (no BM_ prefix) -> ns per op


@dataclass(frozen=True)
class Target:
    text: str
    # (this row's tether ns, all tether results) -> (met?, how it did)
    check: Callable[[float, Results], tuple[Optional[bool], str]]


def at_most_ns(limit: float) -> Target:
    def check(value: float, _: Results) -> tuple[Optional[bool], str]:
        if value <= limit:
            return True, "yes"
        return False, f"**no**: +{value - limit:.2f} ns ({value / limit:.2f}x the target)"

    return Target(f"<= {limit:g} ns", check)


def at_most_times(limit: float, baseline: str, baseline_text: str) -> Target:
    def check(value: float, tether: Results) -> tuple[Optional[bool], str]:
        base = tether.get(baseline)
        if base is None or base <= 0:
            return None, f"n/a ({baseline} missing)"
        ratio = value / base
        if ratio <= limit:
            return True, f"yes ({ratio:.2f}x)"
        return False, f"**no**: {ratio:.2f}x ({value - limit * base:+.2f} ns over {limit:g}x)"

    return Target(f"<= {limit:g}x {baseline_text}", check)


@dataclass(frozen=True)
class Row:
    label: str
    name: str = ""  # a measured workload (C++ name without BM_) ...
    minus: tuple[str, str] = ("", "")  # ... or the difference a - b of two
    target: Optional[Target] = None

    def value(self, results: Results) -> Optional[float]:
        if self.name:
            return results.get(self.name)
        a, b = (results.get(n) for n in self.minus)
        return None if a is None or b is None else a - b


ROWS = [
    Row("async_resource cycle, no hook", "ResourceCycle/no_hook", target=at_most_ns(25)),
    Row("async_resource cycle, one counting hook", "ResourceCycle/one_counting_hook",
        target=at_most_times(2, "ResourceCycle/no_hook", "no hook")),
    Row("async_resource cycle, four counting hooks", "ResourceCycle/four_hooks"),
    Row("integration cycle (emit_init + callback_scope + emit_destroy), no hook",
        "IntegrationCycle/no_hook"),
    Row("integration cycle, one counting hook", "IntegrationCycle/one_counting_hook",
        target=at_most_times(2, "IntegrationCycle/no_hook", "no hook")),
    Row("get_store, 1 storage (inside run)", "GetStore/1_storage", target=at_most_ns(3)),
    Row("get_store, 8 storages (inside run)", "GetStore/8_storages", target=at_most_ns(3)),
    Row("get_store outside run (null)", "GetStore/outside_run"),
    Row("resource create + destroy, no store", "FramePropagation/no_store"),
    Row("resource create + destroy, 1 store active", "FramePropagation/store_active"),
    Row("resource create + destroy, 8 stores active", "FramePropagation/8_stores_active"),
    Row("frame propagation (1 store active - no store)",
        minus=("FramePropagation/store_active", "FramePropagation/no_store"),
        target=at_most_ns(5)),
    Row("frame propagation (8 stores active - no store)",
        minus=("FramePropagation/8_stores_active", "FramePropagation/no_store"),
        target=at_most_ns(5)),
    Row("callback_scope enter/exit, resource without frame", "ScopeWithFrame/no_frame"),
    Row("callback_scope enter/exit, resource holding a frame (context restore)",
        "ScopeWithFrame/with_frame"),
    Row("run (int store) + nested resource create/run/destroy", "RunNestedResource"),
    Row("run (int store)", "Run"),
]

# --- running ----------------------------------------------------------------------


def warn(message: str) -> None:
    print(f"compare.py: {message}", file=sys.stderr)


TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def run_core_bench(binary: pathlib.Path, min_time: float, repetitions: int, stat: str,
                   clock: str, bench_filter: Optional[str]) -> Results:
    cmd = [str(binary), "--benchmark_format=json", f"--benchmark_min_time={min_time}",
           f"--benchmark_repetitions={repetitions}"]
    if bench_filter:
        cmd.append(f"--benchmark_filter={bench_filter}")
    print(f"compare.py: running {' '.join(cmd)}", file=sys.stderr)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{binary.name} exited with status {proc.returncode}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise RuntimeError(f"{binary.name} did not print JSON: {e}") from e

    # Every repetition's own row (run_type "iteration"); the statistic is taken
    # here, so median and min are computed the same way.
    samples: dict[str, list[float]] = {}
    for b in report.get("benchmarks", []):
        name = b.get("run_name", b.get("name", "?"))
        name = name[3:] if name.startswith("BM_") else name
        if b.get("error_occurred"):
            warn(f"{name}: {b.get('error_message', 'error')}; left out")
            samples[name] = []
            continue
        if b.get("run_type", "iteration") != "iteration" or name in samples and not samples[name]:
            continue
        ns = float(b[f"{clock}_time"]) * TIME_UNIT_NS[b.get("time_unit", "ns")]
        samples.setdefault(name, []).append(ns)
    pick = min if stat == "min" else statistics.median
    return {name: pick(values) for name, values in samples.items() if values}


def run_node(node: str, scripts: list[pathlib.Path], stat: str, clock: str) -> Results:
    results: Results = {}
    env = dict(os.environ, TETHER_NODE_STAT=stat, TETHER_NODE_CLOCK=clock)
    for script in scripts:
        print(f"compare.py: running {node} {script.relative_to(BENCH_DIR.parent)}",
              file=sys.stderr)
        proc = subprocess.run([node, str(script)], stdout=subprocess.PIPE, text=True,
                              check=False, env=env)
        if proc.returncode != 0:
            warn(f"{script.name} exited with status {proc.returncode}; "
                 "keeping the lines it printed")
        for line in proc.stdout.splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
                results[str(record["name"])] = float(record["ns_per_op"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                warn(f"{script.name}: ignoring a line that is not a result: {line!r}")
    return results


# --- the environment ------------------------------------------------------------


def cmake_cache(build_dir: pathlib.Path) -> dict[str, str]:
    cache: dict[str, str] = {}
    try:
        text = (build_dir / "CMakeCache.txt").read_text()
    except OSError:
        return cache
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z_0-9]+):[A-Z]+=(.*)$", line)
        if m:
            cache[m.group(1)] = m.group(2)
    return cache


def first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, check=False, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.splitlines()[0].strip() if out.strip() else "unknown"


def cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(build_dir: pathlib.Path, node: Optional[str]) -> list[str]:
    cache = cmake_cache(build_dir)
    if not cache:
        return [f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
                f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs",
                f"- build: unknown (no {build_dir / 'CMakeCache.txt'})",
                f"- node: {first_line([node, '--version']) if node else 'not run'}"]
    compiler = cache.get("CMAKE_CXX_COMPILER", "c++")
    build_type = cache.get("CMAKE_BUILD_TYPE", "?")
    flags = " ".join(f for f in (cache.get("CMAKE_CXX_FLAGS", ""),
                                 cache.get(f"CMAKE_CXX_FLAGS_{build_type.upper()}", ""))
                     if f.strip())
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} "
        f"{platform.release()}",
        f"- compiler: {first_line([compiler, '--version'])}",
        f"- build: {build_type}, flags `{flags or '(none)'}`, -std=c++20",
        f"- node: {first_line([node, '--version']) if node else 'not run'}",
    ]


# --- the report -------------------------------------------------------------------


def fmt_ns(value: Optional[float]) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"


def table(tether: Results, node: Results) -> list[str]:
    lines = ["| workload | tether ns | node ns | node/tether | target | met? |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    for row in ROWS:
        t = row.value(tether)
        n = row.value(node)
        ratio = f"{n / t:.1f}x" if t is not None and n is not None and t > 0 else "n/a"
        target, met = "", ""
        if row.target is not None:
            target = row.target.text
            met = "n/a" if t is None else row.target.check(t, tether)[1]
        lines.append(f"| {row.label} | {fmt_ns(t)} | {fmt_ns(n)} | {ratio} | {target} | {met} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default="build/release", type=pathlib.Path,
                        help="CMake build directory holding bench/tether_core_bench "
                             "(default: build/release)")
    parser.add_argument("--node", default=shutil.which("node"),
                        help="node executable (default: node on PATH)")
    parser.add_argument("--no-node", action="store_true", help="skip the Node workloads")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="--benchmark_min_time per C++ run, seconds (default: 0.2)")
    parser.add_argument("--repetitions", type=int, default=5,
                        help="C++ repetitions (Node: TETHER_NODE_TRIALS trials) (default: 5)")
    parser.add_argument("--stat", choices=("median", "min"), default="median",
                        help="statistic over the repetitions, both sides (default: median; "
                             "min is steadier on a noisy machine)")
    parser.add_argument("--clock", choices=("real", "cpu"), default="real",
                        help="wall-clock time, or the process's CPU time (Google Benchmark's "
                             "cpu_time, Node's process.cpuUsage()): use cpu when other work "
                             "shares the machine (default: real)")
    parser.add_argument("--filter", help="--benchmark_filter regex for the C++ side")
    parser.add_argument("--output", type=pathlib.Path,
                        help="also write the report to this file (e.g. bench/results/DATE.md)")
    args = parser.parse_args()

    status = 0
    tether: Results = {}
    binary = args.build_dir / "bench" / CORE_BENCH
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        warn(f"{binary} not found. Build it first: cmake --preset release && "
             "cmake --build --preset release (or: make bench). The tether column will be n/a.")
        status = 1
    else:
        try:
            tether = run_core_bench(binary, args.min_time, args.repetitions, args.stat,
                                    args.clock, args.filter)
        except (OSError, RuntimeError) as e:
            warn(f"{binary}: {e}")
            status = 1

    node_results: Results = {}
    node = None if args.no_node else args.node
    if node is None and not args.no_node:
        warn("node not found on PATH (or pass --node); the node column will be n/a")
    elif node is not None:
        scripts = sorted(p for p in (BENCH_DIR / "node").glob("*.js")
                         if p.name not in NODE_HELPERS)
        if not scripts:
            warn(f"no Node workloads in {BENCH_DIR / 'node'}")
        try:
            node_results = run_node(node, scripts, args.stat, args.clock)
        except OSError as e:
            warn(f"could not run {node}: {e}")
            node = None

    report = ["## tether core vs Node", "", *environment(args.build_dir, node),
              f"- statistic: {args.stat} of {args.repetitions} C++ repetitions "
              f"(--benchmark_min_time={args.min_time}) and of "
              f"{os.environ.get('TETHER_NODE_TRIALS', '5')} Node trials; "
              f"{'wall-clock' if args.clock == 'real' else 'CPU'} ns per op",
              "",
              *table(tether, node_results), ""]
    text = "\n".join(report)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        warn(f"wrote {args.output}")
    return status


if __name__ == "__main__":
    sys.exit(main())
