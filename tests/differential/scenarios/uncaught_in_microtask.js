'use strict';
const trace = require('../trace.js');

const { executionAsyncId } = require('async_hooks');

process.on('uncaughtException', (e) => trace.differs('uncaught:', e.message, `exec=#${executionAsyncId()}`));
queueMicrotask(() => {
  trace.log('microtask throws');
  throw new Error('microtask error');
});
queueMicrotask(() => trace.log('next microtask runs'));
