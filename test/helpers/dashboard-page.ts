// Test helper: reads what the dashboard page shows (numbers, table rows, chart points) and what the server reports.
import type { Page } from 'playwright-core';
import type { DashboardSnapshot } from '../../lib/dashboard/snapshot-types.js';

/** The numbers and rows the page currently displays, as text. */
export interface Shown {
  seq: string;
  batches: string;
  samples: string;
  skipsTotal: string;
  reconnects: string;
  scan: Record<string, string[]>;
  sampled: Record<string, string[]>;
  reasons: Record<string, string>;
  recent: string[];
}

// Runs in the page (as text: the tests' TypeScript has no DOM types).
const READ_PAGE = `(() => {
  const text = (id) => document.getElementById(id)?.textContent ?? '';
  const rows = (sel, key) => Object.fromEntries([...document.querySelectorAll(sel)].map((tr) =>
    [tr.dataset[key] ?? '', [...tr.cells].map((c) => c.textContent ?? '')]));
  const reasons = Object.fromEntries(
    Object.entries(rows('#skips-by-reason tr[data-reason]', 'reason')).map(([k, v]) => [k, v[1]]));
  return {
    seq: text('seq'), batches: text('loader-batches'), samples: text('loader-samples'),
    skipsTotal: text('skips-total'), reconnects: text('reconnects'),
    scan: rows('#scan tr[data-scan]', 'scan'), sampled: rows('#sampled tr[data-sampled]', 'sampled'), reasons,
    recent: [...document.querySelectorAll('#skips-recent li')].map((li) => li.textContent ?? ''),
  };
})()`;

/** Everything the tests compare, read in one evaluate so it is one moment of the page. */
export function shown(page: Page): Promise<Shown> {
  return page.evaluate<Shown>(READ_PAGE);
}

/** Points a chart holds; of series `i` (1-based), how many are numbers (not gaps) and how many are above zero. */
export function chartPoints(
  page: Page,
  chart: string,
  i = 1,
): Promise<{ points: number; values: number; positive: number }> {
  return page.evaluate<{ points: number; values: number; positive: number }>(`(() => {
    const data = window.tunefeedDashboard.charts[${JSON.stringify(chart)}].data;
    const nums = data[${i}].filter((v) => typeof v === 'number');
    return { points: data[0].length, values: nums.length, positive: nums.filter((v) => v > 0).length };
  })()`);
}

/** GET /api/snapshot with the token. */
export async function snapshot(base: string, token: string): Promise<DashboardSnapshot> {
  const res = await fetch(`${base}/api/snapshot?token=${token}`);
  return (await res.json()) as DashboardSnapshot;
}

/**
 * The page and the server at one moment: read the server, the page, the server again; when the two server reads
 * have the same `seq` nothing happened in between, so the page must show exactly that snapshot (once it caught up).
 */
export async function sameMoment(
  page: Page,
  base: string,
  token: string,
  tries = 100,
): Promise<{ snap: DashboardSnapshot; page: Shown }> {
  let last: { snap: DashboardSnapshot; page: Shown } | null = null;
  for (let i = 0; i < tries; i++) {
    const before = await snapshot(base, token);
    const p = await shown(page);
    const after = await snapshot(base, token);
    last = { snap: after, page: p };
    if (before.seq === after.seq && p.seq === String(after.seq)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the page never caught up with the server: ${JSON.stringify(last)}`);
}

/** Poll until `test` holds for what `read` gets from the page (waitForFunction with text would need unsafe-eval). */
export async function waitPage<T>(page: Page, read: (p: Page) => Promise<T>, test: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await read(page);
    if (test(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the page never reached the expected state: ${JSON.stringify(await read(page))}`);
}
