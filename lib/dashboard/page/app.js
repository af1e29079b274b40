// tunefeed dashboard page: renders /events snapshots into numbers, tables and uPlot charts; reconnects by itself.
/* global uPlot, document, window, location, EventSource, fetch, URLSearchParams, requestAnimationFrame */
'use strict';

const MAX_POINTS = 600;
const token = new URLSearchParams(location.search).get('token');
const query = token ? `?token=${encodeURIComponent(token)}` : '';
const $ = (id) => document.getElementById(id);
const state = { snapshots: 0, reconnects: 0, metrics: {}, last: null, dirty: false };

/** Chart definitions: each series picks one number out of a snapshot. */
const CHARTS = [
  [
    'throughput',
    'Stream throughput (per second)',
    [
      ['samples/s', (s) => s.loader?.samplesPerSecond],
      ['batches/s', (s) => s.loader?.batchesPerSecond],
    ],
  ],
  [
    'wait',
    'Consumer wait share (%) and prefetch queue depth',
    [
      ['wait %', (s) => pct(s.loader?.waitShare)],
      ['queue', (s) => s.loader?.queueDepth],
    ],
  ],
  [
    'stages',
    'Stage latency (ms per sample; assemble per batch)',
    [
      ['read', (s) => s.loader?.stageMs.read],
      ['decode', (s) => s.loader?.stageMs.decode],
      ['caption', (s) => s.loader?.stageMs.caption],
      ['assemble', (s) => s.loader?.stageMs.assemble],
    ],
  ],
  [
    'scan',
    'Scan files/s (all datasets)',
    [['files/s', (s) => sum(Object.values(s.scan).map((d) => (d.done ? 0 : d.filesPerSecond)))]],
  ],
  [
    'memory',
    'Memory (MB)',
    [
      ['RSS', (s) => s.memory.rssBytes / 2 ** 20],
      ['heap used', (s) => s.memory.heapUsedBytes / 2 ** 20],
    ],
  ],
  [
    'pool',
    'Pool utilisation (%)',
    [
      ['decode', (s) => pct(s.pool.decode?.utilization)],
      ['scan', (s) => pct(maxOf(Object.values(s.scan).map((d) => d.poolUtilization)))],
    ],
  ],
];
const COLORS = ['#3b6fd8', '#d8553b', '#2a8a4a', '#9a4bd0'];
const charts = {};

function pct(v) {
  return v === null || v === undefined ? null : v * 100;
}
function sum(a) {
  return a.reduce((x, y) => x + y, 0);
}
function maxOf(a) {
  const n = a.filter((v) => typeof v === 'number');
  return n.length ? Math.max(...n) : null;
}
function fixed(v, d = 1) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-';
}

function makeCharts() {
  for (const [id, title, series] of CHARTS) {
    const fig = document.createElement('figure');
    fig.id = `chart-${id}`;
    fig.innerHTML = `<figcaption>${title}</figcaption>`;
    $('charts').append(fig);
    const opts = {
      // The grid decides the cell's width; the chart fills it.
      width: Math.max(300, fig.clientWidth || 440),
      height: 180,
      series: [{}, ...series.map(([label], i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5 }))],
      axes: [{}, { size: 50 }],
      scales: { x: { time: true } },
    };
    const data = [[], ...series.map(() => [])];
    charts[id] = { plot: new uPlot(opts, data, fig), data, series };
  }
}

function addPoints(s) {
  const x = s.ts / 1000;
  for (const c of Object.values(charts)) {
    c.data[0].push(x);
    c.series.forEach(([, pick], i) => {
      const v = pick(s);
      c.data[i + 1].push(typeof v === 'number' && Number.isFinite(v) ? v : null);
    });
    if (c.data[0].length > MAX_POINTS) for (const col of c.data) col.shift();
  }
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof window.Node) td.append(c);
    else td.textContent = String(c);
    tr.append(td);
  }
  return tr;
}

function bar(fraction) {
  const outer = document.createElement('span');
  outer.className = 'bar';
  const inner = document.createElement('i');
  inner.style.width = `${Math.round(100 * (fraction ?? 0))}%`;
  outer.append(inner);
  return outer;
}

function eta(d) {
  if (d.done) return 'done';
  if (d.etaSeconds === null) return d.listingDone ? '-' : 'listing…';
  return `${Math.ceil(d.etaSeconds)} s`;
}

function renderScan(s) {
  const body = $('scan').tBodies[0];
  body.replaceChildren(
    ...Object.entries(s.scan).map(([id, d]) => {
      const tr = row([id, bar(d.progress), d.listed, d.probed, d.reused, fixed(d.filesPerSecond), eta(d)]);
      tr.dataset.scan = id;
      return tr;
    }),
  );
}

function renderLoader(s) {
  const l = s.loader;
  $('loader-batches').textContent = l ? String(l.batches) : '-';
  $('loader-samples').textContent = l ? String(l.samples) : '-';
  $('loader-sps').textContent = fixed(l?.samplesPerSecond);
  $('loader-bps').textContent = fixed(l?.batchesPerSecond);
  $('loader-wait').textContent = fixed(pct(l?.waitShare));
  $('loader-queue').textContent = l ? `${l.queueDepth}/${l.queueMax}` : '-';
  $('pool-util').textContent = fixed(pct(s.pool.decode?.utilization));
  const rows = Object.entries(l?.datasets ?? {}).map(([id, d]) => {
    const tr = row([
      id,
      d.samples,
      `${fixed(100 * d.share)} %`,
      d.expectedShare === null ? '-' : `${fixed(100 * d.expectedShare)} %`,
    ]);
    tr.dataset.sampled = id;
    return tr;
  });
  $('sampled').tBodies[0].replaceChildren(...rows);
}

function renderSkips(s) {
  const reasons = Object.entries(s.skips.byReason).sort((a, b) => b[1] - a[1]);
  $('skips-total').textContent = String(sum(reasons.map(([, n]) => n)));
  $('skips-by-reason').tBodies[0].replaceChildren(
    ...reasons.map(([r, n]) => {
      const tr = row([r, n]);
      tr.dataset.reason = r;
      return tr;
    }),
  );
  $('skips-recent').replaceChildren(
    ...s.skips.recent.map((x) => {
      const li = document.createElement('li');
      const reason = document.createElement('span');
      reason.className = 'reason';
      reason.textContent = x.reason;
      li.append(reason, ` ${x.phase} ${x.dataset}: ${x.file}: ${x.message}`);
      return li;
    }),
  );
}

function render() {
  state.dirty = false;
  const s = state.last;
  if (!s) return;
  $('seq').textContent = String(s.seq);
  $('uptime').textContent = fixed(s.uptimeSeconds, 0);
  $('rss').textContent = fixed(s.memory.rssBytes / 2 ** 20);
  $('heap').textContent = fixed(s.memory.heapUsedBytes / 2 ** 20);
  renderScan(s);
  renderLoader(s);
  renderSkips(s);
  for (const c of Object.values(charts)) c.plot.setData(c.data);
}

function onSnapshot(s) {
  state.snapshots++;
  state.last = s;
  addPoints(s);
  if (!state.dirty) {
    state.dirty = true;
    requestAnimationFrame(render);
  }
}

function setStatus(live) {
  $('status').textContent = live ? 'live' : 'reconnecting…';
  $('status').className = `status ${live ? 'live' : 'connecting'}`;
}

/** EventSource retries dropped connections itself; after an HTTP error it gives up, so start a new one. */
function connect() {
  let opened = false;
  const es = new EventSource(`/events${query}`);
  es.addEventListener('open', () => {
    if (state.everOpened && !opened) state.reconnects++;
    opened = state.everOpened = true;
    $('reconnects').textContent = String(state.reconnects);
    setStatus(true);
  });
  es.addEventListener('error', () => {
    opened = false;
    setStatus(false);
    if (es.readyState === EventSource.CLOSED) window.setTimeout(connect, 1000);
  });
  es.addEventListener('snapshot', (m) => onSnapshot(JSON.parse(m.data)));
  es.addEventListener('metric', (m) => {
    const e = JSON.parse(m.data);
    state.metrics[e.type] = (state.metrics[e.type] ?? 0) + 1;
  });
}

makeCharts();
window.tunefeedDashboard = { state, charts };
fetch(`/api/snapshot${query}`)
  .then((r) => (r.ok ? r.json() : null))
  .then((s) => s && !state.last && onSnapshot(s))
  .catch(() => undefined);
connect();
