'use strict';
const trace = require('../trace.js');

setTimeout(() => {
  trace.log('level 1');
  setTimeout(() => {
    trace.log('level 2');
    setTimeout(() => trace.log('level 3'), 1);
  }, 1);
}, 1);
