// createLoader's own scan runs in the ScanPool like `tunefeed scan`: its progress events carry the pool's utilisation,
// which only a pooled scan reports (the inline runner has none).
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { loadConfig } from '../../lib/config/load-config.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import { MetricsBus } from '../../lib/metrics/events.js';

t.test('the scan before streaming runs in the scan worker pool', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-loader-pool-'));
  const data = join(dir, 'photos');
  await mkdir(data);
  // More files than one pool task holds (32 keys), so the scan is split into several pool tasks.
  for (let i = 0; i < 40; i++)
    await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 6 * i, g: 30, b: 90 } } })
      .png()
      .toFile(join(data, `p${String(i).padStart(2, '0')}.png`));
  const loaded = await loadConfig(
    [
      { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true, cache_dir: join(dir, 't') },
      { id: 'photos', type: 'local', instance_data_dir: data, crop: false },
    ],
    { set: [`output_dir=${join(dir, 'out')}`, 'resolution=256', 'resolution_type=pixel'], env: {} },
  );
  const bus = new MetricsBus();
  const pooled: number[] = [];
  bus.subscribe((e) => {
    if (e.type === 'scan.progress' && typeof e.poolUtilization === 'number') pooled.push(e.poolUtilization);
  });
  const loader = await createLoader(loaded, { decode: false, epochs: 1, thread: false, metrics: bus });
  const keys: string[] = [];
  for await (const b of loader) for (const s of b.samples) keys.push(s.key);
  await loader.close();
  t.ok(pooled.length > 0, `scan progress reported the scan pool's utilisation ${pooled.length} time(s)`);
  t.equal(new Set(keys).size, 40, 'every scanned file streams once');
});
