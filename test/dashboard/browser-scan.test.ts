// A real browser on a running `tunefeed scan --dashboard 0` over S3: the page renders the scan, its charts get points,
// and its numbers equal /api/snapshot at the same moment. The scan is held mid-way at the server: a proxy in front of
// the S3 server lets the first object reads through and holds every later one (no hook in shipped code).
import t from 'tap';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { startMemS3Server } from '../helpers/mem-s3-server.js';
import { openBrowser } from '../helpers/browser.js';
import { startDashboardCli } from '../helpers/dashboard-cli.js';
import { chartPoints, sameMoment, snapshot, waitPage } from '../helpers/dashboard-page.js';
import { makeDataset } from '../helpers/runtime-dataset.js';
import { report } from '../helpers/fault-count.js';

const ARTIFACTS = join(process.cwd(), '.tap', 'dashboard');

t.test('the page shows a running scan and matches /api/snapshot', async (t) => {
  const ds = await makeDataset('photos', [100, 60]);
  const srv = await startMemS3Server(t);
  const files = (await readdir(ds.root)).filter((f) => f.endsWith('.jpg'));
  await srv.putMany(
    await Promise.all(files.map(async (f): Promise<[string, Buffer]> => [f, await readFile(join(ds.root, f))])),
  );
  // Object GETs after the first PASS_READS are held far longer than the test runs; listings always pass.
  const PASS_READS = 40;
  let reads = 0;
  const proxy = await startFaultProxy(t, srv.endpoint, (r) =>
    r.method === 'GET' && !r.url.includes('list-type=') && ++reads > PASS_READS
      ? { kind: 'delay', ms: 600_000 }
      : { kind: 'pass' },
  );
  const cfg = join(ds.root, 'mdb.json');
  await writeFile(
    cfg,
    JSON.stringify([
      {
        id: 'photos',
        type: 'aws',
        aws_bucket_name: srv.bucket,
        aws_region_name: srv.region,
        aws_endpoint_url: proxy.url,
        aws_access_key_id: srv.accessKeyId,
        aws_secret_access_key: srv.secretAccessKey,
        aws_checksum_mode: 'WHEN_REQUIRED',
        resolution: 48,
        resolution_type: 'pixel',
      },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: join(ds.root, 'te') },
    ]),
  );
  const p = await startDashboardCli(['scan', cfg, '--workers', '0']);
  const browser = await openBrowser();
  t.teardown(async () => {
    await browser.close();
    await p.stop();
  });
  // Held: some reads are waiting at the proxy and the probed count has stopped moving.
  let last = -1;
  for (;;) {
    const probed = (await snapshot(p.base, p.token)).scan.photos?.probed ?? 0;
    if ((proxy.stats.faults.delay ?? 0) > 0 && probed > 0 && probed === last) break;
    last = probed;
    await new Promise((r) => setTimeout(r, 300));
  }
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
