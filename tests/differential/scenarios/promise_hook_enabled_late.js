'use strict';
const trace = require('../trace.js');

trace.disable();
let resolve;
const p = new Promise((res) => { resolve = res; });
const untraced = p.then((v) => {
  trace.log('then created while off got', v);
  return v + 1;
});
setImmediate(() => {
  trace.enable();
  trace.log('hook on; resolving');
  untraced.then((v) => trace.log('then created while on got', v));
  resolve(1);
});
