'use strict';
const trace = require('../trace.js');

setTimeout(() => trace.log('24ms'), 24);
setTimeout(() => trace.log('4ms a'), 4);
setTimeout(() => trace.log('14ms'), 14);
setTimeout(() => trace.log('4ms b'), 4);
