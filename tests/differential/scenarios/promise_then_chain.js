'use strict';
const trace = require('../trace.js');

Promise.resolve(1)
  .then((x) => {
    trace.log('first then got', x);
    process.nextTick(() => trace.log('tick from first then'));
    return x + 1;
  })
  .then((x) => {
    trace.log('second then got', x);
    return x * 10;
  })
  .then((x) => trace.log('third then got', x));
trace.log('main done');
