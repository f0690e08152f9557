'use strict';
// Twin of BM_ResourceCycle (bench/core/hooks_bench.cpp): new AsyncResource('Job')
// + runInAsyncScope(noop) + emitDestroy(), with no hook, one counting hook
// (init, before, after, destroy each incrementing a counter) and four.
//
// Node queues `destroy` callbacks and runs them from a native immediate, so
// the loop yields to the event loop every `batch` operations and the time
// includes running them. At the end every hook must have seen at least one of
// each event per Job (the yields add a few resources of their own).
//   node bench/node/async_resource_cycle.js

const { AsyncResource, createHook } = require('async_hooks');
const { measureAsync, yieldToLoop, fail } = require('./common');

const batch = 10000;
let jobs = 0;  // cycles run so far, warm-ups included

function noop() {}

async function cycle(n) {
  for (let done = 0; done < n; done += batch) {
    const m = Math.min(batch, n - done);
    for (let i = 0; i < m; ++i) {
      const r = new AsyncResource('Job');
      r.runInAsyncScope(noop);
      r.emitDestroy();
    }
    jobs += m;
    await yieldToLoop();
  }
}

function countingHook() {
  const counts = { init: 0, before: 0, after: 0, destroy: 0 };
  const hook = createHook({
    init() { ++counts.init; },
    before() { ++counts.before; },
    after() { ++counts.after; },
    destroy() { ++counts.destroy; },
  });
  return { hook, counts };
}

async function withHooks(name, hookCount, n) {
  const hooks = Array.from({ length: hookCount }, countingHook);
  jobs = 0;
  for (const h of hooks) h.hook.enable();
  await measureAsync(name, n, cycle);
  await yieldToLoop();
  for (const h of hooks) h.hook.disable();
  for (const { counts } of hooks) {
    if (Object.values(counts).some((count) => count < jobs)) {
      fail(`${name}: a hook missed events (${jobs} jobs): ${JSON.stringify(counts)}`);
    }
  }
}

async function main() {
  await withHooks('ResourceCycle/no_hook', 0, 2e6);
  await withHooks('ResourceCycle/one_counting_hook', 1, 3e5);
  await withHooks('ResourceCycle/four_hooks', 4, 2e5);
}

main();
