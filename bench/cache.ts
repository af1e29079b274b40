// Read cache: S3 with 20 ms per GET (in-memory server, own process) against local disk, same loader, same images:
// cold epoch with read-ahead, warm epoch, 4 ranks sharing one folder; hit rates and bytes per level from the bus.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { metrics } from '../lib/metrics/events.js';
import { createLoader } from '../lib/pipeline/create-loader.js';
import type { LoaderDatasetInput } from '../lib/pipeline/types.js';
import type { CacheSpec } from '../lib/storage/cache/cache-spec.js';
import { createStorage } from '../lib/storage/from-description.js';
import { LocalStorage } from '../lib/storage/local.js';
import { startMemS3Server, type MemS3Server } from '../test/helpers/mem-s3-server.js';
import { awsDescription } from '../test/helpers/s3-server.js';
import { imageConfig } from '../test/helpers/runtime-dataset.js';
import { benchScale, checksumOf, generatedImages } from './corpus.js';
import type { BenchLine } from './results.js';
import { benchGeometry, squareBucketIndex } from './square-bucket.js';

const LATENCY_MS = 20;
const COUNT = { tiny: 32, small: 160, full: 800 }[benchScale()];

/** Per-level counts from the bus while `fn` runs (decode runs in the prefetch thread, which forwards its events). */
async function counted<T>(fn: () => Promise<T>): Promise<{ r: T; levels: Record<string, number> }> {
  const levels: Record<string, number> = {
    memory_hits: 0,
    disk_hits: 0,
    misses: 0,
    disk_bytes: 0,
    downloaded_bytes: 0,
  };
  const off = metrics.subscribe((e) => {
    const bytes = Number(e.bytes);
    if (e.type === 'cache.hit' && e.level === 'disk') {
      levels.disk_hits++;
      levels.disk_bytes += bytes;
    } else if (e.type === 'cache.hit') levels.memory_hits++;
    else if (e.type === 'cache.miss') {
      levels.misses++;
      levels.downloaded_bytes += bytes;
    }
  });
  try {
    return { r: await fn(), levels };
  } finally {
    off();
  }
}

/**
 * One epoch; images/s from the first batch to the last (thread start-up and the S3 client's load excluded: they are
 * paid once per run, not per epoch) and a checksum of every pixel buffer's size.
 */
async function epoch(input: LoaderDatasetInput, seed = 7): Promise<{ img_s: number; check: string }> {
  const loader = await createLoader('unused', { datasets: [input], epochs: 1, seed, threads: 0, latents: false });
  const sizes: number[] = [];
  let t0 = 0;
  let timed = 0;
  for await (const b of loader) {
    if (t0 === 0) t0 = performance.now();
    else timed += b.samples.length;
    for (const s of b.samples) sizes.push(s.pixels?.length ?? 0);
  }
  const sec = (performance.now() - t0) / 1000;
  await loader.close();
  return { img_s: timed / sec, check: checksumOf(sizes.sort((a, b) => a - b)) };
}

function s3Input(srv: MemS3Server, base: LoaderDatasetInput, spec: CacheSpec | null): LoaderDatasetInput {
  // Lean SigV4 reads (static credentials): the SDK's per-GET CPU would be the bottleneck on this 2-core VM.
  const desc = { ...awsDescription(srv, { id: 'c', leanReads: true }), ...(spec ? { cache: spec } : {}) };
  return { ...base, storage: createStorage(desc) };
}

async function main(): Promise<void> {
  const files = await generatedImages({ count: COUNT, edge: [256, 640], formats: ['jpeg'] });
  const root = path.dirname(files[0]);
  const index = await squareBucketIndex('c', root, files, benchGeometry(256));
  const bytes = (await Promise.all(files.map((f) => stat(f)))).reduce((a, s) => a + s.size, 0);
  const local: LoaderDatasetInput = {
    config: imageConfig('c', root, { train_batch_size: 4 }),
    storage: new LocalStorage({ id: 'c', root }),
    index,
  };
  const srv = await startMemS3Server(null, { latencyMs: LATENCY_MS, child: true });
  await srv.putMany(
    await Promise.all(files.map(async (f) => [path.relative(root, f), await readFile(f)] as [string, Buffer])),
    8,
  );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tf-bench-cache-'));
  const spec: CacheSpec = { dir, maxBytes: bytes * 4, memoryMaxBytes: 0, revalidateAfterMs: 600_000 };
  const params = { images: COUNT, dataset_bytes: bytes, latency_ms: LATENCY_MS, batch: 4, decode_threads: 0 };
  const emit = (l: Omit<BenchLine, 'bench'>) => console.log(JSON.stringify({ bench: 'cache', params, ...l }));
  try {
    await epoch(local); // warm-up: page cache and sharp
    const base = await epoch(local);
    emit({ case: 'local disk (baseline)', figures: { img_s: round(base.img_s) }, checksum: base.check });
    const g0 = (await srv.stats()).get ?? 0;
    const cold = await counted(() => epoch(s3Input(srv, local, spec)));
    const g1 = (await srv.stats()).get ?? 0;
    emit(line('S3 epoch 1, cold cache, read-ahead 4 batches', 'epoch1_vs_local', cold, base, g1 - g0));
    const warm = await counted(() => epoch(s3Input(srv, local, spec), 8));
    emit(line('S3 epoch 2, warm cache', 'epoch2_vs_local', warm, base, ((await srv.stats()).get ?? 0) - g1));
    const g2 = (await srv.stats()).get ?? 0;
    const none = await epoch(s3Input(srv, local, null));
    emit({
      case: 'S3 without cache (control)',
      figures: { img_s: round(none.img_s), gets: ((await srv.stats()).get ?? 0) - g2 },
      ratios: { vs_local: round(none.img_s / base.img_s) },
      caveat: 'for information only: every epoch pays one 20 ms GET per image (decode window 16 deep)',
    });
    await rm(dir, { recursive: true, force: true });
    const g3 = (await srv.stats()).get ?? 0;
    const ranks = await counted(() => Promise.all([1, 2, 3, 4].map((s) => epoch(s3Input(srv, local, spec), s))));
    const gets = ((await srv.stats()).get ?? 0) - g3;
    emit({
      case: '4 ranks, one machine, empty cache',
      figures: { gets, downloaded_bytes: ranks.levels.downloaded_bytes, ...ranks.levels },
      ratios: { downloaded_vs_dataset: round(ranks.levels.downloaded_bytes / bytes) },
      checksum: { same_pixels: new Set(ranks.r.map((x) => x.check)).size === 1 && ranks.r[0].check === base.check },
      caveat: '4 loaders in one process (own prefetch threads), each streaming the whole dataset in its own order',
    });
  } finally {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function line(
  name: string,
  ratio: string,
  run: { r: { img_s: number; check: string }; levels: Record<string, number> },
  base: { img_s: number; check: string },
  gets: number,
): Omit<BenchLine, 'bench'> {
  const l = run.levels;
  return {
    case: name,
    figures: { img_s: round(run.r.img_s), gets, hit_rate: round((l.disk_hits + l.memory_hits) / COUNT), ...l },
    ratios: { [ratio]: round(run.r.img_s / base.img_s) },
    checksum: { sizes: run.r.check, same_as_local: run.r.check === base.check },
  };
}

await main();
