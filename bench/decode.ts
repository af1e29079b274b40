// The loader's decode path (sampler → window → decode pool → batches) vs a raw in-process sharp loop doing
// the same read + rotate + resize + crop at equal parallelism, for several pool configurations.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { DatasetIndex } from '../lib/metadata/types.js';
import { decodeToTarget } from '../lib/image/decode.js';
import { createLoader } from '../lib/pipeline/create-loader.js';
import { LocalStorage } from '../lib/storage/local.js';
import { imageConfig } from '../test/helpers/runtime-dataset.js';
import { benchScale, checksumOf, generatedImages } from './corpus.js';
import { codeDefault } from './figures/code-defaults.js';
import { REPO_ROOT } from './figures/docs-figures.js';
import type { BenchLine } from './results.js';
import { benchGeometry, squareBucketIndex } from './square-bucket.js';
import { median, spread } from './stats.js';

const WARM_EPOCHS = 1;
const TIMED_EPOCHS = 3;

/**
 * Steady-state rate of an ordered stream: images of the timed epochs over the time from the warm-up's last delivery to
 * the last one.
 */
interface Timed {
  imgS: number;
  seconds: number;
  startS: number;
  cpuMsPerImg: number;
  last: Map<string, Uint8Array>;
}

/** CPU time of the whole process (every thread: main, prefetch, decode workers, libuv pool), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The baseline: plain in-process sharp, the loader's own decode function (decodeToTarget: same sharp calls and
 * options) on this thread after readFile, `parallelism` images in flight over the same epochs. Outputs are delivered
 * in order like the loader's (an image counts as delivered when it and all before it are done), so both sides are
 * timed by the same rule.
 */
async function rawLoop(index: DatasetIndex, root: string, parallelism: number): Promise<Timed> {
  const keys = index.buckets['1.0'];
  const total = keys.length * (WARM_EPOCHS + TIMED_EPOCHS);
  const done = new Array<number>(total);
  const cpu = new Array<number>(total);
  const last = new Map<string, Uint8Array>();
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const key = keys[i % keys.length];
      const img = await decodeToTarget(await readFile(path.join(root, key)), index.metadata[key], {}, key);
      done[i] = performance.now();
      cpu[i] = cpuMs();
      if (i >= total - keys.length) last.set(key, img.data); // a reference only: hashed after the clock stops
    }
  };
  await Promise.all(Array.from({ length: parallelism }, lane));
  const delivered = done.map((_, i) => Math.max(...done.slice(0, i + 1)));
  const from = delivered[keys.length * WARM_EPOCHS - 1];
  const seconds = (delivered[total - 1] - from) / 1000;
  const cpuFrom = cpu[done.indexOf(from)];
  const cpuEnd = cpu[done.indexOf(delivered[total - 1])];
  const n = keys.length * TIMED_EPOCHS;
  return { imgS: n / seconds, seconds, startS: (from - t0) / 1000, cpuMsPerImg: (cpuEnd - cpuFrom) / n, last };
}

/**
 * The loader (prefetch thread, ordered window, piscina decode pool, batch assembly) over the same epochs, timed by
 * the same rule: from the last batch of the warm-up epoch (worker start-up, sharp init, page cache all inside it)
 * to the last batch. Nothing but keeping a reference to each pixel buffer happens in the loop.
 */
async function loaderRun(
  index: DatasetIndex,
  root: string,
  threads: number,
  tasksPerThread: number,
  inFlight: number,
): Promise<Timed> {
  const config = imageConfig('bench', root, { train_batch_size: 4 });
  const t0 = performance.now();
  const loader = await createLoader('unused', {
    datasets: [{ config, storage: new LocalStorage({ id: 'bench', root }), index, captions: async () => null }],
    epochs: WARM_EPOCHS + TIMED_EPOCHS,
    threads,
    tasksPerThread,
    inFlight,
    latents: false,
  });
  const last = new Map<string, Uint8Array>();
  let from = 0,
    end = 0,
    timed = 0,
    cpuFrom = 0;
  for await (const x of loader) {
    const b = x;
    end = performance.now();
    if (b.epoch <= WARM_EPOCHS) {
      from = end;
      cpuFrom = cpuMs();
    } else timed += b.samples.length;
    if (b.epoch === WARM_EPOCHS + TIMED_EPOCHS) for (const s of b.samples) last.set(s.key, s.pixels!);
  }
  const seconds = (end - from) / 1000;
  return { imgS: timed / seconds, seconds, startS: (from - t0) / 1000, cpuMsPerImg: (cpuMs() - cpuFrom) / timed, last };
}

/** Hash of every pixel of the last epoch, computed outside the timed region. */
function pixelSum(last: Map<string, Uint8Array>): string {
  return checksumOf(
    [...last]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}:${createHash('sha1').update(v).digest('hex')}`),
  );
}

/** Rounds per case: each round measures both sides once, alternating which goes first. */
const ROUNDS = { tiny: 2, small: 5, full: 7 };

/** Both sides measured `rounds` times; one ratio per round, so the spread over rounds is known. */
async function measureCase(
  index: DatasetIndex,
  root: string,
  [threads, perThread, inFlight]: [number, number, number],
  rounds: number,
): Promise<{ tf: Timed[]; raw: Timed[]; ratios: number[] }> {
  const parallelism = threads === 0 ? perThread : threads * perThread;
  const tf: Timed[] = [];
  const raw: Timed[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so a side is not always the one that runs right after the other's garbage and caches.
    if (r % 2 === 0) raw.push(await rawLoop(index, root, parallelism));
    tf.push(await loaderRun(index, root, threads, perThread, inFlight));
    if (r % 2 === 1) raw.push(await rawLoop(index, root, parallelism));
  }
  return { tf, raw, ratios: tf.map((x, i) => x.imgS / raw[i].imgS) };
}

/** One process's cases. UV_THREADPOOL_SIZE is read once at libuv start, so each value needs its own process. */
async function runCases(configs: [number, number, number][]): Promise<void> {
  const scale = benchScale();
  const count = { tiny: 8, small: 48, full: 128 }[scale];
  const files = await generatedImages({ count, formats: ['jpeg', 'jpeg-progressive', 'webp', 'png'] });
  const root = path.dirname(files[0]);
  const index = await squareBucketIndex('bench', root, files, benchGeometry(512));
  const vips = Number(process.env.TUNEFEED_BENCH_VIPS ?? 0);
  if (vips) sharp.concurrency(vips); // process-wide: libvips threads per image, in workers too
  await rawLoop(index, root, 4); // warm-up: page cache, sharp init
  const run: RunInfo = {
    count,
    rounds: ROUNDS[scale],
    uv: process.env.UV_THREADPOOL_SIZE ?? '4',
    defaultWindow: Number(await codeDefault(REPO_ROOT, 'inFlight')),
  };
  for (const config of configs) {
    const m = await measureCase(index, root, config, run.rounds);
    console.log(JSON.stringify(caseLine(config, m, run)));
  }
}

/** What every case of one process shares. */
interface RunInfo {
  count: number;
  rounds: number;
  uv: string;
  defaultWindow: number;
}

/** The result line of one case: medians over rounds, the per-round ratio's median and spread, the checksums. */
function caseLine(
  [threads, perThread, inFlight]: [number, number, number],
  m: Awaited<ReturnType<typeof measureCase>>,
  run: RunInfo,
): BenchLine {
  // Decodes running at once: the pool's slots (threads 0 = in the prefetch thread, tasksPerThread slots). The ordered
  // window may be deeper: the extra samples wait in the pool's queue, not in sharp, so sharp parallelism stays equal.
  const parallelism = threads === 0 ? perThread : threads * perThread;
  const rawSum = pixelSum(m.raw[m.raw.length - 1].last);
  const tfSum = pixelSum(m.tf[m.tf.length - 1].last);
  const window = `window ${inFlight}${inFlight === run.defaultWindow ? ' (default)' : ''}`;
  const where = threads === 0 ? 'in prefetch thread (threads 0),' : `${threads} thread(s) ×`;
  const med = (side: Timed[], pick: (x: Timed) => number): number => median(side.map(pick));
  return {
    bench: 'decode',
    case: `${where} ${perThread} decoding, ${window}, uv ${run.uv}, vips ${sharp.concurrency()}`,
    figures: {
      tunefeed_img_s: med(m.tf, (x) => x.imgS),
      raw_img_s: med(m.raw, (x) => x.imgS),
      tunefeed_warmup_s: med(m.tf, (x) => x.startS),
      raw_warmup_s: med(m.raw, (x) => x.startS),
      tunefeed_cpu_ms_per_img: med(m.tf, (x) => x.cpuMsPerImg),
      raw_cpu_ms_per_img: med(m.raw, (x) => x.cpuMsPerImg),
    },
    ratios: { vs_raw_sharp: median(m.ratios) },
    spread: { vs_raw_sharp: spread(m.ratios) },
    checksum: { tunefeed: tfSum, raw: rawSum, same: tfSum === rawSum },
    params: {
      images: run.count,
      warm_epochs: WARM_EPOCHS,
      timed_epochs: TIMED_EPOCHS,
      parallelism,
      threads,
      tasksPerThread: perThread,
      inFlight,
      uv_threadpool: run.uv,
      sharp_concurrency: sharp.concurrency(),
      rounds: run.rounds,
      statistic: 'median of per-round ratios (both sides once per round, order alternating); spread = min–max',
    },
    caveat: caveatFor(threads, perThread, inFlight, parallelism, run.count),
  };
}

function caveatFor(threads: number, perThread: number, inFlight: number, parallelism: number, count: number): string {
  return (
    `timed on both sides: ${TIMED_EPOCHS} epochs × ${count} images (read + decode + rotate + lanczos3 resize + ` +
    `crop to 512², raw RGB out) in steady state, from the last delivery of ${WARM_EPOCHS} warm-up epoch to the ` +
    'last delivery, deliveries in order; no checksum work inside the clock ' +
    '(sha1 of every pixel of the last epoch ' +
    `afterwards). raw = readFile + decodeToTarget (the same sharp calls) on the main thread, ${parallelism} in ` +
    `flight; tunefeed = createLoader (prefetch thread, sampler, ordered window of ${inFlight}, ` +
    (threads === 0
      ? 'decode in the prefetch thread, no pool'
      : `piscina pool of ${threads} × ${perThread}, read via LocalStorage in the worker, pixels moved`) +
    ', batches of 4).'
  );
}

/** Default settings in this process; UV_THREADPOOL_SIZE 2 / 8 and libvips concurrency 2 in child processes. */
async function main(): Promise<void> {
  // TUNEFEED_BENCH_DECODE_CASES="1x4x8,0x4x16" (threads × decodes per thread × window) runs only those, in this
  // process.
  const only = process.env.TUNEFEED_BENCH_DECODE_CASES;
  if (only) return runCases(only.split(',').map((c) => c.split('x').map(Number) as [number, number, number]));
  // The environment variants (UV_THREADPOOL_SIZE, libvips concurrency) run on the default pool configuration.
  const w = Number(await codeDefault(REPO_ROOT, 'inFlight'));
  if (process.env.TUNEFEED_BENCH_CHILD)
    return runCases([
      [1, 4, w],
      [0, 4, w],
    ]);
  // The default first, then a window half as deep, decoding in the prefetch thread, and other splits of 4 decodes.
  await runCases([
    [1, 4, w],
    [1, 4, w / 2],
    [0, 4, w],
    [0, 4, w / 2],
    [2, 2, w],
    [0, 2, w / 2],
  ]);
  const variants: Record<string, string>[] = [
    { UV_THREADPOOL_SIZE: '2' },
    { UV_THREADPOOL_SIZE: '8' },
    { TUNEFEED_BENCH_VIPS: '2', TUNEFEED_SHARP_CONCURRENCY: '2' },
  ];
  for (const v of variants) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, ...v, TUNEFEED_BENCH_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    process.stdout.write(r.stdout);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/decode: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
