'use strict';
const { AsyncResource } = require('async_hooks');
const trace = require('../trace.js');

const never = setTimeout(() => trace.log('never'), 5);
const neverEither = setImmediate(() => trace.log('never either'));
clearTimeout(never);
clearImmediate(neverEither);
trace.log('cleared both');
process.nextTick(() => trace.log('tick'));
queueMicrotask(() => trace.log('microtask'));
setImmediate(() => {
  trace.log('immediate');
  const r = new AsyncResource('Job');
  r.runInAsyncScope(() => trace.log('job'));
  trace.log('job ran, destroy next');
  r.emitDestroy();
  trace.log('job destroyed');
  let runs = 0;
  const handle = setInterval(() => {
    trace.log('interval run', ++runs);
    if (runs === 2) {
      clearInterval(handle);
      trace.log('cleared in its own run');
    }
  }, 1);
});
