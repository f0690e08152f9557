'use strict';
// Twin of BM_TimerBatch (bench/runtime/loop_bench.cpp): setTimeout(f, 0)
// (which Node makes 1 ms) 1000 at a time; the last of a batch to fire
// schedules the next batch. Time per timer, without and with a counting hook.
// Wall time includes waiting for each batch's 1 ms to pass; CPU time does not.
//   node bench/node/runtime_timers.js

const { withAndWithoutHook } = require('./runtime_common');

const batch = 1000;

function timerBatches(n) {
  return new Promise((resolve) => {
    let left = n;
    let pending = 0;
    function fire() {
      if (--pending === 0) {
        if (left > 0) {
          schedule();
        } else {
          resolve();
        }
      }
    }
    function schedule() {
      pending = Math.min(batch, left);
      left -= pending;
      for (let i = pending; i > 0; --i) {
        setTimeout(fire, 0);
      }
    }
    schedule();
  });
}

withAndWithoutHook('TimerBatch', timerBatches, ['init', 'before', 'after', 'destroy']);
