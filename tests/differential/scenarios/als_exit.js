'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const a = new AsyncLocalStorage();
const b = new AsyncLocalStorage();
a.run('A', () => {
  b.run('B', () => {
    a.exit(() => {
      trace.log('inside exit: a', trace.store(a), 'b', trace.store(b));
      process.nextTick(() => trace.log('tick from exit: a', trace.store(a), 'b', trace.store(b)));
      setImmediate(() => {
        trace.log('immediate from exit: a', trace.store(a), 'b', trace.store(b));
      });
    });
    trace.log('after exit: a', trace.store(a), 'b', trace.store(b));
    process.nextTick(() => trace.log('tick after exit: a', trace.store(a), 'b', trace.store(b)));
  });
});
