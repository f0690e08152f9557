'use strict';
// The HTTP benchmark's Node twin of bench/http/http_server.cpp: the same
// tiny handler on Node's http server, so wrk measures the two side by side.
//
//   node bench/http/node_server.js <port> <mode>
//   mode: plain    - no AsyncLocalStorage, no hook
//         context  - middleware puts {requestId} into an AsyncLocalStorage
//                    the handler reads back, plus one counting async hook
//                    (init/before/after/destroy/promiseResolve)
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

const handler = mode === 'context'
  ? (req, res) => als.run({ requestId: ++nextId }, () => respond(res, als.getStore().requestId))
  : (req, res) => respond(res, ++nextId);

const server = http.createServer(handler);
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  process.stderr.write(`node_server: ${nextId} requests, ${events} hook events\n`);
  process.exit(0);
});
