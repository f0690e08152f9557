'use strict';
const trace = require('../trace.js');

let resolve;
const p = new Promise((res) => { resolve = res; });
p.then((v) => trace.log('then registered early got', v));
setImmediate(() => {
  trace.log('immediate registers a then');
  p.then((v) => trace.log('then registered late got', v));
  setTimeout(() => {
    trace.log('timer resolves');
    resolve(9);
    resolve(10);  // ignored: already settled
    trace.log('timer done');
  }, 2);
});
