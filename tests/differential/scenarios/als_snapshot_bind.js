'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
let snap;
let bound;
als.run('captured', () => {
  snap = AsyncLocalStorage.snapshot();
  bound = AsyncLocalStorage.bind(() => trace.log('bound sees', trace.store(als)));
});
als.run('caller', () => {
  snap(() => trace.log('snapshot sees', trace.store(als)));
  bound();
  trace.log('caller still sees', trace.store(als));
});
setTimeout(() => {
  snap(() => trace.log('snapshot from timer sees', trace.store(als)));
  bound();
  snap = null;
  bound = null;
}, 1);
