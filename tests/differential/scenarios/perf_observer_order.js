'use strict';
const trace = require('../trace.js');
const { performance, PerformanceObserver } = require('perf_hooks');

const names = (list) => list.getEntries().map((e) => `${e.entryType}:${e.name}`).join(',');
const obs = new PerformanceObserver((list) => trace.log('observer', names(list)));
setTimeout(() => {
  obs.observe({ entryTypes: ['mark', 'measure'] });
  performance.mark('a');
  process.nextTick(() => trace.log('tick'));
  queueMicrotask(() => trace.log('microtask'));
  setImmediate(() => trace.log('immediate'));
  setTimeout(() => trace.log('timeout0'));
  performance.measure('a-now', 'a');
  performance.mark('b');
  trace.log('sync end');
}, 1);
