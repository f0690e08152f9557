'use strict';
// Twin of BM_AwaitChain (bench/runtime/promise_chain_bench.cpp): an async
// function awaiting a tiny async function in a loop. Without and with a
// counting hook (which also counts promiseResolve; with it enabled V8 runs
// its promise hooks, so every promise becomes a PROMISE resource).
//   node bench/node/runtime_await.js

const { withAndWithoutHook } = require('./runtime_common');

async function tiny() {
  return 1;
}

async function awaitChain(n) {
  let sum = 0;
  for (let i = 0; i < n; ++i) {
    sum += await tiny();
  }
  return sum;
}

withAndWithoutHook('AwaitChain', awaitChain, ['init', 'promiseResolve']);
