'use strict';
const trace = require('../trace.js');
const { performance, PerformanceObserver } = require('perf_hooks');

const names = (list) => list.getEntries().map((e) => `${e.entryType}:${e.name}`).join(',') || '(none)';
const buffered = new PerformanceObserver((list) => trace.log('buffered', names(list)));
const taken = new PerformanceObserver((list) => trace.log('taken', names(list)));
const gone = new PerformanceObserver((list) => trace.log('gone', names(list)));
const self = new PerformanceObserver((list, me) => {
  trace.log('self', names(list));
  me.disconnect();
  performance.mark('from-self');
});
setTimeout(() => {
  performance.mark('early', { startTime: 1 });
  performance.measure('early-measure', { start: 1, end: 2 });
  buffered.observe({ type: 'mark', buffered: true });
  taken.observe({ type: 'mark' });
  gone.observe({ type: 'measure' });
  self.observe({ type: 'mark' });
  performance.mark('late', { startTime: 0.5 });
  performance.measure('late-measure', { start: 0.25, end: 3 });
  trace.log('taken now', taken.takeRecords().length);
  gone.disconnect();
  setImmediate(() => trace.log('immediate'));
}, 1);
