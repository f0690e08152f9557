'use strict';
const trace = require('../trace.js');

function busyWait(ms) {
  const until = process.hrtime.bigint() + BigInt(ms) * 1000000n;
  while (process.hrtime.bigint() < until) {
    // spin
  }
}

setTimeout(() => {
  trace.log('outer timer');
  setTimeout(() => trace.log('1 ms timeout, overdue'), 1);
  setImmediate(() => trace.log('immediate'));
  busyWait(5);
  setTimeout(() => trace.log('30 ms timeout'), 30);
}, 1);
