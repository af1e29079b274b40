// Read cache: S3 with 20 ms per GET (in-memory server, own process) against local disk and a bare GET loop, same
// images, in alternating rounds: cold epoch with read-ahead, warm epoch, no cache, and 4 ranks sharing one folder.
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
import { median, medianIndex, spread } from './stats.js';

const LATENCY_MS = 20;
const COUNT = { tiny: 32, small: 160, full: 800 }[benchScale()];
/** Rounds of (local, bare client, cold, warm, no cache); ratios are per round, reported as median and spread. */
const ROUNDS = { tiny: 1, small: 3, full: 3 }[benchScale()];

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

/** Reads in flight for the bare client: the read-ahead's download slots and the decode window are both 16 deep. */
const BARE_CONCURRENCY = 16;

/**
 * The bare client: every object once, GetObject only (the loader's own lean signed GET), BARE_CONCURRENCY at once,
 * same server and latency. What the network side alone allows; the loader's S3 epochs are measured against it.
 */
async function bareClient(srv: MemS3Server, keys: string[]): Promise<{ img_s: number; bytes: number }> {
  const s = createStorage(awsDescription(srv, { id: 'bare', leanReads: true }));
  let bytes = 0;
  try {
    await s.read(keys[0]); // the first connection, as the loader's first batch is excluded from its time
    let next = 0;
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (next < keys.length) bytes += (await s.read(keys[next++])).length;
    };
    await Promise.all(Array.from({ length: BARE_CONCURRENCY }, lane));
    return { img_s: keys.length / ((performance.now() - t0) / 1000), bytes };
  } finally {
    await s.close();
  }
}

/** GETs, HEADs and the most requests open at once at the server while `fn` runs. */
async function atServer<T>(srv: MemS3Server, fn: () => Promise<T>): Promise<{ r: T; server: Record<string, number> }> {
  const s0 = await srv.stats();
  await srv.peak();
  const r = await fn();
  const [s1, peak] = [await srv.stats(), await srv.peak()];
  const d = (k: string): number => (s1[k] ?? 0) - (s0[k] ?? 0);
  return { r, server: { gets: d('get'), heads: d('head'), peak_inflight: peak } };
}

function s3Input(srv: MemS3Server, base: LoaderDatasetInput, spec: CacheSpec | null): LoaderDatasetInput {
  // Lean SigV4 reads (static credentials): the SDK's per-GET CPU would be the bottleneck on this 2-core VM.
  const desc = { ...awsDescription(srv, { id: 'c', leanReads: true }), ...(spec ? { cache: spec } : {}) };
  return { ...base, storage: createStorage(desc) };
}

/** One measured epoch (or bare-client pass): throughput, pixel checksum, cache levels and server counts. */
interface Measured {
  img_s: number;
  check: string;
  levels: Record<string, number>;
  server: Record<string, number>;
}

/** Everything a round needs. */
interface Setup {
  srv: MemS3Server;
  local: LoaderDatasetInput;
  keys: string[];
  bytes: number;
}

/**
 * One round: local disk, then each S3 case right after it with a fresh cache folder, so every ratio compares epochs
 * measured seconds apart (the machine is shared: its load moves more between runs than between neighbours).
 */
async function round(u: Setup): Promise<Record<string, Measured>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tf-bench-cache-'));
  const spec: CacheSpec = { dir, maxBytes: u.bytes * 4, memoryMaxBytes: 0, revalidateAfterMs: 600_000 };
  const s3 = (seed: number, sp: CacheSpec | null) => () => counted(() => epoch(s3Input(u.srv, u.local, sp), seed));
  const flat = async (f: () => Promise<{ r: { img_s: number; check: string }; levels: Record<string, number> }>) => {
    const m = await atServer(u.srv, f);
    return { ...m.r.r, levels: m.r.levels, server: m.server };
  };
  try {
    const local = await flat(() => counted(() => epoch(u.local)));
    const b = await atServer(u.srv, () => bareClient(u.srv, u.keys));
    const bare = { img_s: b.r.img_s, check: String(b.r.bytes === u.bytes), levels: {}, server: b.server };
    const cold = await flat(s3(7, spec));
    const warm = await flat(s3(8, spec));
    const none = await flat(s3(7, null));
    return { local, bare, cold, warm, none };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A case's line: median throughput, the figures of its median round, the per-round ratio's median and spread. */
function caseLine(
  rounds: Record<string, Measured>[],
  id: string,
  name: string,
  ratio: string,
): Omit<BenchLine, 'bench'> {
  const ratios = rounds.map((r) => r[id].img_s / r.local.img_s);
  const mid = rounds[medianIndex(ratios)][id];
  const l = mid.levels;
  const { gets, ...server } = mid.server;
  const hits = id === 'bare' || id === 'none' ? {} : { hit_rate: round3((l.disk_hits + l.memory_hits) / COUNT), ...l };
  return {
    case: name,
    figures: { img_s: round3(median(rounds.map((r) => r[id].img_s))), gets, ...hits, ...server },
    ratios: { [ratio]: round3(median(ratios)) },
    spread: { [ratio]: spread(ratios).map(round3) as [number, number] },
    ...(id === 'bare'
      ? { checksum: { bytes_same_as_dataset: rounds.every((r) => r.bare.check === 'true') } }
      : id === 'none'
        ? {}
        : { checksum: { sizes: mid.check, same_as_local: rounds.every((r) => r[id].check === r.local.check) } }),
  };
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
  const params = {
    images: COUNT,
    dataset_bytes: bytes,
    latency_ms: LATENCY_MS,
    batch: 4,
    decode_threads: 0,
    rounds: ROUNDS,
  };
  const emit = (l: Omit<BenchLine, 'bench'>) => console.log(JSON.stringify({ bench: 'cache', params, ...l }));
  try {
    await epoch(local); // warm-up: page cache and sharp
    const setup: Setup = { srv, local, keys: Object.keys(index.metadata), bytes };
    const rounds: Record<string, Measured>[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(setup));
    emitRounds(rounds, emit);
    await ranks(setup, emit, rounds[0].local.check);
  } finally {
    await srv.close();
  }
}

function emitRounds(rounds: Record<string, Measured>[], emit: (l: Omit<BenchLine, 'bench'>) => void): void {
  const local = rounds.map((r) => r.local.img_s);
  emit({ case: 'local disk (baseline)', figures: { img_s: round3(median(local)) }, checksum: rounds[0].local.check });
  emit({
    ...caseLine(rounds, 'bare', `S3 bare client, GetObject only, ${BARE_CONCURRENCY} in flight`, 'bare_vs_local'),
    caveat: 'no decode, no cache: what the client and the server allow at this latency and depth',
  });
  emit(caseLine(rounds, 'cold', 'S3 epoch 1, cold cache, read-ahead 4 batches', 'epoch1_vs_local'));
  emit(caseLine(rounds, 'warm', 'S3 epoch 2, warm cache', 'epoch2_vs_local'));
  emit({
    ...caseLine(rounds, 'none', 'S3 without cache (control)', 'vs_local'),
    caveat: 'for information only: every epoch pays one 20 ms GET per image (decode window 16 deep)',
  });
}

/** 4 loaders sharing one empty folder: the dataset is downloaded once in all. */
async function ranks(u: Setup, emit: (l: Omit<BenchLine, 'bench'>) => void, localCheck: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tf-bench-cache-'));
  const spec: CacheSpec = { dir, maxBytes: u.bytes * 4, memoryMaxBytes: 0, revalidateAfterMs: 600_000 };
  try {
    const g3 = (await u.srv.stats()).get ?? 0;
    const all = await counted(() => Promise.all([1, 2, 3, 4].map((s) => epoch(s3Input(u.srv, u.local, spec), s))));
    const gets = ((await u.srv.stats()).get ?? 0) - g3;
    emit({
      case: '4 ranks, one machine, empty cache',
      figures: { gets, downloaded_bytes: all.levels.downloaded_bytes, ...all.levels },
      ratios: { downloaded_vs_dataset: round3(all.levels.downloaded_bytes / u.bytes) },
      checksum: { same_pixels: new Set(all.r.map((x) => x.check)).size === 1 && all.r[0].check === localCheck },
      caveat: '4 loaders in one process (own prefetch threads), each streaming the whole dataset in its own order',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
