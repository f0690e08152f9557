'use strict';
// Twin of BM_FramePropagation (bench/core/als_bench.cpp): new AsyncResource('Job')
// + emitDestroy() with no store, one store and eight stores current (Node's
// async-local-storage-propagate-asyncresource.js). store_active - no_store is
// the propagation cost.
//
// no_store runs first, before any AsyncLocalStorage is used: in Node 20 the
// first run() enables a process-wide init hook that every later resource
// pays for, store or not.
//   node bench/node/als_frame_propagation.js

const { AsyncLocalStorage, AsyncResource } = require('async_hooks');
const { measure } = require('./common');

const n = 2e6;

function createDestroy(count) {
  let r;
  for (let i = 0; i < count; ++i) {
    r = new AsyncResource('Job');
    r.emitDestroy();
  }
  return r;
}

function runNested(stores, f, value = 1) {
  if (stores.length === 0) return f();
  return stores[0].run(value, () => runNested(stores.slice(1), f, value + 1));
}

measure('FramePropagation/no_store', n, createDestroy);
for (const [name, count] of [['FramePropagation/store_active', 1],
                             ['FramePropagation/8_stores_active', 8]]) {
  const stores = Array.from({ length: count }, () => new AsyncLocalStorage());
  runNested(stores, () => measure(name, n, createDestroy));
}
