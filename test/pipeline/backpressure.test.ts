// Backpressure end to end: with a slow consumer the batches planned ahead stay bounded; a stage that ignores
// backpressure (the control) fails the very same assertion.
import t from 'tap';
import { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildLoader, type Loader } from '../../lib/pipeline/create-loader.js';
import { runtimeArgs } from '../../lib/pipeline/wire.js';
import type { LoaderOptions } from '../../lib/pipeline/types.js';
import { makeDataset, type MadeDataset } from '../helpers/runtime-dataset.js';

/** The classic bug: accept every write at once and push regardless of what push() returns. */
class IgnoresBackpressure extends Duplex {
  constructor() { super({ objectMode: true, highWaterMark: 1 }); }
  override _write(chunk: unknown, _enc: BufferEncoding, cb: () => void): void { this.push(chunk); cb(); }
  override _final(cb: () => void): void { this.push(null); cb(); }
  override _read(): void {}
}

const TOTAL = 60;
const opts: LoaderOptions = { batches: TOTAL, prefetch: 3, inFlight: 4, seed: 5 };
/** prefetch + batches whose samples can be in the window + one batch in each hand-off buffer between stages. */
const BOUND = 3 + 4 + 6;

async function drainSlowly(loader: Loader, msPerBatch: number): Promise<{ maxAhead: number; maxBytesAhead: number; delivered: number }> {
  let maxAhead = 0;
  let delivered = 0;
  let bytesPerBatch = 0;
  for await (const b of loader) {
    delivered++;
    bytesPerBatch ||= (b as { samples: { pixels?: Uint8Array }[] }).samples.reduce((s, x) => s + (x.pixels?.byteLength ?? 0), 0);
    await sleep(msPerBatch);
    maxAhead = Math.max(maxAhead, loader.planned - delivered);
  }
  return { maxAhead, maxBytesAhead: maxAhead * bytesPerBatch, delivered };
}

let ds: MadeDataset;
t.before(async () => { ds = await makeDataset('bp', [12, 12]); });

t.test('slow consumer: planned-but-unconsumed batches stay bounded', async (t) => {
  const loader = await buildLoader([ds], runtimeArgs(undefined, undefined), opts, async () => {});
  const r = await drainSlowly(loader, 15);
  t.equal(r.delivered, TOTAL);
  t.ok(r.maxAhead <= BOUND, `at most ${BOUND} batches ahead of the consumer (measured ${r.maxAhead}, ${(r.maxBytesAhead / 1024).toFixed(0)} KiB of pixels)`);
  t.ok(r.maxAhead >= 3, `prefetch does run ahead (${r.maxAhead})`);
});

t.test('control: a stage that ignores backpressure fails the same bound', async (t) => {
  const loader = await buildLoader([ds], runtimeArgs(undefined, undefined), opts, async () => {}, new IgnoresBackpressure());
  const r = await drainSlowly(loader, 15);
  t.equal(r.delivered, TOTAL);
  t.ok(r.maxAhead > BOUND, `the broken stage lets the sampler run ${r.maxAhead} batches ahead (> ${BOUND}): the assertion has teeth`);
});
