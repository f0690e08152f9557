'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const a = new AsyncLocalStorage();
const b = new AsyncLocalStorage();
a.run('outer', () => {
  b.run(1, () => {
    a.run('inner', () => {
      setTimeout(() => trace.log('timer 1: a', trace.store(a), 'b', trace.store(b)), 1);
    });
    setTimeout(() => trace.log('timer 2: a', trace.store(a), 'b', trace.store(b)), 1);
  });
  b.enterWith(2);
  trace.log('in a.run after enter_with: a', trace.store(a), 'b', trace.store(b));
});
trace.log('after a.run: a', trace.store(a), 'b', trace.store(b));
setTimeout(() => trace.log('timer 3: a', trace.store(a), 'b', trace.store(b)), 1);
