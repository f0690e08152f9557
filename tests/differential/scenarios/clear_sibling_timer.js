'use strict';
const trace = require('../trace.js');

let victim;
setTimeout(() => {
  trace.log('first clears second');
  clearTimeout(victim);
}, 3);
victim = setTimeout(() => trace.log('second must not run'), 3);
setTimeout(() => trace.log('third'), 3);
