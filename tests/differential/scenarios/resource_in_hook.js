'use strict';
const asyncHooks = require('async_hooks');
const trace = require('../trace.js');

const h = asyncHooks.createHook({
  init(id, type) {
    if (type === 'Job') {
      process.nextTick(() => trace.log('tick queued from an init hook'));
    }
  },
});
h.enable();
const job = new asyncHooks.AsyncResource('Job');
job.runInAsyncScope(() => trace.log('in job'));
job.emitDestroy();
