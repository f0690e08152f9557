'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
let runs = 0;
let handle;
als.run('created', () => {
  handle = setInterval(() => {
    ++runs;
    trace.differs('run', runs, 'starts with', trace.store(als));
    als.enterWith(`run ${runs}`);
    trace.log('run', runs, 'after enter_with', trace.store(als));
    process.nextTick(() => trace.log('tick sees', trace.store(als)));
    if (runs === 3) {
      clearInterval(handle);
    }
  }, 2);
});
