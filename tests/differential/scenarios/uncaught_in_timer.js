'use strict';
const trace = require('../trace.js');

process.on('uncaughtException', (e) => trace.log('uncaught:', e.message));
setTimeout(() => {
  trace.log('first throws');
  throw new Error('boom');
}, 2);
setTimeout(() => trace.log('second runs'), 2);
