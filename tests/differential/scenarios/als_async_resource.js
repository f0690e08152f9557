'use strict';
const { AsyncLocalStorage, AsyncResource } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
let r;
als.run('at construction', () => { r = new AsyncResource('Pooled'); });
als.run('caller', () => {
  r.runInAsyncScope(() => trace.log('in resource', trace.store(als)));
  trace.log('caller', trace.store(als));
  setImmediate(() => {
    r.runInAsyncScope(() => {
      trace.log('in resource from immediate', trace.store(als));
      process.nextTick(() => trace.log('tick scheduled inside resource', trace.store(als)));
    });
    r.emitDestroy();
  });
});
