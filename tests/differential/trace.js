'use strict';
// The Node half of the differential trace (tests/differential/README.md);
// trace.hpp prints the same lines from C++.
//
// Lines go to fd 1 with fs.writeSync: synchronous, and creating no async
// resource, so logging from a hook never recurses.
//
//   init <Type> #<id> trigger=#<tid> exec=#<eid>
//   before #<id> / after #<id> / destroy #<id> / resolve #<id>
//   log <words...> exec=#<eid> trigger=#<tid>
//   note <words...>
//   differs <words...>   (a documented difference: not compared)
//
// Node-internal resources (all-uppercase provider types tether does not
// share, such as TTYWRAP or SIGNALWRAP, and the no-op Immediate Node schedules
// after an 'uncaughtException' listener handled an error) are left out, and so
// are all their later events.

const asyncHooks = require('async_hooks');
const fs = require('fs');

const SHARED_NATIVE_TYPES = new Set([
  'Timeout', 'Immediate', 'TickObject', 'Microtask', 'PROMISE', 'FSREQCALLBACK',
]);

function writeLine(s) {
  fs.writeSync(1, s + '\n');
}

const hidden = new Set();
let ending = false;  // set once the program is done: flushing Node's destroy queue

function isShared(type, resource) {
  if (SHARED_NATIVE_TYPES.has(type)) {
    // lib/internal/process/execution.js: `setImmediate(noop)` after a handled
    // uncaught exception, "so that the next Immediate cycle isn't empty".
    if (type === 'Immediate' && resource && resource._onImmediate &&
        resource._onImmediate.name === 'noop') {
      return false;
    }
    return true;
  }
  return !/^[A-Z0-9_]+$/.test(type);  // a user AsyncResource type
}

const hook = asyncHooks.createHook({
  init(id, type, trigger, resource) {
    if (ending || !isShared(type, resource)) {
      hidden.add(id);
      return;
    }
    writeLine(`init ${type} #${id} trigger=#${trigger} exec=#${asyncHooks.executionAsyncId()}`);
  },
  before(id) {
    if (!hidden.has(id)) writeLine(`before #${id}`);
  },
  after(id) {
    if (!hidden.has(id)) writeLine(`after #${id}`);
  },
  destroy(id) {
    if (!hidden.has(id)) writeLine(`destroy #${id}`);
  },
  promiseResolve(id) {
    if (!hidden.has(id)) writeLine(`resolve #${id}`);
  },
});

function join(head, args) {
  return [head, ...args.map(String)].join(' ');
}

function log(...args) {
  writeLine(join('log', args) +
            ` exec=#${asyncHooks.executionAsyncId()} trigger=#${asyncHooks.triggerAsyncId()}`);
}

function note(...args) {
  writeLine(join('note', args));
}

// Output where tether differs from Node on purpose (trace.hpp's differs): not
// compared; printed so a reader sees Node's side.
function differs(...args) {
  writeLine(join('differs', args));
}

// An async id as trace.hpp prints it.
function id(n) {
  return `#${n}`;
}

// The async id of a Timeout or Immediate object, as trace.hpp's
// trace::id{t.id()}.
function resourceId(obj) {
  const sym = Object.getOwnPropertySymbols(obj).find((s) => s.description === 'asyncId');
  return id(obj[sym]);
}

// The store of an AsyncLocalStorage as text: '-' when there is none.
function store(als) {
  const s = als.getStore();
  return s === undefined || s === null ? '-' : String(s);
}

// Node delivers `destroy` from an unref'd native immediate in the check phase,
// so the destroys of the last callbacks would be lost when the loop ends. On
// the first 'beforeExit', one (untraced) immediate gives the loop another
// turn, whose check phase runs the destroy queue first.
let flushed = false;
process.on('beforeExit', () => {
  ending = true;
  if (!flushed) {
    flushed = true;
    setImmediate(() => {});
  }
});

hook.enable();

module.exports = {
  log,
  note,
  differs,
  id,
  resourceId,
  store,
  enable: () => hook.enable(),
  disable: () => hook.disable(),
  hook,
  writeLine,
};
