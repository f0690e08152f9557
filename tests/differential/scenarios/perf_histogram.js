'use strict';
const trace = require('../trace.js');
const { createHistogram } = require('perf_hooks');

function show(what, h) {
  const p = [25, 50, 75, 90, 99, 99.9, 100].map((q) => h.percentile(q)).join(' ');
  trace.note(what, h.min, h.max, h.mean, h.stddev, h.count, h.exceeds, p);
}
const a = createHistogram();
for (let i = 1; i <= 1000; i++) a.record(i);
show('1..1000', a);
const b = createHistogram();
for (const v of [1e6, 123456789, 7, 2048, 2049, 4095, 4096, 1e9, 2 ** 52]) b.record(v);
show('large', b);
const c = createHistogram({ lowest: 1000, highest: 1e9, figures: 2 });
for (const v of [1000, 1500, 999999, 5e8, 2e9]) c.record(v);
show('custom', c);
const d = createHistogram({ figures: 1 });
for (let i = 1; i <= 100000; i += 7) d.record(i * i);
show('squares', d);
const e = createHistogram();
e.record(10);
e.record(20);
const f = createHistogram();
f.record(30);
e.add(f);
show('added', e);
const empty = createHistogram();
// min is 2^63 - 1, which only minBigInt holds exactly.
trace.note('empty', empty.minBigInt, empty.max, empty.mean, empty.count);
try {
  e.record(0);
} catch (err) {
  trace.note('record(0)', err.code === 'ERR_OUT_OF_RANGE' ? 'out of range' : err.code);
}
