'use strict';
const trace = require('../trace.js');

setTimeout(() => trace.log('104ms'), 104);
setTimeout(() => trace.log('4ms a'), 4);
setTimeout(() => trace.log('54ms'), 54);
setTimeout(() => trace.log('4ms b'), 4);
