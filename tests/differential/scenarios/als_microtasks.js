'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
als.run('m1', () => {
  queueMicrotask(() => {
    trace.log('microtask store', trace.store(als));
    process.nextTick(() => trace.log('tick from microtask store', trace.store(als)));
    als.run('m2', () => {
      queueMicrotask(() => trace.log('inner microtask store', trace.store(als)));
    });
  });
});
als.run('t1', () => {
  process.nextTick(() => {
    queueMicrotask(() => trace.log('microtask from tick store', trace.store(als)));
  });
});
queueMicrotask(() => trace.log('no-store microtask', trace.store(als)));
