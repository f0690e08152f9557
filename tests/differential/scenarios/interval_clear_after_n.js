'use strict';
const trace = require('../trace.js');

let runs = 0;
const handle = setInterval(() => {
  ++runs;
  trace.log('interval run', runs, 'own id', trace.resourceId(handle));
  if (runs === 3) {
    clearInterval(handle);
    trace.log('cleared');
  }
}, 2);
process.on('exit', () => trace.note('runs', runs));
