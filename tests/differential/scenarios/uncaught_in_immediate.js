'use strict';
const trace = require('../trace.js');

process.on('uncaughtException', (e) => trace.log('uncaught:', e.message));
setImmediate(() => {
  trace.log('first throws');
  throw new Error('bang');
});
setImmediate(() => trace.log('second runs'));
