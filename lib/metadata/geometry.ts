// Per-sample geometry exactly as SimpleTuner's TrainingSample computes it from the original size alone (no pixels).
import { ConfigValidationError } from '../errors.js';
import type { AspectBucketSpec, CropAspect, CropStyle } from '../config/types.js';
import type { SampleMetadata } from './types.js';
import {
  type AspectResolutionMap,
  type Size,
  type SizeResult,
  aspectOf,
  assertValidSize,
  limitMaximumSize,
  roundToMultiple,
  sizeByPixelArea,
  sizeByPixelEdge,
} from './size-calculators.js';
import { cropCoordinates } from './crop.js';

/** Everything that decides a sample's geometry. Hash these fields to detect a changed geometry config. */
export interface GeometryOptions {
  /** Shorter edge in px (pixel) or megapixels (area; pixel_area is converted before this point). */
  resolution: number;
  resolutionType: 'pixel' | 'area';
  /** aspect_bucket_alignment. @default 64 */
  alignment: number;
  /** aspect_bucket_rounding (decimal places). @default 2 */
  rounding: number;
  crop: boolean;
  cropAspect: CropAspect;
  cropAspectBuckets: readonly AspectBucketSpec[] | null;
  cropStyle: CropStyle;
  /** Keeps random float buckets whose target fits original·(1+t) on both edges (working, unlike SimpleTuner's). */
  maxUpscaleThreshold: number | null;
  maximumImageSize: number | null;
  targetDownsampleSize: number | null;
  /** The model's MAXIMUM_CANVAS_SIZE in pixels, if any. */
  maxCanvasSize?: number | null;
  /** Area-mode consistency map shared by the samples of one scan. */
  aspectMap?: AspectResolutionMap;
  /** Receives one-off warnings (face crop fallback, no fitting bucket). */
  onWarning?: (message: string) => void;
}

type Calc = (ar: number, res: number, original: Size) => SizeResult;

function calculator(o: GeometryOptions, withMap = true): Calc {
  if (o.resolutionType === 'pixel') return (ar, res, orig) => sizeByPixelEdge(ar, res, orig, o.alignment, o.rounding);
  const map = withMap ? o.aspectMap : undefined;
  return (ar, res, orig) => sizeByPixelArea(ar, res, orig, o.alignment, o.rounding, map);
}

/** SimpleTuner's `pixel_resolution`: the square edge for aspect 1.0. */
export function pixelResolution(o: GeometryOptions): number {
  if (o.resolutionType === 'pixel') return Math.trunc(o.resolution);
  return roundToMultiple(Math.sqrt(targetArea(o)), o.alignment);
}

/** SimpleTuner's `target_area`: area resolutions within ±0.05 of 0.25/0.5/1/2/4 MP snap to 512²…2048². */
export function targetArea(o: GeometryOptions): number {
  if (o.resolutionType === 'pixel') return o.resolution;
  const table: [number, number][] = [
    [0.25, 512 ** 2],
    [0.5, 768 ** 2],
    [1.0, 1024 ** 2],
    [2.0, 1536 ** 2],
    [4.0, 2048 ** 2],
  ];
  for (const [mp, area] of table) if (Math.abs(o.resolution - mp) < 0.05) return area;
  return o.resolution * 1e6;
}

function bucketAspect(b: AspectBucketSpec): number {
  return typeof b === 'number' ? b : b.aspect;
}

function selectAspect(original: Size, aspect: number, o: GeometryOptions, rng: () => number): number {
  const buckets = o.cropAspectBuckets ?? [];
  if (buckets.length === 0) {
    throw new ConfigValidationError([
      { id: null, field: 'crop_aspect_buckets', message: `must be provided when crop_aspect is '${o.cropAspect}'` },
    ]);
  }
  if (o.cropAspect === 'closest') {
    let best = buckets[0];
    for (const b of buckets) if (Math.abs(bucketAspect(b) - aspect) < Math.abs(bucketAspect(best) - aspect)) best = b;
    return bucketAspect(best);
  }
  if (typeof buckets[0] !== 'number') return weightedChoice(buckets as { aspect: number; weight: number }[], rng);
  const fitting = trimBuckets(original, buckets.map(bucketAspect), o);
  if (fitting.length === 0) {
    o.onWarning?.('Image dimensions do not fit into the configured aspect buckets. Using square crop.');
    return 1.0;
  }
  return fitting[Math.floor(rng() * fitting.length)];
}

function weightedChoice(buckets: { aspect: number; weight: number }[], rng: () => number): number {
  const total = buckets.reduce((s, b) => s + b.weight, 0);
  if (total !== 1.0) {
    throw new ConfigValidationError([
      { id: null, field: 'crop_aspect_buckets', message: 'The weights of aspect buckets must add up to 1.' },
    ]);
  }
  const x = rng() * total;
  let cum = 0;
  for (const b of buckets) {
    cum += b.weight;
    if (x < cum) return b.aspect;
  }
  return buckets[buckets.length - 1].aspect;
}

/** max_upscale_threshold: keep a bucket when its target is ≤ original·(1+t) on both edges. */
function trimBuckets(original: Size, aspects: number[], o: GeometryOptions): number[] {
  const t = o.maxUpscaleThreshold;
  if (t === null || t === undefined) return aspects;
  const calc = calculator(o, false);
  return aspects.filter((a) => {
    const { target } = calc(a, o.resolution, original);
    return target[0] <= original[0] * (1 + t) && target[1] <= original[1] * (1 + t);
  });
}

interface Targets {
  target: Size;
  intermediary: Size;
  aspect: number;
}

function squareTargets(original: Size, o: GeometryOptions): Targets {
  const pr = pixelResolution(o);
  let target = limitMaximumSize([pr, pr], o.maxCanvasSize, o.alignment);
  if (target[0] !== target[1]) target = [Math.min(...target), Math.min(...target)];
  let { intermediary } = calculator(o)(1.0, o.resolution, original);
  if (intermediary[0] < pr) intermediary = [pr, pr];
  return { target, intermediary, aspect: 1.0 };
}

/** TrainingSample.calculate_target_size(): target, intermediary and the bucket aspect. */
export function calculateTargets(original: Size, o: GeometryOptions, rng: () => number): Targets {
  assertValidSize(original);
  if (o.crop && o.cropAspect === 'square') return squareTargets(original, o);
  let aspect = aspectOf(original, o.rounding);
  if (o.crop && (o.cropAspect === 'random' || o.cropAspect === 'closest'))
    aspect = selectAspect(original, aspect, o, rng);
  const r = calculator(o)(aspect, o.resolution, original);
  let target = limitMaximumSize(r.target, o.maxCanvasSize, o.alignment);
  let intermediary = r.intermediary;
  aspect = aspectOf(target, o.rounding);
  const pr = pixelResolution(o);
  if (aspect === 1.0 && intermediary[0] < pr) intermediary = [pr, pr];
  if (aspect === 1.0) target = [pr, pr];
  return { target, intermediary: [Math.trunc(intermediary[0]), Math.trunc(intermediary[1])], aspect };
}

/** The size the image has right before the crop (SimpleTuner's `_downsample_before_crop`). */
function sizeBeforeCrop(original: Size, t: Targets, o: GeometryOptions): Size {
  if (!o.crop) return t.intermediary;
  if (o.maximumImageSize && o.targetDownsampleSize && needsDownsample(original, t, o)) {
    let inter = calculator(o)(aspectOf(original, o.rounding), o.targetDownsampleSize, original).intermediary;
    if (inter[0] < t.target[0]) inter = [t.target[0], Math.trunc(inter[1] * (t.target[0] / inter[0]))];
    else if (inter[1] < t.target[1]) inter = [Math.trunc(inter[0] * (t.target[1] / inter[1])), t.target[1]];
    return inter;
  }
  return t.intermediary;
}

function needsDownsample(original: Size, t: Targets, o: GeometryOptions): boolean {
  const [w, h] = original;
  if (o.resolutionType === 'pixel') {
    const pr = pixelResolution(o);
    return w !== pr || h !== pr;
  }
  const area = w * h;
  return area !== targetArea(o) || w < t.target[0] || h < t.target[1];
}

/**
 * SimpleTuner's TrainingSample geometry for one sample, from its (EXIF-oriented) original size.
 * `rng` drives random aspects and random crops; seed it per sample so results do not depend on scan order.
 */
export function computeGeometry(original: [number, number], opts: GeometryOptions, rng: () => number): SampleMetadata {
  const t = calculateTargets(original, opts, rng);
  const current = sizeBeforeCrop(original, t, opts);
  const sameAsTarget = current[0] === t.target[0] && current[1] === t.target[1];
  const crop: [number, number] = !opts.crop && sameAsTarget ? [0, 0] : cropCoordinates(current, t.target, opts, rng);
  return {
    original_size: [original[0], original[1]],
    crop_coordinates: crop,
    target_size: t.target,
    intermediary_size: t.intermediary,
    aspect_ratio: opts.crop && opts.cropAspect === 'square' ? 1.0 : t.aspect,
  };
}
