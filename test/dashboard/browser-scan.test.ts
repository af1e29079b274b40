// A real browser on a running `tunefeed scan --dashboard 0`: the page renders the scan, its charts get points, and
// its numbers equal /api/snapshot at the same moment (the scan is held mid-way by the scan's test hook).
import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBrowser } from '../helpers/browser.js';
import { startDashboardCli } from '../helpers/dashboard-cli.js';
import { chartPoints, sameMoment, snapshot, waitPage } from '../helpers/dashboard-page.js';
import { makeDataset } from '../helpers/runtime-dataset.js';
import { report } from '../helpers/fault-count.js';

const ARTIFACTS = join(process.cwd(), '.tap', 'dashboard');

t.test('the page shows a running scan and matches /api/snapshot', async (t) => {
  const ds = await makeDataset('photos', [100, 60]);
  const cfg = join(ds.root, 'mdb.json');
  await writeFile(
    cfg,
    JSON.stringify([
      { id: 'photos', type: 'local', instance_data_dir: ds.root, resolution: 48, resolution_type: 'pixel' },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: join(ds.root, 'te') },
    ]),
  );
  const p = await startDashboardCli(['scan', cfg, '--workers', '0'], { TUNEFEED_TEST_HOLD_AT_PROBED: '64' });
  const browser = await openBrowser();
  t.teardown(async () => {
    await browser.close();
    await p.stop();
  });
  await p.waitStderr(/tunefeed-test-hold probed=\d+/);
  const page = await browser.context.newPage();
  const opened = performance.now();
  await page.goto(p.url);
  await page.waitForSelector('#scan tr[data-scan="photos"]');
  const firstRenderMs = Math.round(performance.now() - opened);
  const memory = await waitPage(
    page,
    (pg) => chartPoints(pg, 'memory'),
    (c) => c.values >= 3,
  );
  t.ok(memory.values >= 3, `the memory chart received ${memory.values} points while the scan waits`);
  const { snap, page: shown } = await sameMoment(page, p.base, p.token);
  const s = snap.scan.photos;
  t.ok(s.probed > 0 && s.listed >= s.probed, `the scan is under way (${s.probed} probed of ${s.listed} listed)`);
  t.same(
    shown.scan.photos.slice(2, 5),
    [String(s.listed), String(s.probed), String(s.reused)],
    'listed, probed and reused shown equal the snapshot',
  );
  t.equal(shown.seq, String(snap.seq), 'the page shows the snapshot of this moment');
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'scan.png'), fullPage: true });
  const later = await snapshot(p.base, p.token);
  t.equal(later.scan.photos.probed, s.probed, 'held: the scan did not move while the page was compared');
  report(t, 'dashboard-browser-scan', { first_render_ms: firstRenderMs, memory_points: memory.values });
});
