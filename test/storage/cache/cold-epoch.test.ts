// A cold epoch from S3: one GET per object and no HEAD (on s3rver too), reads not held back by decode slots.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { metrics, type MetricEvent } from '../../../lib/metrics/events.js';
import { createLoader } from '../../../lib/pipeline/create-loader.js';
import type { LoaderDatasetInput, LoaderOptions } from '../../../lib/pipeline/types.js';
import { createStorage } from '../../../lib/storage/from-description.js';
import type { BackendDescription } from '../../../lib/storage/types.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { startMemS3Server } from '../../helpers/mem-s3-server.js';
import { makeDataset, type MadeDataset } from '../../helpers/runtime-dataset.js';
import { awsDescription, startS3Server } from '../../helpers/s3-server.js';
import { requests, tempSpec } from './helpers.js';

type Aws = Extract<BackendDescription, { kind: 'aws' }>;

/** The dataset's files as [key, bytes], for uploading. */
async function filesOf(ds: MadeDataset): Promise<[string, Buffer][]> {
  const keys = Object.keys(ds.index.metadata);
  return Promise.all(keys.map(async (k) => [k, await readFile(path.join(ds.root, k))] as [string, Buffer]));
}

/** One epoch; the number of samples delivered. */
async function epoch(t: Test, input: LoaderDatasetInput, options: LoaderOptions): Promise<number> {
  const loader = await createLoader('unused', { datasets: [input], epochs: 1, seed: 4, ...options });
  t.teardown(() => loader.close());
  let n = 0;
  for await (const b of loader) n += b.samples.length;
  return n;
}

/** s3rver behind a pass-through proxy (which logs every request), holding a 10-image dataset. */
async function s3rverDataset(t: Test): Promise<{ ds: MadeDataset; desc: (o: Partial<Aws>) => Aws; proxy: FaultProxy }> {
  const ds = await makeDataset('cold', [6, 4]);
  const srv = await startS3Server(t);
  await srv.putMany(await filesOf(ds), 8);
  const proxy = await startFaultProxy(t, srv.endpoint);
  return { ds, proxy, desc: (o) => awsDescription(srv, { id: 'cold', endpoint: proxy.url, ...o }) };
}

/** Requests the proxy saw, per method and object key (query strings dropped). */
function perKey(proxy: FaultProxy, bucket: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { url } of proxy.stats.log) {
    const [method, target] = url.split(' ');
    const key = decodeURIComponent(target.split('?')[0].slice(bucket.length + 2));
    counts.set(`${method} ${key}`, (counts.get(`${method} ${key}`) ?? 0) + 1);
  }
  return counts;
}

for (const c of [
  { name: 'SDK reads, decode in a worker thread', aws: {}, options: {} },
  { name: 'lean reads, decode in the prefetch thread', aws: { leanReads: true }, options: { threads: 0 } },
] satisfies { name: string; aws: Partial<Aws>; options: LoaderOptions }[]) {
  t.test(`s3rver, ${c.name}: one cold epoch is exactly one GET per object and no HEAD`, async (t) => {
    const { ds, desc, proxy } = await s3rverDataset(t);
    const storage = createStorage({ ...desc(c.aws), cache: await tempSpec() });
    t.teardown(() => storage.close());
    const n = await epoch(t, { config: ds.config, storage, index: ds.index }, c.options);
    t.equal(n, 10, 'every sample delivered');
    const expected = new Map(Object.keys(ds.index.metadata).map((k) => [`GET ${k}`, 1]));
    t.same(Object.fromEntries(perKey(proxy, 'test-bucket')), Object.fromEntries(expected));
  });
}

t.test('s3rver: an entry stored with the GET’s ETag revalidates as unchanged (one HEAD, no GET)', async (t) => {
  const { ds, desc, proxy } = await s3rverDataset(t);
  const key = Object.keys(ds.index.metadata)[0];
  for (const leanReads of [false, true]) {
    const storage = createStorage({ ...desc({ leanReads }), cache: await tempSpec({ revalidateAfterMs: 0 }) });
    t.teardown(() => storage.close());
    const body = await storage.read(key);
    const before = proxy.stats.log.length;
    t.same(await storage.read(key), body, `leanReads ${leanReads}: same bytes`);
    t.same(
      proxy.stats.log.slice(before).map((l) => l.url.split(' ')[0]),
      ['HEAD'],
      `leanReads ${leanReads}: the aged entry cost one HEAD and no GET`,
    );
  }
});

t.test('decode in the prefetch thread: S3 reads in flight reach the window depth, not tasksPerThread', async (t) => {
  const ds = await makeDataset('win', [8, 8]);
  // A slow first byte keeps each GET open long enough that reads issued together are seen together.
  const srv = await startMemS3Server(t, { latencyMs: 150 });
  await srv.putMany(await filesOf(ds), 8);
  const storage = createStorage(awsDescription(srv, { id: 'win', leanReads: true }));
  t.teardown(() => storage.close());
  await srv.peak();
  const options = { threads: 0, tasksPerThread: 1, inFlight: 8 };
  t.equal(await epoch(t, { config: ds.config, storage, index: ds.index }, options), 16, 'all 16 samples delivered');
  const peak = await srv.peak();
  // Reads used to take a decode slot for their whole round trip: the peak was tasksPerThread (1).
  t.ok(peak >= 4, `${peak} GETs open at once with 1 decode slot and an 8-deep window`);
  t.equal((await srv.stats()).get, 16, 'one GET per object');
});

t.test('decode in the prefetch thread joins the read-ahead’s downloads: no claim waits, one GET each', async (t) => {
  const ds = await makeDataset('join', [12, 12]);
  const srv = await startMemS3Server(t, { latencyMs: 20 });
  await srv.putMany(await filesOf(ds), 8);
  const storage = createStorage({
    ...awsDescription(srv, { id: 'join', leanReads: true }),
    cache: await tempSpec(),
  });
  t.teardown(() => storage.close());
  const events: MetricEvent[] = [];
  t.teardown(metrics.subscribe((e) => e.type.startsWith('cache.') && events.push(e)));
  t.equal(
    await epoch(t, { config: ds.config, storage, index: ds.index }, { threads: 0, readAhead: 4 }),
    24,
    'all 24 delivered',
  );
  t.same(await requests(srv), { get: 24, head: 0 }, 'one GET per object, no HEAD');
  t.equal(events.filter((e) => e.type === 'cache.miss').length, 24, 'one cache.miss per object');
  t.equal(events.filter((e) => e.type === 'cache.wait').length, 0, 'no read waited on another download’s claim');
});
