'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const { setTimeout: delay } = require('timers/promises');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();

async function inner() {
  trace.log('inner starts with', trace.store(als));
  await Promise.resolve();
  als.enterWith('set by inner after await');
  trace.log('inner after enter_with', trace.store(als));
  await delay(1);
  trace.log('inner after delay', trace.store(als));
}

async function outer() {
  trace.log('outer starts with', trace.store(als));
  await inner();
  trace.log('outer after inner', trace.store(als));
  await als.run('outer run', () => inner());
  trace.log('outer after inner in run', trace.store(als));
}

async function leaky() {
  als.enterWith('leaked before first await');
  await Promise.resolve();
  trace.log('leaky resumed with', trace.store(als));
}

als.run('request 1', () => {
  outer().then(() => {
    als.exit(() => {
      setImmediate(() => {
        trace.log('immediate before leaky', trace.store(als));
        leaky();
        trace.log('immediate after leaky', trace.store(als));
      });
    });
  });
});
