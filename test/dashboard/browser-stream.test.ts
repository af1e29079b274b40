// A real browser on a running `tunefeed stream --dashboard 0`: throughput charts get points, skips appear with their
// reasons and files, the numbers equal /api/snapshot and /metrics at the same moment, and /metrics counters only grow.
import t, { type Test } from 'tap';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERIES } from '../../lib/dashboard/prometheus.js';
import { openBrowser } from '../helpers/browser.js';
import { startDashboardCli } from '../helpers/dashboard-cli.js';
import { chartPoints, sameMoment, shown, snapshot, waitPage, type Shown } from '../helpers/dashboard-page.js';
import type { DashboardSnapshot } from '../../lib/dashboard/snapshot-types.js';
import { makeDataset } from '../helpers/runtime-dataset.js';
import { nonMonotonic, parsePromText } from '../helpers/prom-text.js';
import { report } from '../helpers/fault-count.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, '.tap', 'dashboard');

/** Two datasets, one with a file that is not an image (the scan skips it). */
async function twoDatasets(): Promise<{ cfg: string; photos: string }> {
  const photos = await makeDataset('photos', [40, 40]);
  const art = await makeDataset('art', [0, 30]);
  await writeFile(join(photos.root, 'zz_garbage.jpg'), 'this is not an image at all');
  const cfg = join(photos.root, 'mdb.json');
  const entry = (id: string, root: string, probability: number) => ({
    id,
    type: 'local',
    instance_data_dir: root,
    resolution: 48,
    resolution_type: 'pixel',
    caption_strategy: 'filename',
    crop: true,
    train_batch_size: 2,
    probability,
  });
  await writeFile(
    cfg,
    JSON.stringify([
      entry('photos', photos.root, 1),
      entry('art', art.root, 0.5),
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: join(photos.root, 'te') },
    ]),
  );
  return { cfg, photos: photos.root };
}

/** Overwrite a file the running stream already scanned: its next read in a later epoch fails to decode. */
async function corruptAfterScan(file: string): Promise<void> {
  const st = await stat(file);
  await writeFile(file, Buffer.alloc(st.size, 0x5a));
}

/** Skips by reason on the page equal the snapshot; the file corrupted mid-stream is listed with reason and message. */
function checkSkips(t: Test, snap: DashboardSnapshot, seen: Shown): Record<string, string> {
  const reasons = Object.fromEntries(Object.entries(snap.skips.byReason).map(([k, v]) => [k, String(v)]));
  t.same(seen.reasons, reasons, 'skips by reason shown = snapshot');
  t.ok(Object.keys(reasons).length > 0, `skip reasons: ${JSON.stringify(reasons)}`);
  const stream = snap.skips.recent.find((x) => x.file === '1_0_5.jpg');
  t.equal(stream?.phase, 'stream', 'the file corrupted after the scan is skipped by the stream');
  t.ok(
    seen.recent.some((r) => r.startsWith(stream!.reason) && r.includes('1_0_5.jpg') && r.includes(stream!.message)),
    'and listed on the page with its reason and message',
  );
  return reasons;
}

t.test('the page shows a running stream, its skips, and matches /api/snapshot and /metrics', async (t) => {
  const { cfg, photos } = await twoDatasets();
  const p = await startDashboardCli(['stream', cfg, '--epochs', '1000', '--format', 'binary']);
  let bytes = 0;
  p.child.stdout.on('data', (d: Buffer) => (bytes += d.length));
  const browser = await openBrowser();
  t.teardown(async () => {
    await browser.close();
    await p.stop();
  });
  const page = await browser.context.newPage();
  await page.goto(p.url);
  const throughput = await waitPage(
    page,
    (pg) => chartPoints(pg, 'throughput'),
    (c) => c.positive >= 3,
  );
  t.ok(throughput.positive >= 3, `the samples/s chart received ${throughput.positive} points above zero`);
  await corruptAfterScan(join(photos, '1_0_5.jpg'));
  const stages = await chartPoints(page, 'stages', 2);
  t.ok(stages.positive >= 1, `the decode latency chart received ${stages.positive} points above zero`);
  await waitPage(page, shown, (s) => s.recent.some((r) => r.includes('1_0_5.jpg')));
  const scrape = async () => {
    const res = await fetch(`${p.base}/metrics`, { headers: { authorization: `Bearer ${p.token}` } });
    return parsePromText(await res.text());
  };
  const first = await scrape();
  // Stop reading stdout: the pipe fills, the writer waits for drain, the loader stops pulling and the totals freeze.
  p.child.stdout.pause();
  t.ok(bytes > 0, `${bytes} bytes of binary frames read before pausing`);
  const { snap, page: seen } = await sameMoment(page, p.base, p.token);
  const l = snap.loader!;
  t.ok(l.batches > 0, `${l.batches} batches assembled`);
  t.equal(seen.batches, String(l.batches), 'batches shown = snapshot');
  t.equal(seen.samples, String(l.samples), 'samples shown = snapshot');
  for (const id of ['photos', 'art']) t.equal(seen.sampled[id]?.[1], String(l.datasets[id].samples), `${id} sampled`);
  t.equal(seen.sampled.art?.[3], '33.3 %', 'art: configured probability 0.5 of 1.5');
  const reasons = checkSkips(t, snap, seen);
  // /metrics between two snapshots with the same seq: nothing happened in between, so the totals must agree.
  let second = await scrape();
  let compared = false;
  for (let i = 0; i < 50 && !compared; i++) {
    const before = await snapshot(p.base, p.token);
    second = await scrape();
    const after = await snapshot(p.base, p.token);
    if (before.seq !== after.seq) continue;
    const batches = second.get('tunefeed_batches_total')!.samples[0].value;
    t.equal(batches, after.loader!.batches, 'tunefeed_batches_total = the snapshot at the same moment');
    compared = true;
  }
  t.ok(compared, 'a moment with no event between two snapshot reads was found');
  t.same(nonMonotonic(first, second), [], 'no counter went down between two scrapes of the running stream');
  for (const name of SERIES) t.ok(second.get(name)?.samples.length, `/metrics has ${name}`);
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'stream.png'), fullPage: true });
  report(t, 'dashboard-browser-stream', { batches: l.batches, skips: reasons, throughput_points: throughput.positive });
});
