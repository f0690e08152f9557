'use strict';
// Shared by bench/node/runtime_*.js (not a workload itself): the counting
// hook of the runtime ratio table and the loop that runs one workload with
// and without it. Timing is common.js's measureAsync.

const { createHook } = require('async_hooks');
const { measureAsync, fail } = require('./common');

// Operations per timed trial: the same count as the C++ side
// (bench/support/run_stats.hpp, ops_per_run).
const opsPerRun = 1e6;

// init, before, after, destroy and promiseResolve each increment a counter,
// as tether's counting hook in bench/runtime does.
function countingHook() {
  const counts = { init: 0, before: 0, after: 0, destroy: 0, promiseResolve: 0 };
  const hook = createHook({
    init() { ++counts.init; },
    before() { ++counts.before; },
    after() { ++counts.after; },
    destroy() { ++counts.destroy; },
    promiseResolve() { ++counts.promiseResolve; },
  });
  return { hook, counts };
}

// Runs `workload` (async (n) => ...) as `${name}/no_hook`, then as
// `${name}/counting_hook` with the hook enabled; checks that the hook saw at
// least `ops` events of each kind in `expected` over all the runs.
async function withAndWithoutHook(name, workload, expected, n = opsPerRun) {
  await measureAsync(`${name}/no_hook`, n, workload);
  const { hook, counts } = countingHook();
  hook.enable();
  await measureAsync(`${name}/counting_hook`, n, workload);
  hook.disable();
  for (const event of expected) {
    if (counts[event] < n) {
      fail(`${name}: the counting hook saw ${counts[event]} ${event} events, expected >= ${n}`);
    }
  }
}

module.exports = { opsPerRun, countingHook, withAndWithoutHook };
