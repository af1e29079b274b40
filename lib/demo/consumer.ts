// A simulated training step that consumes batches and measures how long it waited for data (the number that matters).
import { setTimeout as sleep } from 'node:timers/promises';

/** How the simulated training step spends its time. */
export interface ConsumerOptions {
  /** Stop after this many batches. */
  batches: number;
  /** Time per step in ms. @default 25 */
  stepMs?: number;
  /**
   * 'sleep' idles the main thread like a GPU step awaiting a kernel; 'busy' burns the main thread with JS work, which
   * starves anything tunefeed runs there. @default 'sleep'
   */
  mode?: 'sleep' | 'busy';
  /** Batches excluded from the wait share (pipeline start-up: worker threads, first decodes). @default 1 */
  warmupBatches?: number;
  /** Called per batch with its sample count. */
  onBatch?: (index: number, samples: number) => void;
  /** The clock (ms) behind the wait share and throughput; tests pass a controlled one. @default performance.now */
  now?: () => number;
}

/** What the consumer measured. */
export interface ConsumerStats {
  batches: number;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
  /** Time waiting for the next batch ÷ total time, after warm-up (0..1). */
  waitShare: number;
  /** Batches excluded from waitShare. */
  warmupBatches: number;
  /** Wait before the first batch (start-up latency), in ms. */
  firstBatchMs: number;
  /** Distinct dataset ids seen, with sample counts. */
  perDataset: Record<string, number>;
  /** Distinct target shapes seen ("512x384"), with batch counts. */
  shapes: Record<string, number>;
  /** Samples the loader skipped while streaming (undecodable files), by reason, with one example file each. */
  streamSkips: Record<string, { count: number; example: string }>;
  /** The first sample seen per dataset: what a training step receives. */
  examples: Record<string, SampleExample>;
}

/** One delivered sample, summarised. */
export interface SampleExample {
  key: string;
  caption: string | null;
  targetSize: [number, number] | null;
  /** 'pixels' (RGB uint8), 'latents' (cached VAE tensor) or 'metadata'. */
  payload: string;
  bytes: number;
}

/** Samples in a batch, whatever its exact shape: an array, or an object with samples/items/keys, or a size field. */
export function batchSize(batch: unknown): number {
  if (Array.isArray(batch)) return batch.length;
  if (batch && typeof batch === 'object') {
    const b = batch as Record<string, unknown>;
    for (const k of ['samples', 'items', 'keys', 'images']) if (Array.isArray(b[k])) return (b[k] as unknown[]).length;
    for (const k of ['size', 'length', 'batchSize']) if (typeof b[k] === 'number') return b[k];
  }
  return 1;
}

function describe(batch: unknown): { dataset: string | null; shape: string | null } {
  if (!batch || typeof batch !== 'object') return { dataset: null, shape: null };
  const b = batch as Record<string, unknown>;
  const dataset = typeof b.dataset === 'string' ? b.dataset : typeof b.datasetId === 'string' ? b.datasetId : null;
  const size = b.targetSize ?? b.target_size ?? b.shape;
  const shape =
    Array.isArray(size) && size.length >= 2
      ? `${size[0]}x${size[1]}`
      : typeof b.bucket === 'string'
        ? `bucket ${b.bucket}`
        : null;
  return { dataset, shape };
}

function exampleOf(batch: unknown): SampleExample | null {
  const samples = (batch as { samples?: unknown }).samples;
  if (!Array.isArray(samples) || samples.length === 0) return null;
  const s = samples[0] as Record<string, unknown>;
  const size = s.target_size;
  const pixels = s.pixels instanceof Uint8Array ? s.pixels : null;
  const latents = (s.latents as { data?: unknown } | undefined)?.data;
  return {
    key: typeof s.key === 'string' ? s.key : '',
    caption: typeof s.caption === 'string' ? s.caption : null,
    targetSize: Array.isArray(size) && size.length === 2 ? [Number(size[0]), Number(size[1])] : null,
    payload: pixels ? 'pixels' : latents instanceof Uint8Array ? 'latents' : 'metadata',
    bytes: pixels?.byteLength ?? (latents instanceof Uint8Array ? latents.byteLength : 0),
  };
}

function countSkips(batch: unknown, into: ConsumerStats['streamSkips']): void {
  const skipped = batch && typeof batch === 'object' ? (batch as { skipped?: unknown }).skipped : undefined;
  if (!Array.isArray(skipped)) return;
  for (const s of skipped as { reason?: unknown; key?: unknown }[]) {
    const reason = typeof s.reason === 'string' ? s.reason : 'other';
    const entry = (into[reason] ??= { count: 0, example: typeof s.key === 'string' ? s.key : '' });
    entry.count++;
  }
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

/** Pull up to `batches` batches from `source`, simulating a training step after each one. */
export async function consume(source: AsyncIterable<unknown>, o: ConsumerOptions): Promise<ConsumerStats> {
  const stepMs = o.stepMs ?? 25;
  const now = o.now ?? (() => performance.now());
  const warmup = o.warmupBatches ?? 1;
  const stats: ConsumerStats = {
    batches: 0,
    samples: 0,
    seconds: 0,
    samplesPerSecond: 0,
    waitShare: 0,
    firstBatchMs: 0,
    perDataset: {},
    shapes: {},
    streamSkips: {},
    examples: {},
    warmupBatches: warmup,
  };
  const started = now();
  let waited = 0;
  let measuredFrom = started;
  let asked = started;
  for await (const batch of source) {
    const got = now();
    if (stats.batches === 0) stats.firstBatchMs = got - started;
    if (stats.batches === warmup) measuredFrom = asked; // the wait share counts from the first post-warm-up request
    if (stats.batches >= warmup) waited += got - asked;
    const n = batchSize(batch);
    const d = describe(batch);
    countSkips(batch, stats.streamSkips);
    if (d.dataset && !stats.examples[d.dataset]) {
      const ex = exampleOf(batch);
      if (ex) stats.examples[d.dataset] = ex;
    }
    if (d.dataset) stats.perDataset[d.dataset] = (stats.perDataset[d.dataset] ?? 0) + n;
    if (d.shape) stats.shapes[d.shape] = (stats.shapes[d.shape] ?? 0) + 1;
    stats.batches++;
    stats.samples += n;
    o.onBatch?.(stats.batches, n);
    if ((o.mode ?? 'sleep') === 'busy') busyWait(stepMs);
    else await sleep(stepMs);
    if (stats.batches >= o.batches) break;
    asked = now();
  }
  const ended = now();
  stats.seconds = (ended - started) / 1000;
  stats.samplesPerSecond = stats.seconds > 0 ? stats.samples / stats.seconds : 0;
  const window = ended - measuredFrom;
  stats.waitShare = stats.batches > warmup && window > 0 ? waited / window : 0;
  return stats;
}
