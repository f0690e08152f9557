'use strict';
// Twins of bench/runtime/perf_hooks_bench.cpp: performance.mark, a
// histogram's record, and the immediate chain with monitorEventLoopDelay
// enabled (10 ms).
//   node bench/node/runtime_perf_hooks.js

const { performance, createHistogram, monitorEventLoopDelay } = require('perf_hooks');
const { measure, measureAsync } = require('./common');

const n = 1e6;

measure('Mark', n, (count) => {
  for (let i = 1; i <= count; i++) {
    performance.mark('m');
    if ((i & 0xFFFF) === 0) performance.clearMarks();
  }
  performance.clearMarks();
});

measure('HistogramRecord', n * 10, (count) => {
  const h = createHistogram();
  let v = 1;
  for (let i = 0; i < count; i++) {
    h.record(v);
    v = (Math.imul(v, 1103515245) + 12345) & 0xFFFFFFF;
    v += 1;
  }
});

function immediateChain(count) {
  return new Promise((resolve) => {
    let left = count;
    function step() {
      if (--left > 0) setImmediate(step); else resolve();
    }
    setImmediate(step);
  });
}

(async () => {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await measureAsync('ImmediateChainDelayMonitor', n, immediateChain);
  delay.disable();
})();
