'use strict';
const trace = require('../trace.js');

const handle = setTimeout(() => {
  trace.log('fired');
  clearTimeout(handle);
  setImmediate(() => trace.log('immediate after clear'));
}, 1);
