'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const a = new AsyncLocalStorage();
const other = new AsyncLocalStorage();
a.run('A', () => {
  other.run('O', () => {
    process.nextTick(() => trace.log('tick: a', trace.store(a), 'other', trace.store(other)));
    setImmediate(() => {
      trace.log('immediate: a', trace.store(a), 'other', trace.store(other));
      a.run('A2', () => {
        process.nextTick(() => trace.log('tick after run again: a', trace.store(a)));
      });
    });
    a.disable();
    trace.log('right after disable: a', trace.store(a), 'other', trace.store(other));
  });
});
