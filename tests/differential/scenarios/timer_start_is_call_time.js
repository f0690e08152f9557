'use strict';
const trace = require('../trace.js');

function busyWait(ms) {
  const until = process.hrtime.bigint() + BigInt(ms) * 1000000n;
  while (process.hrtime.bigint() < until) {
    // spin
  }
}

setTimeout(() => trace.log('40 ms timer created first'), 40);
setImmediate(() => {
  trace.log('immediate busy for 30 ms');
  busyWait(30);
  setTimeout(() => trace.log('15 ms timer created after the busy wait'), 15);
});
