'use strict';
const trace = require('../trace.js');

function makePromise() {
  let resolve;
  let reject;
  const p = new Promise((res, rej) => { resolve = res; reject = rej; });
  return [p, { resolve, reject }];
}

const [p1, r1] = makePromise();
const [p2, r2] = makePromise();
const [p3, r3] = makePromise();
const [p4, r4] = makePromise();
const [p5, r5] = makePromise();
Promise.all([p1, p2, p3]).then((v) => trace.log('all got', v[0], v[1], v[2]));
Promise.all([p4, p5]).catch((e) => {
  trace.log('all rejected:', e.message);
  return [];
});
Promise.all([]).then((v) => trace.log('empty all got', v.length));
setImmediate(() => {
  trace.log('resolve 3, reject 5');
  r3.resolve(3);
  r5.reject(new Error('element failed'));
  setImmediate(() => {
    trace.log('resolve 2 and 4');
    r2.resolve(2);
    r4.resolve(4);
    setImmediate(() => {
      trace.log('resolve 1');
      r1.resolve(1);
    });
  });
});
