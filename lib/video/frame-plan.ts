// Pure frame arithmetic: each model family's frame-count rule and which frames of a clip a sample takes.

// One definition of SimpleTuner's adjust_video_frames, shared with the config rules.
export { adjustVideoFrames } from '../config/model-geometry.js';

/**
 * Frame count of a resolution_frames bucket: rounded down to `interval` (when set), or the count itself when the
 * rounding would reach 0, as SimpleTuner's `_compute_video_bucket` does.
 */
export function bucketFrames(frames: number, interval: number | null): number {
  if (!interval || interval <= 0) return frames;
  const rounded = Math.floor(frames / interval) * interval;
  return rounded > 0 ? rounded : frames;
}

/**
 * The clip frames a sample takes: the first `wanted` frames in decode order, stride 1. SimpleTuner reads every frame
 * and trims the clip to `num_frames` from its start (VAE cache) — no stride and no random window — so the choice
 * needs no randomness and is the same on every epoch, rank and resume.
 */
export function frameIndices(wanted: number): number[] {
  return Array.from({ length: Math.max(0, wanted) }, (_, i) => i);
}
