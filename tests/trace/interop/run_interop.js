// Interop of tether::trace with OpenTelemetry JS, real and offline: Node 20
// services traced by OpenTelemetry JS, tether services (examples/trace_chain),
// and one OTLP receiver decoding everything with OpenTelemetry's own schema.
//
//   node run_interop.js <trace_chain binary>
//
// Scenarios (each checks the spans the receiver got, not just the answers):
//  0. the receiver itself, against OpenTelemetry JS's proto and JSON exporters
//  a. node front (root) -> tether (protobuf) -> node downstream: one trace,
//     parent chain node SERVER -> node CLIENT -> tether SERVER -> tether CLIENT
//     -> node SERVER, baggage intact
//  b. a request with no context to tether (JSON exporter): tether starts the
//     trace, the node downstream's SERVER span is a child of tether's CLIENT span
//  c. malformed and duplicated traceparents restart the trace
//  d. 1,000 concurrent requests with distinct trace ids: 0 mix-ups
//  e. the examples/trace_chain chain: node front -> tether -> tether, one
//     trace end to end
'use strict';
const { spawn } = require('child_process');
const http = require('http');
const path = require('path');

const tetherBinary = process.argv[2];
if (!tetherBinary) {
  console.error('usage: node run_interop.js <trace_chain binary>');
  process.exit(2);
}
const children = [];
let failures = 0;
const check = (cond, what) => {
  if (!cond) {
    failures++;
    console.log(`FAIL ${what}`);
  } else {
    console.log(`ok   ${what}`);
  }
};

function start(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')}: no "listening" line in 60 s`)), 60000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code} before listening`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(port, pathname, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, headers, agent }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}
const json = async (...a) => JSON.parse((await request(...a)).body);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function spansOf(receiver, traceId, atLeast) {
  for (let i = 0; i < 100; i++) {
    const all = await json(receiver, '/spans');
    const mine = all.filter((s) => s.traceId === traceId);
    if (mine.length >= atLeast) return mine;
    await sleep(100);
  }
  return (await json(receiver, '/spans')).filter((s) => s.traceId === traceId);
}

async function main() {
  const receiver = (await start('node', [path.join(__dirname, 'receiver.js')], {})).port;
  const endpoint = `http://127.0.0.1:${receiver}/v1/traces`;
  const otel = (name, extra) => ({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint, SERVICE_NAME: name, ...extra });
  const tetherEnv = (name, protocol) => ({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint, OTEL_SERVICE_NAME: name,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: '100',
  });

  const down = (await start('node', [path.join(__dirname, 'node_service.js')], otel('node-down', {}))).port;
  const tether = (await start(tetherBinary, ['--port', '0', '--name', 'tether-mid', '--downstream',
    `http://127.0.0.1:${down}`], tetherEnv('tether-mid', 'http/protobuf'))).port;
  const tetherJson = (await start(tetherBinary, ['--port', '0', '--name', 'tether-json', '--downstream',
    `http://127.0.0.1:${down}`], tetherEnv('tether-json', 'http/json'))).port;
  const front = (await start('node', [path.join(__dirname, 'node_service.js')],
    otel('node-front', { EXPORTER: 'http', DOWNSTREAM: `http://127.0.0.1:${tether}` }))).port;

  // 0. The receiver decodes OpenTelemetry JS's own exporters (proto: node-down,
  // JSON: node-front) with no problem: it is fit to judge tether's.
  // a. node front -> tether -> node down.
  const a = await json(front, '/a', { headers: { baggage: 'user=alice' } });
  const traceA = a.traceId;
  check(/^[0-9a-f]{32}$/.test(traceA), 'a: node front started a trace');
  check(a.downstream.traceId === traceA && a.downstream.downstream.traceId === traceA,
        'a: every service saw the same trace id');
  check(a.downstream.downstream.baggage === 'user=alice', 'a: baggage crossed tether intact');
  const spansA = await spansOf(receiver, traceA, 5);
  const by = (service, kind) => spansA.find((s) => s.service === service && s.kind === kind);
  const chain = [by('node-front', 'SERVER'), by('node-front', 'CLIENT'), by('tether-mid', 'SERVER'),
    by('tether-mid', 'CLIENT'), by('node-down', 'SERVER')];
  check(chain.every(Boolean), `a: five spans (${spansA.map((s) => `${s.service}/${s.kind}`).join(', ')})`);
  if (chain.every(Boolean)) {
    for (let i = 1; i < chain.length; i++) {
      check(chain[i].parentSpanId === chain[i - 1].spanId,
            `a: ${chain[i].service} ${chain[i].kind} is the child of ${chain[i - 1].service} ${chain[i - 1].kind}`);
    }
    check(chain[0].encoding === 'json' && chain[4].encoding === 'protobuf' && chain[2].encoding === 'protobuf',
          '0: node JSON, node protobuf and tether protobuf exports all decoded');
  }

  // b. tether starts the trace (JSON exporter).
  const b = await json(tetherJson, '/b');
  const traceB = b.traceId;
  check(/^[0-9a-f]{32}$/.test(traceB) && b.downstream.traceId === traceB, 'b: tether started a trace, node joined it');
  const spansB = await spansOf(receiver, traceB, 3);
  const tServer = spansB.find((s) => s.service === 'tether-json' && s.kind === 'SERVER');
  const tClient = spansB.find((s) => s.service === 'tether-json' && s.kind === 'CLIENT');
  const nServer = spansB.find((s) => s.service === 'node-down' && s.kind === 'SERVER');
  check(tServer && tClient && nServer, 'b: tether SERVER, tether CLIENT, node SERVER exported');
  if (tServer && tClient && nServer) {
    check(tServer.parentSpanId === '' && tClient.parentSpanId === tServer.spanId &&
          nServer.parentSpanId === tClient.spanId, 'b: parent chain root -> CLIENT -> node SERVER');
    check(tServer.encoding === 'json', 'b: tether JSON export decoded');
  }

  // c. malformed or duplicated traceparent: tether restarts the trace.
  const badId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const c1 = await json(tether, '/c1', { headers: { traceparent: `00-${badId.toUpperCase()}-00f067aa0ba902b7-01` } });
  check(c1.traceId !== badId && c1.traceId.toLowerCase() !== badId && /^[0-9a-f]{32}$/.test(c1.traceId),
        'c: an uppercase traceparent restarts the trace');
  const c2 = await json(tether, '/c2', {
    headers: { traceparent: [`00-${badId}-00f067aa0ba902b7-01`, `00-${badId}-00f067aa0ba902b7-01`] } });
  check(c2.traceId !== badId, 'c: a duplicated traceparent restarts the trace');
  const c3 = await json(tether, '/c3', { headers: { traceparent: `00-${badId}-00f067aa0ba902b7-01` } });
  check(c3.traceId === badId, 'c: a valid traceparent is continued');

  // d. 1,000 concurrent requests with distinct trace ids: 0 mix-ups.
  const ids = [];
  for (let i = 0; i < 1000; i++) ids.push(require('crypto').randomBytes(16).toString('hex'));
  const answers = await Promise.all(ids.map((id) => json(tether, `/d?i=${id}`, {
    headers: { traceparent: `00-${id}-00f067aa0ba902b7-01`, baggage: `req=${id}` } })));
  let mixups = 0;
  answers.forEach((r, i) => {
    if (r.traceId !== ids[i] || r.downstream.traceId !== ids[i] || r.downstream.baggage !== `req=${ids[i]}`) mixups++;
  });
  check(mixups === 0, `d: 1000 concurrent requests, ${mixups} mix-ups`);
  const spansD = await spansOf(receiver, ids[999], 3);
  check(spansD.length >= 3, 'd: the last request\'s spans were exported');

  // e. node front -> tether -> tether (examples/trace_chain/README.md).
  const tetherEnd = (await start(tetherBinary, ['--port', '0', '--name', 'tether-end'],
    tetherEnv('tether-end', 'http/protobuf'))).port;
  const tetherFirst = (await start(tetherBinary, ['--port', '0', '--name', 'tether-first', '--downstream',
    `http://127.0.0.1:${tetherEnd}`], tetherEnv('tether-first', 'http/protobuf'))).port;
  const front2 = (await start('node', [path.join(__dirname, 'node_service.js')],
    otel('node-front2', { DOWNSTREAM: `http://127.0.0.1:${tetherFirst}` }))).port;
  const e = await json(front2, '/e');
  check(e.downstream.traceId === e.traceId && e.downstream.downstream.traceId === e.traceId,
        'e: node -> tether -> tether share one trace id');
  const spansE = await spansOf(receiver, e.traceId, 5);
  const byE = (service, kind) => spansE.find((s) => s.service === service && s.kind === kind);
  const chainE = [byE('node-front2', 'SERVER'), byE('node-front2', 'CLIENT'), byE('tether-first', 'SERVER'),
    byE('tether-first', 'CLIENT'), byE('tether-end', 'SERVER')];
  check(chainE.every(Boolean) && chainE.every((s, i) => i === 0 || s.parentSpanId === chainE[i - 1].spanId),
        'e: parent chain node SERVER -> node CLIENT -> tether SERVER -> tether CLIENT -> tether SERVER');

  const problems = await json(receiver, '/problems');
  check(problems.length === 0, `receiver problems: ${JSON.stringify(problems)}`);
  const requests = await json(receiver, '/requests');
  check(requests.some((r) => r.userAgent.startsWith('tether-otlp-exporter/')), 'tether names itself in User-Agent');

  for (const port of [front, front2, tether, tetherJson, tetherFirst, tetherEnd, down]) {
    await request(port, '/quit', { method: 'POST' }).catch(() => {});
  }
}

main()
  .catch((e) => {
    failures++;
    console.log(`FAIL ${e.stack || e}`);
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    console.log(failures === 0 ? 'interop: all passed' : `interop: ${failures} failed`);
    process.exit(failures === 0 ? 0 : 1);
  });
