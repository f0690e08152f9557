'use strict';
const { AsyncResource } = require('async_hooks');
const trace = require('../trace.js');

const conn = new AsyncResource('Connection');
function use(from) {
  trace.log(from);
  conn.runInAsyncScope(() => trace.log('connection work from', from));
  trace.log('back in', from);
}
process.nextTick(() => use('tick'));
queueMicrotask(() => use('microtask'));
setImmediate(() => {
  use('immediate');
  setTimeout(() => {
    use('timeout');
    conn.emitDestroy();
  }, 2);
});
