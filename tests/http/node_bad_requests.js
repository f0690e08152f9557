// Sends every row of tests/http/bad_requests.hpp to a Node 20 http server
// (default options, like tether's defaults) and checks Node's answer against
// the table's `node` column: the status tether gives unless the row says
// Node differs (a status, or -1: Node closes without an answer). Cut-off
// rows are half-closed after their bytes. Exit status 1 on any mismatch.
//
//   node tests/http/node_bad_requests.js build/dev/tests/tether_http_dump_bad_requests

'use strict';
const { execFileSync } = require('child_process');
const http = require('http');
const net = require('net');

const tables = JSON.parse(execFileSync(process.argv[2], { maxBuffer: 64 << 20 }).toString());

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('ok'));
});

/// Node's first status for these bytes, or -1 if it closes (or says
/// nothing for 5 s) without one.
function answer(port, hex, halfClose) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      s.destroy();
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(got);
      resolve(m ? Number(m[1]) : -1);
    };
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) finish();
    });
    s.on('error', () => {});
    s.on('close', finish);
    s.write(Buffer.from(hex, 'hex'), () => {
      if (halfClose) s.end();
    });
    // Generous: 117 connections at once on a loaded machine (a silent Node
    // is the rare case; most rows are answered or closed at once).
    setTimeout(finish, 5000);
  });
}

server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const rows = [
    ...tables.bad.map((r) => ({ ...r, table: 'bad_requests', halfClose: false })),
    ...tables.accepted.map((r) => ({ ...r, table: 'accepted_requests', halfClose: false })),
    ...tables.cut_off.map((r) => ({ ...r, table: 'cut_off_requests', halfClose: true })),
  ];
  const got = await Promise.all(rows.map((r) => answer(port, r.hex, r.halfClose)));
  let failures = 0;
  rows.forEach((r, i) => {
    if (got[i] !== r.node) {
      ++failures;
      console.log(`${r.table} "${r.name}": the table says Node answers ${r.node}, ` +
                  `Node ${process.version} answered ${got[i]}`);
    }
  });
  console.log(`${rows.length - failures}/${rows.length} rows: Node ${process.version} answers ` +
              `as the table says (${rows.filter((r) => r.node !== r.tether).length} deliberate ` +
              `differences from tether)`);
  server.close();
  process.exitCode = failures === 0 ? 0 : 1;
});
