// Runs one sample: caption on the main thread (cheap, async I/O), pixels or latents in the decode pool.
import type { SampleMetadata } from '../metadata/types.js';
import type { DecodePool } from '../pool/decode-pool.js';
import { pairConditioning } from './conditioning.js';
import { attachTextEmbeds } from './text-embed-lookup.js';
import { hashKey } from '../sampling/rng.js';
import type { RuntimeDataset } from './runtime-dataset.js';
import type { SampleJob } from './step-plan.js';
import type { BatchSample, SkippedSample } from './types.js';
import { videoStage, type VideoLimits } from '../video/video-sample.js';

/** The result of one job: a sample, or the reason it was skipped; with per-stage times in ms. */
export interface SampleOutcome {
  job: SampleJob;
  sample: BatchSample | null;
  skip: SkippedSample | null;
  readMs: number;
  decodeMs: number;
  captionMs: number;
}

/** What the runner needs. */
export interface RunnerContext {
  datasets: ReadonlyMap<string, RuntimeDataset>;
  /** null = metadata only (no decode). */
  pool: DecodePool | null;
  seed: number;
  /** How linked conditioning datasets are paired. @default 'combined' */
  conditioning?: 'combined' | 'random';
  limitInputPixels?: number;
  /** A missing text embed fails the stream (TextEmbedMissingError) instead of being counted. @default false */
  requireEmbeds?: boolean;
  /** Largest width × height × frames of a clip. @default 2147483648 */
  maxVideoPixels?: number;
}

function videoLimits(ctx: RunnerContext): VideoLimits {
  return {
    ...(ctx.limitInputPixels ? { limitInputPixels: ctx.limitInputPixels } : {}),
    ...(ctx.maxVideoPixels ? { maxVideoPixels: ctx.maxVideoPixels } : {}),
  };
}

/** Seed for per-sample choices (multi-captions): a pure function of (seed, epoch, step, key). */
export function sampleSeed(seed: number, epoch: number, step: number, key: string): number {
  return hashKey(['sample', seed, epoch, step, key])[0];
}

/** The sample's metadata as delivered (SimpleTuner's field names), before pixels, latents or embeds. */
function baseSample(d: RuntimeDataset, key: string, meta: SampleMetadata, caption: string | null): BatchSample {
  return {
    key,
    path: d.storage.externalPath(key),
    caption,
    original_size: meta.original_size,
    intermediary_size: meta.intermediary_size,
    target_size: meta.target_size,
    crop_coordinates: meta.crop_coordinates,
    aspect_ratio: meta.aspect_ratio,
  };
}

/** A job runner; never rejects for a bad sample (a missing text embed with `requireEmbeds` rejects the stream). */
export function makeRunner(ctx: RunnerContext): (job: SampleJob) => Promise<SampleOutcome> {
  return async (job) => {
    const d = ctx.datasets.get(job.plan.dataset)!;
    const out: SampleOutcome = { job, sample: null, skip: null, readMs: 0, decodeMs: 0, captionMs: 0 };
    const skip = (reason: string, message: string): SampleOutcome => ({
      ...out,
      skip: { dataset: d.id, key: job.key, reason, message },
    });
    const meta = d.index.metadata[job.key];
    if (!meta) return skip('metadata_missing', `No metadata for ${job.key}`);
    const t0 = performance.now();
    let caption: string | null;
    try {
      caption = await d.captionOf(job.key, sampleSeed(ctx.seed, job.plan.epoch, job.plan.step, job.key));
    } catch (err) {
      return skip('caption_not_found', (err as Error).message);
    }
    out.captionMs = performance.now() - t0;
    const sample = baseSample(d, job.key, meta, caption);
    if (d.textEmbeds && (ctx.pool || ctx.requireEmbeds)) {
      const e = await attachTextEmbeds(d.id, d.textEmbeds, sample, ctx.requireEmbeds ?? false);
      if (typeof e === 'object') return skip('corrupt_text_embed', e.corrupt);
    }
    if (d.conditioning.length) {
      const paired = await pairConditioning(d, job, meta, ctx.pool, ctx.conditioning ?? 'combined', ctx.seed);
      if (!paired.ok) return skip(paired.reason, paired.message);
      sample.conditioning = paired.pairs;
    }
    const v = await videoStage(ctx.pool, d, job.key, meta, sample, videoLimits(ctx));
    if (v) return v.ok ? { ...out, sample, readMs: v.readMs, decodeMs: v.decodeMs } : skip(v.reason, v.message);
    if (!ctx.pool) return { ...out, sample };
    const latentKey = d.latents?.keys.get(job.key);
    const r = latentKey
      ? await ctx.pool.run({ kind: 'latents', storage: d.latents!.description, key: latentKey, geometry: meta })
      : await ctx.pool.run({
          storage: d.description,
          key: job.key,
          geometry: meta,
          ...(ctx.limitInputPixels ? { limitInputPixels: ctx.limitInputPixels } : {}),
        });
    if (!r.ok) return skip(r.reason, r.message);
    if (r.kind === 'pixels') sample.pixels = r.pixels;
    else if (r.kind === 'latents') sample.latents = { dtype: r.dtype, shape: r.shape, data: r.data };
    return { ...out, sample, readMs: r.readMs, decodeMs: r.decodeMs };
  };
}
