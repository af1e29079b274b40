// The decode pool on real files: pixels moved back equal the in-process decode, skips carry reasons, crashes retry
// once.
import t from 'tap';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeToTarget, type SampleGeometry } from '../../lib/image/decode.js';
import { DecodePool } from '../../lib/pool/decode-pool.js';
import { MetricsBus, type MetricEvent } from '../../lib/metrics/events.js';

const geometry: SampleGeometry = { intermediary_size: [48, 32], target_size: [32, 32], crop_coordinates: [0, 8] };

async function setup() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tf-pool-'));
  const img = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 30, b: 60 } } })
    .composite([
      {
        input: await sharp({ create: { width: 20, height: 20, channels: 3, background: '#00ff00' } })
          .png()
          .toBuffer(),
        left: 30,
        top: 10,
      },
    ])
    .jpeg()
    .toBuffer();
  for (const k of ['good.jpg', 'crash-once.jpg', 'crash-always.jpg']) await writeFile(path.join(root, k), img);
  await writeFile(path.join(root, 'broken.jpg'), img.subarray(0, 200));
  return { root, img, storage: { kind: 'local' as const, id: 'ds', root } };
}

t.test('pixels come back (moved) identical to an in-process decode', async (t) => {
  const { img, storage } = await setup();
  const pool = new DecodePool({ threads: 1, tasksPerThread: 2 });
  t.teardown(() => pool.close());
  const r = await pool.run({ storage, key: 'good.jpg', geometry });
  const local = await decodeToTarget(img, geometry);
  t.ok(r.ok && r.kind === 'pixels');
  if (!r.ok || r.kind !== 'pixels') return;
  t.equal(r.width, 32);
  t.equal(r.height, 32);
  t.ok(r.pixels instanceof Uint8Array);
  t.equal(r.pixels.byteLength, 32 * 32 * 3);
  t.ok(Buffer.from(r.pixels).equals(local.data), 'same bytes as main-thread sharp');
  t.ok(r.readMs > 0 && r.decodeMs > 0, `read and decode timed (${r.readMs} ms, ${r.decodeMs} ms)`);
});

t.test('missing and corrupt files are skip results, never rejections', async (t) => {
  const { storage } = await setup();
  const pool = new DecodePool();
  t.teardown(() => pool.close());
  const missing = await pool.run({ storage, key: 'nope.jpg', geometry });
  const broken = await pool.run({ storage, key: 'broken.jpg', geometry });
  t.match(missing, { ok: false, reason: 'not_found' });
  t.match(broken, { ok: false, reason: 'truncated' }); // cut short: the scan's word for it too
});

t.test('a crashed worker is replaced and its task retried once, then reported', async (t) => {
  const { root, storage } = await setup();
  const bus = new MetricsBus();
  const events: MetricEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const filename = fileURLToPath(new URL('../fixtures/image/crashy-decode.ts', import.meta.url));
  const pool = new DecodePool({ filename, metrics: bus });
  t.teardown(() => pool.close());
  const marker = path.join(root, 'marker');
  const once = await pool.run({ storage, key: 'crash-once.jpg', geometry, marker } as never);
  t.ok(once.ok, 'retried on a fresh worker and succeeded');
  const always = await pool.run({ storage, key: 'crash-always.jpg', geometry });
  t.match(always, { ok: false, reason: 'worker_crash' });
  const after = await pool.run({ storage, key: 'good.jpg', geometry });
  t.ok(after.ok, 'the pool still works');
  t.equal(pool.crashes, 3);
  t.equal(events.filter((e) => e.type === 'loader.worker_crash').length, 3);
});

t.test('a thread with several task slots starts queued tasks in the order they were submitted', async (t) => {
  const { storage } = await setup();
  const filename = fileURLToPath(new URL('../fixtures/image/order-decode.ts', import.meta.url));
  const pool = new DecodePool({ filename, threads: 1, tasksPerThread: 2 });
  t.teardown(() => pool.close());
  const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
  const results = await Promise.all(keys.map((key) => pool.run({ storage, key, geometry })));
  const startedAs = results.map((r) => (r.ok ? -1 : Number(r.message.split(':')[1])));
  t.same(
    startedAs,
    keys.map((_, i) => i),
    'task i was the i-th to start on the worker',
  );
});

t.test('threads 0 decodes in this thread: same pixels, same skips, at most tasksPerThread at once', async (t) => {
  const { img, storage } = await setup();
  const pool = new DecodePool({ threads: 0, tasksPerThread: 2 });
  t.teardown(() => pool.close());
  const runs = ['good.jpg', 'good.jpg', 'good.jpg', 'broken.jpg'].map((key) => pool.run({ storage, key, geometry }));
  // Reads take no slot, so decodes start as reads end: sample the pool on every turn until all four are done.
  let settled = false;
  const most = { decoding: 0, total: 0 };
  const all = Promise.all(runs).finally(() => (settled = true));
  while (!settled) {
    most.decoding = Math.max(most.decoding, pool.decoding);
    most.total = Math.max(most.total, pool.decoding + pool.queued);
    await new Promise((r) => setImmediate(r));
  }
  t.equal(most.decoding, 2, 'never more than tasksPerThread (2) decodes at once, and both slots used');
  t.ok(most.total >= 3, `decodes waited for a slot (${most.total} ready at once)`);
  const [a, b, c, broken] = await all;
  const local = await decodeToTarget(img, geometry);
  for (const r of [a, b, c])
    t.ok(r.ok && r.kind === 'pixels' && Buffer.from(r.pixels).equals(local.data), 'same bytes as a direct decode');
  t.match(broken, { ok: false, reason: 'truncated' });
  t.equal(pool.queued, 0);
});
