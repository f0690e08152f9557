'use strict';
const { AsyncResource } = require('async_hooks');
const trace = require('../trace.js');

const req = new AsyncResource('Request');
req.runInAsyncScope(() => {
  process.nextTick(() => trace.log('tick from request'));
  queueMicrotask(() => trace.log('microtask from request'));
  setImmediate(() => {
    trace.log('immediate from request');
    setTimeout(() => trace.log('timeout from that immediate'), 1);
  });
});
req.emitDestroy();
