'use strict';
const trace = require('../trace.js');

setImmediate(() => {
  trace.log('immediate A');
  setImmediate(() => {
    trace.log('immediate C from A');
    setImmediate(() => trace.log('immediate D from C'));
  });
  process.nextTick(() => trace.log('tick from A'));
  queueMicrotask(() => trace.log('microtask from A'));
});
setImmediate(() => trace.log('immediate B'));
