// Checks an OTLP/JSON trace request the way a strict receiver would: it must
// parse, use lowerCamelCase keys only, hex ids (not base64), integer enums,
// 64-bit integers as decimal strings, 32-bit ones as numbers.
'use strict';
const fs = require('fs');
const body = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const problems = [];
const check = (cond, what) => { if (!cond) problems.push(what); };

function walk(v, path) {
  if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      check(/^[a-z][A-Za-z0-9]*$/.test(k), `${path}.${k}: not lowerCamelCase`);
      walk(x, `${path}.${k}`);
    }
  }
}
walk(body, '$');

const isU64String = (s) => typeof s === 'string' && /^[0-9]+$/.test(s);
let spans = 0;
for (const rs of body.resourceSpans) {
  check(rs.resource.attributes.some((a) => a.key === 'service.name'), 'no service.name');
  for (const ss of rs.scopeSpans) {
    check(typeof ss.scope.name === 'string', 'scope.name');
    for (const s of ss.spans) {
      spans++;
      check(/^[0-9a-f]{32}$/.test(s.traceId), `traceId ${s.traceId}`);
      check(/^[0-9a-f]{16}$/.test(s.spanId), `spanId ${s.spanId}`);
      check(s.parentSpanId === undefined || /^[0-9a-f]{16}$/.test(s.parentSpanId), 'parentSpanId');
      check(Number.isInteger(s.kind) && s.kind >= 1 && s.kind <= 5, `kind ${s.kind}`);
      check(isU64String(s.startTimeUnixNano) && isU64String(s.endTimeUnixNano), 'times');
      check(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano), 'end before start');
      check(Number.isInteger(s.flags), 'flags');
      check(Number.isInteger(s.status.code), 'status.code');
      for (const a of s.attributes) {
        const v = a.value;
        if ('intValue' in v) check(isU64String(v.intValue), `intValue ${v.intValue}`);
      }
      for (const e of s.events) check(isU64String(e.timeUnixNano), 'event time');
    }
  }
}
if (problems.length) {
  console.log(problems.join('\n'));
  process.exit(1);
}
console.log(`ok ${spans} spans`);
