'use strict';
const { setTimeout: delay } = require('timers/promises');
const trace = require('../trace.js');

delay(2)
  .then(() => {
    trace.log('after 2 ms');
    return delay(1).then(() => 42);
  })
  .then((v) => trace.log('adopted', v));
Promise.resolve(1)
  .then((v) => Promise.resolve(v + 1))
  .then((v) => trace.log('adopted an already fulfilled promise:', v));
queueMicrotask(() => {
  trace.log('microtask 1');
  queueMicrotask(() => {
    trace.log('microtask 2');
    queueMicrotask(() => trace.log('microtask 3'));
  });
});
