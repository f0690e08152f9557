'use strict';
const { AsyncResource } = require('async_hooks');
const trace = require('../trace.js');

setImmediate(() => {
  const r = new AsyncResource('Thrower');
  try {
    r.runInAsyncScope(() => {
      trace.log('about to throw');
      throw new Error('oops');
    });
  } catch (e) {
    trace.log('caught', e.message);
  }
  r.runInAsyncScope(() => trace.log('runs again'));
  r.emitDestroy();
});
