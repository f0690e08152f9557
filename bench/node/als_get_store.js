'use strict';
// Twin of BM_GetStore (bench/core/als_bench.cpp): getStore() on the first of
// 1 or 8 AsyncLocalStorage instances, each inside run() (Node's
// async-local-storage-getstore-nested-run.js), and outside any run().
//   node bench/node/als_get_store.js

const { AsyncLocalStorage } = require('async_hooks');
const { measure, fail } = require('./common');

const n = 2e7;

function getStoreLoop(als) {
  return (count) => {
    let seen;
    for (let i = 0; i < count; ++i) seen = als.getStore();
    return seen;
  };
}

// Calls f() inside stores[0].run(1, ...), stores[1].run(2, ...), ...
function runNested(stores, f, value = 1) {
  if (stores.length === 0) return f();
  return stores[0].run(value, () => runNested(stores.slice(1), f, value + 1));
}

function inside(name, storageCount) {
  const stores = Array.from({ length: storageCount }, () => new AsyncLocalStorage());
  runNested(stores, () => {
    if (stores[0].getStore() !== 1) fail(`${name}: getStore() does not see the run() store`);
    measure(name, n, getStoreLoop(stores[0]));
  });
}

// An instance that has been used (so Node has enabled it), read where no
// run() is active.
const outside = new AsyncLocalStorage();
outside.run(1, () => {});
if (outside.getStore() !== undefined) fail('outside_run: a store leaked out of run()');
measure('GetStore/outside_run', n, getStoreLoop(outside));
inside('GetStore/1_storage', 1);
inside('GetStore/8_storages', 8);
