'use strict';
// Twin of BM_ImmediateChain (bench/runtime/loop_bench.cpp): each immediate
// schedules the next, so each one is a turn of the event loop. n immediates
// per trial, without and with a counting hook.
//   node bench/node/runtime_immediates.js

const { withAndWithoutHook } = require('./runtime_common');

function immediateChain(n) {
  return new Promise((resolve) => {
    let left = n;
    function step() {
      if (--left > 0) {
        setImmediate(step);
      } else {
        resolve();
      }
    }
    setImmediate(step);
  });
}

withAndWithoutHook('ImmediateChain', immediateChain, ['init', 'before', 'after', 'destroy']);
