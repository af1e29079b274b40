// Backpressure end to end: with a slow consumer the batches planned ahead stay bounded; a stage that ignores
// backpressure (the control) fails the very same assertion.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildLoader, type Loader } from '../../lib/pipeline/create-loader.js';
import { runtimeArgs } from '../../lib/pipeline/wire.js';
import type { LoaderOptions } from '../../lib/pipeline/types.js';
import { IgnoresBackpressure } from '../helpers/ignores-backpressure.js';
import { makeDataset, type MadeDataset } from '../helpers/runtime-dataset.js';

/** The control stage: in-process as an instance, in the prefetch thread by module and export name. */
const CONTROL = {
  module: new URL('../helpers/ignores-backpressure.ts', import.meta.url).href,
  name: 'IgnoresBackpressure',
};

const TOTAL = 60;
const opts: LoaderOptions = { batches: TOTAL, prefetch: 3, inFlight: 4, seed: 5 };
/** prefetch + batches whose samples can be in the window + one batch in each hand-off buffer between stages. */
const BOUND = 3 + 4 + 6;

async function drainSlowly(
  loader: Loader,
  msPerBatch: number,
): Promise<{ maxAhead: number; maxBytesAhead: number; delivered: number }> {
  let maxAhead = 0;
  let delivered = 0;
  let bytesPerBatch = 0;
  for await (const b of loader) {
    delivered++;
    bytesPerBatch ||= (b as { samples: { pixels?: Uint8Array }[] }).samples.reduce(
      (s, x) => s + (x.pixels?.byteLength ?? 0),
      0,
    );
    await sleep(msPerBatch);
    maxAhead = Math.max(maxAhead, loader.planned - delivered);
  }
  return { maxAhead, maxBytesAhead: maxAhead * bytesPerBatch, delivered };
}

let ds: MadeDataset;
t.before(async () => {
  ds = await makeDataset('bp', [12, 12]);
});

for (const thread of [true, false])
  t.test(`slow consumer: planned-but-unconsumed batches stay bounded (thread: ${thread})`, async (t) => {
    const loader = await buildLoader([ds], runtimeArgs(undefined, undefined), { ...opts, thread }, async () => {});
    t.equal(loader.threaded, thread);
    const r = await drainSlowly(loader, 15);
    t.equal(r.delivered, TOTAL);
    t.ok(
      r.maxAhead <= BOUND,
      `at most ${BOUND} batches ahead of the consumer ` +
        `(measured ${r.maxAhead}, ${(r.maxBytesAhead / 1024).toFixed(0)} KiB of pixels)`,
    );
    t.ok(r.maxAhead >= 3, `prefetch does run ahead (${r.maxAhead})`);
  });

for (const thread of [true, false])
  t.test(`control: a stage that ignores backpressure fails the same bound (thread: ${thread})`, async (t) => {
    const insert = thread ? CONTROL : new IgnoresBackpressure();
    const loader = await buildLoader(
      [ds],
      runtimeArgs(undefined, undefined),
      { ...opts, thread },
      async () => {},
      insert,
    );
    t.equal(loader.threaded, thread);
    const r = await drainSlowly(loader, 15);
    t.equal(r.delivered, TOTAL);
    t.ok(
      r.maxAhead > BOUND,
      `the broken stage lets the sampler run ${r.maxAhead} batches ahead (> ${BOUND}): the assertion has teeth`,
    );
  });
