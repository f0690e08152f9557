'use strict';
// Twin of BM_TickChain (bench/runtime/loop_bench.cpp): each process.nextTick
// callback queues the next, all inside one tick-queue drain. Without and with
// a counting hook.
//   node bench/node/runtime_next_tick.js

const { withAndWithoutHook } = require('./runtime_common');

function tickChain(n) {
  return new Promise((resolve) => {
    let left = n;
    function step() {
      if (--left > 0) {
        process.nextTick(step);
      } else {
        resolve();
      }
    }
    process.nextTick(step);
  });
}

withAndWithoutHook('TickChain', tickChain, ['init', 'before', 'after', 'destroy']);
