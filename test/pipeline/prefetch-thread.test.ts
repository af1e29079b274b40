// The prefetch thread: a consumer that blocks the main thread gets every batch, within credits; buffers cross without
// copies; coded errors keep their class and fields; a user's caption function is served from the main thread.
import t from 'tap';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { ImageDecodeError, ImpossibleBatchError } from '../../lib/errors.js';
import { MetricsBus, type MetricEvent } from '../../lib/metrics/events.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import { fromWireError, toWireError, transferables } from '../../lib/pipeline/thread-protocol.js';
import type { Batch } from '../../lib/pipeline/types.js';
import { registerWeighting } from '../../lib/sampling/weights.js';
import { makeDataset } from '../helpers/runtime-dataset.js';

const WARMUP = 4;
const TOTAL = 30;
const PREFETCH = 4;
/** The consumer's synchronous step (several times what a batch of tiny images takes to produce). */
const BLOCK_MS = 30;

/**
 * Batches of 6 with only 2 samples in the decode window: a batch needs 3 round trips to the decode pool. In-process
 * each round trip needs an event-loop turn, which a consumer blocking the main thread grants once per batch.
 */
async function consumeBusy(thread: boolean) {
  const ds = await makeDataset(`busy-${thread}`, [24], { config: { train_batch_size: 6 } });
  const bus = new MetricsBus();
  const events: MetricEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const loader = await createLoader('x', {
    datasets: [ds],
    batches: TOTAL,
    prefetch: PREFETCH,
    inFlight: 2,
    seed: 2,
    metrics: bus,
    thread,
  });
  const ahead: number[] = [];
  let n = 0;
  let waitsAtWarmup = 0;
  let decoded = true;
  for await (const b of loader) {
    if (++n === WARMUP) waitsAtWarmup = events.filter((e) => e.type === 'loader.wait').length;
    // Batches planned beyond this one when it was handed over (asking takes in all that arrived); the tail drains.
    if (n >= WARMUP && n <= TOTAL - PREFETCH) ahead.push(loader.planned - n);
    decoded &&= b.samples.every((s) => s.pixels?.byteLength === s.target_size[0] * s.target_size[1] * 3);
    const end = performance.now() + BLOCK_MS;
    while (performance.now() < end); // the trainer's synchronous step: no event-loop turn at all
  }
  // loader.wait counts asks where no batch had reached the main thread yet.
  const waits = events.filter((e) => e.type === 'loader.wait').length - waitsAtWarmup;
  const depths = events.filter((e) => e.type === 'loader.queue').map((e) => e.depth as number);
  return { loader, n, waits, ahead, decoded, depths, events };
}

// How often a blocked consumer still waits is a matter of speed on a loaded machine: bench/prefetch.ts measures it
// ("busy main thread, prefetch thread" wait_share). This test asserts what holds at any speed.
t.test(
  'a consumer that blocks the main thread 30 ms per batch: every batch decoded, queue bounded by credits',
  async (t) => {
    const r = await consumeBusy(true);
    t.ok(r.loader.threaded, 'the pipeline runs in the prefetch thread');
    t.equal(r.n, TOTAL);
    t.ok(r.decoded, 'every batch decoded');
    t.comment(`after warm-up the consumer waited ${r.waits} times in ${r.n - WARMUP} batches`);
    t.comment(`planned − delivered at each hand-over: ${r.ahead.join(' ')}`);
    t.ok(
      Math.max(...r.depths) <= PREFETCH,
      `credits bound the main-thread queue to prefetch (max ${Math.max(...r.depths)})`,
    );
    t.ok(
      r.events.some((e) => e.type === 'loader.batch'),
      "the thread's per-batch metrics reach the main bus",
    );
  },
);

t.test('control: the same consumer with the pipeline on the main thread waits for (nearly) every batch', async (t) => {
  const r = await consumeBusy(false);
  t.notOk(r.loader.threaded);
  t.equal(r.n, TOTAL);
  // Three pool round trips per batch, one event-loop turn per consumer step: production stalls while the consumer
  // computes, whatever the machine's speed. This is what the prefetch thread removes.
  t.ok(r.waits >= (r.n - WARMUP) / 2, `in-process, the consumer waited ${r.waits} times in ${r.n - WARMUP} batches`);
});

t.test(
  "pixel buffers are transferred: the sender's whole buffers detach; shared slices are copied, not detached",
  async (t) => {
    const whole = new Uint8Array(48 * 48 * 3).fill(7);
    const file = new Uint8Array(1000).fill(3);
    const slice = file.subarray(100, 220);
    const batch = {
      samples: [{ pixels: whole, latents: { dtype: 'float32', shape: [30], data: slice } }],
    } as unknown as Batch;
    const { port1, port2 } = new MessageChannel();
    const transfer = transferables(batch);
    port1.postMessage(batch, transfer);
    const [got] = (await once(port2, 'message')) as [Batch];
    port1.close();
    t.equal(whole.byteLength, 0, 'the owned pixel buffer moved (detached on the sender)');
    t.equal(file.byteLength, 1000, 'the buffer around a slice is left alone');
    t.equal(got.samples[0].pixels!.byteLength, 48 * 48 * 3);
    t.equal(got.samples[0].pixels![0], 7);
    t.equal(got.samples[0].latents!.data.byteLength, 120, "only the slice's bytes crossed");
    t.equal(got.samples[0].latents!.data.buffer.byteLength, 120);
  },
);

t.test('coded errors keep class, code, message and fields across the thread', async (t) => {
  const e = fromWireError(
    structuredClone(toWireError(new ImageDecodeError('bad jpeg', 'corrupt', { dataset: 'photos', file: 'a.jpg' }))),
  );
  t.ok(e instanceof ImageDecodeError);
  t.match(e, {
    code: 'TF_IMAGE_DECODE',
    dataset: 'photos',
    file: 'a.jpg',
    reason: 'corrupt',
    message: 'bad jpeg (dataset=photos, file=a.jpg)',
  });
  const ds = await makeDataset('tiny', [2], { config: { train_batch_size: 4 } });
  const err = await createLoader('x', { datasets: [ds], thread: true }).then(
    () => null,
    (x: unknown) => x,
  );
  t.ok(err instanceof ImpossibleBatchError, 'thrown in the thread, rejected on the main thread with its class');
  t.match(err, { code: 'TF_BATCH_IMPOSSIBLE', dataset: 'tiny', message: /Increase repeats/ });
});

t.test("a user's caption function runs on the main thread, asked by the prefetch thread", async (t) => {
  const ds = await makeDataset('cap', [4]);
  const loader = await createLoader('x', {
    datasets: [{ ...ds, captions: async (k) => `main says ${k}` }],
    batches: 2,
    decode: false,
    seed: 1,
  });
  t.ok(loader.threaded);
  const out: Batch[] = [];
  for await (const b of loader) out.push(b);
  t.ok(out.flatMap((b) => b.samples).every((s) => s.caption === `main says ${s.key}`));
});

t.test('breaking out early closes the thread and reports state for what was delivered', async (t) => {
  const ds = await makeDataset('early', [8]);
  const loader = await createLoader('x', { datasets: [ds], seed: 4, prefetch: 5, decode: false });
  let n = 0;
  for await (const _ of loader) if (++n === 2) break;
  await loader.close();
  t.equal(loader.state().step, 2, 'state follows delivery, not the 5 prefetched');
  t.ok(loader.planned >= 2);
});

t.test(
  'a weighting registered on the main thread keeps the pipeline in-process (functions cannot cross)',
  async (t) => {
    registerWeighting('prefetch-test-equal', ({ candidates }) => candidates.map(() => 1));
    const ds = await makeDataset('wt', [4]);
    const loader = await createLoader('x', {
      datasets: [ds],
      batches: 2,
      decode: false,
      weighting: 'prefetch-test-equal',
    });
    t.notOk(loader.threaded);
    const out: Batch[] = [];
    for await (const b of loader) out.push(b);
    t.equal(out.length, 2);
    const builtin = await createLoader('x', { datasets: [ds], batches: 1, decode: false, weighting: 'uniform' });
    t.ok(builtin.threaded, 'built-in strategies exist in the thread too');
    await builtin.close();
  },
);
