'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
let p;
let resolve;
als.run('A (create)', () => {
  p = new Promise((res) => { resolve = res; });
});
als.run('B (then)', () => {
  p.then((v) => {
    trace.log('then sees', trace.store(als), 'value', v);
    return v + 1;
  }).then((v) => {
    trace.log('chained then sees', trace.store(als), 'value', v);
    als.run('D (inner)', () => {
      Promise.resolve().then(() => trace.log('inner then sees', trace.store(als)));
    });
  });
});
als.run('C (resolve)', () => setImmediate(() => resolve(1)));
