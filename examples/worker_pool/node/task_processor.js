'use strict';
// The worker side of worker_pool.js: Collatz steps, as ../main.cpp.
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => {
  let steps = 0;
  for (let x = n; x > 1; steps++) x = x % 2 === 0 ? x / 2 : 3 * x + 1;
  parentPort.postMessage(steps);
});
