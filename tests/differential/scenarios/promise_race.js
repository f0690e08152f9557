'use strict';
const trace = require('../trace.js');

function makePromise() {
  let resolve;
  let reject;
  const p = new Promise((res, rej) => { resolve = res; reject = rej; });
  return [p, { resolve, reject }];
}

const [a, ra] = makePromise();
const [b, rb] = makePromise();
const [c, rc] = makePromise();
Promise.race([a, b]).then((v) => trace.log('race 1 won by', v));
Promise.race([a, c])
  .then((v) => trace.log('must not run', v))
  .catch((e) => trace.log('race 2 rejected:', e.message));
Promise.allSettled([a, c])
  .then((r) => trace.log('all_settled:', r[0].status, r[0].value, r[1].status));
setImmediate(() => {
  trace.log('resolve b, reject c');
  rb.resolve(2);
  rc.reject(new Error('fast failure'));
  setImmediate(() => {
    trace.log('resolve a');
    ra.resolve(1);
  });
});
