'use strict';
const { AsyncResource } = require('async_hooks');
const trace = require('../trace.js');

const job = new AsyncResource('Job');
const inner = new AsyncResource('Inner', { triggerAsyncId: job.asyncId() });
const value = job.runInAsyncScope(() => {
  trace.log('in job');
  inner.runInAsyncScope(() => trace.log('in inner, inside job'));
  trace.log('back in job');
  return 1729;
});
trace.log('returned', value);
inner.runInAsyncScope(() => trace.log('in inner at top level'));
job.runInAsyncScope(() => trace.log('job again'));
inner.emitDestroy();
job.emitDestroy();
trace.log('done');
