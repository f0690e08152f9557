'use strict';
const trace = require('../trace.js');

const a = setTimeout(() => trace.log('a must not run'), 2);
const b = setTimeout(() => trace.log('b must not run'), 4);
setTimeout(() => trace.log('c runs'), 4);
clearTimeout(a);
clearTimeout(a);
clearTimeout(undefined);
process.nextTick(() => {
  trace.log('tick clears b');
  clearTimeout(b);
});
