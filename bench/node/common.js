'use strict';
// Shared timing for bench/node/*.js (not a workload itself). Each workload
// prints one JSON object per line on stdout, {"name": ..., "ns_per_op": ...},
// named like its C++ twin in bench/core or bench/runtime without the BM_
// prefix, so bench/compare.py can pair them.
//
// ns_per_op is the median (TETHER_NODE_STAT=min: the minimum) of
// TETHER_NODE_TRIALS timed runs (default 5) of n operations each, after one
// untimed warm-up run of n/10 that lets V8 optimise the loop. Wall-clock time
// from process.hrtime.bigint(), as Google Benchmark's real_time on the C++
// side; with TETHER_NODE_CLOCK=cpu, the process's CPU time (user + system,
// all threads), as cpu_time. Every line also carries both clocks (wall_ns,
// cpu_ns, per op, the same statistic over the trials) and the fewest and most
// minor page faults of one trial (minflt_min, minflt_max, from
// process.resourceUsage()).

const trials = Number(process.env.TETHER_NODE_TRIALS || 5);
const useMin = process.env.TETHER_NODE_STAT === 'min';
const useCpu = process.env.TETHER_NODE_CLOCK === 'cpu';

// Both clocks in nanoseconds (BigInt: hrtime's full precision) and the
// process's minor page faults so far.
function now() {
  const usage = process.resourceUsage();
  return {
    wall: process.hrtime.bigint(),
    cpu: BigInt(usage.userCPUTime + usage.systemCPUTime) * 1000n,
    minflt: usage.minorPageFault,
  };
}

// One timed trial of n operations: ns per op on each clock, faults per run.
function trial(start, end, n) {
  return {
    wall: Number(end.wall - start.wall) / n,
    cpu: Number(end.cpu - start.cpu) / n,
    minflt: end.minflt - start.minflt,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarise(samples) {
  return useMin ? Math.min(...samples) : median(samples);
}

function report(name, samples) {
  const pick = (key) => summarise(samples.map((s) => s[key]));
  const round = (value) => Number(value.toFixed(3));
  process.stdout.write(JSON.stringify({
    name,
    ns_per_op: round(pick(useCpu ? 'cpu' : 'wall')),
    wall_ns: round(pick('wall')),
    cpu_ns: round(pick('cpu')),
    minflt_min: Math.min(...samples.map((s) => s.minflt)),
    minflt_max: Math.max(...samples.map((s) => s.minflt)),
  }) + '\n');
}

// fn(n) performs the workload n times, synchronously.
function measure(name, n, fn) {
  fn(Math.max(1, Math.floor(n / 10)));
  const samples = [];
  for (let t = 0; t < trials; ++t) {
    const start = now();
    fn(n);
    samples.push(trial(start, now(), n));
  }
  report(name, samples);
}

// As measure(), for workloads that must yield to the event loop (Node runs
// `destroy` hooks from a native immediate, not inside emitDestroy()):
// fn(n) returns a promise. The yields are part of the timed work.
async function measureAsync(name, n, fn) {
  await fn(Math.max(1, Math.floor(n / 10)));
  const samples = [];
  for (let t = 0; t < trials; ++t) {
    const start = now();
    await fn(n);
    samples.push(trial(start, now(), n));
  }
  report(name, samples);
}

// Lets pending native immediates (the destroy-hook queue) run.
function yieldToLoop() {
  return new Promise((resolve) => setImmediate(resolve));
}

function fail(message) {
  process.stderr.write(`${process.argv[1]}: ${message}\n`);
  process.exitCode = 1;
}

module.exports = { measure, measureAsync, yieldToLoop, fail };
