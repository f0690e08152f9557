'use strict';
const fs = require('fs');
const trace = require('../trace.js');

fs.stat('fs_then_immediate_vs_timeout.js', (err, st) => {
  trace.log('stat done, error', err ? 1 : 0, 'is_file', st.isFile() ? 1 : 0);
  setTimeout(() => trace.log('timeout 0'));
  setImmediate(() => trace.log('immediate'));
  process.nextTick(() => trace.log('tick'));
});
