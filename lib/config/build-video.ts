// The video block of a video dataset: SimpleTuner's defaults, warnings and frame-count errors.
import type { FieldContext } from './schema-fields.js';
import type { VideoConfig } from './types.js';
import { adjustVideoFrames } from '../video/frame-plan.js';

type Loose = Record<string, unknown>;

/** Model families whose video datasets default to image-to-video. */
const I2V_DEFAULT = new Set(['ltxvideo', 'ltxvideo2']);
/** Families whose i2v flavours force is_i2v. */
const I2V_FLAVOURED = new Set(['wan', 'kandinsky5-video', 'hunyuanvideo']);

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

function defaultNumFrames(ctx: FieldContext): number | null {
  const fps = ctx.args.framerate;
  const value = typeof fps === 'number' && fps > 0 ? Math.round(fps * 5) : null;
  ctx.log.warn(
    ctx.id,
    'video.num_frames',
    value === null
      ? 'video->num_frames is not set and no framerate is known; the model default applies.'
      : `video->num_frames is not set; using framerate × 5 = ${value}.`,
  );
  return value;
}

function isI2v(v: Loose, ctx: FieldContext): boolean {
  const family = ctx.args.model_family;
  const flavour = typeof ctx.args.model_flavour === 'string' ? ctx.args.model_flavour : '';
  if (I2V_FLAVOURED.has(family) && flavour.includes('i2v')) return true;
  if (typeof v.is_i2v === 'boolean') return v.is_i2v;
  if (I2V_DEFAULT.has(family)) return true;
  ctx.log.warn(ctx.id, 'video.is_i2v', 'video->is_i2v is not set; defaulting to false.');
  return false;
}

/** Frame-count rules with SimpleTuner's messages. */
function checkFrames(num: number | null, min: number | null, ctx: FieldContext): void {
  if (num === null || min === null) return;
  const got = `Received min_frames=${min} and num_frames=${num}.`;
  if (!Number.isInteger(num) || !Number.isInteger(min)) {
    ctx.log.error(ctx.id, 'video', `(id=${ctx.id}) video->min_frames and video->num_frames must be integers. ${got}`);
  } else if (num <= 0 || min <= 0) {
    ctx.log.error(
      ctx.id,
      'video',
      `(id=${ctx.id}) video->min_frames and video->num_frames must be greater than 0. ${got}`,
    );
  } else if (min < num) {
    ctx.log.error(
      ctx.id,
      'video.min_frames',
      `(id=${ctx.id}) video->min_frames must be greater than or equal to video->num_frames. ${got}`,
    );
  }
}

/** The model family's adjust_video_frames on num_frames and min_frames, each change warned. */
function adjustCounts(
  counts: { num_frames: number | null; min_frames: number | null },
  ctx: FieldContext,
): { num_frames: number | null; min_frames: number | null } {
  const out = { ...counts };
  const family = ctx.args.model_family ?? '';
  for (const k of ['min_frames', 'num_frames'] as const) {
    const v = out[k];
    if (v === null || !Number.isInteger(v) || v < 1) continue;
    const a = adjustVideoFrames(family, v);
    if (a === v) continue;
    ctx.log.warn(ctx.id, `video.${k}`, `video->${k} ${v} becomes ${a}: the ${family} model needs that frame count.`);
    out[k] = a;
  }
  return out;
}

/** Defaults: num_frames = framerate × 5 (warned), min_frames = num_frames, max_frames warned when absent. */
export function buildVideo(v: Loose, ctx: FieldContext): VideoConfig {
  const num = v.num_frames !== undefined && v.num_frames !== null ? numOrNull(v.num_frames) : defaultNumFrames(ctx);
  const min = numOrNull(v.min_frames) ?? num;
  const max = numOrNull(v.max_frames);
  if (max === null)
    ctx.log.warn(ctx.id, 'video.max_frames', 'video->max_frames is not set; videos of any length are accepted.');
  checkFrames(num, min, ctx);
  const adjusted = adjustCounts({ num_frames: num, min_frames: min }, ctx);
  if (max !== null && min !== null && max < min) {
    ctx.log.error(
      ctx.id,
      'video.max_frames',
      `(id=${ctx.id}) video->max_frames (${max}) must be >= video->min_frames (${min}).`,
    );
  }
  return {
    num_frames: adjusted.num_frames,
    min_frames: adjusted.min_frames,
    max_frames: max,
    is_i2v: isI2v(v, ctx),
    bucket_strategy: v.bucket_strategy === 'resolution_frames' ? 'resolution_frames' : 'aspect_ratio',
    frame_interval: numOrNull(v.frame_interval),
  };
}
