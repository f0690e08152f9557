'use strict';
const trace = require('../trace.js');

Promise.reject(new Error('nope'))
  .then((x) => {
    trace.log('must not run');
    return x;
  })
  .catch((e) => {
    trace.log('caught', e.message);
    return 7;
  })
  .then((x) => {
    trace.log('after catch got', x);
    throw new Error('thrown in then');
  })
  .catch((e) => trace.log('caught again', e.message));
