'use strict';
const trace = require('../trace.js');

Promise.resolve(5)
  .finally(() => trace.log('finally after fulfilment'))
  .then((v) => trace.log('value passed through', v));
Promise.reject(new Error('bad'))
  .finally(() => trace.log('finally after rejection'))
  .catch((e) => {
    trace.log('rejection passed through:', e.message);
    return 0;
  });
