// node chrome_shape_check.js <ours.json> <node_trace.json>
// Compares tether's Chrome trace with Node's own node.async_hooks trace
// events: for every kind of event (init, before, after, destroy, metadata)
// the same keys with the same JSON types, the same category, hex ids, and
// init's args.data keys. Prints "ok <counts>" or the differences (exit 1).
'use strict';
const fs = require('fs');
const [ours, theirs] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const problems = [];

function kindOf(e) {
  if (e.ph === 'M') return 'metadata';
  if (e.cat !== 'node,node.async_hooks') return null;
  const cb = e.name.endsWith('_CALLBACK');
  if (e.ph === 'b') return cb ? 'before' : 'init';
  if (e.ph === 'e') return cb ? 'after' : 'destroy';
  return null;
}
function shape(e) {
  const s = {};
  for (const k of Object.keys(e).sort()) s[k] = Array.isArray(e[k]) ? 'array' : typeof e[k];
  return JSON.stringify(s);
}
function shapes(trace, label) {
  if (!Array.isArray(trace.traceEvents)) problems.push(label + ': no traceEvents array');
  const out = {};
  for (const e of trace.traceEvents || []) {
    const k = kindOf(e);
    if (!k) continue;
    (out[k] = out[k] || new Set()).add(shape(e));
    if (k !== 'metadata' && !/^0x[0-9a-f]+$/.test(e.id)) problems.push(label + ': id not hex: ' + JSON.stringify(e));
    if (k === 'init') {
      const d = e.args && e.args.data;
      if (!d || typeof d.triggerAsyncId !== 'number' || typeof d.executionAsyncId !== 'number') {
        problems.push(label + ': init without args.data.{triggerAsyncId,executionAsyncId}: ' + JSON.stringify(e));
      }
    }
  }
  return out;
}
const a = shapes(ours, 'tether');
const b = shapes(theirs, 'node');
for (const k of ['init', 'before', 'after', 'destroy', 'metadata']) {
  if (!b[k]) { problems.push('node reference has no ' + k + ' event'); continue; }
  if (!a[k]) { problems.push('tether has no ' + k + ' event'); continue; }
  for (const s of a[k]) if (!b[k].has(s)) problems.push(k + ': tether shape ' + s + ' not among node\'s ' + [...b[k]].join(' | '));
}
// Pairing: every before has its after, every init its destroy (or none at all).
const open = new Map();
for (const e of ours.traceEvents) {
  const k = kindOf(e);
  if (k === 'before') open.set(e.id, (open.get(e.id) || 0) + 1);
  if (k === 'after') open.set(e.id, (open.get(e.id) || 0) - 1);
}
for (const [id, n] of open) if (n !== 0) problems.push('unbalanced callbacks for ' + id);
if (problems.length) { console.log(problems.join('\n')); process.exit(1); }
const count = (k) => ours.traceEvents.filter((e) => kindOf(e) === k).length;
console.log('ok init=' + count('init') + ' before=' + count('before') + ' after=' + count('after') + ' destroy=' + count('destroy'));
