'use strict';
const trace = require('../trace.js');
const { performance } = require('perf_hooks');

const show = (v) => v.map((e) => `${e.entryType}:${e.name}@${e.startTime}+${e.duration}`).join(' ') || '(none)';
performance.mark('x', { startTime: 5 });
performance.mark('y', { startTime: 2 });
const m = performance.measure('y-x', 'y', 'x');
trace.note('measure', m.entryType, m.name, m.startTime, m.duration);
performance.measure('y+10', { start: 'y', duration: 10 });
performance.measure('to-x', { end: 'x', duration: 1.5 });
performance.measure('numbers', { start: 0.5, end: 4, detail: 'd' });
const d = performance.mark('with-detail', { detail: 42, startTime: 3 });
trace.note('detail', d.detail);
performance.mark('x', { startTime: 7 });
trace.note('all', show(performance.getEntries()));
trace.note('by name x', show(performance.getEntriesByName('x')));
trace.note('by name y-x measure', show(performance.getEntriesByName('y-x', 'measure')));
trace.note('by name y-x mark', show(performance.getEntriesByName('y-x', 'mark')));
trace.note('by type measure', show(performance.getEntriesByType('measure')));
trace.note('latest x wins', performance.measure('y-x2', 'y', 'x').duration);
performance.clearMarks('y');
try {
  performance.measure('gone', 'y');
} catch (e) {
  trace.note('error', e.message);
}
performance.clearMeasures('y+10');
performance.clearMarks();
trace.note('after clear', show(performance.getEntries()));
performance.clearMeasures();
trace.note('after clear all', show(performance.getEntries()));
