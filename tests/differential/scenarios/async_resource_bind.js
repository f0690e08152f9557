'use strict';
const { AsyncResource } = require('async_hooks');
const trace = require('../trace.js');

const owner = new AsyncResource('Owner');
const inOwner = owner.bind((x) => trace.log('in owner with', x));
let bound;
setImmediate(() => {
  trace.log('immediate binds');
  bound = AsyncResource.bind(() => trace.log('in bound'), 'Bound');
  inOwner(1);
});
setImmediate(() => {
  trace.log('second immediate calls both');
  bound();
  inOwner(2);
  bound = null;
  owner.emitDestroy();
});
