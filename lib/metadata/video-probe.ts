// Video metadata through the ffprobe binary shipped by @ffprobe-installer/ffprobe (no decode, no ffmpeg needed).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, extname } from 'node:path';
import { promisify } from 'node:util';
import type { StorageBackend } from '../storage/types.js';
import type { SkipReason } from './types.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Extensions scanned as video. */
export const VIDEO_EXTENSIONS = ['mp4', 'mov', 'webm', 'mkv', 'avi', 'm4v'];

export type VideoProbe =
  | {
      ok: true;
      format: 'video';
      width: number;
      height: number;
      frames: number;
      fps: number;
      duration: number;
      orientation: 1;
    }
  | { ok: false; reason: SkipReason; message: string };

let ffprobePath: string | undefined;

/** Path of the bundled ffprobe binary (env TUNEFEED_FFPROBE overrides). */
export function ffprobeBinary(): string {
  ffprobePath ??= process.env.TUNEFEED_FFPROBE ?? (require('@ffprobe-installer/ffprobe') as { path: string }).path;
  return ffprobePath;
}

function rate(s: unknown): number {
  if (typeof s !== 'string') return 0;
  const [n, d] = s.split('/').map(Number) as [number, number | undefined];
  return d ? n / d : n;
}

interface FfStream {
  width?: number;
  height?: number;
  nb_frames?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  duration?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

/** Parses ffprobe's JSON into width/height (rotation applied), frames, fps and duration. */
export function parseFfprobe(json: string): VideoProbe {
  const data = JSON.parse(json) as { streams?: FfStream[]; format?: { duration?: string } };
  const s = data.streams?.[0];
  if (!s?.width || !s.height) return { ok: false, reason: 'corrupt', message: 'no video stream with a size' };
  const fps = rate(s.avg_frame_rate) || rate(s.r_frame_rate);
  const duration = Number(s.duration ?? data.format?.duration ?? 0) || 0;
  const frames = Number(s.nb_frames) || Math.round(duration * fps);
  const rotation =
    Math.abs(Number(s.tags?.rotate ?? s.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0)) % 180;
  const [width, height] = rotation === 90 ? [s.height, s.width] : [s.width, s.height];
  return { ok: true, format: 'video', width, height, frames, fps, duration, orientation: 1 };
}

async function ffprobeFile(path: string, signal?: AbortSignal): Promise<VideoProbe> {
  try {
    const args = [
      '-v',
      'error',
      '-print_format',
      'json',
      '-select_streams',
      'v:0',
      '-show_streams',
      '-show_format',
      path,
    ];
    const { stdout } = await run(ffprobeBinary(), args, {
      maxBuffer: 4 << 20,
      timeout: 60_000,
      ...(signal ? { signal } : {}),
    });
    return parseFfprobe(stdout);
  } catch (err) {
    const msg =
      ((err as { stderr?: string }).stderr || (err as Error).message).trim().split('\n').pop() ?? 'ffprobe failed';
    return {
      ok: false,
      reason: /Invalid data|could not find codec|moov atom not found/i.test(msg) ? 'corrupt' : 'other',
      message: msg,
    };
  }
}

/** Probes a stored video: local files in place, remote ones through a temporary copy. */
export async function probeVideo(storage: StorageBackend, key: string, signal?: AbortSignal): Promise<VideoProbe> {
  if (storage.kind === 'local') return ffprobeFile(storage.externalPath(key), signal);
  const dir = await mkdtemp(join(tmpdir(), 'tunefeed-ffprobe-'));
  try {
    const file = join(dir, `v${extname(key)}`);
    await writeFile(file, await storage.read(key, signal));
    return await ffprobeFile(file, signal);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
