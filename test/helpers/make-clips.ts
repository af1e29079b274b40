// Test clips made by ffmpeg itself (the bundled binary): H.264/VP9 test patterns, rotated, VFR, truncated, audio-only.
import { execFile } from 'node:child_process';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ffmpegBinary } from '../../lib/video/ffmpeg-binary.js';
import { makeMjpegAvi } from './make-images.js';

const run = promisify(execFile);

/** What kind of clip to make. */
export interface ClipSpec {
  w: number;
  h: number;
  frames: number;
  fps: number;
  /** @default 'h264' */
  codec?: 'h264' | 'vp9';
  /** Rotation tag written into the MP4 (degrees). */
  rotate?: number;
  /** Frame times jump (every frame from the 6th on lasts twice as long): a variable-frame-rate clip. */
  vfr?: boolean;
}

function codecArgs(codec: 'h264' | 'vp9'): string[] {
  return codec === 'vp9'
    ? ['-c:v', 'libvpx-vp9', '-b:v', '400k', '-deadline', 'realtime', '-cpu-used', '8']
    : ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'];
}

/** A moving test pattern (every frame differs) encoded at `path`; the extension picks the container. */
export async function makeClip(path: string, s: ClipSpec): Promise<void> {
  const src = `testsrc2=size=${s.w}x${s.h}:rate=${s.fps}`;
  const vf = s.vfr ? ['-vf', `setpts='if(lt(N,5),N,5+(N-5)*2)/${s.fps}/TB'`, '-vsync', 'vfr'] : [];
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', src, '-frames:v', String(s.frames)];
  const out = s.rotate ? `${path}.plain.mp4` : path;
  await run(ffmpegBinary(), [...args, ...vf, ...codecArgs(s.codec ?? 'h264'), out]);
  if (!s.rotate) return;
  // The rotate tag is written when remuxing (an encode drops it).
  await run(ffmpegBinary(), [
    '-v',
    'error',
    '-y',
    '-i',
    out,
    '-c',
    'copy',
    '-metadata:s:v:0',
    `rotate=${s.rotate}`,
    path,
  ]);
  await unlink(out);
}

/** A clip cut to `keep` of its bytes (moov first, so ffmpeg opens it and runs out of frames). */
export async function makeTruncatedClip(path: string, s: ClipSpec, keep = 0.4): Promise<void> {
  await makeClip(path, s);
  const b = await readFile(path);
  await writeFile(path, b.subarray(0, Math.floor(b.length * keep)));
}

/** An MP4 with one AAC audio stream and no video. */
export async function makeAudioOnly(path: string): Promise<void> {
  await run(ffmpegBinary(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', path]);
}

/** A playable AVI whose video FourCC is one no decoder knows ('ZZZZ'), so ffmpeg finds no decoder for it. */
export async function makeUnknownCodecAvi(path: string, s: { w: number; h: number; frames: number; fps: number }) {
  await makeMjpegAvi(path, s);
  const b = await readFile(path);
  for (let i = b.indexOf('MJPG'); i >= 0; i = b.indexOf('MJPG', i + 4)) b.write('ZZZZ', i, 'latin1');
  await writeFile(path, b);
}
