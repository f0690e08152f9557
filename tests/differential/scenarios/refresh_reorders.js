'use strict';
const trace = require('../trace.js');

const a = setTimeout(() => trace.log('A'), 4);
setTimeout(() => trace.log('B'), 4);
a.refresh();
