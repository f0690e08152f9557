'use strict';
const { setTimeout: delay } = require('timers/promises');
const trace = require('../trace.js');

delay(2).then(() => {
  trace.log('after 2 ms');
  delay(1).then(() => trace.log('after 1 more ms'));
});
