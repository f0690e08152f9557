'use strict';
// The HTTP benchmark's Node twin of bench/http/http_server.cpp: the same
// tiny handler on Node's http server, so wrk measures the two side by side.
//
//   node bench/http/node_server.js <port> <mode>
//   mode: plain    - no AsyncLocalStorage, no hook
//         context  - middleware puts {requestId} into an AsyncLocalStorage
//                    the handler reads back, plus one counting async hook
//                    (init/before/after/destroy/promiseResolve)
// GET /big answers 256 MiB (bench/http/attack.py).
// Prints "listening <port>" once ready; runs until killed.

const http = require('http');
const { AsyncLocalStorage, createHook } = require('async_hooks');

const port = Number(process.argv[2] || 0);
const mode = process.argv[3] || 'plain';
if (mode !== 'plain' && mode !== 'context') {
  console.error(`node_server.js: unknown mode '${mode}' (plain or context)`);
  process.exit(2);
}

const als = new AsyncLocalStorage();
let events = 0;
let nextId = 0;

if (mode === 'context') {
  const count = () => { ++events; };
  createHook({ init: count, before: count, after: count, destroy: count,
               promiseResolve: count }).enable();
}

function respond(res, id) {
  const body = `hello ${id}\n`;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
}

// GET /big: 256 MiB written 64 KiB at a time, waiting for 'drain' whenever
// write() returns false (bench/http/attack.py's slow reader).
function big(res) {
  const piece = Buffer.alloc(64 * 1024, 'x');
  let left = 4096;
  const more = () => {
    while (left > 0) {
      --left;
      if (!res.write(piece)) {
        res.once('drain', more);
        return;
      }
    }
    res.end();
  };
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  more();
}

const handler = mode === 'context'
  ? (req, res) => als.run({ requestId: ++nextId },
      () => (req.url === '/big' ? big(res) : respond(res, als.getStore().requestId)))
  : (req, res) => (req.url === '/big' ? big(res) : respond(res, ++nextId));

const server = http.createServer(handler);
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  process.stderr.write(`node_server: ${nextId} requests, ${events} hook events\n`);
  process.exit(0);
});
