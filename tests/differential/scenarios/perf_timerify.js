'use strict';
const trace = require('../trace.js');
const { performance, PerformanceObserver } = require('perf_hooks');

const obs = new PerformanceObserver((list) => {
  trace.log('observer', list.getEntries().map((e) => `${e.entryType}:${e.name}`).join(','));
});
setTimeout(() => {
  obs.observe({ entryTypes: ['function'] });
  const square = performance.timerify(function square(x) { return x * x; });
  const fails = performance.timerify(function fails() { throw new Error('no'); });
  trace.log('square', square(12));
  try {
    fails();
  } catch {
    trace.log('fails threw');
  }
  trace.log('in timeline', performance.getEntriesByType('function').length);
  setImmediate(() => trace.log('immediate'));
}, 1);
