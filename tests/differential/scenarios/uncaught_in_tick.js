'use strict';
const trace = require('../trace.js');

process.on('uncaughtException', (e) => trace.log('uncaught:', e.message));
process.nextTick(() => {
  trace.log('tick throws');
  throw new Error('tick error');
});
process.nextTick(() => trace.log('next tick runs'));
