'use strict';
const trace = require('../trace.js');

trace.disable();
setImmediate(() => {
  trace.log('immediate before the hook is on');
  trace.enable();
  process.nextTick(() => trace.log('tick'));
  setTimeout(() => trace.log('timeout'), 1);
});
