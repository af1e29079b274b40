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

/** A clock only the producer (its delay per batch) and the consumer's steps (onBatch) move: the shares are exact. */
function controlledRun(produceMs: number, stepMs: number, batches: number) {
  let clock = 0;
  async function* source() {
    for (let i = 0; i < batches; i++) {
      clock += produceMs;
      await Promise.resolve();
      yield { dataset: 'a', samples: [i], targetSize: [8, 8] };
    }
  }
  return consume(source(), { batches, stepMs: 1, now: () => clock, onBatch: () => (clock += stepMs) });
}

t.test(
  'wait share: 0 for an instant producer, exactly 30 / (30 + 10) for a 30 ms producer and a 10 ms step',
  async (t) => {
    const fast = await controlledRun(0, 10, 20);
    t.equal(fast.waitShare, 0, 'instant producer: no wait');
    // After the warm-up batch, each of the 11 batches waits 30 ms and steps 10 ms.
    const slow = await controlledRun(30, 10, 12);
    t.equal(slow.waitShare, 0.75, 'slow producer: 3/4 of the time waiting');
    t.equal(slow.firstBatchMs, 30, 'first batch latency: one production');
    t.equal(slow.seconds, 0.48, '12 × (30 + 10) ms');
  },
);

t.test('busy mode keeps the main thread occupied for the step', async (t) => {
  const started = performance.now();
  await consume(producer(0, 5), { batches: 5, stepMs: 20, mode: 'busy' });
  t.ok(performance.now() - started >= 95);
});
