'use strict';
// Twin of BM_AwaitChainGetStore (bench/runtime/promise_chain_bench.cpp): the
// await loop of runtime_await.js reading AsyncLocalStorage#getStore() after
// each await, first with no store (the storage exists but was never run, so
// Node 20 has not enabled its hook), then inside als.run(7, ...).
//   node bench/node/runtime_await_get_store.js

const { AsyncLocalStorage } = require('async_hooks');
const { measureAsync, fail } = require('./common');
const { opsPerRun } = require('./runtime_common');

const als = new AsyncLocalStorage();
const expected = { value: undefined };

async function tiny() {
  return 1;
}

async function awaitGetStore(n) {
  for (let i = 0; i < n; ++i) {
    await tiny();
    if (als.getStore() !== expected.value) {
      fail(`getStore() returned ${als.getStore()}, expected ${expected.value}`);
      return;
    }
  }
}

async function main() {
  await measureAsync('AwaitChainGetStore/no_store', opsPerRun, awaitGetStore);
  expected.value = 7;
  await als.run(7, () => measureAsync('AwaitChainGetStore/store_active', opsPerRun,
                                      awaitGetStore));
}

main();
