// The runtime side of a video sample: asks the decode pool for its frames and attaches them (and i2v's first frame).
import type { SampleMetadata } from '../metadata/types.js';
import type { DecodePool } from '../pool/decode-pool.js';
import type { RuntimeDataset } from '../pipeline/runtime-dataset.js';
import type { BatchSample } from '../pipeline/types.js';
import { frameIndices } from './frame-plan.js';

/** Per-clip limits handed to the workers. */
export interface VideoLimits {
  limitInputPixels?: number;
  maxVideoPixels?: number;
}

/** Timings of a decoded clip, or the reason it must be skipped. */
export type VideoOutcome =
  { ok: true; readMs: number; decodeMs: number } | { ok: false; reason: string; message: string };

/** The frame count a sample delivers: the scan's num_frames (already clamped to num/max frames and the bucket). */
export function wantedFrames(meta: SampleMetadata): number {
  return meta.bucket_frames ?? meta.num_frames ?? meta.original_num_frames ?? 0;
}

/**
 * The frames a video sample will hold, known before any decode (they are the first F of the clip): metadata-only
 * streams (ndjson) report them too. A clip that cannot give them is skipped, never delivered with others.
 */
export function planFrames(meta: SampleMetadata, sample: BatchSample): void {
  sample.frame_indices = frameIndices(wantedFrames(meta));
  if (meta.fps !== undefined) sample.fps = meta.fps;
}

/**
 * A video sample's frames: planned always, decoded when there is a pool and no complete VAE cache. null when the
 * caller's image/latent path applies (not a video dataset, metadata only, or latents).
 */
export async function videoStage(
  pool: DecodePool | null,
  d: RuntimeDataset,
  key: string,
  meta: SampleMetadata,
  sample: BatchSample,
  limits: VideoLimits,
): Promise<VideoOutcome | null> {
  if (d.config.dataset_type !== 'video') return null;
  planFrames(meta, sample);
  if (!pool || d.latents) return null;
  return attachFrames(pool, d, key, meta, sample, limits);
}

/** Decodes the clip into `sample.frames` ([F, H, W, 3]); i2v datasets without linked conditioning get frame 0 too. */
export async function attachFrames(
  pool: DecodePool,
  d: RuntimeDataset,
  key: string,
  meta: SampleMetadata,
  sample: BatchSample,
  limits: VideoLimits,
): Promise<VideoOutcome> {
  const frames = wantedFrames(meta);
  if (frames < 1) return { ok: false, reason: 'metadata_missing', message: `No frame count recorded for ${key}` };
  const r = await pool.run({
    kind: 'video',
    storage: d.description,
    key,
    geometry: meta,
    video: { frames, tempDir: pool.tempDir, ...(meta.fps ? { fps: meta.fps } : {}), ...limits },
  });
  if (!r.ok) return r;
  if (r.kind !== 'frames') return { ok: false, reason: 'other', message: `unexpected ${r.kind} result for ${key}` };
  sample.frames = r.frames;
  sample.frame_indices = r.indices;
  sample.fps = r.fps;
  // SimpleTuner builds `{id}_conditioning_i2v_first_frame` from frame 0 only when nothing else conditions the clip.
  if (d.config.video?.is_i2v && d.conditioning.length === 0) {
    const pixels = r.frames.subarray(0, r.width * r.height * 3);
    sample.conditioning = [{ dataset: `${d.id}_conditioning_i2v_first_frame`, path: sample.path, pixels }];
  }
  return { ok: true, readMs: r.readMs, decodeMs: r.decodeMs };
}
