'use strict';
const trace = require('../trace.js');

let runs = 0;
const handle = setTimeout(() => {
  ++runs;
  trace.log('run', runs);
  if (runs < 3) {
    handle.refresh();
  }
}, 2);
process.on('exit', () => trace.note('runs', runs));
