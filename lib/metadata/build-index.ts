// Turns probe facts into SimpleTuner's buckets: size/frame filters, geometry, bucket keys, aspect limits, pruning.
import { createHash } from 'node:crypto';
import { adjustVideoFrames, bucketFrames } from '../video/frame-plan.js';
import type { ImageDatasetConfig, TrainingArgs } from '../config/types.js';
import type { DatasetIndex, SampleMetadata, SkipReason } from './types.js';
import type { ManifestEntry } from './manifest.js';
import { computeGeometry, type GeometryOptions } from './geometry.js';
import { AspectResolutionMap } from './size-calculators.js';
import { pyFloatKey, pyRound } from './python-format.js';
import { sampleRng } from './sample-rng.js';
import type { BucketReport } from './bucket-report.js';
import { maxCanvasSize } from '../config/model-geometry.js';

/** Geometry options from a dataset config (pixel_area is already converted to area by the config stage). */
export function geometryOptions(
  config: ImageDatasetConfig,
  extra: { maxCanvasSize?: number | null } = {},
): GeometryOptions {
  return {
    resolution: config.resolution,
    resolutionType: config.resolution_type,
    alignment: config.aspect_bucket_alignment,
    rounding: config.aspect_bucket_rounding,
    crop: config.crop,
    cropAspect: config.crop_aspect,
    cropAspectBuckets: config.crop_aspect_buckets,
    cropStyle: config.crop_style,
    maxUpscaleThreshold: config.max_upscale_threshold,
    maximumImageSize: config.maximum_image_size,
    targetDownsampleSize: config.target_downsample_size,
    maxCanvasSize: extra.maxCanvasSize ?? null,
  };
}

/** The model's canvas limit unless the caller gives one (HiDream's MAXIMUM_CANVAS_SIZE). */
function canvasFor(args: TrainingArgs, extra: { maxCanvasSize?: number | null }): number | null {
  return extra.maxCanvasSize ?? maxCanvasSize(args.model_family);
}

/** Every setting that changes which samples exist or their geometry, by name (kept in the cache files). */
export function geometryParts(
  config: ImageDatasetConfig,
  args: TrainingArgs,
  extra: { maxCanvasSize?: number | null } = {},
): Record<string, unknown> {
  const { aspectMap: _m, onWarning: _w, ...g } = geometryOptions(config, { maxCanvasSize: canvasFor(args, extra) });
  return {
    ...g,
    seed: args.seed,
    min: config.minimum_image_size,
    minAr: config.minimum_aspect_ratio,
    maxAr: config.maximum_aspect_ratio,
    video: config.video,
    type: config.dataset_type,
    bs: config.train_batch_size,
    repeats: config.repeats,
    prune: Boolean(args.disable_bucket_pruning),
    max: config.max_num_samples,
  };
}

/** Hash of geometryParts (stored in the cache files; a different hash means the buckets must be recomputed). */
export function geometryHash(
  config: ImageDatasetConfig,
  args: TrainingArgs,
  extra: { maxCanvasSize?: number | null } = {},
): string {
  return createHash('sha256')
    .update(JSON.stringify(geometryParts(config, args, extra)))
    .digest('hex')
    .slice(0, 32);
}

/** SimpleTuner's meets_resolution_requirements (conditioning datasets always pass). */
export function meetsMinimumSize(w: number, h: number, config: ImageDatasetConfig): boolean {
  const min = config.minimum_image_size;
  if (!min || config.dataset_type === 'conditioning') return true;
  if (config.resolution_type === 'pixel') return w >= min && h >= min;
  if (w * h < min * 1e6) return false;
  if (config.crop && config.crop_aspect === 'square') return Math.floor(Math.sqrt(min * 1e6)) <= Math.min(w, h);
  return true;
}

interface Built {
  key: string;
  meta: SampleMetadata;
  bucket: string;
}

/**
 * Frames a clip delivers: its count after the model's adjust_video_frames, never more than it has, clamped to
 * max_frames and num_frames; resolution_frames buckets round it down to frame_interval (SimpleTuner's rule).
 */
function videoFields(e: ManifestEntry, ctx: BuildContext): { meta: Partial<SampleMetadata>; frames: number } {
  const v = ctx.config.video;
  const n = e.n ?? 0;
  let frames = Math.min(n, adjustVideoFrames(ctx.args.model_family ?? '', n));
  if (v?.max_frames) frames = Math.min(frames, v.max_frames);
  if (v?.num_frames) frames = Math.min(frames, v.num_frames);
  if (v?.bucket_strategy === 'resolution_frames') frames = bucketFrames(frames, v.frame_interval);
  const meta: Partial<SampleMetadata> = { num_frames: frames, original_num_frames: n };
  if (e.r !== undefined) meta.fps = e.r;
  if (e.d !== undefined) meta.video_duration = e.d;
  return { meta, frames };
}

/** min/max_frames are checked on the model-adjusted count, as SimpleTuner's scan does. */
function frameProblem(e: ManifestEntry, ctx: BuildContext): string | null {
  const { config } = ctx;
  const v = config.video;
  if (config.dataset_type !== 'video' || !v || e.n === undefined) return null;
  const n = adjustVideoFrames(ctx.args.model_family ?? '', e.n);
  const shown = n === e.n ? `${n}` : `${e.n} (adjusted to ${n})`;
  const min = v.min_frames ?? v.num_frames;
  if (min && n < min) return `${shown} frames < min_frames ${min}`;
  if (v.max_frames && n > v.max_frames) return `${shown} frames > max_frames ${v.max_frames}`;
  return null;
}

function buildOne(
  key: string,
  e: ManifestEntry,
  o: GeometryOptions,
  ctx: BuildContext,
): Built | { skip: SkipReason; message: string } {
  const { config } = ctx;
  if (e.x) return { skip: e.x, message: e.msg ?? e.x };
  const w = e.w ?? 0;
  const h = e.h ?? 0;
  if (!meetsMinimumSize(w, h, config))
    return { skip: 'too_small', message: `${w}x${h} is below minimum_image_size ${config.minimum_image_size}` };
  const fp = frameProblem(e, ctx);
  if (fp) return { skip: 'frames_out_of_range', message: fp };
  let meta: SampleMetadata;
  try {
    meta = computeGeometry([w, h], o, sampleRng(ctx.seed, config.id, key));
  } catch (err) {
    return { skip: 'other', message: (err as Error).message };
  }
  if (e.a !== undefined) meta.aspect_ratio = pyRound(e.a, config.aspect_bucket_rounding);
  let bucket = pyFloatKey(meta.aspect_ratio);
  if (config.dataset_type === 'video' && e.n !== undefined) {
    const { meta: vm, frames } = videoFields(e, ctx);
    Object.assign(meta, vm);
    if (config.video?.bucket_strategy === 'resolution_frames') {
      meta.bucket_frames = frames;
      bucket = `${meta.target_size[0]}x${meta.target_size[1]}@${frames}`;
    }
  }
  return { key, meta, bucket };
}

interface BuildContext {
  config: ImageDatasetConfig;
  args: TrainingArgs;
  seed: number;
  report: BucketReport;
}

function bucketAspect(key: string, index: DatasetIndex): number {
  if (!key.includes('@')) return Number(key);
  const first = index.buckets[key][0];
  return index.metadata[first].aspect_ratio;
}

function applyBucketLimits(index: DatasetIndex, ctx: BuildContext): void {
  const { config, report } = ctx;
  const minAr = config.minimum_aspect_ratio || 0;
  const maxAr = config.maximum_aspect_ratio || 0;
  const batch = config.dataset_type === 'eval' ? 1 : config.train_batch_size;
  for (const key of Object.keys(index.buckets).sort()) {
    const n = index.buckets[key].length;
    const ar = bucketAspect(key, index);
    let reason: string | null = null;
    if (minAr && ar < minAr) reason = 'below_min_aspect_ratio';
    else if (maxAr && ar > maxAr) reason = 'above_max_aspect_ratio';
    else if (!ctx.args.disable_bucket_pruning && n * (config.repeats + 1) < batch) reason = 'insufficient_for_batch';
    if (reason) {
      report.bucketEvent(key, reason, n);
      delete index.buckets[key];
    }
  }
}

/**
 * Builds the dataset index from probe facts, in sorted key order so the area consistency map and every seeded
 * draw give the same result however the scan was run (one process, resumed, or sharded).
 */
export function buildIndex(
  entries: Map<string, ManifestEntry>,
  config: ImageDatasetConfig,
  args: TrainingArgs,
  report: BucketReport,
  extra: { maxCanvasSize?: number | null; aspectMap?: AspectResolutionMap } = {},
): DatasetIndex {
  const ctx: BuildContext = { config, args, seed: args.seed, report };
  const o: GeometryOptions = {
    ...geometryOptions(config, { maxCanvasSize: canvasFor(args, extra) }),
    aspectMap: extra.aspectMap ?? new AspectResolutionMap(),
    onWarning: (m) => report.warn(m),
  };
  const index: DatasetIndex = {
    id: config.id,
    buckets: {},
    metadata: {},
    stats: { total_processed: entries.size, skipped: {} },
  };
  let probed = 0;
  for (const key of [...entries.keys()].sort()) {
    const r = buildOne(key, entries.get(key)!, o, ctx);
    if ('skip' in r) {
      report.skip(r.skip, key, r.message);
      index.stats.skipped[r.skip] = (index.stats.skipped[r.skip] ?? 0) + 1;
      continue;
    }
    probed++;
    index.metadata[key] = r.meta;
    (index.buckets[r.bucket] ??= []).push(key);
  }
  report.stage('usable_after_filters', probed, { skipped: { ...index.stats.skipped } });
  applyBucketLimits(index, ctx);
  const total = Object.values(index.buckets).reduce((s, b) => s + b.length, 0);
  report.stage('after_bucket_limits', total, { buckets: Object.keys(index.buckets).length });
  for (const [k, v] of Object.entries(index.buckets)) report.data.buckets[k] = v.length;
  return index;
}
