'use strict';
const trace = require('../trace.js');

let runs = 0;
const handle = setInterval(() => {
  ++runs;
  trace.log('interval run', runs);
  if (runs === 2) {
    process.nextTick(() => {
      trace.log('tick clears the interval');
      clearInterval(handle);
    });
  }
}, 3);
process.on('exit', () => trace.note('runs', runs));
