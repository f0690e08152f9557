'use strict';
const trace = require('../trace.js');

setTimeout(() => trace.log('timeout 50ms'), 50);
setImmediate(() => trace.log('immediate'));
queueMicrotask(() => trace.log('microtask'));
process.nextTick(() => trace.log('tick'));
trace.log('main');
