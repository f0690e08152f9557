'use strict';
const trace = require('../trace.js');

Promise.resolve().then(() => trace.log('then A'));
queueMicrotask(() => trace.log('microtask B'));
process.nextTick(() => trace.log('tick C'));
Promise.resolve().then(() => {
  trace.log('then D');
  process.nextTick(() => trace.log('tick from D'));
  queueMicrotask(() => trace.log('microtask from D'));
});
setImmediate(() => {
  trace.log('immediate');
  Promise.resolve().then(() => trace.log('then from immediate'));
  process.nextTick(() => trace.log('tick from immediate'));
});
