// A decoding stream over S3 through the fault proxy delivers exactly the batches of a fault-free run; a permanently
// failing object is skipped with its reason after a bounded number of attempts and the stream goes on.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch, LoaderDatasetInput } from '../../lib/pipeline/types.js';
import { S3Storage } from '../../lib/storage/s3.js';
import { awsDescription, startS3Server, type S3Server } from '../helpers/s3-server.js';
import { startFaultProxy, type Fault, type ProxiedRequest } from '../helpers/fault-proxy.js';
import { imageConfig, oneBucketIndex } from '../helpers/runtime-dataset.js';
import { report } from '../helpers/fault-count.js';

const N = 24;
const keys = Array.from({ length: N }, (_, i) => `img${String(i).padStart(2, '0')}.jpg`);

/** SlowDown bursts, 500s, resets, bodies cut mid-way and latency spikes on a fixed share of requests. */
function chaos(r: ProxiedRequest): Fault {
  if (r.n % 19 < 3) return { kind: 'slowdown' };
  if (r.n % 7 === 3) return { kind: 'reset' };
  if (r.n % 11 === 5) return { kind: 'truncate', fraction: 0.3 };
  if (r.n % 13 === 6) return { kind: 'status', status: 500 };
  if (r.n % 17 === 9) return { kind: 'delay', ms: 100 };
  return { kind: 'pass' };
}

/** What chaos() injects over requests 1..n, by kind. */
function expectedFaults(n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 1; i <= n; i++) {
    const kind = chaos({ n: i } as ProxiedRequest).kind;
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

async function seed(srv: S3Server): Promise<void> {
  await srv.putMany(
    await Promise.all(
      keys.map(
        async (k, i) =>
          [
            `photos/${k}`,
            await sharp({
              create: {
                width: 64,
                height: 64,
                channels: 3,
                background: { r: (i * 37) % 256, g: (i * 91) % 256, b: 40 },
              },
            })
              .jpeg()
              .toBuffer(),
          ] as [string, Buffer],
      ),
    ),
  );
}

function dataset(t: Test, srv: S3Server, endpoint: string, extra: string[] = []): LoaderDatasetInput {
  const storage = new S3Storage(
    awsDescription(srv, { id: 'remote', prefix: 'photos/', endpoint, maxAttempts: 6, retryBaseDelayMs: 2 }),
  );
  t.teardown(() => storage.close());
  const index = oneBucketIndex('remote', [...keys, ...extra], {
    original_size: [64, 64],
    intermediary_size: [64, 64],
    target_size: [48, 48],
    crop_coordinates: [8, 8],
    aspect_ratio: 1,
  });
  return { config: imageConfig('remote', 'photos/', { type: 'aws', train_batch_size: 2 }), storage, index };
}

/** step:key=sha256(pixels) for every sample, in delivery order. */
async function run(ds: LoaderDatasetInput, thread = false): Promise<{ lines: string[]; batches: Batch[] }> {
  const batches: Batch[] = [];
  for await (const b of await createLoader('x', {
    thread,
    datasets: [ds],
    epochs: 2,
    seed: 5,
    threads: 1,
    inFlight: 6,
  }))
    batches.push(b);
  const lines = batches.flatMap((b) =>
    b.samples.map(
      (s) =>
        `${b.step}:${s.key}=${createHash('sha256')
          .update(s.pixels ?? new Uint8Array())
          .digest('hex')
          .slice(0, 16)}`,
    ),
  );
  return { lines, batches };
}

for (const thread of [false, true])
  t.test(
    `stream over faulty S3 equals the stream over clean S3, byte for byte (prefetch thread: ${thread})`,
    async (t) => {
      const srv = await startS3Server(t, { bucket: 'stream-bucket' });
      await seed(srv);
      const proxy = await startFaultProxy(t, srv.endpoint, chaos);
      const clean = await run(dataset(t, srv, srv.endpoint), thread);
      const faulty = await run(dataset(t, srv, proxy.url), thread);
      t.equal(clean.lines.length, 2 * N, 'clean run: every sample of both epochs');
      t.same(faulty.lines, clean.lines, 'same steps, keys and pixel hashes under faults');
      t.same(
        faulty.batches.flatMap((b) => b.skipped),
        [],
        'nothing skipped under transient faults',
      );
      const f = proxy.stats.faults;
      const injected = proxy.stats.requests - (f.pass ?? 0) - (f.delay ?? 0);
      // Faults depend only on the request number, so the counts of R requests are known exactly.
      const expected = expectedFaults(proxy.stats.requests);
      for (const kind of ['slowdown', 'reset', 'truncate', 'status', 'delay'])
        t.equal(
          f[kind] ?? 0,
          expected[kind] ?? 0,
          `${kind} injected ${f[kind]} times (chaos() over ${proxy.stats.requests})`,
        );
      t.ok((f.slowdown ?? 0) > 0 && (f.reset ?? 0) > 0 && (f.truncate ?? 0) > 0, 'every kind of failure occurred');
      t.equal(
        proxy.stats.requests,
        2 * N + injected,
        `one request per sample and epoch, plus exactly one retry per failed request (${injected} failed)`,
      );
      report(t, `s3-stream${thread ? '-thread' : ''}`, {
        samples: faulty.lines.length,
        identical: faulty.lines.filter((l, i) => l === clean.lines[i]).length,
        requests: proxy.stats.requests,
        failed_requests: injected,
        ...f,
      });
    },
  );

t.test(
  'a permanently failing object is skipped with its reason after bounded attempts; the stream goes on',
  async (t) => {
    const srv = await startS3Server(t, { bucket: 'doom-bucket' });
    await seed(srv);
    await srv.put(
      'photos/doomed.jpg',
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
        .jpeg()
        .toBuffer(),
    );
    const proxy = await startFaultProxy(t, srv.endpoint, (r) =>
      r.url.includes('doomed') ? { kind: 'slowdown' } : { kind: 'pass' },
    );
    const { lines, batches } = await run(dataset(t, srv, proxy.url, ['doomed.jpg']));
    const skips = batches.flatMap((b) => b.skipped);
    t.same(
      skips.map((s) => s.key),
      ['doomed.jpg', 'doomed.jpg'],
      'doomed.jpg skipped once in each of the 2 epochs, nothing else',
    );
    t.match(
      skips[0].message,
      /slow_down, gave up after 6 attempts/,
      `reason ${skips[0].reason}: ${skips[0].message.slice(0, 120)}`,
    );
    const hits = proxy.stats.log.filter((l) => l.url.includes('doomed')).length;
    t.equal(hits, 6 * skips.length, 'exactly maxAttempts requests per skip, never more');
    t.equal(new Set(lines.map((l) => l.split('=')[0].split(':')[1])).size, N, 'every good sample delivered');
    t.ok(
      batches.every((b) => b.samples.length === 2),
      'every batch full (refilled)',
    );
    report(t, 's3-stream-permanent', {
      skips: skips.length,
      requests_for_object: hits,
      max_attempts: 6,
      samples: lines.length,
    });
  },
);
