// createLoader's own scan runs in the ScanPool like `tunefeed scan`: a key whose pool worker crashes is left out,
// which an inline scan (which never loads the worker file) could not do.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { loadConfig } from '../../lib/config/load-config.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';

t.test('the scan before streaming runs in the scan worker pool', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-loader-pool-'));
  const data = join(dir, 'photos');
  await mkdir(data);
  // More files than one pool task holds (32 keys), so the task with the crashing key is not the only one.
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
  // The scan worker's test hook exits the worker on this key; only a pooled scan can lose it.
  process.env.TUNEFEED_TEST_CRASH_KEY = 'p01.png';
  t.teardown(() => {
    delete process.env.TUNEFEED_TEST_CRASH_KEY;
  });
  const loader = await createLoader(loaded, { decode: false, epochs: 1, thread: false });
  const keys: string[] = [];
  for await (const b of loader) for (const s of b.samples) keys.push(s.key);
  await loader.close();
  const seen = new Set(keys);
  t.notOk(seen.has('p01.png'), 'the key whose worker crashed is not streamed');
  t.ok(seen.size > 0 && seen.size < 40, `the other task's keys stream (${seen.size} of 40)`);
});
