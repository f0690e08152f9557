'use strict';
const trace = require('../trace.js');

const t = setTimeout(() => trace.log('must not run'), 500);
t.unref();
trace.log('has_ref', t.hasRef() ? 1 : 0);
setImmediate(() => trace.log('immediate'));
process.on('exit', () => trace.note('loop ended'));
