// An OTLP/HTTP trace receiver for the interop tests. It decodes protobuf
// with the schema OpenTelemetry generated from opentelemetry-proto
// (@opentelemetry/otlp-transformer 0.52.1's protobufjs code) and checks
// OTLP/JSON against the specification's mapping rules, so it judges
// OpenTelemetry JS's exporters and tether's by the same standard.
//
//   node receiver.js            prints "listening <port>", then serves:
//   POST /v1/traces             protobuf or JSON export requests
//   GET  /spans                 every span received so far, as JSON
//   GET  /problems              encoding problems found so far
//   POST /fail {"status":503,"count":2,"retryAfter":1}
//                               answer the next `count` exports with `status`
'use strict';
const http = require('http');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const { ExportTraceServiceRequest, ExportTraceServiceResponse } =
  root.opentelemetry.proto.collector.trace.v1;

const spans = [];
const problems = [];
const requests = [];
let failing = null;

const hex = (b) => Buffer.from(b).toString('hex');
const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function attributesOf(list) {
  const out = {};
  for (const kv of list || []) {
    const v = kv.value || {};
    out[kv.key] = v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ??
      v.doubleValue;
  }
  return out;
}

function collect(resourceSpans, encoding) {
  for (const rs of resourceSpans || []) {
    const resource = attributesOf(rs.resource && rs.resource.attributes);
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        spans.push({
          encoding,
          service: resource['service.name'],
          scope: ss.scope && ss.scope.name,
          traceId: encoding === 'json' ? s.traceId : hex(s.traceId),
          spanId: encoding === 'json' ? s.spanId : hex(s.spanId),
          parentSpanId: s.parentSpanId && (encoding === 'json' ? s.parentSpanId : hex(s.parentSpanId)) || '',
          name: s.name,
          kind: KINDS[Number(s.kind)] || `?${s.kind}`,
          start: String(s.startTimeUnixNano),
          end: String(s.endTimeUnixNano),
          attributes: attributesOf(s.attributes),
          status: (s.status && Number(s.status.code)) || 0,
          flags: s.flags,
        });
      }
    }
  }
}

// OTLP/JSON's deviations from proto3 JSON (opentelemetry-proto docs/specification.md).
function checkJson(body) {
  const walk = (v, path) => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (!/^[a-z][A-Za-z0-9]*$/.test(k)) problems.push(`${path}.${k}: not lowerCamelCase`);
        walk(x, `${path}.${k}`);
      }
    }
  };
  walk(body, '$');
  for (const rs of body.resourceSpans || []) {
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        if (!/^[0-9a-fA-F]{32}$/.test(s.traceId)) problems.push(`traceId: want 32 hex digits, got ${s.traceId}`);
        if (!/^[0-9a-fA-F]{16}$/.test(s.spanId)) problems.push(`spanId: want 16 hex digits, got ${s.spanId}`);
        if (!Number.isInteger(s.kind)) problems.push(`kind: enum must be an integer, got ${s.kind}`);
        for (const f of ['startTimeUnixNano', 'endTimeUnixNano']) {
          const t = s[f];
          if (!(typeof t === 'string' && /^[0-9]+$/.test(t)) && !(Number.isSafeInteger(t))) {
            problems.push(`${f}: 64-bit int must be a decimal string or a safe integer, got ${t}`);
          }
        }
      }
    }
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.method === 'GET' && req.url === '/spans') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify(spans));
    }
    if (req.method === 'GET' && req.url === '/problems') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify(problems));
    }
    if (req.method === 'GET' && req.url === '/requests') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify(requests));
    }
    if (req.method === 'POST' && req.url === '/fail') {
      failing = JSON.parse(body.toString() || '{}');
      return res.end('ok');
    }
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.statusCode = 404;
      return res.end();
    }
    const type = (req.headers['content-type'] || '').split(';')[0];
    requests.push({ type, userAgent: req.headers['user-agent'] || '', bytes: body.length,
                    auth: req.headers['authorization'] || '' });
    if (failing && failing.count > 0) {
      failing.count--;
      res.statusCode = failing.status;
      if (failing.retryAfter !== undefined) res.setHeader('retry-after', String(failing.retryAfter));
      if (failing.hang) return;  // never answer: the exporter's timeout must act
      return res.end();
    }
    try {
      if (type === 'application/x-protobuf') {
        const msg = ExportTraceServiceRequest.decode(body);
        collect(msg.resourceSpans, 'protobuf');
        res.setHeader('content-type', 'application/x-protobuf');
        const reply = failing && failing.rejectedSpans
          ? { partialSuccess: { rejectedSpans: failing.rejectedSpans, errorMessage: 'rejected by test' } } : {};
        return res.end(Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(reply)).finish()));
      }
      if (type === 'application/json') {
        const parsed = JSON.parse(body.toString('utf8'));
        checkJson(parsed);
        collect(parsed.resourceSpans, 'json');
        res.setHeader('content-type', 'application/json');
        const reply = failing && failing.rejectedSpans
          ? { partialSuccess: { rejectedSpans: String(failing.rejectedSpans), errorMessage: 'rejected by test' } } : {};
        return res.end(JSON.stringify(reply));
      }
      problems.push(`content-type ${type}`);
      res.statusCode = 415;
      res.end();
    } catch (e) {
      problems.push(`undecodable ${type} body: ${e.message}`);
      res.statusCode = 400;
      res.end();
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
