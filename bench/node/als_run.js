'use strict';
// Twin of BM_Run (bench/core/als_bench.cpp): als.run(i, noop) with a number as
// the store (Node's async-local-storage-run.js without its promise).
//   node bench/node/als_run.js

const { AsyncLocalStorage } = require('async_hooks');
const { measure } = require('./common');

const n = 3e6;

function noop() {}

const als = new AsyncLocalStorage();
measure('Run', n, (count) => {
  for (let i = 0; i < count; ++i) als.run(i, noop);
});
