'use strict';
const trace = require('../trace.js');

queueMicrotask(() => trace.log('microtask 1'));
process.nextTick(() => trace.log('tick 1'));
queueMicrotask(() => trace.log('microtask 2'));
process.nextTick(() => trace.log('tick 2'));
trace.log('main done');
