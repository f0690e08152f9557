'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
let cleared;
als.run('i1', () => {
  setImmediate(() => {
    trace.log('immediate 1 store', trace.store(als));
    setImmediate(() => trace.log('next-turn immediate store', trace.store(als)));
  });
  cleared = setImmediate(() => trace.log('must not run'));
});
als.run('i2', () => setImmediate(() => trace.log('immediate 2 store', trace.store(als))));
clearImmediate(cleared);
