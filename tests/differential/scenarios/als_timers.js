'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
let runs = 0;
let handle;
als.run('interval', () => {
  handle = setInterval(() => {
    ++runs;
    trace.log('interval run', runs, 'store', trace.store(als));
    if (runs < 3) {
      return;
    }
    clearInterval(handle);
    als.run('timeout', () => {
      setTimeout(() => {
        trace.log('timeout store', trace.store(als));
        als.run('nested', () => {
          setTimeout(() => trace.log('nested timeout store', trace.store(als)), 1);
        });
        setTimeout(() => trace.log('sibling timeout store', trace.store(als)), 1);
      }, 1);
    });
  }, 2);
});
