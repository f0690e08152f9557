// A Node 20 service traced by OpenTelemetry JS the usual way (sdk-node, the
// AsyncLocalStorage context manager, instrumentation-http, an OTLP exporter):
// the peer tether's services must interoperate with.
//
//   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:<port>/v1/traces \
//   SERVICE_NAME=front DOWNSTREAM=http://127.0.0.1:<p>/ EXPORTER=proto|http \
//   node node_service.js          prints "listening <port>"
//
// GET <path>: calls DOWNSTREAM + <path> if set (forwarding nothing by hand:
// the instrumentation injects traceparent), then answers JSON:
//   {"service", "traceparent" (as received), "traceId" (of its active span),
//    "baggage" (as received), "downstream" (the downstream's answer)}
// POST /quit: flushes the exporter and exits.
'use strict';
const { NodeSDK, tracing } = require('@opentelemetry/sdk-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');

const exporter = process.env.EXPORTER === 'http' ? new JsonExporter() : new ProtoExporter();
process.env.OTEL_SERVICE_NAME = process.env.SERVICE_NAME || 'node';
const sdk = new NodeSDK({
  spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
  instrumentations: [new HttpInstrumentation()],
});
sdk.start();

// Required after start(): the instrumentation patches the http module.
const http = require('http');
const api = require('@opentelemetry/api');

const downstream = process.env.DOWNSTREAM || '';
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/quit') {
    res.end('bye');
    server.close();
    sdk.shutdown().then(() => process.exit(0));
    return;
  }
  const active = api.trace.getSpan(api.context.active());
  const answer = {
    service: process.env.SERVICE_NAME || 'node',
    traceparent: req.headers['traceparent'] || '',
    baggage: req.headers['baggage'] || '',
    traceId: active ? active.spanContext().traceId : '',
  };
  const reply = () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  };
  if (!downstream) return reply();
  const url = new URL(req.url, downstream);
  http.get(url, { agent }, (r) => {
    let body = '';
    r.setEncoding('utf8');
    r.on('data', (c) => (body += c));
    r.on('end', () => {
      try { answer.downstream = JSON.parse(body); } catch { answer.downstream = body; }
      reply();
    });
  }).on('error', (e) => {
    res.statusCode = 502;
    res.end(String(e));
  });
});
server.keepAliveTimeout = 30000;
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
