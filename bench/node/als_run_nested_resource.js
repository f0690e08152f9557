'use strict';
// Twin of BM_RunNestedResource (bench/core/als_bench.cpp): als.run(i, ...)
// creating an AsyncResource inside, running getStore() in it, then
// emitDestroy().
//   node bench/node/als_run_nested_resource.js

const { AsyncLocalStorage, AsyncResource } = require('async_hooks');
const { measure } = require('./common');

const n = 1e6;

const als = new AsyncLocalStorage();

function readStore() {
  return als.getStore();
}

function body() {
  const r = new AsyncResource('Job');
  r.runInAsyncScope(readStore);
  r.emitDestroy();
}

measure('RunNestedResource', n, (count) => {
  for (let i = 0; i < count; ++i) als.run(i, body);
});
