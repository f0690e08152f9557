'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
setImmediate(() => trace.log('immediate before enter_with', trace.store(als)));
als.enterWith('top');
trace.log('top level after enter_with', trace.store(als));
setImmediate(() => {
  trace.log('immediate A store', trace.store(als));
  process.nextTick(() => trace.log('tick from A before', trace.store(als)));
  als.enterWith('in A');
  trace.log('A after enter_with', trace.store(als));
  process.nextTick(() => trace.log('tick from A after', trace.store(als)));
});
setImmediate(() => trace.log('sibling immediate B store', trace.store(als)));
