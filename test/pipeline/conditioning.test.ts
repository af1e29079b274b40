// Conditioning pairs: same relative path, same geometry (pixel-aligned), combined/random modes, missing pairs reported.
import t from 'tap';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch, LoaderDatasetInput } from '../../lib/pipeline/types.js';
import type { DatasetIndex } from '../../lib/metadata/types.js';
import type { ImageDatasetConfig } from '../../lib/config/types.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { imageConfig } from '../helpers/runtime-dataset.js';

const KEYS = ['a.png', 'b.png', 'c.png', 'd.png'];

/** 40x32 PNGs whose pixel (x, y) is (4x + k, 4y, v) for training, the inverse for conditioning: pairs are checkable. */
async function images(keys: string[], invert: boolean, v: number): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tf-cond-'));
  for (const key of keys) {
    const k = KEYS.indexOf(key);
    const raw = Buffer.alloc(40 * 32 * 3);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 40; x++) {
        const px = [4 * x + k, 4 * y, v];
        raw.set(invert ? px.map((c) => 255 - c) : px, (y * 40 + x) * 3);
      }
    await writeFile(
      path.join(root, key),
      await sharp(raw, { raw: { width: 40, height: 32, channels: 3 } })
        .png()
        .toBuffer(),
    );
  }
  return root;
}

function input(id: string, root: string, keys: string[], over: Partial<ImageDatasetConfig> = {}): LoaderDatasetInput {
  const index: DatasetIndex = {
    id,
    buckets: keys.length ? { '1.0': keys } : {},
    metadata: {},
    stats: { total_processed: keys.length, skipped: {} },
  };
  for (const k of keys)
    index.metadata[k] = {
      original_size: [40, 32],
      intermediary_size: [40, 32],
      target_size: [24, 24],
      crop_coordinates: [4, 8],
      aspect_ratio: 1,
    };
  return { config: imageConfig(id, root, over), storage: new LocalStorage({ id, root }), index };
}

async function collect(opts: Parameters<typeof createLoader>[1]): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of await createLoader('x', opts)) out.push(b);
  return out;
}

t.test(
  'combined: every sample carries its pixel-aligned pair; a missing pair is reported with both paths',
  async (t) => {
    const train = input('tr', await images(KEYS, false, 10), KEYS, { conditioning_data: ['cn'] });
    const cond = input(
      'cn',
      await images(
        KEYS.filter((k) => k !== 'c.png'),
        true,
        10,
      ),
      [],
      { dataset_type: 'conditioning' },
    );
    const batches = await collect({ datasets: [train, cond], epochs: 1, seed: 2 });
    const samples = batches.flatMap((b) => b.samples);
    t.ok(samples.length >= 3);
    t.notOk(
      samples.some((s) => s.key === 'c.png'),
      'the unpaired sample is not delivered',
    );
    for (const s of samples) {
      const c = s.conditioning?.[0];
      t.equal(c?.dataset, 'cn');
      t.equal(c?.path, path.join(cond.storage.externalPath(s.key)));
      let worst = 0;
      for (let i = 0; i < s.pixels!.length; i++) worst = Math.max(worst, Math.abs(s.pixels![i] + c!.pixels![i] - 255));
      t.equal(worst, 0, `${s.key}: conditioning = 255 − training at every pixel (same crop and size)`);
    }
    const skip = batches.flatMap((b) => b.skipped).find((s) => s.key === 'c.png');
    t.equal(skip?.reason, 'conditioning_missing');
    t.match(skip?.message, train.storage.externalPath('c.png'));
    t.match(skip?.message, cond.storage.externalPath('c.png'));
  },
);

t.test(
  'random: one pair per sample, deterministic, from either linked dataset (source_dataset_id links too)',
  async (t) => {
    const train = input('tr', await images(KEYS, false, 10), KEYS);
    const c1 = input('c1', await images(KEYS, true, 10), [], { dataset_type: 'conditioning', source_dataset_id: 'tr' });
    const c2 = input('c2', await images(KEYS, true, 10), [], { dataset_type: 'conditioning', source_dataset_id: 'tr' });
    const run = () =>
      collect({ datasets: [train, c1, c2], epochs: 3, seed: 8, conditioningSampling: 'random', decode: false });
    const a = (await run()).flatMap((b) =>
      b.samples.map((s) => `${s.key}:${s.conditioning!.map((c) => c.dataset).join('+')}`),
    );
    const b = (await run()).flatMap((x) =>
      x.samples.map((s) => `${s.key}:${s.conditioning!.map((c) => c.dataset).join('+')}`),
    );
    t.same(a, b, 'same choice on every run');
    t.ok(
      a.every((x) => /:(c1|c2)$/.test(x)),
      'exactly one pair each',
    );
    t.ok(a.some((x) => x.endsWith(':c1')) && a.some((x) => x.endsWith(':c2')), 'both datasets chosen over 12 samples');
    const combined = await collect({
      datasets: [train, c1, c2],
      epochs: 1,
      conditioningSampling: 'combined',
      decode: false,
    });
    t.ok(
      combined.flatMap((x) => x.samples).every((s) => s.conditioning!.map((c) => c.dataset).join() === 'c1,c2'),
      'combined pairs both',
    );
  },
);
