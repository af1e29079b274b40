// The simulated consumer counts batches and samples and measures its wait share against producers of known speed.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { batchSize, consume } from '../../lib/demo/consumer.js';

async function* producer(delayMs: number, count: number, size = 4) {
  for (let i = 0; i < count; i++) {
    if (delayMs) await sleep(delayMs);
    yield {
      dataset: i % 2 ? 'a' : 'b',
      samples: Array.from({ length: size }, (_, k) => `${i}-${k}`),
      targetSize: [256, 192],
    };
  }
}

t.test('batchSize reads the common batch shapes', async (t) => {
  t.equal(batchSize([1, 2, 3]), 3);
  t.equal(batchSize({ samples: [1, 2] }), 2);
  t.equal(batchSize({ keys: ['a'] }), 1);
  t.equal(batchSize({ size: 7 }), 7);
});

t.test('stops after the requested batches and counts samples per dataset', async (t) => {
  const s = await consume(producer(0, 100), { batches: 10, stepMs: 1 });
  t.equal(s.batches, 10);
  t.equal(s.samples, 40);
  t.same(s.perDataset, { a: 20, b: 20 });
  t.same(s.shapes, { '256x192': 10 });
});

t.test('wait share: near zero for an instant producer, large for a slow one', async (t) => {
  const fast = await consume(producer(0, 20), { batches: 20, stepMs: 10 });
  t.ok(fast.waitShare < 0.1, `instant producer: ${fast.waitShare}`);
  // Producer 30 ms per batch with no prefetch, consumer 10 ms: about 3/4 of the time is spent waiting.
  const slow = await consume(producer(30, 12), { batches: 12, stepMs: 10 });
  t.ok(slow.waitShare > 0.5 && slow.waitShare < 0.95, `slow producer: ${slow.waitShare}`);
  t.ok(slow.firstBatchMs >= 25, 'first batch latency measured');
});

t.test('busy mode keeps the main thread occupied for the step', async (t) => {
  const started = performance.now();
  await consume(producer(0, 5), { batches: 5, stepMs: 20, mode: 'busy' });
  t.ok(performance.now() - started >= 95);
});
