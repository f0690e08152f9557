'use strict';
const trace = require('../trace.js');

setTimeout(() => {
  trace.log('outer timeout');
  setTimeout(() => trace.log('timeout 0'));
  setImmediate(() => trace.log('immediate'));
  setTimeout(() => trace.log('timeout 1'), 1);
  setImmediate(() => trace.log('immediate 2'));
}, 2);
