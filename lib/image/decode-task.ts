// The typed messages between the decode pool and its workers (defined once, used by both sides).
import type { BackendDescription } from '../storage/types.js';
import type { SampleGeometry } from './decode.js';
import type { VideoFrames, VideoTaskSpec } from '../video/video-task.js';

/**
 * One sample to read and decode inside a worker (`latents`: read a cached VAE latent file instead of an image;
 * `video`: decode a clip's frames with ffmpeg, `video` then holds the clip's frame plan).
 */
export interface DecodeTask {
  kind?: 'image' | 'latents' | 'video';
  video?: Omit<VideoTaskSpec, 'key' | 'geometry'>;
  storage: BackendDescription;
  key: string;
  geometry: SampleGeometry;
  limitInputPixels?: number;
}

/** The worker's answer: pixels moved (zero copy), or the reason the sample must be skipped. */
export type DecodeResult =
  | { ok: true; kind: 'pixels'; width: number; height: number; pixels: Uint8Array; readMs: number; decodeMs: number }
  | { ok: true; kind: 'latents'; dtype: string; shape: number[]; data: Uint8Array; readMs: number; decodeMs: number }
  | VideoFrames
  | { ok: false; reason: string; message: string };
