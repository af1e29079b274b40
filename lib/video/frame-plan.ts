// Pure frame arithmetic: each model family's frame-count rule and which frames of a clip a sample takes.

/** Families whose transformer needs `frames % 8 == 1` (rounded down, never below 1). */
const EIGHT_K_PLUS_ONE = new Set(['wan', 'infinitetalk', 'ltxvideo', 'ltxvideo2', 'sanavideo', 'longcat_video']);

/**
 * SimpleTuner's `adjust_video_frames` for `family`: 8k+1 (rounded down) for Wan, LTX-Video (1 and 2), Sana-Video
 * and LongCat-Video; 17k+5 (rounded up) for MiniMax-H3; unchanged for every other family.
 */
export function adjustVideoFrames(family: string, frames: number): number {
  const f = family.toLowerCase();
  if (EIGHT_K_PLUS_ONE.has(f)) return frames % 8 === 1 ? frames : Math.max(Math.floor((frames - 1) / 8) * 8 + 1, 1);
  if (f === 'minimaxh3' && frames > 1) {
    let n = frames;
    while (n % 17 !== 5) n++;
    return n;
  }
  return frames;
}

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
