// docs/grafana-dashboard.json imports as a Grafana dashboard and queries only series that /metrics really exports.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { MetricsBus } from '../../lib/metrics/events.js';
import { serveDashboard } from '../../lib/dashboard/server.js';
import { parsePromText } from '../helpers/prom-text.js';

interface Panel {
  id: number;
  title: string;
  datasource: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string }[];
}

const dashboard = JSON.parse(await readFile(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as {
  __inputs: { name: string; type: string }[];
  panels: Panel[];
  uid: string;
  title: string;
};

/** Every sample name a scrape of a dashboard that saw one scan and one batch exposes. */
async function exported(): Promise<Set<string>> {
  const bus = new MetricsBus();
  const d = await serveDashboard(bus, { announce: null });
  bus.emit('scan.progress', { dataset: 'a', listed: 2, probed: 1, reused: 1, bytesRead: 10, poolUtilization: 0.5 });
  bus.emit('scan.done', { dataset: 'a', skipped: { corrupt: 1 }, examples: {} });
  bus.emit('loader.batch', { dataset: 'a', samples: 2, read_ms: 1, decode_ms: 1, caption_ms: 0, assemble_ms: 1 });
  bus.emit('pool.utilization', { pool: 'decode', utilization: 0.5, threads: 1, queued: 0 });
  const res = await fetch(`http://127.0.0.1:${d.port}/metrics?token=${d.token}`);
  const families = parsePromText(await res.text());
  await d.close();
  return new Set([...families.values()].flatMap((f) => f.samples.map((s) => s.name)));
}

t.test('every panel queries the declared data source and only exported series', async (t) => {
  const names = await exported();
  t.ok(dashboard.panels.length >= 10, `${dashboard.panels.length} panels`);
  t.ok(
    dashboard.__inputs.some((i) => i.name === 'DS_PROMETHEUS' && i.type === 'datasource'),
    'a data-source input',
  );
  for (const p of dashboard.panels) {
    t.equal(p.datasource.uid, '${DS_PROMETHEUS}', `${p.title}: the imported data source`);
    t.ok(p.targets.length > 0, `${p.title}: has queries`);
    for (const q of p.targets) {
      const used = q.expr.match(/\b(tunefeed|process|nodejs)_[a-z_]+/g) ?? [];
      t.ok(used.length > 0, `${p.title} ${q.refId}: names a series`);
      for (const name of used) t.ok(names.has(name), `${p.title}: ${name} is exported`);
      let depth = 0;
      for (const c of q.expr) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      t.equal(depth, 0, `${p.title} ${q.refId}: balanced parentheses`);
    }
  }
});

t.test('panel ids are unique and panels do not overlap on the 24-column grid', async (t) => {
  t.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'unique ids');
  const cells = new Map<string, string>();
  const overlaps: string[] = [];
  for (const p of dashboard.panels) {
    t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the grid width`);
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        const other = cells.get(`${x},${y}`);
        if (other) overlaps.push(`${p.title} / ${other} at ${x},${y}`);
        cells.set(`${x},${y}`, p.title);
      }
  }
  t.same(overlaps, [], 'no two panels share a cell');
});
