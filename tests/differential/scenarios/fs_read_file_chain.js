'use strict';
const fs = require('fs');
const trace = require('../trace.js');

fs.readFile('fs_read_file_chain.js', 'latin1', (err, data) => {
  trace.log('read_file done, error', err ? 1 : 0, 'starts with', data.slice(0, 12));
  fs.readFile('no-such-file.txt', (err2, data2) => {
    trace.log('missing file:', err2.code, 'bytes', data2 === undefined ? 0 : data2.length);
  });
});
