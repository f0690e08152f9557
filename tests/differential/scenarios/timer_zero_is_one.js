'use strict';
const trace = require('../trace.js');

setTimeout(() => trace.log('a 1ms'), 1);
setTimeout(() => trace.log('b 0ms'), 0);
setTimeout(() => trace.log('c 1ms'), 1);
setTimeout(() => trace.log('d default'));
setTimeout(() => trace.log('e negative'), -5);
