'use strict';
const trace = require('../trace.js');

async function fails(afterAwait) {
  if (afterAwait) {
    await Promise.resolve();
  }
  throw new Error(afterAwait ? 'late failure' : 'early failure');
}

async function caller() {
  try {
    await fails(false);
    trace.log('must not run');
  } catch (e) {
    trace.log('caller caught', e.message);
  }
  try {
    await fails(true);
  } catch (e) {
    trace.log('caller caught', e.message);
  }
  trace.log('caller goes on');
}

caller().then(() => trace.log('caller fulfilled'));
fails(true).catch((e) => {
  trace.log('catch_ got', e.message);
  return 0;
});
