'use strict';
const trace = require('../trace.js');

function chain(depth) {
  trace.log('depth', depth);
  if (depth < 4) {
    process.nextTick(() => chain(depth + 1));
  }
}

process.nextTick(() => chain(1));
process.nextTick(() => {
  trace.log('parent');
  process.nextTick(() => trace.log('sibling a'));
  process.nextTick(() => trace.log('sibling b'));
});
