// S3Storage through a fault-injecting proxy: identical results to a clean run; permanent failures reported, bounded.
import t from 'tap';
import { S3Storage } from '../../lib/storage/s3.js';
import { StorageError } from '../../lib/errors.js';
import { metrics, type MetricEvent } from '../../lib/metrics/events.js';
import type { ObjectInfo } from '../../lib/storage/types.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';
import { startFaultProxy, type Fault, type ProxiedRequest } from '../helpers/fault-proxy.js';

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of it) out.push(o);
  return out;
}

/** Deterministic mix: SlowDown bursts, 500s, resets, cut bodies and latency spikes on a fixed share of requests. */
function chaos(r: ProxiedRequest): Fault {
  const n = r.n;
  if (n % 29 < 3) return { kind: 'slowdown' }; // bursts of three
  if (n % 7 === 3) return { kind: 'reset' };
  if (n % 11 === 4) return { kind: 'truncate', fraction: 0.4 };
  if (n % 13 === 6) return { kind: 'status', status: 500 };
  if (n % 17 === 9) return { kind: 'delay', ms: 150 };
  return { kind: 'pass' };
}

t.test('faults change nothing but the retry count', async (t) => {
  const srv = await startS3Server(t, { bucket: 'fault-bucket' });
  const objects = Array.from(
    { length: 60 },
    (_, i) =>
      [`ds/${['p', 'q', 'r'][i % 3]}dir/img${String(i).padStart(3, '0')}.png`, Buffer.alloc(2000 + i * 37, i)] as [
        string,
        Buffer,
      ],
  );
  await srv.putMany(objects);
  const clean = new S3Storage(awsDescription(srv, { prefix: 'ds', listPageSize: 7 }));
  t.teardown(() => clean.close());
  const proxy = await startFaultProxy(t, srv.endpoint, chaos);
  const faulty = new S3Storage(
    awsDescription(srv, { prefix: 'ds', listPageSize: 7, endpoint: proxy.url, maxAttempts: 8, retryBaseDelayMs: 2 }),
  );
  t.teardown(() => faulty.close());
  const retries: MetricEvent[] = [];
  const off = metrics.subscribe((e) => {
    if (e.type === 'storage.retry') retries.push(e);
  });
  t.teardown(off);

  const want = await collect(clean.list());
  t.equal(want.length, 60);
  const got = await collect(faulty.list());
  t.same(got, want, 'listing identical under faults');
  const keys = want.map((o) => o.key);
  const wantBytes = await Promise.all(keys.map((k) => clean.read(k)));
  const gotBytes = await Promise.all(keys.map((k) => faulty.read(k)));
  t.ok(
    gotBytes.every((b, i) => b.equals(wantBytes[i])),
    'every body byte-identical',
  );
  const ranges = await Promise.all(keys.map((k) => faulty.readRange(k, 100, 1100)));
  t.ok(
    ranges.every((b, i) => b.equals(wantBytes[i].subarray(100, 1100))),
    'every range byte-identical',
  );
  for (const kind of ['slowdown', 'reset', 'truncate', 'status', 'delay'])
    t.ok(proxy.stats.faults[kind] > 0, `${kind} injected ${proxy.stats.faults[kind]} times`);
  const reasons = new Set(retries.map((e) => String(e.reason)));
  t.ok(
    ['slow_down', 'InternalError', 'econnreset'].every((r) => reasons.has(r)),
    `retry reasons seen: ${[...reasons].join(', ')}`,
  );
  t.ok(retries.length >= proxy.stats.faults.slowdown, 'every failed attempt was retried and counted');
});

t.test('a permanently failing object is reported after a bounded number of attempts', async (t) => {
  const srv = await startS3Server(t, { bucket: 'perm-bucket' });
  await srv.putMany([
    ['ok.png', 'fine'],
    ['bad.png', 'never arrives'],
  ]);
  const proxy = await startFaultProxy(t, srv.endpoint, (r) =>
    r.url.includes('bad.png') ? { kind: 'slowdown' } : { kind: 'pass' },
  );
  const s3 = new S3Storage(awsDescription(srv, { endpoint: proxy.url, maxAttempts: 4, retryBaseDelayMs: 5 }));
  t.teardown(() => s3.close());
  const err = await s3.read('bad.png').catch((e: unknown) => e);
  t.ok(err instanceof StorageError, 'coded StorageError');
  t.match((err as Error).message, /slow_down, gave up after 4 attempts.*s3:\/\/perm-bucket\/bad\.png/s);
  t.equal(proxy.stats.log.filter((l) => l.url.includes('bad.png')).length, 4, 'exactly maxAttempts requests');
  t.equal((await s3.read('ok.png')).toString(), 'fine', 'other objects unaffected');
  const denied = await startFaultProxy(t, srv.endpoint, () => ({ kind: 'status', status: 403, code: 'AccessDenied' }));
  const s3d = new S3Storage(awsDescription(srv, { endpoint: denied.url, maxAttempts: 4 }));
  t.teardown(() => s3d.close());
  await t.rejects(s3d.read('ok.png'), { code: 'TF_STORAGE', message: /AccessDenied/ });
  t.equal(denied.stats.requests, 1, 'permanent errors are not retried');
});

t.test('a hung response times out per attempt and the retry succeeds', async (t) => {
  const srv = await startS3Server(t, { bucket: 'slow-bucket' });
  await srv.put('slow.png', 'eventually');
  const proxy = await startFaultProxy(t, srv.endpoint, (r) =>
    r.n === 1 ? { kind: 'delay', ms: 3000 } : { kind: 'pass' },
  );
  const s3 = new S3Storage(awsDescription(srv, { endpoint: proxy.url, attemptTimeoutMs: 300, requestTimeoutMs: 300 }));
  t.teardown(() => s3.close());
  t.equal((await s3.read('slow.png')).toString(), 'eventually');
  // Waiting out the 3 s stall would have needed one request; a second one means the first attempt was abandoned.
  t.equal(proxy.stats.requests, 2, 'the stalled attempt was abandoned at its timeout and retried once');
});

t.test('429 and a 400 Throttling error are retried; a 404 NoSuchKey is not', async (t) => {
  const srv = await startS3Server(t, { bucket: 'throttle-bucket' });
  await srv.put('ok.png', 'fine');
  const plans: Record<number, Fault> = {
    1: { kind: 'status', status: 429, code: 'TooManyRequests' },
    2: { kind: 'status', status: 400, code: 'Throttling' },
  };
  const proxy = await startFaultProxy(t, srv.endpoint, (r) => plans[r.n] ?? { kind: 'pass' });
  const s3 = new S3Storage(awsDescription(srv, { endpoint: proxy.url, maxAttempts: 4, retryBaseDelayMs: 2 }));
  t.teardown(() => s3.close());
  const retries: string[] = [];
  const off = metrics.subscribe((e) => {
    if (e.type === 'storage.retry') retries.push(String(e.reason));
  });
  t.teardown(off);
  t.equal((await s3.read('ok.png')).toString(), 'fine');
  t.equal(proxy.stats.requests, 3, 'two throttled attempts, then the one that succeeded');
  t.same(retries, ['http_429', 'Throttling'], 'both retried, each with its reason');
  const before = proxy.stats.requests;
  await t.rejects(s3.read('missing.png'), { code: 'TF_STORAGE_NOT_FOUND' });
  t.equal(proxy.stats.requests - before, 1, 'NoSuchKey: one request, no retry');
});
