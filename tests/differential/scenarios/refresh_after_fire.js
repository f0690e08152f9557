'use strict';
const trace = require('../trace.js');

let runs = 0;
const a = setTimeout(() => {
  ++runs;
  if (runs === 1) {
    trace.log('A');
  } else {
    trace.differs('A runs again', runs);
  }
}, 2);
setTimeout(() => {
  trace.log('refresh the fired A');
  a.refresh();
}, 5);
process.on('exit', () => trace.differs('A ran', runs, 'times'));
