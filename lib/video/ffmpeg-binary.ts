// Which ffmpeg decodes video frames: TUNEFEED_FFMPEG, else the binary @ffmpeg-installer/ffmpeg ships for this platform.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let cached: string | undefined;

/** Absolute path of the ffmpeg binary (installed by `npm ci`; env TUNEFEED_FFMPEG overrides, read once per thread). */
export function ffmpegBinary(): string {
  cached ??= process.env.TUNEFEED_FFMPEG || (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  return cached;
}
