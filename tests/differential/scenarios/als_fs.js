'use strict';
const fs = require('fs');
const { AsyncLocalStorage } = require('async_hooks');
const trace = require('../trace.js');

const als = new AsyncLocalStorage();
als.run('stat request', () => {
  fs.stat('als_fs.js', () => {
    trace.log('stat callback store', trace.store(als));
    als.run('nested', () => {
      fs.readFile('als_fs.js', () => {
        trace.log('nested read_file callback store', trace.store(als));
        als.exit(() => {
          fs.stat('als_fs.js', () => {
            trace.log('stat callback from exit()', trace.store(als));
          });
        });
      });
    });
  });
});
