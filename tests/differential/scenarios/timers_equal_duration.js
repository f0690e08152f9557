'use strict';
const trace = require('../trace.js');

for (let i = 1; i <= 4; ++i) {
  setTimeout(() => {
    trace.log('timeout', i);
    process.nextTick(() => trace.log('tick from', i));
    queueMicrotask(() => trace.log('microtask from', i));
  }, 5);
}
