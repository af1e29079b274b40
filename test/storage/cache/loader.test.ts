// The loader streaming an S3 dataset through the cache: epoch 2 makes no GET, the folder stays under its bound.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { metrics, type MetricEvent } from '../../../lib/metrics/events.js';
import { createLoader } from '../../../lib/pipeline/create-loader.js';
import { scanEntries } from '../../../lib/storage/cache/disk-scan.js';
import type { CacheSpec } from '../../../lib/storage/cache/cache-spec.js';
import { createStorage } from '../../../lib/storage/from-description.js';
import { startMemS3Server, type MemS3Server } from '../../helpers/mem-s3-server.js';
import { awsDescription } from '../../helpers/s3-server.js';
import { makeDataset, type MadeDataset } from '../../helpers/runtime-dataset.js';
import type { LoaderDatasetInput } from '../../../lib/pipeline/types.js';
import { requests, tempSpec } from './helpers.js';

/** A local dataset uploaded to a fresh server; the input reads it from S3 through the cache. */
async function s3Dataset(
  t: Test,
  counts: number[],
  spec: CacheSpec,
): Promise<{ srv: MemS3Server; ds: MadeDataset; input: LoaderDatasetInput; bytes: number }> {
  const ds = await makeDataset('s3c', counts);
  const srv = await startMemS3Server(t);
  const keys = Object.keys(ds.index.metadata);
  const files = await Promise.all(
    keys.map(async (k) => [k, await readFile(path.join(ds.root, k))] as [string, Buffer]),
  );
  await srv.putMany(files, 8);
  const storage = createStorage({ ...awsDescription(srv, { id: 's3c' }), cache: spec });
  t.teardown(() => storage.close());
  const bytes = files.reduce((a, [, b]) => a + b.length, 0);
  return { srv, ds, input: { config: ds.config, storage, index: ds.index }, bytes };
}

function digest(px: Uint8Array | undefined): string {
  return createHash('sha1')
    .update(px ?? new Uint8Array())
    .digest('hex');
}

t.test('two epochs from S3: each object is downloaded once, epoch 2 pixels equal epoch 1', async (t) => {
  const { srv, input } = await s3Dataset(t, [6, 4], await tempSpec());
  const loader = await createLoader('unused', { datasets: [input], epochs: 2, seed: 3 });
  const seen = new Map<string, string>();
  let samples = 0;
  for await (const b of loader) {
    for (const s of b.samples) {
      samples++;
      const d = digest(s.pixels);
      if (b.epoch === 2) t.equal(d, seen.get(s.key), `epoch 2 ${s.key} same pixels`);
      else seen.set(s.key, d);
    }
  }
  await loader.close();
  t.equal(samples, 20, 'two epochs of 10');
  t.same(await requests(srv), { get: 10, head: 0 }, 'one GET and no HEAD per object in all, none in epoch 2');
});

t.test('read-ahead downloads planned samples before decode asks; the thread forwards cache metrics', async (t) => {
  const { srv, input } = await s3Dataset(t, [8, 8], await tempSpec());
  const events: MetricEvent[] = [];
  t.teardown(metrics.subscribe((e) => e.type.startsWith('cache.') && events.push(e)));
  const loader = await createLoader('unused', { datasets: [input], epochs: 1, seed: 5, readAhead: 3 });
  let n = 0;
  for await (const b of loader) n += b.samples.length;
  await loader.close();
  t.equal(n, 16);
  const warmed = events.filter((e) => e.type === 'cache.readahead');
  t.ok(warmed.length > 0, `${warmed.length} objects warmed by read-ahead`);
  t.equal((await requests(srv)).get, 16, 'still one GET per object');
  t.equal(events.filter((e) => e.type === 'cache.miss').length, 16, 'every download reported as a cache.miss event');
});

t.test('the folder stays under its bound while streaming a dataset twice its size', async (t) => {
  const spec = await tempSpec();
  const { srv, input, bytes } = await s3Dataset(t, [100, 100], spec);
  spec.maxBytes = Math.floor(bytes / 2);
  const loader = await createLoader('unused', { datasets: [input], epochs: 2, seed: 1 });
  let peak = 0;
  let batches = 0;
  for await (const b of loader) {
    batches++;
    t.ok(b.samples.length > 0);
    const used = (await scanEntries(spec.dir)).reduce((a, e) => a + e.size, 0);
    peak = Math.max(peak, used);
  }
  await loader.close();
  t.ok(batches >= 200, `${batches} batches`);
  t.ok(peak <= spec.maxBytes, `peak ${peak} ≤ bound ${spec.maxBytes}`);
  t.ok(peak >= spec.maxBytes * 0.5, 'and the cache was used');
  t.ok((await requests(srv)).get > 200, 'evicted objects are fetched again in epoch 2');
});
