// Shared parts of the scan bench: sizes, the three methods (header scan, raw loop, full decode), rounds, S3 helpers.
import { setMaxListeners } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { checksumOf } from './corpus.js';
import type { BenchLine } from './results.js';
import { median, medianIndex, spread } from './stats.js';
import { loadConfig } from '../lib/config/load-config.js';
import type { ImageDatasetConfig, TrainingArgs } from '../lib/config/types.js';
import { LocalStorage } from '../lib/storage/local.js';
import { createAgents, type AwsDescription } from '../lib/storage/s3-client.js';
import { leanGet } from '../lib/storage/s3-lean.js';
import type { StorageBackend } from '../lib/storage/types.js';
import { scanDataset } from '../lib/metadata/scan.js';
import { probeImage } from '../lib/formats/probe.js';
import type { ScanPool } from '../lib/pool/scan-pool.js';

export const COUNTS = {
  tiny: { local: 40, s3: 20, mem: 40, scale: 2000, scaleDecode: 40, scaleDistinct: 40 },
  small: { local: 2000, s3: 300, mem: 1500, scale: 100_000, scaleDecode: 300, scaleDistinct: 400 },
  full: { local: 10000, s3: 2000, mem: 2000, scale: 100_000, scaleDecode: 1000, scaleDistinct: 400 },
};
export const THREADS = 2;
/** Header scan, raw loop and full decode each run this many rounds, interleaved; ratios are per round. */
export const ROUNDS = 3;
export const LOCAL = { inflight: 8, head: 65536 };
/** The scan's remote defaults: ScanPool window (2 tasks per thread) × 16 reads per task, 16 KiB heads. */
export const REMOTE = { inflight: THREADS * 2 * 16, head: 16384 };
export const DECODE_INFLIGHT = 4;
/** Time to first byte imitated in the latency case. */
export const LATENCY_MS = 20;

export type Cfg = { config: ImageDatasetConfig; args: TrainingArgs };
export type Timed = { s: number; checksum: string };

export async function dataset(root: string): Promise<Cfg> {
  const loaded = await loadConfig(
    [
      {
        id: 'bench',
        type: 'local',
        instance_data_dir: root,
        resolution: 1024,
        resolution_type: 'pixel',
        crop: true,
        crop_style: 'center',
        caption_strategy: 'filename',
      },
      {
        id: 'te',
        dataset_type: 'text_embeds',
        type: 'local',
        default: true,
        cache_dir: path.join(os.tmpdir(), 'tf-bench-te'),
      },
    ],
    { args: { output_dir: '' }, checkPaths: false },
  );
  return { config: loaded.datasets[0] as ImageDatasetConfig, args: loaded.args };
}

/** Runs `fn` over items with `n` in flight; returns seconds. */
export async function timed<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
  return (performance.now() - t0) / 1000;
}

export const dimsChecksum = (dims: Map<string, string>, only?: string[]): string =>
  checksumOf((only ?? [...dims.keys()].sort()).map((k) => dims.get(k) ?? 'missing'));

/** tunefeed: scanDataset through the piscina pool with its defaults (geometry, buckets, cache files included). */
export async function headerScan(storage: StorageBackend, cfg: Cfg, pool: ScanPool, tmp: string, subset?: string[]) {
  const cacheStorage = new LocalStorage({ id: 'bench-cache', root: await mkdtemp(path.join(tmp, 'c-')) });
  const t0 = performance.now();
  const r = await scanDataset({ id: 'bench', ...cfg, storage, pool, cacheStorage, ignoreCache: true });
  const s = (performance.now() - t0) / 1000;
  // Index paths are what the cache files record (absolute on disk); compare by storage key.
  const keyOf = (p: string): string => {
    try {
      return storage.keyFromExternal(p);
    } catch {
      return p;
    }
  };
  const dims = new Map(Object.entries(r.index.metadata).map(([k, m]) => [keyOf(k), m.original_size.join('x')]));
  return {
    s,
    files: r.files,
    checksum: dimsChecksum(dims),
    subset: subset ? dimsChecksum(dims, subset) : '',
    cacheStorage,
  };
}

/** Baseline 1: read the leading bytes of every file and parse them, nothing else (no pool, no geometry, no caches). */
export async function rawLoop(
  keys: string[],
  inflight: number,
  readHead: (k: string) => Promise<Buffer>,
): Promise<Timed> {
  const dims = new Map<string, string>();
  const s = await timed(keys, inflight, async (k) => {
    const r = probeImage(await readHead(k), false);
    if (r.kind === 'ok') dims.set(k, `${r.width}x${r.height}`);
  });
  return { s, checksum: dimsChecksum(dims) };
}

/**
 * Baseline 2, SimpleTuner's method: read the whole file, decode, EXIF-rotate, downscale towards the 1024 px target.
 * Never upscale: the header scan does no pixel work, so enlarging small images would only slow the baseline down.
 */
export async function fullDecode(keys: string[], readAll: (k: string) => Promise<Buffer>): Promise<Timed> {
  const dims = new Map<string, string>();
  const s = await timed(keys, DECODE_INFLIGHT, async (k) => {
    const bytes = await readAll(k);
    const { info } = await sharp(bytes)
      .rotate()
      .resize(1024, 1024, { fit: 'outside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const m = await sharp(bytes).metadata();
    const swap = (m.orientation ?? 1) >= 5;
    dims.set(k, swap ? `${m.height}x${m.width}` : `${m.width}x${m.height}`);
    if (!info.width) throw new Error('decode failed');
  });
  return { s, checksum: dimsChecksum(dims) };
}

/** Runs `fn`, adding the process CPU time it used (main thread + scan workers; the servers are other processes). */
export async function withCpu<T extends { s: number }>(fn: () => Promise<T>): Promise<T & { cpu: number }> {
  const c0 = process.cpuUsage();
  const r = await fn();
  const c = process.cpuUsage(c0);
  return { ...r, cpu: (c.user + c.system) / 1e6 };
}

export type HeaderRun = Awaited<ReturnType<typeof headerScan>>;

/**
 * Header scan, raw loop and (when given) full decode, once each per round for ROUNDS rounds, so every side is measured
 * the same number of times. Each side reports its median round; each ratio is the median of the per-round ratios,
 * with their min–max as its spread.
 */
export async function rounds<H extends HeaderRun>(
  scan: () => Promise<H>,
  raw: () => Promise<Timed>,
  full?: () => Promise<Timed>,
) {
  const hs: (H & { cpu: number })[] = [];
  const rs: (Timed & { cpu: number })[] = [];
  const fs: Timed[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    hs.push(await withCpu(scan));
    rs.push(await withCpu(raw));
    if (full) fs.push(await full());
  }
  const vsRaw = hs.map((h, i) => rs[i].s / h.s);
  const vsFull = fs.map((f, i) => f.s / hs[i].s);
  const pick = <T extends { s: number }>(xs: T[]): T => xs[medianIndex(xs.map((x) => x.s))];
  return {
    h: pick(hs),
    raw: pick(rs),
    full: fs.length ? pick(fs) : null,
    ratios: { vs_raw_loop: median(vsRaw), ...(fs.length ? { vs_full_decode: median(vsFull) } : {}) },
    spread: { vs_raw_loop: spread(vsRaw), ...(fs.length ? { vs_full_decode: spread(vsFull) } : {}) },
  };
}

export const cpuFigures = (n: number, h: { cpu: number }, raw: { cpu: number }) => ({
  header_cpu_us_per_file: +((h.cpu * 1e6) / n).toFixed(0),
  raw_cpu_us_per_file: +((raw.cpu * 1e6) / n).toFixed(0),
});

export function line(
  where: string,
  n: number,
  h: Timed,
  raw: Timed,
  full: Timed,
  extra: {
    figures?: Record<string, number>;
    params?: Record<string, unknown>;
    caveat: string;
    fullChecksum?: string;
    /** Per-round ratios (median and min–max) from rounds(); without it, the ratios of this single run. */
    rounds?: { ratios: Record<string, number>; spread: Record<string, [number, number]> };
  },
): BenchLine {
  return {
    bench: 'scan',
    case: where,
    figures: {
      header_files_s: +(n / h.s).toFixed(1),
      raw_loop_files_s: +(n / raw.s).toFixed(1),
      full_decode_files_s: +(n / full.s).toFixed(1),
      header_s: +h.s.toFixed(3),
      ...extra.figures,
    },
    ratios: extra.rounds?.ratios ?? {
      vs_full_decode: +(full.s / h.s).toFixed(1),
      vs_raw_loop: +(raw.s / h.s).toFixed(3),
    },
    ...(extra.rounds ? { spread: extra.rounds.spread } : {}),
    checksum: {
      header: h.checksum,
      raw: raw.checksum,
      full: extra.fullChecksum ?? full.checksum,
      same: h.checksum === raw.checksum && (extra.fullChecksum ?? raw.checksum) === full.checksum,
    },
    params: { threads: THREADS, rounds: ROUNDS, decode_inflight: DECODE_INFLIGHT, ...extra.params },
    caveat: extra.caveat,
  };
}

/** What both S3 servers give a case: endpoint and credentials, an SDK client, uploads, and a stopper. */
export interface S3Target {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  client: S3Client;
  putMany(o: Iterable<[string, Buffer]>, n?: number): Promise<void>;
}

export function awsDesc(s: S3Target, prefix: string): AwsDescription {
  return {
    kind: 'aws',
    id: 'bench',
    bucket: s.bucket,
    prefix,
    region: s.region,
    endpoint: s.endpoint,
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    maxPoolConnections: 128,
    checksumMode: 'WHEN_REQUIRED',
    forcePathStyle: true,
    requestTimeoutMs: 30000,
    connectTimeoutMs: 5000,
    maxAttempts: 3,
  };
}

/**
 * Raw-loop reads as a user would write them: one signed ranged GET per file (tunefeed's lean signer, no retries, no
 * pool).
 */
export function leanReader(desc: AwsDescription) {
  const agents = createAgents(desc);
  const signal = new AbortController().signal;
  setMaxListeners(0, signal); // shared by every request in flight; never aborted
  return {
    head: (k: string) => leanGet(desc, agents, `${desc.prefix}${k}`, `bytes=0-${REMOTE.head - 1}`, signal),
    full: (k: string) => leanGet(desc, agents, `${desc.prefix}${k}`, undefined, signal),
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

export const sdkGet = (s: S3Target, key: string, range?: string) =>
  s.client
    .send(new GetObjectCommand({ Bucket: s.bucket, Key: key, ...(range ? { Range: range } : {}) }))
    .then(async (o) => Buffer.from(await o.Body!.transformToByteArray()));
