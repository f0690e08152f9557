'use strict';
const trace = require('../trace.js');

process.on('uncaughtException', (e) => trace.log('uncaught:', e.message));
let runs = 0;
const handle = setInterval(() => {
  ++runs;
  trace.log('run', runs);
  if (runs === 1) {
    throw new Error('interval error');
  }
  clearInterval(handle);
}, 2);
