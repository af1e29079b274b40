// Consumer wait share with and without prefetch, for a slow consumer that sleeps (main thread free) and one that
// keeps the main thread busy (a trainer doing CPU work in-process), on real decoded images; with the prefetch thread
// (default) and with the pipeline on the main thread (`thread: false`).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { createLoader } from '../lib/pipeline/create-loader.js';
import type { LoaderOptions } from '../lib/pipeline/types.js';
import { LocalStorage } from '../lib/storage/local.js';
import { imageConfig } from '../test/helpers/runtime-dataset.js';
import { benchScale, generatedImages } from './corpus.js';
import { codeDefault } from './figures/code-defaults.js';
import { REPO_ROOT } from './figures/docs-figures.js';
import type { BenchLine } from './results.js';
import { benchGeometry, squareBucketIndex } from './square-bucket.js';

const BS = 4;
const WARMUP = 3;

async function inputsFor(files: string[]) {
  const root = path.dirname(files[0]);
  const index = await squareBucketIndex('pf', root, files, benchGeometry(256));
  return [
    { config: imageConfig('pf', root, { train_batch_size: BS }), storage: new LocalStorage({ id: 'pf', root }), index },
  ]; // filename captions: built inside the prefetch thread (a caption function would be asked of the main thread)
}

/**
 * Consume `batches`, spending `stepMs` per batch either asleep or spinning on the main thread; returns the wait share.
 */
async function consume(
  opts: LoaderOptions,
  batches: number,
  stepMs: number,
  busy: boolean,
): Promise<{ waitShare: number; seconds: number }> {
  const loader = await createLoader('unused', { ...opts, batches: batches + WARMUP, latents: false });
  const it = loader[Symbol.asyncIterator]();
  let waited = 0,
    t0 = 0;
  for (let i = 0; i < batches + WARMUP; i++) {
    if (i === WARMUP) t0 = performance.now();
    const a = performance.now();
    const r = await it.next();
    if (r.done) break;
    if (i >= WARMUP) waited += performance.now() - a;
    if (busy) {
      const end = performance.now() + stepMs;
      while (performance.now() < end);
    } else await sleep(stepMs);
  }
  await loader.close();
  const seconds = (performance.now() - t0) / 1000;
  return { waitShare: waited / 1000 / seconds, seconds };
}

/** SimpleTuner without --dataloader_prefetch: each step reads and decodes its batch when the trainer asks for it. */
async function onDemand(
  datasets: Awaited<ReturnType<typeof inputsFor>>,
  batches: number,
  stepMs: number,
  busy: boolean,
): Promise<{ waitShare: number; seconds: number }> {
  const { index, storage } = datasets[0];
  const keys = index.buckets['1.0'];
  let waited = 0,
    t0 = 0;
  for (let i = 0; i < batches + WARMUP; i++) {
    if (i === WARMUP) t0 = performance.now();
    const a = performance.now();
    await Promise.all(
      Array.from({ length: BS }, async (_, j) => {
        const key = keys[(i * BS + j) % keys.length];
        const g = index.metadata[key];
        const buf = await readFile(path.join(storage.root, key));
        return sharp(buf)
          .rotate()
          .removeAlpha()
          .toColourspace('srgb')
          .resize(g.intermediary_size[0], g.intermediary_size[1], { fit: 'fill', kernel: 'lanczos3' })
          .extract({
            left: g.crop_coordinates[1],
            top: g.crop_coordinates[0],
            width: g.target_size[0],
            height: g.target_size[1],
          })
          .raw()
          .toBuffer();
      }),
    );
    if (i >= WARMUP) waited += performance.now() - a;
    if (busy) {
      const end = performance.now() + stepMs;
      while (performance.now() < end);
    } else await sleep(stepMs);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { waitShare: waited / 1000 / seconds, seconds };
}

async function main(): Promise<void> {
  const scale = benchScale();
  const batches = { tiny: 10, small: 40, full: 200 }[scale];
  const files = await generatedImages({
    count: { tiny: 8, small: 32, full: 128 }[scale],
    formats: ['jpeg', 'webp', 'png'],
  });
  const datasets = await inputsFor(files);
  // The loader runs with its default ordered window; the label says what that default is in this commit.
  const inFlight = Number(await codeDefault(REPO_ROOT, 'inFlight'));
  const base: LoaderOptions = { datasets, seed: 1 };
  const free = await consume({ ...base, prefetch: 10, thread: true }, batches, 0, false);
  const producerMs = (free.seconds * 1000) / batches;
  // A busy consumer occupies one of the two cores, leaving decode half the CPU: its step is 1.3 × twice the producer
  // time.
  const stepFor = (busy: boolean): number => Math.ceil(producerMs * 1.3 * (busy ? 2 : 1));
  const cases: [string, LoaderOptions | null, boolean][] = [
    ['sleeping consumer, prefetch 10, prefetch thread', { ...base, prefetch: 10, thread: true }, false],
    ['sleeping consumer, prefetch 10, pipeline on the main thread', { ...base, prefetch: 10, thread: false }, false],
    ['sleeping consumer, no prefetch (decode on demand)', null, false],
    ['busy main thread, prefetch 10, prefetch thread', { ...base, prefetch: 10, thread: true }, true],
    ['busy main thread, prefetch 10, pipeline on the main thread', { ...base, prefetch: 10, thread: false }, true],
    ['busy main thread, no prefetch (decode on demand)', null, true],
  ];
  for (const [name, opts, busy] of cases) {
    const stepMs = stepFor(busy);
    const r = opts ? await consume(opts, batches, stepMs, busy) : await onDemand(datasets, batches, stepMs, busy);
    const line: BenchLine = {
      bench: 'prefetch',
      case: name,
      figures: {
        wait_share: r.waitShare,
        consumer_step_ms: stepMs,
        producer_ms_per_batch: producerMs,
        batches_s: batches / r.seconds,
      },
      params: {
        batches,
        batch_size: BS,
        warmup_batches: WARMUP,
        ...(opts
          ? { prefetch: opts.prefetch, inFlight: `${inFlight} (default)`, thread: opts.thread }
          : { baseline: 'readFile + sharp per step, 4 in flight' }),
      },
      caveat:
        "consumer step = 1.3 × the loader's unthrottled time per batch " +
        '(× 2 when the consumer spins on the main thread ' +
        'and so takes one of the 2 cores), so a perfect prefetcher ' +
        'hides all decode time; wait = time in next() after warm-up.',
      // Both prefetch modes are judged; the decode-on-demand rows are the control (their case names say so).
    };
    console.log(JSON.stringify(line));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/prefetch: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
