'use strict';
const trace = require('../trace.js');

process.on('unhandledRejection', (e) => trace.log('unhandled:', e.message));
Promise.reject(new Error('nobody cares'));
const late = Promise.reject(new Error('handled in a microtask'));
queueMicrotask(() => {
  late.catch((e) => trace.log('late catch:', e.message));
});
setImmediate(() => trace.log('immediate still runs'));
