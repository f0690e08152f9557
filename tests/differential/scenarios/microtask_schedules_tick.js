'use strict';
const trace = require('../trace.js');

queueMicrotask(() => {
  trace.log('microtask A');
  process.nextTick(() => {
    trace.log('tick from A');
    queueMicrotask(() => trace.log('microtask from tick'));
  });
  queueMicrotask(() => trace.log('microtask B from A'));
});
queueMicrotask(() => trace.log('microtask C'));
