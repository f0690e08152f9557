'use strict';
// Twin of BM_PortMessages (bench/threads/threads_bench.cpp): n messages from
// the main thread to a worker over a MessageChannel (port2 transferred to
// the worker), an int and a 1 KiB string; the worker answers once ready and
// once it has received all of them. Wall-clock ns per message, from the
// first post to the last answer; the median (TETHER_NODE_STAT=min: the
// minimum) of TETHER_NODE_TRIALS trials (default 3), a fresh worker each.
//   node bench/node/threads_messages.js

const { Worker, MessageChannel } = require('node:worker_threads');

const trials = Number(process.env.TETHER_NODE_TRIALS || 3);
const useMin = process.env.TETHER_NODE_STAT === 'min';

const workerSource = `
const { workerData } = require('node:worker_threads');
const { port, count } = workerData;
let seen = 0;
port.on('message', () => {
  if (++seen === count) port.postMessage(0);
});
port.postMessage(0);  // ready
`;

function once(payload, count) {
  return new Promise((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(workerSource, {
      eval: true, workerData: { port: port2, count }, transferList: [port2],
    });
    worker.on('error', reject);
    let answers = 0;
    let start = 0n;
    port1.on('message', () => {
      if (++answers === 1) {
        start = process.hrtime.bigint();
        for (let i = 0; i < count; i++) port1.postMessage(payload);
      } else {
        const ns = Number(process.hrtime.bigint() - start) / count;
        port1.close();
        worker.terminate().then(() => resolve(ns));
      }
    });
  });
}

async function run(name, payload, count) {
  const samples = [];
  for (let t = 0; t < trials; t++) samples.push(await once(payload, count));
  samples.sort((a, b) => a - b);
  const ns = useMin ? samples[0] : samples[samples.length >> 1];
  process.stdout.write(JSON.stringify({ name, ns_per_op: Number(ns.toFixed(3)) }) + '\n');
}

(async () => {
  await run('PortMessages_int', 7, 1e6);
  await run('PortMessages_string1k', 'x'.repeat(1024), 2e5);
})();
