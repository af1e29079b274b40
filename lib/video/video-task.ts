// Worker-side body of a video task: clip → ffmpeg frames → each frame resized and cropped like an image sample.
import { randomBytes } from 'node:crypto';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { checkCrop, toGeometry, type SampleGeometry } from '../image/decode.js';
import type { StorageBackend } from '../storage/types.js';
import { frameIndices } from './frame-plan.js';
import { readFrames } from './read-frames.js';

/** What a worker needs to deliver one clip's frames. */
export interface VideoTaskSpec {
  key: string;
  geometry: SampleGeometry;
  /** Frames to take from the start of the clip. */
  frames: number;
  /** Where remote clips are staged for ffmpeg (removed after each clip; the pool removes the folder on close). */
  tempDir: string;
  /** fps recorded by the scan (reported when ffmpeg reports none). */
  fps?: number;
  limitInputPixels?: number;
  /** Largest width × height × frames accepted. @default 2147483648 */
  maxVideoPixels?: number;
  /** Deadline for one clip's decode. @default 120000 */
  timeoutMs?: number;
}

/** A clip's frames, [F, H, W, 3] uint8 in one buffer that owns its ArrayBuffer (so it can be transferred). */
export interface VideoFrames {
  ok: true;
  kind: 'frames';
  width: number;
  height: number;
  count: number;
  frames: Uint8Array;
  indices: number[];
  fps: number;
  readMs: number;
  decodeMs: number;
}

export type VideoResult = VideoFrames | { ok: false; reason: string; message: string };

/** Local clips are read in place; remote ones are staged once in a temp file (the bytes are not kept twice). */
async function stage(
  client: StorageBackend,
  spec: VideoTaskSpec,
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  if (client.kind === 'local') return { path: client.externalPath(spec.key), cleanup: async () => {} };
  await mkdir(spec.tempDir, { recursive: true });
  const path = join(spec.tempDir, `${randomBytes(8).toString('hex')}${extname(spec.key).slice(0, 8)}`);
  await writeFile(path, await client.read(spec.key));
  return { path, cleanup: () => unlink(path).catch(() => undefined) };
}

/** Never throws for a bad clip: the result names the skip reason. */
export async function runVideoTask(client: StorageBackend, spec: VideoTaskSpec): Promise<VideoResult> {
  const t0 = performance.now();
  try {
    checkCrop(spec.geometry, spec.key);
  } catch (err) {
    return { ok: false, reason: 'geometry', message: (err as Error).message };
  }
  let staged: Awaited<ReturnType<typeof stage>>;
  try {
    staged = await stage(client, spec);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return {
      ok: false,
      reason: code === 'TF_STORAGE_NOT_FOUND' ? 'not_found' : 'read_error',
      message: (err as Error).message,
    };
  }
  const t1 = performance.now();
  try {
    return await decodeClip(staged.path, spec, t1 - t0, t1);
  } finally {
    await staged.cleanup();
  }
}

async function decodeClip(path: string, spec: VideoTaskSpec, readMs: number, t1: number): Promise<VideoResult> {
  const [tw, th] = spec.geometry.target_size;
  const frameOut = tw * th * 3;
  const out = new Uint8Array(frameOut * spec.frames);
  const r = await readFrames(
    path,
    {
      frames: spec.frames,
      ...(spec.limitInputPixels ? { limitInputPixels: spec.limitInputPixels } : {}),
      ...(spec.maxVideoPixels ? { maxVideoPixels: spec.maxVideoPixels } : {}),
      ...(spec.timeoutMs ? { timeoutMs: spec.timeoutMs } : {}),
    },
    async (frame, i, width, height) => {
      const data = await toGeometry(sharp(frame, { raw: { width, height, channels: 3 } }), spec.geometry)
        .raw()
        .toBuffer();
      if (data.length !== frameOut) throw new Error(`resized frame has ${data.length} bytes, expected ${frameOut}`);
      out.set(data, i * frameOut);
    },
  );
  if (!r.ok) return { ok: false, reason: r.reason, message: `${spec.key}: ${r.message}` };
  return {
    ok: true,
    kind: 'frames',
    width: tw,
    height: th,
    count: r.count,
    frames: out,
    indices: frameIndices(r.count),
    fps: r.input.fps || spec.fps || 0,
    readMs,
    decodeMs: performance.now() - t1,
  };
}
