// createLoader({ dashboard }) in-process: the page equals the loader's own metrics once it is done, and recovers by
// itself when the event stream is dropped and when the server itself restarts on the same port.
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { createLoader, type Loader } from '../../lib/pipeline/create-loader.js';
import { serveDashboard } from '../../lib/dashboard/server.js';
import { MetricsBus } from '../../lib/metrics/events.js';
import { openBrowser } from '../helpers/browser.js';
import { sameMoment, shown, snapshot, waitPage } from '../helpers/dashboard-page.js';
import { makeDataset } from '../helpers/runtime-dataset.js';
import { report } from '../helpers/fault-count.js';

/** Drop the event stream, then restart the whole server on the same port and token: the page follows both. */
async function restarts(t: Test, page: Page, loader: Loader, bus: MetricsBus): Promise<number> {
  const d = loader.dashboard!;
  const base = `http://127.0.0.1:${d.port}`;
  // 1. The server ends every event stream: EventSource reconnects on its own.
  d.restartEvents();
  bus.emit('loader.wait', { ms: 5 });
  const afterDrop = await waitPage(page, shown, (s) => s.reconnects === '1');
  t.equal(afterDrop.reconnects, '1', 'the page reconnected once after the event stream was dropped');
  const s1 = await sameMoment(page, base, d.token);
  t.equal(s1.page.seq, String(s1.snap.seq), 'and caught up with the new events');

  // 2. The whole server restarts on the same port with the same token (as a restarted process would).
  const { port, token } = d;
  await loader.close();
  const again = await serveDashboard(bus, { port, token, announce: null });
  t.teardown(() => again.close());
  for (let i = 0; i < 5; i++) bus.emit('loader.batch', { dataset: 'photos', samples: 2, read_ms: 1, decode_ms: 2 });
  const fresh = await snapshot(base, token);
  t.equal(fresh.loader!.batches, 5, 'the new server counts from zero');
  const back = await waitPage(page, shown, (s) => s.batches === '5');
  t.equal(back.batches, '5', 'the page recovered and shows the restarted server’s numbers');
  t.ok(Number(back.reconnects) >= 2, `reconnects shown: ${back.reconnects}`);
  return Number(back.reconnects);
}

t.test('the page equals the loader’s own metrics and survives event-stream and server restarts', async (t) => {
  const ds = await makeDataset('photos', [12, 8], { broken: ['1_0_3.jpg'] });
  const bus = new MetricsBus();
  const loader = await createLoader('unused', {
    datasets: [ds],
    batches: 15,
    seed: 3,
    metrics: bus,
    dashboard: { announce: null },
  });
  const d = loader.dashboard!;
  const base = `http://127.0.0.1:${d.port}`;
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const page = await browser.context.newPage();
  await page.goto(d.url);
  let delivered = 0;
  for await (const b of loader) delivered += b.samples.length;
  const stats = loader.stats;
  const { snap, page: seen } = await sameMoment(page, base, d.token);
  t.equal(snap.loader!.batches, stats.delivered, 'snapshot batches = loader.stats.delivered');
  t.equal(snap.loader!.samples, stats.samples, 'snapshot samples = loader.stats.samples');
  t.equal(stats.samples, delivered, 'and the samples the consumer counted');
  t.equal(seen.batches, String(stats.delivered), 'the page shows the loader’s batches');
  t.equal(seen.samples, String(stats.samples), 'the page shows the loader’s samples');
  t.same(Object.keys(snap.skips.byReason), Object.keys(loader.skips()), 'skip reasons = loader.skips()');
  t.ok(
    seen.recent.some((r) => r.includes('1_0_3.jpg')),
    'the broken file is listed on the page',
  );

  const reconnects = await restarts(t, page, loader, bus);
  report(t, 'dashboard-browser-restart', { batches: stats.delivered, reconnects });
});
