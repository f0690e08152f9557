// node report_check.js <report.html> <screenshot.png>
// Opens tether-prof's HTML report in Debian's headless Chromium (through
// playwright-core, found via NODE_PATH) and checks, against the report's own
// embedded data: the bubbles, tables and tree render with the expected
// counts; clicking a bubble filters the tables, tree and timeline; nothing
// reads NaN/undefined; the console stays clean. Saves a screenshot.
// Prints "ok ..." or the problems (exit 1).
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');
const os = require('os');
const fs = require('fs');

const [reportPath, screenshotPath] = process.argv.slice(2);
const problems = [];
const expect = (cond, what) => { if (!cond) problems.push(what); };

(async () => {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tether-report-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1300, height: 1700 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const messages = [];
  const requests = [];
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') messages.push(m.type() + ': ' + m.text()); });
  page.on('pageerror', (e) => messages.push('pageerror: ' + e.message));
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  const started = Date.now();
  await page.goto('file://' + path.resolve(reportPath));
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30000 });
  const loadMs = Date.now() - started;

  const data = await page.evaluate(() => JSON.parse(document.getElementById('tether-data').textContent));
  const count = (sel) => page.locator(sel).count();
  const nonRoot = data.nodes.filter((n) => n[12] === 0);
  const bubbles = await count('#bubbles g.item');
  expect(bubbles === data.nodes.length, 'bubbles: ' + bubbles + ' drawn, ' + data.nodes.length + ' in the data');
  const slowRows = await count('#slowest tbody tr:not(.empty-row)');
  expect(slowRows === data.slowest.length, 'slowest rows: ' + slowRows + ' vs ' + data.slowest.length);
  const pendingRows = await count('#pending tbody tr:not(.empty-row)');
  expect(pendingRows === data.pending.length, 'pending rows: ' + pendingRows + ' vs ' + data.pending.length);
  const topRows = await count('#tree > .entry > .children > .entry');
  const roots = data.tree.filter((t) => t[1] < 0).length;
  expect(topRows === Math.min(roots, 200), 'tree top-level rows: ' + topRows + ' vs ' + roots);
  // Expanding a tree row shows its children.
  const withChildren = data.tree.findIndex((t) => data.tree.some((c) => c[1] >= 0 && data.tree[c[1]] === t));
  if (withChildren >= 0) {
    const id = data.tree[withChildren][0];
    const kids = data.tree.filter((c) => c[1] === withChildren).length;
    await page.click('#tree .row[data-id="' + id + '"]');
    const shown = await page.locator('#tree .row[data-id="' + id + '"] + .children > .entry').count();
    expect(shown === Math.min(kids, 200), 'expanding #' + id + ': ' + shown + ' children shown, ' + kids + ' expected');
  }

  // Click-to-filter: the bubble with the most callbacks, then the tables
  // show only its subtree's rows.
  const target = nonRoot.length > 0 ? data.nodes.indexOf(nonRoot.reduce((a, b) => (b[4] > a[4] ? b : a))) : -1;
  let filtered = { slow: -1, pending: -1 };
  if (target >= 0) {
    const subtree = new Set([target]);
    for (let i = 0; i < data.nodes.length; ++i) if (subtree.has(data.nodes[i][0])) subtree.add(i);
    await page.click('#bubbles g.item[data-node="' + target + '"] circle.bubble');
    filtered.slow = await count('#slowest tbody tr:not(.empty-row)');
    filtered.pending = await count('#pending tbody tr:not(.empty-row)');
    const wantSlow = data.slowest.filter((r) => subtree.has(r[1])).length;
    const wantPending = data.pending.filter((r) => subtree.has(r[2])).length;
    expect(filtered.slow === wantSlow, 'after the click: ' + filtered.slow + ' slowest rows, want ' + wantSlow);
    expect(filtered.pending === wantPending, 'after the click: ' + filtered.pending + ' pending rows, want ' + wantPending);
    expect(await page.locator('#filter').isVisible(), 'the filter chip is not shown');
    expect(await count('#timeline path.area-selected') === 1, 'the timeline does not show the selection');
    expect(await count('#bubbles g.item.dim') > 0 || subtree.size === data.nodes.length, 'no bubble was dimmed');
    const rows = await page.locator('#slowest tbody tr:not(.empty-row)').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.node)));
    expect(rows.every((n) => subtree.has(n)), 'a filtered row is outside the clicked bubble');
    await page.screenshot({ path: screenshotPath.replace(/\.png$/, '-filtered.png'), fullPage: false });
    await page.click('#clear-filter');
    expect(await count('#slowest tbody tr:not(.empty-row)') === data.slowest.length, 'clearing the filter did not restore the table');
  }
  // Search highlights matches.
  await page.fill('#search', 'chain');
  const matches = await count('#bubbles g.item.match');
  await page.fill('#search', '');

  const text = await page.evaluate(() => document.body.innerText);
  for (const bad of ['NaN', 'undefined', 'Infinity']) expect(!text.includes(bad), 'the page shows "' + bad + '"');
  expect(messages.length === 0, 'console: ' + messages.join(' | '));
  expect(requests.length === 0, 'network requests: ' + requests.join(' '));
  await page.screenshot({ path: screenshotPath, fullPage: true });
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  if (problems.length) { console.log(problems.join('\n')); process.exit(1); }
  console.log('ok bubbles=' + bubbles + ' slowest=' + slowRows + ' pending=' + pendingRows + ' tree_roots=' + topRows +
    ' filtered_slowest=' + filtered.slow + ' filtered_pending=' + filtered.pending + ' search_matches=' + matches +
    ' load_ms=' + loadMs);
})().catch((e) => { console.log('error: ' + (e && e.stack || e)); process.exit(1); });
