// The cache in front of S3 (in-memory server, counted requests): hits, one download per object, changed objects.
import { readdir, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { metrics, type MetricEvent } from '../../../lib/metrics/events.js';
import type { CachedStorage } from '../../../lib/storage/cache/cached-storage.js';
import { cachedS3, objects, requests, serverWith, tempSpec } from './helpers.js';

t.test('a second pass over every object makes no GET and returns the same bytes', async (t) => {
  const objs = objects(12, 3000);
  const srv = await serverWith(t, objs);
  const s = cachedS3(t, srv, await tempSpec());
  for (const [k, b] of objs) t.same(await s.read(k), b, `first read of ${k}`);
  const first = await requests(srv);
  t.equal(first.get, 12, 'one GET per object on the first pass');
  for (const [k, b] of objs) t.same(await s.read(k), b);
  t.same(await requests(srv), first, 'no GET and no HEAD on the second pass');
  const st = (s as unknown as CachedStorage).cacheStats;
  t.match(st, { misses: 12, diskHits: 12, downloadedBytes: 36000, diskBytes: 36000 });
});

t.test('a new storage on the same folder (another run) reads from disk', async (t) => {
  const objs = objects(5, 1000);
  const srv = await serverWith(t, objs);
  const spec = await tempSpec();
  for (const [k] of objs) await cachedS3(t, srv, spec, 'run1').read(k);
  const before = await requests(srv);
  const again = cachedS3(t, srv, spec, 'run2');
  for (const [k, b] of objs) t.same(await again.read(k), b);
  t.same(await requests(srv), before, 'no request at all within revalidateAfterMs');
});

t.test('the memory level serves repeats without touching the disk level', async (t) => {
  const objs = objects(4, 500);
  const srv = await serverWith(t, objs);
  const s = cachedS3(t, srv, await tempSpec({ memoryMaxBytes: 1 << 20 }));
  for (let pass = 0; pass < 3; pass++) for (const [k] of objs) await s.read(k);
  t.match((s as unknown as CachedStorage).cacheStats, { misses: 4, diskHits: 0, memoryHits: 8, memoryBytes: 4000 });
});

t.test('concurrent reads of one object in one thread download it once', async (t) => {
  const objs = objects(1, 4000);
  const srv = await serverWith(t, objs);
  const s = cachedS3(t, srv, await tempSpec());
  const all = await Promise.all(Array.from({ length: 8 }, () => s.read(objs[0][0])));
  for (const b of all) t.same(b, objs[0][1]);
  t.equal((await requests(srv)).get, 1);
});

t.test('an object changed on the remote is fetched again once its entry is older than revalidateAfterMs', async (t) => {
  const [[key, v1]] = objects(1, 2000);
  const srv = await serverWith(t, [[key, v1]]);
  const spec = await tempSpec({ revalidateAfterMs: 60_000 });
  t.same(await cachedS3(t, srv, spec, 'a').read(key), v1);
  const v2 = Buffer.alloc(2000, 0xee); // same size: only the ETag tells them apart
  await srv.put(key, v2);
  // Age every entry past the window, as if the run had gone on for a while.
  const entries = path.join(spec.dir, 'entries');
  for (const sub of await readdir(entries))
    for (const f of await readdir(path.join(entries, sub))) {
      const old = new Date(Date.now() - 120_000);
      await utimes(path.join(entries, sub, f), old, old);
    }
  const events: MetricEvent[] = [];
  t.teardown(metrics.subscribe((e) => e.type === 'cache.changed' && events.push(e)));
  const before = await requests(srv);
  const s = cachedS3(t, srv, spec, 'b');
  t.same(await s.read(key), v2, 'the new version, not the cached one');
  const after = await requests(srv);
  t.equal(after.get - before.get, 1, 'one GET for the new version');
  t.equal(events.length, 1, 'one cache.changed event');
  t.same(await s.read(key), v2, 'the refreshed entry is served');
  t.equal((await requests(srv)).get, after.get, 'and served from the cache');
});

t.test('an unchanged aged entry costs one HEAD, no GET, and is then fresh again', async (t) => {
  const [[key, v1]] = objects(1, 1500);
  const srv = await serverWith(t, [[key, v1]]);
  const spec = await tempSpec({ revalidateAfterMs: 0 });
  await cachedS3(t, srv, spec, 'a').read(key);
  const before = await requests(srv);
  const s = cachedS3(t, srv, spec, 'b');
  t.same(await s.read(key), v1);
  const after = await requests(srv);
  t.same({ get: after.get - before.get, head: after.head - before.head }, { get: 0, head: 1 });
});

t.test('ranged reads come from a cached whole object, else from the remote uncached', async (t) => {
  const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
  const srv = await serverWith(t, [['r.bin', body]]);
  const s = cachedS3(t, srv, await tempSpec());
  t.same(await s.readRange('r.bin', 10, 20), body.subarray(10, 20), 'remote range');
  t.equal((await requests(srv)).get, 1);
  await s.read('r.bin');
  t.same(await s.readRange('r.bin', 990, 2000), body.subarray(990), 'range from the cached copy');
  t.equal((await requests(srv)).get, 2, 'no GET for the second range');
});

t.test('writes and deletes through the cached storage drop the cached copy', async (t) => {
  const srv = await serverWith(t, [['w.txt', Buffer.from('one')]]);
  const s = cachedS3(t, srv, await tempSpec());
  t.equal((await s.read('w.txt')).toString(), 'one');
  await s.write('w.txt', 'two');
  t.equal((await s.read('w.txt')).toString(), 'two');
  await s.delete('w.txt');
  await t.rejects(s.read('w.txt'), { code: 'TF_STORAGE_NOT_FOUND' });
});

t.test('a folder cleared while in use (tunefeed cache clear) is made again and keeps caching', async (t) => {
  const objs = objects(4, 800);
  const srv = await serverWith(t, objs);
  const spec = await tempSpec();
  const s = cachedS3(t, srv, spec);
  await s.read(objs[0][0]);
  await rm(spec.dir, { recursive: true, force: true });
  for (const [k, b] of objs.slice(1)) t.same(await s.read(k), b);
  const before = await requests(srv);
  for (const [k] of objs.slice(1)) await s.read(k);
  t.same(await requests(srv), before, 'the objects read after the clear are cached again');
});
