'use strict';
const trace = require('../trace.js');

async function leaf(x) {
  trace.log('leaf starts', x);
  const v = await Promise.resolve(x);
  trace.log('leaf resumed', v);
  return v * 2;
}

async function middle() {
  trace.log('middle starts');
  const a = await leaf(1);
  trace.log('middle got', a);
  const b = await leaf(2);
  trace.log('middle got', b);
  return a + b;
}

async function top() {
  trace.log('top starts');
  const r = await middle();
  trace.log('top got', r);
}

const t = top();
trace.log('main after calling top');
process.nextTick(() => trace.log('tick queued by main'));
t.then(() => trace.log('top finished'));
