// zod schemas for the structured values of a dataset: crop_aspect_buckets, caption_shuffle, video, parquet,
// huggingface.
import { z } from 'zod';
import { showValue } from './issues.js';
import type { Check, FieldContext } from './schema-fields.js';
import { bool, checked, expected, expectedMsg, nonNegInt, posInt, str, strOrList } from './schema-fields.js';
import type { AspectBucketSpec } from './types.js';

const BUCKET_FORMAT =
  "must be a list of float values or a list of dictionaries following the format: {'aspect_bucket': float, " +
  "'weight': float}. " +
  'The weight represents how likely this bucket is to be chosen, and all weights should add up to 1.0 collectively.';

function bucketEntry(b: unknown): AspectBucketSpec | null {
  if (typeof b === 'number') return Number.isFinite(b) && b > 0 ? b : null;
  if (!b || typeof b !== 'object' || Array.isArray(b)) return null;
  const o = b as Record<string, unknown>;
  // SimpleTuner's message says `aspect_bucket`, its sampler reads `aspect` and its trim reads `aspect_ratio`: accept
  // all three.
  const aspect = o.aspect ?? o.aspect_bucket ?? o.aspect_ratio;
  const weight = o.weight;
  if (typeof aspect !== 'number' || !(aspect > 0) || !Number.isFinite(aspect)) return null;
  if (typeof weight !== 'number' || !(weight >= 0) || !Number.isFinite(weight)) return null;
  return { aspect, weight };
}

/**
 * crop_aspect_buckets: floats, or {aspect|aspect_bucket|aspect_ratio, weight} dicts whose weights sum to 1 (±1e-6).
 */
export function cropAspectBuckets(ctx: { id: string | null }) {
  return checked<AspectBucketSpec[] | null>((v): Check<AspectBucketSpec[] | null> => {
    const id = ctx.id;
    if (v === undefined || v === null) return { ok: true, value: null };
    const bad: Check<never> = { ok: false, message: `(id=${id}) crop_aspect_buckets ${BUCKET_FORMAT}` };
    if (!Array.isArray(v)) return bad;
    const out = v.map(bucketEntry);
    if (out.some((b) => b === null)) return bad;
    const dicts = out.filter((b) => typeof b === 'object').length;
    if (dicts !== 0 && dicts !== out.length) return bad;
    if (dicts > 0) {
      const sum = (out as { weight: number }[]).reduce((s, b) => s + b.weight, 0);
      if (Math.abs(sum - 1) > 1e-6)
        return {
          ok: false,
          message: `(id=${id}) The weights of aspect buckets must add up to 1 (they add up to ${sum}).`,
        };
    }
    return { ok: true, value: out as AspectBucketSpec[] };
  }).optional();
}

const PY_TYPES: Record<string, string> = { string: 'str', number: 'float', boolean: 'bool', object: 'dict' };
function pyType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number' && Number.isInteger(v)) return 'int';
  return PY_TYPES[typeof v] ?? typeof v;
}

export interface CaptionShuffle {
  enabled: boolean;
  count: number;
  position_start: number;
  include_original: boolean;
  split_on: 'comma' | 'space' | 'period';
  seed: number;
}

/** caption_shuffle block with SimpleTuner's messages; `enable` (SimpleTuner) and `enabled` are both accepted. */
export function captionShuffle(ctx: FieldContext) {
  return checked<CaptionShuffle | null>((v) => {
    const id = ctx.id;
    if (v === undefined || v === null) return { ok: true, value: null };
    if (typeof v !== 'object' || Array.isArray(v))
      return { ok: false, message: `(id=${id}) caption_shuffle must be a dictionary, got ${pyType(v)}` };
    const o = v as Record<string, unknown>;
    const split = o.split_on ?? 'comma';
    if (split !== 'comma' && split !== 'space' && split !== 'period') {
      return {
        ok: false,
        message:
          `(id=${id}) caption_shuffle.split_on must be one of {'comma', 'space', 'period'}, ` +
          `got ${showValue(split)}`,
      };
    }
    const count = o.count ?? 1;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      return {
        ok: false,
        message: `(id=${id}) caption_shuffle.count must be a positive integer, got ${showValue(count)}`,
      };
    }
    const start = o.position_start ?? 0;
    if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) {
      return {
        ok: false,
        message: `(id=${id}) caption_shuffle.position_start must be a non-negative integer, got ${showValue(start)}`,
      };
    }
    const enabled = o.enable ?? o.enabled ?? false;
    const include = o.include_original ?? true;
    const seed = o.seed ?? ctx.args.seed;
    if (
      typeof enabled !== 'boolean' ||
      typeof include !== 'boolean' ||
      typeof seed !== 'number' ||
      !Number.isSafeInteger(seed)
    ) {
      return {
        ok: false,
        message: `(id=${id}) caption_shuffle.enable and .include_original must be booleans and .seed an integer.`,
      };
    }
    return {
      ok: true,
      value: { enabled, count, position_start: start, include_original: include, split_on: split, seed },
    };
  }).optional();
}

const videoFrames = (f: string) => z.number(expected(`video.${f}`, 'an integer')).nullish();

/** The video block's shape; defaults and frame rules are applied by the builder. */
export const videoSchema = z
  .looseObject(
    {
      num_frames: videoFrames('num_frames'),
      min_frames: videoFrames('min_frames'),
      max_frames: videoFrames('max_frames'),
      frame_interval: posInt('video.frame_interval'),
      is_i2v: bool('video.is_i2v'),
      bucket_strategy: z
        .enum(
          ['aspect_ratio', 'resolution_frames'],
          expected('video.bucket_strategy', "'aspect_ratio' or 'resolution_frames'"),
        )
        .nullish(),
    },
    expected('video', 'an object'),
  )
  .nullish();

/** The parquet block. `path` is required when the block is used (checked by the rules, with SimpleTuner's message). */
export const parquetSchema = z
  .looseObject(
    {
      path: str('parquet.path'),
      filename_column: str('parquet.filename_column'),
      caption_column: strOrList('parquet.caption_column'),
      fallback_caption_column: str('parquet.fallback_caption_column'),
      width_column: str('parquet.width_column'),
      height_column: str('parquet.height_column'),
      aspect_ratio_column: str('parquet.aspect_ratio_column'),
      num_frames_column: str('parquet.num_frames_column'),
      fps_column: str('parquet.fps_column'),
      identifier_includes_extension: bool('parquet.identifier_includes_extension'),
    },
    expected('parquet', 'an object'),
  )
  .nullish();

const filterFunc = z
  .looseObject(
    {
      collection: strOrList('huggingface.filter_func.collection'),
      quality_thresholds: z
        .record(z.string(), z.number(), expected('huggingface.filter_func.quality_thresholds', 'an object of numbers'))
        .nullish(),
      min_width: nonNegInt('huggingface.filter_func.min_width'),
      min_height: nonNegInt('huggingface.filter_func.min_height'),
    },
    expected('huggingface.filter_func', 'an object'),
  )
  .nullish();

/** The huggingface block (caption and size columns live here; top-level copies are accepted too). */
export const huggingfaceSchema = z
  .looseObject(
    {
      cache_dir: str('huggingface.cache_dir'),
      image_column: str('huggingface.image_column'),
      video_column: str('huggingface.video_column'),
      streaming: bool('huggingface.streaming'),
      num_proc: posInt('huggingface.num_proc'),
      filter_func: filterFunc,
      caption_column: strOrList('huggingface.caption_column'),
      fallback_caption_column: str('huggingface.fallback_caption_column'),
      description_column: str('huggingface.description_column'),
      width_column: str('huggingface.width_column'),
      height_column: str('huggingface.height_column'),
    },
    expected('huggingface', 'an object'),
  )
  .nullish();

/** instance_prompt: a string or a list of strings (list entries are stripped, empty ones dropped). */
export function instancePrompt() {
  return checked<string[] | null>((v) => {
    if (v === undefined || v === null) return { ok: true, value: null };
    if (typeof v === 'string') return { ok: true, value: [v] };
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      return { ok: true, value: v.map((s) => s.trim()).filter((s) => s !== '') };
    }
    return { ok: false, message: expectedMsg('instance_prompt', 'a string or a list of strings', v) };
  }).optional();
}

/** caption_filter_list: a list of strings, or a path to a .json/.txt file. */
export const captionFilterList = z
  .union([z.array(z.string()), z.string()], expected('caption_filter_list', 'a list of strings or a file path'))
  .nullish();
