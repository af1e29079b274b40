// A rescan under a different geometry says which fields changed, once, before recomputing; an unchanged one is quiet.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { loadConfig } from '../../lib/config/load-config.js';
import { isImageDataset, type ImageDatasetConfig, type LoadedConfig } from '../../lib/config/types.js';
import { changedGeometryFields, geometryChange } from '../../lib/metadata/geometry-change.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { LocalStorage } from '../../lib/storage/local.js';

async function setup(): Promise<{ dir: string; data: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-geom-'));
  const data = join(dir, 'photos');
  await mkdir(data);
  for (let i = 0; i < 3; i++)
    await sharp({ create: { width: 600, height: 400, channels: 3, background: { r: 50 * i, g: 80, b: 120 } } })
      .png()
      .toFile(join(data, `p${i}.png`));
  return { dir, data };
}

async function load(
  dir: string,
  data: string,
  set: string[],
): Promise<{ loaded: LoadedConfig; d: ImageDatasetConfig }> {
  const loaded = await loadConfig(
    [
      { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true, cache_dir: join(dir, 't') },
      { id: 'photos', type: 'local', instance_data_dir: data, crop: false, train_batch_size: 1 },
    ],
    { set: [`output_dir=${join(dir, 'out')}`, ...set], env: {} },
  );
  const d = loaded.datasets.filter(isImageDataset)[0];
  return { loaded, d };
}

t.test('changedGeometryFields lists only the differing keys, sorted', async (t) => {
  t.same(changedGeometryFields({ a: 1, b: [1, 2], c: null }, { a: 1, b: [1, 3], d: 4 }), ['b', 'd']);
});

t.test('a second scan with another resolution names resolution and nothing else', async (t) => {
  const { dir, data } = await setup();
  const storage = new LocalStorage({ id: 'photos', root: data });
  const first = await load(dir, data, ['resolution=256', 'resolution_type=pixel']);
  await scanDataset({ id: 'photos', config: first.d, storage, args: first.loaded.args });
  const same = await geometryChange({ id: 'photos', config: first.d, storage, args: first.loaded.args }, storage);
  t.equal(same, null, 'same geometry: no warning');
  const second = await load(dir, data, ['resolution=320', 'resolution_type=pixel']);
  const msg = await geometryChange({ id: 'photos', config: second.d, storage, args: second.loaded.args }, storage);
  t.equal(msg, 'bucket cache of photos was made for another geometry (resolution 256 → 320); recomputing buckets');
});

t.test('a model family with another alignment names the alignment', async (t) => {
  const { dir, data } = await setup();
  const storage = new LocalStorage({ id: 'photos', root: data });
  const sdxl = await load(dir, data, ['model_family=sdxl']);
  await scanDataset({ id: 'photos', config: sdxl.d, storage, args: sdxl.loaded.args });
  const flux2 = await load(dir, data, ['model_family=flux2']);
  const msg = await geometryChange({ id: 'photos', config: flux2.d, storage, args: flux2.loaded.args }, storage);
  t.match(msg, /\(alignment 64 → 16\)/);
});
