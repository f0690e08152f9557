#!/usr/bin/env python3
"""Runs tether's benchmarks beside their Node twins; prints Markdown ratio tables.

    python3 bench/compare.py --build-dir build/release
    python3 bench/compare.py --build-dir build/release --suite runtime --clock cpu --stat min
    python3 bench/compare.py --build-dir build/release --output bench/results/$(date +%F).md

Two suites, both by default (--suite):

- core: <build-dir>/bench/tether_core_bench beside bench/node/*.js (all but
  the helpers and runtime_*.js): tether ns, node ns, node/tether, target.
- runtime: <build-dir>/bench/tether_runtime_bench (the event loop, promises)
  and tether_uv_bench (its floors: raw libuv, plain C++) beside
  bench/node/runtime_*.js: tether ns, node ns, floor ns, tether/floor,
  node/tether, target; then a second table with each run's CPU time, wall
  time and minor page faults (getrusage ru_minflt) on both sides.

The C++ side is Google Benchmark (JSON output; real time, or CPU time with
--clock cpu; the median, or the minimum with --stat min, of --repetitions
runs; a run's "minflt" counter is its page faults). The Node side prints one
JSON object per line, e.g. {"name": "GetStore/1_storage", "ns_per_op": 17.0,
"wall_ns": ..., "cpu_ns": ..., "minflt_min": ..., "minflt_max": ...}
(bench/node/common.js), the same clock and statistic over its trials. A
workload's Node name is its C++ name without the "BM_" prefix (and without
Google Benchmark's "/iterations:N" suffix).

The ratio column is node ns / tether ns: how many times longer Node takes for
the same workload (> 1: tether is faster); tether/floor is how many times
longer tether takes than the floor. Derived rows (a difference of two
measured rows) subtract on each side first, then divide. Targets come from
the core and runtime issues; nothing here fails on time: the exit status is
0 whenever the C++ benchmarks ran, 1 when one could not (missing binary,
crash).

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
RUNTIME_BENCHES = ("tether_runtime_bench", "tether_uv_bench")
# bench/node files that are not workloads
NODE_HELPERS = {"common.js", "runtime_common.js"}
RUNTIME_NODE_PREFIX = "runtime_"

# --- the table ----------------------------------------------------------------

Results = dict[str, float]  # workload name (no BM_ prefix) -> ns per op


@dataclass(frozen=True)
class Measured:
    """One workload's numbers: each the chosen statistic over the runs."""
    ns: float  # per op, on the clock chosen with --clock
    wall: Optional[float] = None  # per op
    cpu: Optional[float] = None  # per op
    # Minor page faults of one run: the fewest and the most over the runs (the
    # statistic would hide a cold first run, or a leak paid on every run).
    minflt: Optional[tuple[float, float]] = None


Measurements = dict[str, Measured]


def ns_results(measured: Measurements) -> Results:
    return {name: m.ns for name, m in measured.items()}


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
    floor: str = ""  # runtime suite: the floor workload (tether_uv_bench) beside it

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

# The runtime issue's table. Floors: raw libuv (the handles Node runs the same
# thing on) or plain C++ (bench/uv/). Targets: immediates <= 1.1x raw libuv
# (<= 1.15x with a counting hook); timers with 0 ms <= 100 ns (130); next_tick
# <= 20 ns (35); await <= 30 ns (60); get_store after awaits <= 1.1x without a
# store. "Hooks compiled in, none enabled" <= 3%: tether has no switch that
# compiles the instrumentation out, so it is checked against the raw libuv
# floor (which also lacks tether's callback objects, pools and Node
# semantics, so this is stricter than the comparison); for timers
# against raw libuv timers that wait 1 ms per batch as tether's do.
IMMEDIATE_FLOOR = "UvImmediateChain"
TIMER_FLOOR = "UvTimerBatch/0ms"
TIMER_FLOOR_1MS = "UvTimerBatch/1ms"
RUNTIME_ROWS = [
    Row("chain of immediates (one loop turn each), no hook", "ImmediateChain/no_hook",
        floor=IMMEDIATE_FLOOR, target=at_most_times(1.1, IMMEDIATE_FLOOR, "raw libuv")),
    Row("chain of immediates, counting hook", "ImmediateChain/counting_hook",
        floor=IMMEDIATE_FLOOR, target=at_most_times(1.15, IMMEDIATE_FLOOR, "raw libuv")),
    Row("timers with 0 ms delay, batches of 1000, no hook", "TimerBatch/no_hook",
        floor=TIMER_FLOOR, target=at_most_ns(100)),
    Row("timers with 0 ms delay, batches of 1000, counting hook", "TimerBatch/counting_hook",
        floor=TIMER_FLOOR, target=at_most_ns(130)),
    Row("chain of next_tick, no hook", "TickChain/no_hook", floor="FunctionChain",
        target=at_most_ns(20)),
    Row("chain of next_tick, counting hook", "TickChain/counting_hook", floor="FunctionChain",
        target=at_most_ns(35)),
    Row("chain of awaits of a tiny coroutine, no hook", "AwaitChain/no_hook",
        floor="CoroutineAwait", target=at_most_ns(30)),
    Row("chain of awaits, counting hook (+ promise_resolve)", "AwaitChain/counting_hook",
        floor="CoroutineAwait", target=at_most_ns(60)),
    Row("awaits reading get_store(), no store", "AwaitChainGetStore/no_store"),
    Row("awaits reading get_store(), store active", "AwaitChainGetStore/store_active",
        target=at_most_times(1.1, "AwaitChainGetStore/no_store", "no store")),
    Row("hooks compiled in, none enabled: immediates vs raw libuv", "ImmediateChain/no_hook",
        floor=IMMEDIATE_FLOOR, target=at_most_times(1.03, IMMEDIATE_FLOOR, "raw libuv")),
    Row("hooks compiled in, none enabled: timers vs raw libuv 0 ms timers",
        "TimerBatch/no_hook", floor=TIMER_FLOOR,
        target=at_most_times(1.03, TIMER_FLOOR, "raw libuv")),
    Row("hooks compiled in, none enabled: timers vs raw libuv 1 ms timers (same wait)",
        "TimerBatch/no_hook", floor=TIMER_FLOOR_1MS,
        target=at_most_times(1.03, TIMER_FLOOR_1MS, "raw libuv, 1 ms")),
    Row("then() on a settled promise (derived PROMISE + reaction + loop.run)", "ThenChain"),
    # perf_hooks (bench/runtime/perf_hooks_bench.cpp, bench/node/runtime_perf_hooks.js)
    Row("performance::mark (timeline cleared every 65536)", "Mark", target=at_most_ns(100)),
    Row("histogram record", "HistogramRecord", target=at_most_ns(10)),
    Row("chain of immediates, event-loop delay monitor enabled", "ImmediateChainDelayMonitor",
        floor=IMMEDIATE_FLOOR,
        target=at_most_times(1.02, "ImmediateChain/no_hook", "no monitor")),
]

# --- running ----------------------------------------------------------------------


def warn(message: str) -> None:
    print(f"compare.py: {message}", file=sys.stderr)


TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


# Google Benchmark appends the options a benchmark fixes to its name.
GBENCH_SUFFIX = re.compile(r"/(?:iterations|repeats|min_time|threads):[^/]+")


def gbench_name(raw: str) -> str:
    name = GBENCH_SUFFIX.sub("", raw)
    return name[3:] if name.startswith("BM_") else name


def pick_stat(stat: str) -> Callable[[list[float]], float]:
    return min if stat == "min" else statistics.median


# name -> {"wall": [...], "cpu": [...], "minflt": [...]}, one entry per
# repetition; {} for a workload that reported an error (left out).
Samples = dict[str, dict[str, list[float]]]


def gbench_samples(binary: pathlib.Path, min_time: float, repetitions: int,
                   bench_filter: Optional[str], samples: Samples) -> None:
    """Runs `binary` once and adds each repetition's numbers to `samples`."""
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
    for b in report.get("benchmarks", []):
        name = gbench_name(b.get("run_name", b.get("name", "?")))
        if b.get("error_occurred"):
            warn(f"{name}: {b.get('error_message', 'error')}; left out")
            samples[name] = {}
            continue
        if b.get("run_type", "iteration") != "iteration" or name in samples and not samples[name]:
            continue
        unit = TIME_UNIT_NS[b.get("time_unit", "ns")]
        s = samples.setdefault(name, {"wall": [], "cpu": []})
        s["wall"].append(float(b["real_time"]) * unit)
        s["cpu"].append(float(b["cpu_time"]) * unit)
        if "minflt" in b:
            s.setdefault("minflt", []).append(float(b["minflt"]))


def summarise(samples: Samples, stat: str, clock: str) -> Measurements:
    pick = pick_stat(stat)
    measured: Measurements = {}
    for name, s in samples.items():
        if not s:
            continue
        wall, cpu = pick(s["wall"]), pick(s["cpu"])
        faults = s.get("minflt")
        measured[name] = Measured(ns=cpu if clock == "cpu" else wall, wall=wall, cpu=cpu,
                                  minflt=(min(faults), max(faults)) if faults else None)
    return measured


def optional_float(record: dict, key: str) -> Optional[float]:
    value = record.get(key)
    return None if value is None else float(value)


def fault_range(record: dict) -> Optional[tuple[float, float]]:
    low, high = record.get("minflt_min"), record.get("minflt_max")
    if low is None or high is None:
        return None
    return float(low), float(high)


def run_node(node: str, scripts: list[pathlib.Path], stat: str,
                      clock: str) -> Measurements:
    results: Measurements = {}
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
                results[str(record["name"])] = Measured(
                    ns=float(record["ns_per_op"]), wall=optional_float(record, "wall_ns"),
                    cpu=optional_float(record, "cpu_ns"), minflt=fault_range(record))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
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


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def environment(build_dir: pathlib.Path, node: Optional[str],
                extra: tuple[str, ...] = ()) -> list[str]:
    cache = cmake_cache(build_dir)
    if not cache:
        return [f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
                f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs",
                f"- build: unknown (no {build_dir / 'CMakeCache.txt'})",
                *extra,
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
        *extra,
        f"- node: {first_line([node, '--version']) if node else 'not run'}",
    ]


# --- the report -------------------------------------------------------------------


def fmt_ns(value: Optional[float]) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"


def fmt_ratio(a: Optional[float], b: Optional[float], digits: int = 1) -> str:
    """a / b as "1.2x", or n/a."""
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.{digits}f}x"


def target_cells(row: Row, value: Optional[float], tether: Results) -> tuple[str, str]:
    if row.target is None:
        return "", ""
    return row.target.text, "n/a" if value is None else row.target.check(value, tether)[1]


def table(tether: Results, node: Results) -> list[str]:
    lines = ["| workload | tether ns | node ns | node/tether | target | met? |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    for row in ROWS:
        t = row.value(tether)
        n = row.value(node)
        target, met = target_cells(row, t, tether)
        lines.append(f"| {row.label} | {fmt_ns(t)} | {fmt_ns(n)} | {fmt_ratio(n, t)} | "
                     f"{target} | {met} |")
    return lines


def runtime_table(tether: Results, node: Results) -> list[str]:
    """The runtime issue's ratio table; `tether` holds the floors too."""
    lines = ["| workload | tether ns | node ns | floor ns | tether/floor | node/tether | target "
             "| met? |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for row in RUNTIME_ROWS:
        t = row.value(tether)
        n = row.value(node)
        f = tether.get(row.floor) if row.floor else None
        floor = fmt_ns(f) if row.floor else ""
        vs_floor = fmt_ratio(t, f, 2) if row.floor else ""
        target, met = target_cells(row, t, tether)
        lines.append(f"| {row.label} | {fmt_ns(t)} | {fmt_ns(n)} | {floor} | {vs_floor} | "
                     f"{fmt_ratio(n, t)} | {target} | {met} |")
    floors = sorted({row.floor for row in RUNTIME_ROWS if row.floor}, key=str.lower)
    lines += ["", "Floors (bench/uv/): " + ", ".join(f"`{f}`" for f in floors) + "."]
    return lines


def fmt_faults(value: Optional[tuple[float, float]]) -> str:
    if value is None:
        return "n/a"
    low, high = value
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def runs_table(tether: Measurements, node: Measurements) -> list[str]:
    """Every run of the suite: both clocks and the page faults, both sides."""
    lines = ["| run | tether CPU ns | tether wall ns | tether minflt | node CPU ns | node wall ns "
             "| node minflt |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    names = list(tether) + [name for name in node if name not in tether]
    for name in names:
        t, n = tether.get(name), node.get(name)
        cells = []
        for m in (t, n):
            cells += ([fmt_ns(m.cpu), fmt_ns(m.wall), fmt_faults(m.minflt)] if m is not None
                      else ["n/a"] * 3)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


# --- the suites -------------------------------------------------------------------


@dataclass(frozen=True)
class Suite:
    title: str
    binaries: tuple[str, ...]
    node_script: Callable[[pathlib.Path], bool]  # which bench/node/*.js belong to it
    environment: tuple[str, ...]
    render: Callable[[Measurements, Measurements], list[str]]
    notes: tuple[str, ...] = ()
    # Run the binaries in rounds of one repetition each (binary A, B, A, B,
    # ...) instead of all of A's repetitions then all of B's, so that the
    # machine's load drifting during the suite hits tether and its floors
    # alike. Only for fixed-op-count benchmarks: each run of a min-time
    # benchmark re-estimates its iteration count.
    rounds: bool = False


def render_core(tether: Measurements, node: Measurements) -> list[str]:
    return table(ns_results(tether), ns_results(node))


def render_runtime(tether: Measurements, node: Measurements) -> list[str]:
    return [*runtime_table(ns_results(tether), ns_results(node)), "",
            "Each run: CPU and wall-clock ns per op (the statistic over the runs, each clock "
            "on its own) and the minor page faults of a whole run (getrusage ru_minflt, loop "
            "setup included; 1,000,000 ops per run except ThenChain) as the fewest-most "
            "over the runs:", "",
            *runs_table(tether, node)]


def libuv_version() -> str:
    return f"- libuv: {first_line(['pkg-config', '--modversion', 'libuv'])}"


SUITES = {
    "core": Suite("tether core vs Node", (CORE_BENCH,),
                  lambda p: not p.name.startswith(RUNTIME_NODE_PREFIX), (), render_core),
    "runtime": Suite("tether runtime vs Node vs raw libuv", RUNTIME_BENCHES,
                     lambda p: p.name.startswith(RUNTIME_NODE_PREFIX), (libuv_version(),),
                     render_runtime,
                     ("- C++ repetitions run in rounds: tether_runtime_bench once, "
                      "tether_uv_bench once, and again, so load changes hit tether and its "
                      "floors alike",
                      "- timers: Node and tether make a 0 ms delay 1 ms, so each batch also "
                      "waits ~1 ms of wall time (about 1000 ns per timer) that the raw libuv "
                      "floor (true 0 ms timers) does not; compare them in CPU time"),
                     rounds=True),
}


def run_suite(suite: Suite, args: argparse.Namespace,
              node: Optional[str]) -> tuple[list[str], int]:
    status = 0
    load_before = load_average()
    binaries = []
    for name in suite.binaries:
        binary = args.build_dir / "bench" / name
        if binary.is_file() and os.access(binary, os.X_OK):
            binaries.append(binary)
        else:
            warn(f"{binary} not found. Build it first: cmake --preset release && "
                 "cmake --build --preset release (or: make bench). Its rows will be n/a.")
            status = 1
    samples: Samples = {}
    rounds, per_run = (args.repetitions, 1) if suite.rounds else (1, args.repetitions)
    for _ in range(rounds):
        for binary in list(binaries):
            try:
                gbench_samples(binary, args.min_time, per_run, args.filter, samples)
            except (OSError, RuntimeError) as e:
                warn(f"{binary}: {e}")
                binaries.remove(binary)
                status = 1
    tether = summarise(samples, args.stat, args.clock)

    node_results: Measurements = {}
    if node is not None:
        scripts = sorted(p for p in (BENCH_DIR / "node").glob("*.js")
                         if p.name not in NODE_HELPERS and suite.node_script(p))
        if not scripts:
            warn(f"no Node workloads for '{suite.title}' in {BENCH_DIR / 'node'}")
        try:
            node_results = run_node(node, scripts, args.stat, args.clock)
        except OSError as e:
            warn(f"could not run {node}: {e}")
            node = None

    report = [f"## {suite.title}", "", *environment(args.build_dir, node, suite.environment),
              f"- statistic: {args.stat} of {args.repetitions} C++ repetitions "
              f"(--benchmark_min_time={args.min_time}) and of "
              f"{os.environ.get('TETHER_NODE_TRIALS', '5')} Node trials; "
              f"{'wall-clock' if args.clock == 'real' else 'CPU'} ns per op",
              f"- load average (1 / 5 / 15 min): {load_before} before, "
              f"{load_average()} after",
              *suite.notes,
              "",
              *suite.render(tether, node_results), ""]
    return report, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default="build/release", type=pathlib.Path,
                        help="CMake build directory holding bench/tether_*_bench "
                             "(default: build/release)")
    parser.add_argument("--suite", choices=("all", *SUITES), default="all",
                        help="which table(s) (default: all)")
    parser.add_argument("--node", default=shutil.which("node"),
                        help="node executable (default: node on PATH)")
    parser.add_argument("--no-node", action="store_true", help="skip the Node workloads")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="--benchmark_min_time per C++ run, seconds, for benchmarks "
                             "without a fixed op count (default: 0.2)")
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

    node = None if args.no_node else args.node
    if node is None and not args.no_node:
        warn("node not found on PATH (or pass --node); the node column will be n/a")

    status = 0
    report: list[str] = []
    for key, suite in SUITES.items():
        if args.suite in ("all", key):
            lines, suite_status = run_suite(suite, args, node)
            report += lines
            status = max(status, suite_status)
    text = "\n".join(report)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        warn(f"wrote {args.output}")
    return status


if __name__ == "__main__":
    sys.exit(main())
