'use strict';
const trace = require('../trace.js');

const i = setImmediate(() => trace.log('must not run'));
setImmediate(() => trace.log('runs'));
clearImmediate(i);
clearImmediate(i);
