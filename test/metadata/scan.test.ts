// scanDataset on planted local datasets: counts per reason, cache file format, incremental rescans, config changes,
// filters, empty-dataset diagnostics, SimpleTuner-written caches, and the piscina pool.
import t from 'tap';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile, rm, writeFile, utimes } from 'node:fs/promises';
import { LocalStorage } from '../../lib/storage/local.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { readCacheFiles } from '../../lib/metadata/cache-files.js';
import { ScanPool } from '../../lib/pool/scan-pool.js';
import { EmptyDatasetError } from '../../lib/errors.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { corruptFile, makeImage, makePngBomb, plantCorpus, truncateFile } from '../helpers/make-images.js';

/** The SimpleTuner-compatible bucket index file, as far as these tests read it. */
interface BucketIndicesFile {
  aspect_ratio_bucket_indices: Record<string, string[]>;
  filtering_statistics: { total_processed: number; skipped: Record<string, number> };
  config: { config_version: number };
}

/** Plants 12 good images in 3 aspect groups and 6 bad files; returns the expected counts. */
async function plant(dir: string) {
  const good: [string, number, number, 'jpeg' | 'png' | 'webp'][] = [
    ['l1.jpg', 192, 108, 'jpeg'],
    ['l2.jpg', 384, 216, 'jpeg'],
    ['l3.png', 160, 90, 'png'],
    ['l4.webp', 320, 180, 'webp'],
    ['s/q1.png', 100, 100, 'png'],
    ['s/q2.jpg', 64, 64, 'jpeg'],
    ['s/q3.webp', 128, 128, 'webp'],
    ['s/q4.jpg', 256, 256, 'jpeg'],
    ['p/t1.jpg', 108, 192, 'jpeg'],
    ['p/t2.png', 90, 160, 'png'],
    ['p/t3.webp', 180, 320, 'webp'],
    ['p/t4.jpg', 216, 384, 'jpeg'],
  ];
  for (const [name, w, h, format] of good) await makeImage(join(dir, name), { w, h, format });
  await writeFile(join(dir, 'bad-zero.jpg'), '');
  await writeFile(join(dir, 'bad-text.png'), 'hello, not an image\n'.repeat(5));
  await makeImage(join(dir, 'bad-trunc.jpg'), { w: 200, h: 150, format: 'jpeg', quality: 95 });
  await truncateFile(join(dir, 'bad-trunc.jpg'), 0.5);
  await makeImage(join(dir, 'bad-head.png'), { w: 50, h: 50, format: 'png' });
  await corruptFile(join(dir, 'bad-head.png'), 12, 4);
  await makePngBomb(join(dir, 'bad-bomb.png'));
  await writeFile(join(dir, 'notes.txt'), 'not listed: wrong extension');
  return { good: 12, skipped: { corrupt: 2, unsupported: 1, truncated: 1, pixel_limit: 1 } };
}

t.test('counts, buckets and SimpleTuner cache format', async (t) => {
  const dir = t.testdir({});
  const want = await plant(dir);
  const { config, args } = await datasetConfig({
    id: 'ds',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    crop: true,
    crop_aspect: 'preserve',
    crop_style: 'center',
    train_batch_size: 2,
  });
  const storage = new LocalStorage({ id: 'ds', root: dir });
  const r = await scanDataset({ id: 'ds', config, storage, args });
  t.equal(r.files, 17, 'every image-extension file listed');
  t.same(r.report.skipped, want.skipped, 'skips by reason match the planted files');
  t.same(Object.fromEntries(Object.entries(r.index.buckets).map(([k, v]) => [k, v.length])), {
    '1.0': 4,
    '1.75': 4,
    '0.57': 4,
  });
  const ind = JSON.parse(await readFile(join(dir, 'aspect_ratio_bucket_indices_ds.json'), 'utf8')) as BucketIndicesFile;
  t.same(Object.keys(ind).sort(), ['aspect_ratio_bucket_indices', 'config', 'filtering_statistics', 'tunefeed']);
  t.same(
    ind.aspect_ratio_bucket_indices['1.0'],
    ['s/q1.png', 's/q2.jpg', 's/q3.webp', 's/q4.jpg'].map((k) => join(dir, k)),
    'absolute paths, sorted',
  );
  t.equal(ind.filtering_statistics.total_processed, 17);
  t.equal(ind.filtering_statistics.skipped.other, 5, 'SimpleTuner sees our finer reasons as other');
  t.equal(ind.config.config_version, 2);
  const metaText = await readFile(join(dir, 'aspect_ratio_bucket_metadata_ds.json'), 'utf8');
  t.match(metaText, /"aspect_ratio": 1\.0[,}]/, 'Python float formatting in metadata');
  const meta = JSON.parse(metaText) as Record<string, unknown>;
  t.same(meta[join(dir, 'l2.jpg')], {
    original_size: [384, 216],
    crop_coordinates: [0, 7],
    target_size: [896, 512],
    intermediary_size: [910, 512],
    aspect_ratio: 1.75,
  });
  const loaded = await readCacheFiles(storage, storage, config, args);
  t.ok(loaded?.fresh, 'cache made for this geometry');
  t.same(loaded?.index.buckets, r.index.buckets, 'reads back to the same index');
});

t.test('incremental rescan: new, changed and removed files', async (t) => {
  const dir = t.testdir({});
  await plant(dir);
  const { config, args } = await datasetConfig({
    id: 'inc',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
  });
  const storage = new LocalStorage({ id: 'inc', root: dir });
  const first = await scanDataset({ id: 'inc', config, storage, args });
  t.equal(first.probed, 17);
  await makeImage(join(dir, 'new.jpg'), { w: 300, h: 100, format: 'jpeg' });
  await makeImage(join(dir, 'l1.jpg'), { w: 100, h: 300, format: 'jpeg' });
  await utimes(join(dir, 'l1.jpg'), new Date(), new Date(Date.now() + 5000));
  await rm(join(dir, 'p/t4.jpg'));
  const second = await scanDataset({ id: 'inc', config, storage, args });
  t.equal(second.probed, 2, 'only the new and the changed file are probed');
  t.ok(second.reusedCache);
  t.equal(second.files, 17);
  t.same(second.index.buckets['3.0'], ['new.jpg']);
  t.same(second.index.metadata['l1.jpg']?.original_size, [100, 300], 'changed file re-probed');
  t.notOk(Object.values(second.index.buckets).flat().includes('p/t4.jpg'), 'removed file dropped');
});

t.test('a geometry change recomputes without re-probing and never restores stale values', async (t) => {
  const dir = t.testdir({});
  await plant(dir);
  const storage = new LocalStorage({ id: 'g', root: dir });
  const a = await datasetConfig({ id: 'g', instance_data_dir: dir, resolution: 512, resolution_type: 'pixel' });
  await scanDataset({ id: 'g', config: a.config, storage, args: a.args });
  const b = await datasetConfig({ id: 'g', instance_data_dir: dir, resolution: 1.0, resolution_type: 'area' });
  t.notOk(
    (await readCacheFiles(storage, storage, b.config, b.args))?.fresh,
    'old cache detected as stale for the new config',
  );
  const r = await scanDataset({ id: 'g', config: b.config, storage, args: b.args });
  t.equal(r.probed, 0, 'no image read again');
  t.same(r.index.metadata['l2.jpg']?.target_size, [1344, 768], 'area geometry applied');
  t.ok((await readCacheFiles(storage, storage, b.config, b.args))?.fresh);
});

t.test('filters: minimum size, aspect limits, pruning, max_num_samples', async (t) => {
  const dir = t.testdir({});
  await plant(dir);
  const storage = new LocalStorage({ id: 'f', root: dir });
  const small = await datasetConfig({
    id: 'f',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    minimum_image_size: 120,
  });
  const r1 = await scanDataset({ id: 'f', config: small.config, storage, args: small.args, ignoreCache: true });
  t.equal(r1.report.skipped.too_small, 6, 'pixel mode: both edges must reach the minimum');
  const ar = await datasetConfig({
    id: 'f',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    minimum_aspect_ratio: 0.9,
    maximum_aspect_ratio: 1.5,
  });
  const r2 = await scanDataset({ id: 'f', config: ar.config, storage, args: ar.args });
  t.same(Object.keys(r2.index.buckets), ['1.0']);
  t.same(r2.report.bucketEvents.map((e) => e.reason).sort(), ['above_max_aspect_ratio', 'below_min_aspect_ratio']);
  const prune = await datasetConfig({
    id: 'f',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    train_batch_size: 5,
    repeats: 0,
  });
  await t.rejects(scanDataset({ id: 'f', config: prune.config, storage, args: prune.args }), EmptyDatasetError);
  const rep = await datasetConfig({
    id: 'f',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    train_batch_size: 5,
    repeats: 1,
  });
  t.equal(
    Object.keys((await scanDataset({ id: 'f', config: rep.config, storage, args: rep.args })).index.buckets).length,
    3,
    '4·(1+1) ≥ 5 keeps buckets',
  );
  const m1 = await datasetConfig({
    id: 'f',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    max_num_samples: 5,
  });
  const s1 = await scanDataset({ id: 'f', config: m1.config, storage, args: m1.args });
  const s2 = await scanDataset({ id: 'f', config: m1.config, storage, args: m1.args });
  t.equal(s1.files, 5);
  t.same(s1.index.buckets, s2.index.buckets, 'deterministic subset');
  const m2 = await datasetConfig({
    id: 'other-id',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    max_num_samples: 5,
  });
  const s3 = await scanDataset({ id: 'other-id', config: m2.config, storage, args: m2.args });
  t.notSame(
    Object.values(s3.index.buckets).flat().sort(),
    Object.values(s1.index.buckets).flat().sort(),
    'depends on the dataset id',
  );
});

t.test('empty dataset explains itself stage by stage', async (t) => {
  const dir = t.testdir({});
  await plant(dir);
  const { config, args } = await datasetConfig({
    id: 'e',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    minimum_image_size: 5000,
  });
  const err = await scanDataset({ id: 'e', config, storage: new LocalStorage({ id: 'e', root: dir }), args }).catch(
    (e: unknown) => e,
  );
  t.ok(err instanceof EmptyDatasetError);
  const msg = (err as Error).message;
  t.match(msg, /Dataset 'e' produced no usable samples/);
  t.match(msg, /stage file_discovery: 17/);
  t.match(msg, /too_small=12/);
  t.match(msg, /minimum_image_size=5000/);
});

t.test('SimpleTuner-written caches are read back and adopted', async (t) => {
  const dir = t.testdir({});
  await plant(dir);
  const storage = new LocalStorage({ id: 'st', root: dir });
  const meta: Record<string, unknown> = {};
  for (const [k, w, h] of [
    ['l1.jpg', 192, 108],
    ['s/q1.png', 100, 100],
  ] as const) {
    meta[join(dir, k)] = {
      original_size: [w, h],
      crop_coordinates: [0, 0],
      target_size: [1, 1],
      intermediary_size: [1, 1],
      aspect_ratio: 1,
    };
  }
  await writeFile(join(dir, 'aspect_ratio_bucket_metadata_st.json'), JSON.stringify(meta));
  await writeFile(
    join(dir, 'aspect_ratio_bucket_indices_st.json'),
    JSON.stringify({
      config: {},
      aspect_ratio_bucket_indices: { 1: [join(dir, 's/q1.png')], 1.78: [join(dir, 'l1.jpg')] },
    }),
  );
  const { config, args } = await datasetConfig({
    id: 'st',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
  });
  const before = await readCacheFiles(storage, storage, config, args);
  t.same(Object.keys(before!.index.buckets).sort(), ['1.0', '1.78'], 'Python float keys coerced');
  t.equal(before!.fresh, false, 'no tunefeed hash: not trusted for geometry');
  const r = await scanDataset({ id: 'st', config, storage, args });
  t.equal(r.probed, 15, 'files known from the SimpleTuner cache are not probed');
  t.same(r.index.metadata['l1.jpg']?.target_size, [896, 512], 'geometry recomputed for the live config');
});

t.test('piscina pool gives the same caches as the in-thread runner', async (t) => {
  const dir = t.testdir({});
  await plant(dir);
  const { config, args } = await datasetConfig({
    id: 'pool',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    crop: true,
    crop_style: 'random',
    crop_aspect: 'square',
  });
  const storage = new LocalStorage({ id: 'pool', root: dir });
  await scanDataset({ id: 'pool', config, storage, args });
  const inline = await readFile(join(dir, 'aspect_ratio_bucket_metadata_pool.json'), 'utf8');
  const pool = new ScanPool({ threads: 2 });
  t.teardown(() => pool.close());
  const r = await scanDataset({ id: 'pool', config, storage, args, pool, ignoreCache: true, chunkSize: 3 });
  t.equal(r.probed, 17);
  t.equal(
    await readFile(join(dir, 'aspect_ratio_bucket_metadata_pool.json'), 'utf8'),
    inline,
    'byte-identical, random crops seeded per key',
  );
});

t.test('a worker that crashes is replaced; its task is retried once, then its keys are reported', async (t) => {
  const dir = t.testdir({});
  await plant(dir);
  const { config, args } = await datasetConfig({
    id: 'crash',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
  });
  // The injected worker file kills its thread on every task that holds s/q2.jpg (the shipped worker has no hook).
  const filename = fileURLToPath(new URL('../fixtures/metadata/crashy-scan.ts', import.meta.url));
  const pool = new ScanPool({ threads: 1, filename });
  t.teardown(() => pool.close());
  const r = await scanDataset({
    id: 'crash',
    config,
    storage: new LocalStorage({ id: 'crash', root: dir }),
    args,
    pool,
    chunkSize: 1,
  });
  t.equal(r.report.skipped.read_error, 1, 'only the crashing key is lost');
  t.match(r.report.examples.read_error?.[0]?.message, /worker failed twice/);
  t.equal(Object.values(r.index.buckets).flat().length, 11, 'every other good image is bucketed');
});

t.test('an aborted scan rejects and leaves a usable checkpoint', async (t) => {
  const dir = t.testdir({});
  await plantCorpus(dir, 400);
  const { config, args } = await datasetConfig({
    id: 'ab',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
  });
  const storage = new LocalStorage({ id: 'ab', root: dir });
  const ac = new AbortController();
  // The in-thread runner reads through this storage: abort after 100 files were opened.
  let opened = 0;
  const counting = new Proxy(storage, {
    get(target, prop) {
      if (prop === 'kind') return 'test-proxy'; // not 'local': reads go through readRange
      if (prop === 'readRange')
        return (key: string, a: number, b: number) => {
          if (++opened === 100) ac.abort();
          return target.readRange(key, a, b);
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  await t.rejects(
    scanDataset({ id: 'ab', config, storage: counting, args, signal: ac.signal, chunkSize: 16, flushIntervalMs: 0 }),
    { name: 'AbortError' },
  );
  const r = await scanDataset({ id: 'ab', config, storage, args });
  t.ok(r.reusedCache, 'the checkpoint written before the abort is reused');
  t.ok(r.probed < 400, `only the rest is probed (${r.probed})`);
  t.equal(Object.values(r.index.buckets).flat().length, 400);
});

t.test('skip_file_discovery=aspect trusts fresh caches without listing, rescans stale ones', async (t) => {
  const dir = t.testdir({});
  await plant(dir);
  const storage = new LocalStorage({ id: 'sk', root: dir });
  const a = await datasetConfig({
    id: 'sk',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    skip_file_discovery: 'aspect',
  });
  const first = await scanDataset({ id: 'sk', config: a.config, storage, args: a.args });
  await makeImage(join(dir, 'late.jpg'), { w: 300, h: 100, format: 'jpeg' });
  const trusted = await scanDataset({ id: 'sk', config: a.config, storage, args: a.args });
  t.same(trusted.index.buckets, first.index.buckets, 'served from the cache files: the new file is not seen');
  t.equal(trusted.report.stages[0]?.name, 'skip_file_discovery');
  const b = await datasetConfig({
    id: 'sk',
    instance_data_dir: dir,
    resolution: 768,
    resolution_type: 'pixel',
    skip_file_discovery: 'aspect',
  });
  const rescanned = await scanDataset({ id: 'sk', config: b.config, storage, args: b.args });
  t.same(rescanned.index.buckets['3.0'], ['late.jpg'], 'a changed geometry config is rescanned, not served stale');
});
