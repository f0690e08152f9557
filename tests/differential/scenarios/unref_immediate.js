'use strict';
const trace = require('../trace.js');

setImmediate(() => trace.log("unref'd immediate runs: a timer keeps the loop alive")).unref();
setTimeout(() => {
  trace.log('timer');
  const i = setImmediate(() => trace.log('must not run'));
  i.unref();
  trace.log('has_ref', i.hasRef() ? 1 : 0);
}, 50);
process.on('exit', () => trace.note('loop ended'));
