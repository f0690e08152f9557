'use strict';
const trace = require('../trace.js');

const handles = [];
for (let i = 0; i < 12; ++i) {
  handles[i] = setTimeout(() => {
    trace.log('timer', i);
    queueMicrotask(() => trace.log('microtask of', i));
    if (i % 3 === 0 && i + 2 < handles.length) {
      clearTimeout(handles[i + 2]);
    }
  }, 3);
}
