'use strict';
const trace = require('../trace.js');

function startInterval() {
  let runs = 0;
  const handle = setInterval(() => {
    trace.log('interval run', ++runs);
    if (runs === 2) {
      clearInterval(handle);
    }
  }, 1);
}

function startImmediate() {
  const handle = setImmediate(() => { void handle; trace.log('immediate owning its handle'); });
}

function startTimeout() {
  const handle = setTimeout(() => { void handle; trace.log('timeout owning its handle'); }, 1);
}

function startClearedImmediate() {
  const handle = setImmediate(() => trace.log('must not run'));
  clearImmediate(handle);
}

startImmediate();
startClearedImmediate();
setImmediate(() => {
  startTimeout();
  startInterval();
});
