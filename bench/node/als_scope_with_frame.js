'use strict';
// Twin of BM_ScopeWithFrame (bench/core/als_bench.cpp): runInAsyncScope(noop)
// on a resource created outside any run() (no_frame) and on one created inside
// als.run() (with_frame: entering it restores that store), called from outside
// any run().
//   node bench/node/als_scope_with_frame.js

const { AsyncLocalStorage, AsyncResource } = require('async_hooks');
const { measure, fail } = require('./common');

const n = 1e7;

function noop() {}

function enterLoop(resource) {
  return (count) => {
    for (let i = 0; i < count; ++i) resource.runInAsyncScope(noop);
  };
}

const plain = new AsyncResource('Job');
measure('ScopeWithFrame/no_frame', n, enterLoop(plain));

const als = new AsyncLocalStorage();
const framed = als.run(7, () => new AsyncResource('Job'));
if (framed.runInAsyncScope(() => als.getStore()) !== 7) {
  fail('with_frame: runInAsyncScope does not restore the captured store');
}
measure('ScopeWithFrame/with_frame', n, enterLoop(framed));
