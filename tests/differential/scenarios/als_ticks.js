'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
als.run('a', () => {
  process.nextTick(() => {
    trace.log('tick 1 store', trace.store(als));
    process.nextTick(() => trace.log('nested tick store', trace.store(als)));
  });
  trace.log('inside run store', trace.store(als));
});
als.run('b', () => process.nextTick(() => trace.log('tick 2 store', trace.store(als))));
process.nextTick(() => trace.log('tick 3 store', trace.store(als)));
trace.log('top level store', trace.store(als));
