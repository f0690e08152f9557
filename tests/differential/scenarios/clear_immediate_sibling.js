'use strict';
const trace = require('../trace.js');

let victim;
setImmediate(() => {
  trace.log('first clears second');
  clearImmediate(victim);
  const next = setImmediate(() => trace.log('next turn must not run'));
  setImmediate(() => trace.log('next turn runs'));
  clearImmediate(next);
});
victim = setImmediate(() => trace.log('second must not run'));
setImmediate(() => trace.log('third'));
