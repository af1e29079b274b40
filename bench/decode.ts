// The loader's decode path (createLoader: sampler → window → piscina decode pool → batches) vs a raw in-process sharp
// loop doing the same read + rotate + resize + crop at equal parallelism, for several pool configurations.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { DatasetIndex, SampleMetadata } from '../lib/metadata/types.js';
import { computeGeometry, type GeometryOptions } from '../lib/metadata/geometry.js';
import { createLoader } from '../lib/pipeline/create-loader.js';
import type { Batch } from '../lib/pipeline/types.js';
import { LocalStorage } from '../lib/storage/local.js';
import { imageConfig } from '../test/helpers/runtime-dataset.js';
import { benchScale, checksumOf, generatedImages } from './corpus.js';
import type { BenchLine } from './results.js';

const GEOMETRY: GeometryOptions = {
  resolution: 512, resolutionType: 'pixel', alignment: 64, rounding: 2, crop: true, cropAspect: 'square',
  cropAspectBuckets: null, cropStyle: 'center', maxUpscaleThreshold: null, maximumImageSize: null, targetDownsampleSize: null,
};

/** All images in one square bucket with real geometry from lib/metadata. */
async function indexFor(files: string[], root: string): Promise<DatasetIndex> {
  const metadata: Record<string, SampleMetadata> = {};
  for (const f of files) {
    const m = await sharp(f).metadata();
    metadata[path.relative(root, f)] = computeGeometry([m.autoOrient?.width ?? m.width!, m.autoOrient?.height ?? m.height!], GEOMETRY, () => 0.5);
  }
  return { id: 'bench', buckets: { '1.0': Object.keys(metadata).sort() }, metadata, stats: { total_processed: files.length, skipped: {} } };
}

/** The baseline: readFile + the same sharp chain on the main thread, `parallelism` images in flight. */
async function rawLoop(index: DatasetIndex, root: string, parallelism: number): Promise<{ seconds: number; sums: Map<string, number> }> {
  const keys = index.buckets['1.0']!;
  const sums = new Map<string, number>();
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const g = index.metadata[key]!;
      const buf = await readFile(path.join(root, key));
      const out = await sharp(buf).rotate().removeAlpha().toColourspace('srgb')
        .resize(g.intermediary_size[0], g.intermediary_size[1], { fit: 'fill', kernel: 'lanczos3' })
        .extract({ left: g.crop_coordinates[1], top: g.crop_coordinates[0], width: g.target_size[0], height: g.target_size[1] })
        .raw().toBuffer();
      sums.set(key, out.reduce((a, x) => a + x, 0));
    }
  };
  await Promise.all(Array.from({ length: parallelism }, lane));
  return { seconds: (performance.now() - t0) / 1000, sums };
}

/**
 * Three epochs through the loader. The rate counts the images delivered after the first batch over the time after
 * it, so the one-off worker start (thread boot, module load, sharp init) is reported apart as time to first batch.
 */
async function loaderRun(index: DatasetIndex, root: string, threads: number, tasksPerThread: number): Promise<{ imgS: number; firstBatchS: number; sums: Map<string, number> }> {
  const config = imageConfig('bench', root, { train_batch_size: 4 });
  const t0 = performance.now();
  const loader = await createLoader('unused', {
    datasets: [{ config, storage: new LocalStorage({ id: 'bench', root }), index, captions: async () => null }],
    epochs: 3, threads, tasksPerThread, inFlight: threads * tasksPerThread * 2, latents: false,
  });
  const sums = new Map<string, number>();
  let first = 0, last = 0, after = 0;
  for await (const x of loader) {
    const b = x as Batch;
    last = performance.now();
    if (first) after += b.samples.length;
    else first = last;
    if (b.epoch === 3) for (const s of b.samples) sums.set(s.key, s.pixels!.reduce((a, v) => a + v, 0));
  }
  return { imgS: after / ((last - first) / 1000), firstBatchS: (first - t0) / 1000, sums };
}

/** One process's cases. UV_THREADPOOL_SIZE is read once at libuv start, so each value needs its own process. */
async function runCases(configs: [number, number][]): Promise<void> {
  const scale = benchScale();
  const count = { tiny: 8, small: 32, full: 128 }[scale];
  const files = await generatedImages({ count, formats: ['jpeg', 'jpeg-progressive', 'webp', 'png'] });
  const root = path.dirname(files[0]!);
  const index = await indexFor(files, root);
  const vips = Number(process.env.TUNEFEED_BENCH_VIPS ?? 0);
  if (vips) sharp.concurrency(vips); // process-wide: libvips threads per image, in workers too
  await rawLoop(index, root, 4); // warm-up: page cache, sharp init
  const uv = process.env.UV_THREADPOOL_SIZE ?? '4';
  for (const [threads, perThread] of configs) {
    const parallelism = threads * perThread;
    const raw = await rawLoop(index, root, parallelism);
    const tf = await loaderRun(index, root, threads, perThread);
    const rawSum = checksumOf([...raw.sums].sort().map(([k, v]) => `${k}:${v}`));
    const tfSum = checksumOf([...tf.sums].sort().map(([k, v]) => `${k}:${v}`));
    const line: BenchLine = {
      bench: 'decode', case: `${threads} thread(s) × ${perThread} in flight, uv ${uv}, vips ${sharp.concurrency()}`,
      figures: { tunefeed_img_s: tf.imgS, raw_img_s: count / raw.seconds, tunefeed_first_batch_s: tf.firstBatchS },
      ratios: { vs_raw_sharp: tf.imgS / (count / raw.seconds) },
      checksum: { tunefeed: tfSum, raw: rawSum, same: tfSum === rawSum },
      params: { images: count, parallelism, threads, tasksPerThread: perThread, uv_threadpool: uv, sharp_concurrency: sharp.concurrency() },
      caveat: 'tunefeed = 3 epochs, rate after the first batch (worker start-up is tunefeed_first_batch_s); raw = readFile + sharp on the main thread with the same number of images in flight, same process and settings; tunefeed includes sampler, ordered window, worker read via LocalStorage, pixel move and batch assembly.',
    };
    console.log(JSON.stringify(line));
  }
}

/** Default settings in this process; UV_THREADPOOL_SIZE 2 / 8 and libvips concurrency 2 in child processes. */
async function main(): Promise<void> {
  if (process.env.TUNEFEED_BENCH_CHILD) return runCases([[1, 4]]);
  await runCases([[1, 4], [2, 2], [2, 4], [1, 2]]);
  const variants: Record<string, string>[] = [
    { UV_THREADPOOL_SIZE: '2' }, { UV_THREADPOOL_SIZE: '8' }, { TUNEFEED_BENCH_VIPS: '2', TUNEFEED_SHARP_CONCURRENCY: '2' },
  ];
  for (const v of variants) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, ...v, TUNEFEED_BENCH_CHILD: '1' }, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8',
    });
    process.stdout.write(r.stdout);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/decode: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
