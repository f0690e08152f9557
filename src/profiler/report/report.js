// tether-prof's HTML report. Reads the JSON in #tether-data (written by
// src/profiler/analysis/html_report.cpp; its comments give each array's
// columns) and draws: the bubble graph, the pending timeline, the slowest
// callbacks and pending-at-exit tables, and the resource tree. Clicking a
// bubble filters all of them. No network, no libraries.
(function () {
  'use strict';

  const SVG = 'http://www.w3.org/2000/svg';
  const MAX_CHILDREN = 12;      // more children of one bubble fold into "+N more"
  const TREE_PAGE = 200;        // tree children shown per expansion step
  const data = JSON.parse(document.getElementById('tether-data').textContent);
  const meta = data.meta;
  const $ = (id) => document.getElementById(id);

  // --- formatting: never NaN, never "undefined" ------------------------------
  function fmtDur(ns) {
    if (typeof ns !== 'number' || !isFinite(ns) || ns < 0) return '–';
    if (ns < 1e3) return Math.round(ns) + ' ns';
    if (ns < 1e6) return (ns / 1e3).toFixed(1) + ' µs';
    if (ns < 1e9) return (ns / 1e6).toFixed(1) + ' ms';
    return (ns / 1e9).toFixed(2) + ' s';
  }
  function fmtCount(n) {
    return typeof n === 'number' && isFinite(n) ? n.toLocaleString('en-US') : '–';
  }
  function mean(total, count) { return count > 0 ? total / count : NaN; }
  function pct(part, whole) { return whole > 0 ? Math.round(100 * part / whole) + '%' : '–'; }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function typeName(t) { return data.types[t] || ('type#' + t); }
  function threadLabel(t) {
    const th = data.threads[t];
    if (!th) return 'thread ' + t;
    return th.name ? th.name + ' (' + th.tid + ')' : 'tid ' + th.tid;
  }
  function category(name) {
    if (/^(Timeout|Immediate|TickObject|Microtask|TIMERWRAP)$/.test(name)) return 'timers';
    if (/PROMISE/.test(name)) return 'promises';
    if (/^(TCP|HTTP|PIPE|UDP|GETADDRINFO|GETNAMEINFO|DNS|WRITEWRAP|SHUTDOWNWRAP|TLS)/.test(name)) return 'network';
    if (/^FS/.test(name)) return 'files';
    if (/^(QUEUEWORK|WORKER|POST|MESSAGEPORT)/.test(name)) return 'work';
    return 'other';
  }
  const COLORS = { timers: '#f59e0b', promises: '#8b5cf6', network: '#10b981', files: '#3b82f6',
    work: '#ec4899', other: '#94a3b8', root: '#cbd5e1' };

  // --- the model ----------------------------------------------------------------
  const nodes = data.nodes.map((r, i) => ({
    i, parent: r[0], type: r[1], depth: r[2], resources: r[3], callbacks: r[4], cbNs: r[5], maxNs: r[6],
    waitNs: r[7], neverRun: r[8], pendingEnd: r[9], resolves: r[10], thread: r[11], root: r[12] === 1,
    folded: r[13], children: [], collapsed: false, showAll: false,
  }));
  for (const n of nodes) if (n.parent >= 0) nodes[n.parent].children.push(n);
  const byWeight = (a, b) => (b.subCb - a.subCb) || (b.subResources - a.subResources) || (a.i - b.i);
  (function sums() {  // subtree totals, children before parents (ids grow with depth order)
    for (const n of nodes) { n.subCb = n.cbNs; n.subResources = n.resources; n.subWait = n.waitNs; }
    for (let i = nodes.length - 1; i >= 0; --i) {
      const n = nodes[i];
      if (n.parent >= 0) {
        const p = nodes[n.parent];
        p.subCb += n.subCb; p.subResources += n.subResources; p.subWait += n.subWait;
      }
    }
    for (const n of nodes) n.children.sort(byWeight);
  })();
  function label(n) { return n.root ? 'top level · ' + threadLabel(n.thread) : typeName(n.type); }
  function pathOf(i) {
    const parts = [];
    for (let n = nodes[i]; n; n = n.parent >= 0 ? nodes[n.parent] : null) parts.push(n.root ? 'top' : typeName(n.type));
    return parts.reverse().join(' › ');
  }
  function descendants(n, into) {
    into.add(n.i);
    for (const c of n.children) descendants(c, into);
    return into;
  }

  // --- state ------------------------------------------------------------------
  let selected = null;  // {label, nodes: Set}
  let level = 'path';
  let depthLimit = 6;
  let query = '';

  // --- header -------------------------------------------------------------------
  function header() {
    $('program').textContent = meta.command || '(unknown program)';
    const facts = $('facts');
    const fact = (k, v) => { const s = el('span'); s.append(k + ' '); s.append(el('b', {}, v)); facts.append(s); };
    fact('pid', String(meta.pid));
    fact('recorded', fmtDur(meta.duration_ns));
    fact('events', fmtCount(meta.events));
    fact('resources', fmtCount(meta.resources));
    fact('callbacks', fmtCount(meta.callbacks));
    fact('threads', fmtCount(data.threads.length));
    fact('lost', fmtCount(meta.dropped));
    fact('pending at exit', fmtCount(meta.pending_total));
    if (meta.start_unix_ms > 0) fact('started', new Date(meta.start_unix_ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC');
    const w = $('warnings');
    const warn = (text, bad) => w.append(el('div', { class: 'warning' + (bad ? ' bad' : '') }, text));
    if (meta.dropped > 0) {
      warn(fmtCount(meta.dropped) + ' events were lost in ' + fmtCount(meta.losses.length) +
        ' gap(s): the writer fell behind and the recorder dropped them rather than block the program. ' +
        'Counts and times are lower bounds; resources whose destroy was lost show as pending. ' +
        'Red marks on the timeline show where. (A larger TETHER_PROFILE_BUFFER helps.)', true);
    }
    if (!meta.end_present) {
      warn('The trace ends without its end record: the program was killed, so its last events may be missing.', true);
    } else if (meta.end_reason === 'terminated' || meta.end_reason === 'signal') {
      warn('The program ended by ' + meta.end_reason + (meta.end_message ? ': ' + meta.end_message : '') + '.', false);
    }
    if (meta.orphan_events > 0) {
      warn(fmtCount(meta.orphan_events) + ' events belong to resources created before recording started ' +
        '(or whose init was lost); they are left out.', false);
    }
  }

  // --- bubble graph ---------------------------------------------------------------
  const graph = { svg: $('bubbles'), view: null, items: [] };

  function typeLevelItems() {
    const byType = new Map();
    for (const n of nodes) {
      if (n.root) continue;
      let t = byType.get(n.type);
      if (!t) {
        t = { key: 't' + n.type, type: n.type, label: typeName(n.type), resources: 0, callbacks: 0, cbNs: 0,
          waitNs: 0, maxNs: 0, pendingEnd: 0, members: new Set() };
        byType.set(n.type, t);
      }
      t.resources += n.resources; t.callbacks += n.callbacks; t.cbNs += n.cbNs; t.waitNs += n.waitNs;
      t.maxNs = Math.max(t.maxNs, n.maxNs); t.pendingEnd += n.pendingEnd; t.members.add(n.i);
    }
    const items = [...byType.values()].sort((a, b) => (b.cbNs - a.cbNs) || (b.resources - a.resources));
    const cols = Math.max(1, Math.ceil(Math.sqrt(items.length * 1.6)));
    items.forEach((it, k) => { it.x = (k % cols) * 150; it.y = Math.floor(k / cols) * 140; it.parentItem = null; });
    return items;
  }

  function pathLevelItems() {
    const items = [];
    let leaf = 0;
    function visibleChildren(n) {
      if (n.collapsed || n.depth >= depthLimit) return [];
      const kids = n.children;
      if (n.showAll || kids.length <= MAX_CHILDREN) return kids;
      return kids.slice(0, MAX_CHILDREN - 1).concat([{ more: true, owner: n, hidden: kids.slice(MAX_CHILDREN - 1) }]);
    }
    function place(n, parentItem, depth) {
      if (n.more) {
        const it = { key: 'more' + n.owner.i, more: true, owner: n.owner, label: '+' + n.hidden.length + ' more',
          resources: n.hidden.reduce((s, c) => s + c.subResources, 0), cbNs: n.hidden.reduce((s, c) => s + c.subCb, 0),
          waitNs: n.hidden.reduce((s, c) => s + c.subWait, 0), members: new Set(), parentItem, depth };
        for (const c of n.hidden) descendants(c, it.members);
        it.x = leaf++ * 150; it.y = depth * 130;
        items.push(it);
        return it;
      }
      const kids = visibleChildren(n);
      const hiddenBelow = n.children.length > 0 && kids.length === 0;
      const it = { key: 'n' + n.i, node: n, label: label(n), parentItem, depth, hiddenBelow,
        resources: hiddenBelow ? n.subResources : n.resources, cbNs: hiddenBelow ? n.subCb : n.cbNs,
        waitNs: hiddenBelow ? n.subWait : n.waitNs, members: hiddenBelow ? descendants(n, new Set()) : new Set([n.i]) };
      items.push(it);
      if (kids.length === 0) {
        it.x = leaf++ * 150;
      } else {
        const placed = kids.map((c) => place(c, it, depth + 1));
        it.x = (placed[0].x + placed[placed.length - 1].x) / 2;
      }
      it.y = depth * 130;
      return it;
    }
    for (const r of nodes.filter((n) => n.root).sort(byWeight)) place(r, null, 0);
    return items;
  }

  function renderGraph() {
    const s = graph.svg;
    while (s.firstChild) s.removeChild(s.firstChild);
    if (meta.resources === 0) {
      graph.items = [];
      return;
    }
    const items = level === 'type' ? typeLevelItems() : pathLevelItems();
    graph.items = items;
    const maxCb = Math.max(1, ...items.map((it) => it.cbNs));
    for (const it of items) it.r = it.root || (it.node && it.node.root) ? 14 : Math.max(7, 46 * Math.sqrt(it.cbNs / maxCb));
    const edges = svg('g');
    const bubbles = svg('g');
    s.append(edges, bubbles);
    for (const it of items) {
      if (it.parentItem) {
        const p = it.parentItem;
        edges.append(svg('path', { class: 'edge', d: 'M' + p.x + ',' + (p.y + p.r) + ' C' + p.x + ',' + (p.y + 65) + ' ' +
          it.x + ',' + (it.y - 65) + ' ' + it.x + ',' + (it.y - it.r) }));
        if (!it.more) {
          edges.append(svg('text', { class: 'edge-label', x: (p.x + it.x) / 2 + 4, y: (p.y + it.y) / 2 },
            fmtDur(mean(it.waitNs, it.resources))));
        }
      }
      const isRoot = it.node && it.node.root;
      const g = svg('g', { class: 'item', 'data-key': it.key, transform: 'translate(' + it.x + ',' + it.y + ')' });
      if (it.node) g.setAttribute('data-node', String(it.node.i));
      if (it.type !== undefined) g.setAttribute('data-type', String(it.type));
      const cat = isRoot ? 'root' : it.more ? 'other' : category(it.label);
      const circle = svg('circle', { class: 'bubble', r: it.r, fill: COLORS[cat] });
      g.append(circle);
      const total = it.cbNs + it.waitNs;
      if (!isRoot && !it.more && total > 0) {
        const rr = it.r + 3;
        const circ = 2 * Math.PI * rr;
        g.append(svg('circle', { class: 'wait-ring', r: rr, stroke: COLORS[cat], 'stroke-width': 4,
          'stroke-dasharray': (circ * it.waitNs / total) + ' ' + circ, transform: 'rotate(-90)' }));
      }
      g.append(svg('text', { class: 'label', y: it.r + 14 }, it.label));
      g.append(svg('text', { class: 'label sub', y: it.r + 26 },
        it.more ? 'click to show' : fmtCount(it.resources) + ' · ' + fmtDur(it.cbNs)));
      if (it.node && it.node.children.length > 0 && level === 'path') {
        const t = svg('text', { class: 'toggle', x: it.r + 8, y: -it.r + 4 }, it.hiddenBelow ? '+' : '−');
        t.addEventListener('click', (ev) => { ev.stopPropagation(); toggleCollapse(it.node); });
        g.append(t);
      }
      g.addEventListener('click', () => {
        if (it.more) { it.owner.showAll = true; renderGraph(); fit(); applyFilter(); return; }
        const key = it.key;
        if (selected && selected.key === key) { setFilter(null); return; }
        const set = it.node && !it.hiddenBelow ? descendants(it.node, new Set()) : new Set(it.members);
        setFilter({ key, label: level === 'type' ? 'type ' + it.label : pathOf(it.node ? it.node.i : [...set][0]), nodes: set });
      });
      g.addEventListener('dblclick', (ev) => { ev.preventDefault(); if (it.node) toggleCollapse(it.node); });
      g.addEventListener('mousemove', (ev) => tooltip(ev, it));
      g.addEventListener('mouseleave', () => { $('tooltip').hidden = true; });
      bubbles.append(g);
    }
    decorateGraph();
  }

  function toggleCollapse(n) {
    if (n.depth >= depthLimit && !n.collapsed) {  // below the depth limit: open this one level
      depthLimit = n.depth + 1;
      $('depth').value = String(depthLimit);
      $('depth-value').textContent = String(depthLimit);
      n.collapsed = false;
    } else {
      n.collapsed = !n.collapsed;
    }
    renderGraph();
    applyFilter();
  }

  function tooltip(ev, it) {
    const t = $('tooltip');
    const lines = [it.node ? pathOf(it.node.i) : it.label];
    lines.push(fmtCount(it.resources) + ' resources' + (it.hiddenBelow ? ' (collapsed subtree)' : ''));
    if (it.node) {
      const n = it.node;
      lines.push(fmtCount(n.callbacks) + ' callbacks, ' + fmtDur(n.cbNs) + ' inside (mean ' + fmtDur(mean(n.cbNs, n.callbacks)) +
        ', max ' + (n.callbacks > 0 ? fmtDur(n.maxNs) : '–') + ')');
      lines.push('waiting ' + fmtDur(n.waitNs) + ' in all, ' + fmtDur(mean(n.waitNs, n.resources)) + ' per resource (' +
        pct(n.waitNs, n.waitNs + n.cbNs) + ' of their lives)');
      if (n.pendingEnd > 0) lines.push(fmtCount(n.pendingEnd) + ' still pending at exit');
      if (n.neverRun > 0) lines.push(fmtCount(n.neverRun) + ' never ran a callback');
      if (n.folded > 0) lines.push(fmtCount(n.folded) + ' resources of other types folded in (bubble limit)');
    } else {
      lines.push(fmtDur(it.cbNs) + ' inside callbacks, waiting ' + fmtDur(it.waitNs));
    }
    t.textContent = lines.join('\n');
    t.hidden = false;
    t.style.left = Math.min(ev.clientX + 14, window.innerWidth - 400) + 'px';
    t.style.top = (ev.clientY + 14) + 'px';
  }

  function decorateGraph() {
    const q = query.trim().toLowerCase();
    for (const g of graph.svg.querySelectorAll('g.item')) {
      const it = graph.items.find((x) => x.key === g.getAttribute('data-key'));
      if (!it) continue;
      const inFilter = !selected || [...it.members].some((m) => selected.nodes.has(m));
      const matches = q !== '' && it.label.toLowerCase().includes(q);
      g.classList.toggle('selected', !!selected && selected.key === it.key);
      g.classList.toggle('match', matches);
      g.classList.toggle('dim', !inFilter || (q !== '' && !matches));
    }
  }

  function fit() {
    const items = graph.items;
    if (items.length === 0) return;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const it of items) {
      x0 = Math.min(x0, it.x - it.r - 60); x1 = Math.max(x1, it.x + it.r + 60);
      y0 = Math.min(y0, it.y - it.r - 20); y1 = Math.max(y1, it.y + it.r + 40);
    }
    graph.view = { x: x0, y: y0, w: Math.max(300, x1 - x0), h: Math.max(200, y1 - y0) };
    setView();
  }
  function setView() {
    const v = graph.view;
    graph.svg.setAttribute('viewBox', v.x + ' ' + v.y + ' ' + v.w + ' ' + v.h);
  }
  function panAndZoom() {
    const s = graph.svg;
    s.addEventListener('wheel', (ev) => {
      if (!graph.view) return;
      ev.preventDefault();
      const rect = s.getBoundingClientRect();
      const k = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
      const v = graph.view;
      const fx = (ev.clientX - rect.left) / rect.width, fy = (ev.clientY - rect.top) / rect.height;
      const w = v.w * k, h = v.h * k;
      graph.view = { x: v.x + (v.w - w) * fx, y: v.y + (v.h - h) * fy, w, h };
      setView();
    }, { passive: false });
    let drag = null;
    s.addEventListener('mousedown', (ev) => { if (graph.view) { drag = { x: ev.clientX, y: ev.clientY, v: { ...graph.view } }; } });
    window.addEventListener('mousemove', (ev) => {
      if (!drag) return;
      const rect = s.getBoundingClientRect();
      const dx = (ev.clientX - drag.x) * drag.v.w / rect.width, dy = (ev.clientY - drag.y) * drag.v.h / rect.height;
      if (Math.abs(dx) + Math.abs(dy) > 2) s.classList.add('dragging');
      graph.view = { ...drag.v, x: drag.v.x - dx, y: drag.v.y - dy };
      setView();
    });
    window.addEventListener('mouseup', () => { drag = null; s.classList.remove('dragging'); });
  }

  // --- timeline ---------------------------------------------------------------------
  function renderTimeline() {
    const s = $('timeline');
    while (s.firstChild) s.removeChild(s.firstChild);
    const W = s.clientWidth || 900, H = s.clientHeight || 200;
    s.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    const total = data.timeline.total;
    const bucket = data.timeline.bucket_ns;
    if (total.length === 0 || meta.resources === 0) {
      s.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'axis' }, 'Nothing was pending at any time.'));
      return;
    }
    const L = 44, R = 10, T = 10, B = 22;
    const maxY = Math.max(1, ...total);
    const x = (i) => L + (W - L - R) * i / Math.max(1, total.length);
    const y = (v) => T + (H - T - B) * (1 - v / maxY);
    for (const f of [0, 0.5, 1]) {
      const v = Math.round(maxY * f);
      s.append(svg('line', { class: 'gridline', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      s.append(svg('text', { class: 'axis', x: L - 6, y: y(v) + 3, 'text-anchor': 'end' }, fmtCount(v)));
    }
    const area = (values, cls) => {
      let d = 'M' + x(0) + ',' + y(0);
      values.forEach((v, i) => { d += ' L' + x(i) + ',' + y(v) + ' L' + x(i + 1) + ',' + y(v); });
      d += ' L' + x(values.length) + ',' + y(0) + ' Z';
      s.append(svg('path', { class: cls, d }));
    };
    area(total, 'area-total');
    let missing = 0;
    if (selected) {
      const sum = new Array(total.length).fill(0);
      for (const n of selected.nodes) {
        const series = data.timeline.nodes[String(n)];
        if (!series) { if (nodes[n].resources > 0) ++missing; continue; }
        series.forEach((v, i) => { if (i < sum.length) sum[i] += v; });
      }
      area(sum, 'area-selected');
    }
    const duration = total.length * bucket;
    for (let k = 0; k <= 4; ++k) {
      const t = duration * k / 4;
      s.append(svg('text', { class: 'axis', x: x(total.length * k / 4), y: H - 6,
        'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle' }, fmtDur(t)));
    }
    for (const [at] of meta.losses) {
      const lx = x(at / bucket);
      s.append(svg('line', { class: 'loss', x1: lx, x2: lx, y1: T, y2: H - B }));
    }
    if (missing > 0) {
      s.append(svg('text', { class: 'axis', x: W - R, y: T + 10, 'text-anchor': 'end' },
        missing + ' small bubble(s) in the selection have no series of their own'));
    }
  }

  // --- tables -------------------------------------------------------------------------
  function inSelection(node) { return !selected || selected.nodes.has(node); }
  function cell(tr, text, cls) { tr.append(el('td', cls ? { class: cls } : {}, text)); }
  function swatch(type) { const s = el('span', { class: 'swatch' }); s.style.background = COLORS[category(typeName(type))]; return s; }

  function renderTables() {
    const slow = data.slowest.filter((r) => inSelection(r[1]));
    const tb = $('slowest').querySelector('tbody');
    tb.replaceChildren();
    slow.forEach((r, k) => {
      const tr = el('tr', { 'data-node': String(r[1]) });
      cell(tr, String(k + 1), 'num');
      const td = el('td'); td.append(swatch(r[2]), typeName(r[2])); tr.append(td);
      cell(tr, String(r[0]), 'num');
      cell(tr, threadLabel(r[3]));
      cell(tr, fmtDur(r[4]), 'num');
      cell(tr, fmtDur(r[5]), 'num');
      cell(tr, fmtDur(r[6]), 'num');
      cell(tr, pathOf(r[1]), 'path');
      tb.append(tr);
    });
    if (slow.length === 0) tb.append(emptyRow(8, meta.callbacks === 0 ? 'No callback ran.' : 'None in this selection.'));
    $('slowest-count').textContent = '(' + fmtCount(slow.length) + ' of the ' + fmtCount(data.slowest.length) + ' slowest)';

    const pend = data.pending.filter((r) => inSelection(r[2]));
    const pb = $('pending').querySelector('tbody');
    pb.replaceChildren();
    for (const r of pend) {
      const tr = el('tr', { 'data-node': String(r[2]) });
      const td = el('td'); td.append(swatch(r[3]), typeName(r[3])); tr.append(td);
      cell(tr, String(r[0]), 'num');
      cell(tr, String(r[1]), 'num');
      cell(tr, fmtDur(r[7]), 'num');
      cell(tr, fmtCount(r[8]), 'num');
      cell(tr, threadLabel(r[4]));
      cell(tr, r[5] === 0 ? '— (no stack recorded)' : 'stack #' + r[5]);
      cell(tr, pathOf(r[2]), 'path');
      pb.append(tr);
    }
    if (pend.length === 0) pb.append(emptyRow(8, meta.pending_total === 0 ? 'Nothing was pending at exit.' : 'None in this selection.'));
    $('pending-count').textContent = '(' + fmtCount(pend.length) + ' shown of ' + fmtCount(meta.pending_total) + ' pending)';
  }
  function emptyRow(cols, text) {
    const tr = el('tr', { class: 'empty-row' });
    tr.append(el('td', { colspan: String(cols), class: 'empty' }, text));
    return tr;
  }

  // --- resource tree -------------------------------------------------------------------
  const tree = data.tree.map((r, k) => ({ k, id: r[0], parent: r[1], node: r[2], type: r[3], thread: r[4], init: r[5],
    end: r[6], callbacks: r[7], cbNs: r[8], omitted: r[9], children: [] }));
  for (const t of tree) if (t.parent >= 0) tree[t.parent].children.push(t);

  function treeRow(t) {
    const wrap = el('div', { class: 'entry' });
    const row = el('div', { class: 'row', 'data-id': String(t.id) });
    const more = t.children.length + t.omitted;
    row.append(el('span', { class: 'twisty' }, t.children.length > 0 ? '▸' : more > 0 ? '·' : ' '));
    row.append(swatch(t.type), typeName(t.type) + ' #' + t.id + ' ');
    const life = t.end >= 0 ? 'lived ' + fmtDur(t.end - t.init) : null;
    const metaText = fmtCount(t.callbacks) + ' cb · ' + fmtDur(t.cbNs) + ' in cb · ' + (life || '');
    row.append(el('span', { class: 'meta' }, metaText));
    if (t.end < 0) row.append(el('span', { class: 'pending' }, 'pending at exit'));
    if (t.children.length > 0) row.append(el('span', { class: 'meta' }, ' · ' + fmtCount(more) + ' children'));
    wrap.append(row);
    let box = null;
    row.addEventListener('click', () => {
      if (box) { box.remove(); box = null; row.firstChild.textContent = '▸'; return; }
      if (t.children.length === 0 && t.omitted === 0) return;
      box = el('div', { class: 'children' });
      appendPage(box, t.children, 0);
      if (t.omitted > 0) box.append(el('div', { class: 'more' }, '+' + fmtCount(t.omitted) + ' children past the tree limit (not kept)'));
      wrap.append(box);
      row.firstChild.textContent = '▾';
    });
    return wrap;
  }
  function appendPage(box, list, from) {
    const to = Math.min(list.length, from + TREE_PAGE);
    for (let k = from; k < to; ++k) box.append(treeRow(list[k]));
    if (to < list.length) {
      const m = el('div', { class: 'more row' }, 'show ' + Math.min(TREE_PAGE, list.length - to) + ' more of ' + fmtCount(list.length - to));
      m.addEventListener('click', () => { m.remove(); appendPage(box, list, to); });
      box.append(m);
    }
  }
  function renderTree() {
    const root = $('tree');
    root.replaceChildren();
    if (tree.length === 0) {
      root.append(el('div', { class: 'empty' }, meta.resources === 0 ? 'No resources were recorded.' : 'No resources were kept.'));
      $('tree-count').textContent = '';
      return;
    }
    let tops;
    if (selected) {
      tops = tree.filter((t) => selected.nodes.has(t.node) && (t.parent < 0 || !selected.nodes.has(tree[t.parent].node)));
    } else {
      tops = tree.filter((t) => t.parent < 0);
    }
    const byThread = new Map();
    for (const t of tops) {
      if (!byThread.has(t.thread)) byThread.set(t.thread, []);
      byThread.get(t.thread).push(t);
    }
    for (const [thread, list] of byThread) {
      const group = el('div', { class: 'entry' });
      group.append(el('div', { class: 'row group' }, (selected ? 'matching resources · ' : 'top level · ') + threadLabel(thread) +
        ' (' + fmtCount(list.length) + ')'));
      const box = el('div', { class: 'children' });
      appendPage(box, list, 0);
      group.append(box);
      root.append(group);
    }
    if (tops.length === 0) root.append(el('div', { class: 'empty' }, 'None of the kept resources is in this selection.'));
    $('tree-count').textContent = '(' + fmtCount(tree.length) + ' resources kept' +
      (meta.tree_omitted > 0 ? ', ' + fmtCount(meta.tree_omitted) + ' later ones not kept' : '') + ')';
  }

  // --- filter ---------------------------------------------------------------------------
  function setFilter(f) {
    selected = f;
    $('filter').hidden = !f;
    $('filter-text').textContent = f ? 'filter: ' + f.label : '';
    applyFilter();
  }
  function applyFilter() {
    decorateGraph();
    renderTimeline();
    renderTables();
    renderTree();
  }

  // --- wiring ---------------------------------------------------------------------------
  header();
  if (meta.resources === 0) {
    const msg = el('div', { class: 'empty', id: 'nothing' },
      'Nothing was recorded: the program created no async resource while the profiler ran.');
    $('graph-section').insertBefore(msg, $('bubbles'));
    $('bubbles').style.display = 'none';
  }
  $('level').addEventListener('change', (ev) => { level = ev.target.value; setFilter(null); renderGraph(); fit(); });
  $('depth').addEventListener('input', (ev) => {
    depthLimit = Number(ev.target.value);
    $('depth-value').textContent = String(depthLimit);
    for (const n of nodes) n.collapsed = false;
    renderGraph(); fit(); applyFilter();
  });
  $('search').addEventListener('input', (ev) => {
    query = ev.target.value;
    const q = query.trim().toLowerCase();
    if (q !== '' && level === 'path') {  // open the way to every match
      let deepest = depthLimit;
      for (const n of nodes) {
        if (n.root || !typeName(n.type).toLowerCase().includes(q)) continue;
        deepest = Math.max(deepest, n.depth);
        for (let p = n.parent >= 0 ? nodes[n.parent] : null; p; p = p.parent >= 0 ? nodes[p.parent] : null) {
          p.collapsed = false; p.showAll = true;
        }
      }
      if (deepest !== depthLimit) { depthLimit = Math.min(deepest, 12); $('depth').value = String(depthLimit); $('depth-value').textContent = String(depthLimit); }
      renderGraph();
    }
    decorateGraph();
  });
  $('clear-filter').addEventListener('click', () => setFilter(null));
  $('fit').addEventListener('click', fit);
  window.addEventListener('resize', renderTimeline);
  panAndZoom();
  renderGraph();
  fit();
  applyFilter();
  document.body.dataset.ready = '1';
})();
