'use strict';
const asyncHooks = require('async_hooks');
const trace = require('../trace.js');

trace.disable();
// Only ticks: Node's internal flush immediate at the end must not show.
const ticks = new Set();
function make(name) {
  return asyncHooks.createHook({
    init(id, type) {
      if (type !== 'TickObject') return;
      ticks.add(id);
      trace.writeLine(`${name} init ${type} #${id}`);
    },
    before(id) { if (ticks.has(id)) trace.writeLine(`${name} before #${id}`); },
    after(id) { if (ticks.has(id)) trace.writeLine(`${name} after #${id}`); },
  });
}
const a = make('note hook-a');
const b = make('note hook-b');
a.enable();
b.enable();
process.nextTick(() => {
  trace.log('tick; moving hook a to the end');
  a.disable();
  a.enable();
  process.nextTick(() => trace.log('second tick'));
});
