'use strict';
const trace = require('../trace.js');

process.nextTick(() => {
  trace.log('tick 1');
  queueMicrotask(() => trace.log('microtask from tick 1'));
  process.nextTick(() => trace.log('tick 3 from tick 1'));
});
process.nextTick(() => trace.log('tick 2'));
queueMicrotask(() => trace.log('microtask 0'));
