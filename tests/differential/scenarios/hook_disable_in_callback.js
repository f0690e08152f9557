'use strict';
const trace = require('../trace.js');

setTimeout(() => {
  trace.log('timer disables the hook');
  trace.disable();
  process.nextTick(() => trace.log('untraced tick'));
  setImmediate(() => {
    trace.log('immediate re-enables the hook');
    trace.enable();
    process.nextTick(() => trace.log('traced tick'));
  });
}, 1);
