'use strict';
const trace = require('../trace.js');

setImmediate(() => trace.log('traced immediate A'));
trace.disable();
process.nextTick(() => trace.log('untraced tick'));
setImmediate(() => {
  trace.log('immediate B, created while off, re-enables');
  trace.enable();
  setImmediate(() => trace.log('traced immediate C from B'));
  process.nextTick(() => trace.log('traced tick from B'));
});
setImmediate(() => trace.log('immediate D, created while off'));
