// Video frames: createLoader (ffmpeg in the decode pool, sharp per frame) vs a raw loop running the same ffmpeg decode
// and sharp resize/crop without the pipeline at equal parallelism; then a sleeping consumer's wait share.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { toGeometry } from '../lib/image/decode.js';
import { computeGeometry } from '../lib/metadata/geometry.js';
import type { DatasetIndex, SampleMetadata } from '../lib/metadata/types.js';
import { createLoader } from '../lib/pipeline/create-loader.js';
import type { Batch, LoaderDatasetInput } from '../lib/pipeline/types.js';
import { LocalStorage } from '../lib/storage/local.js';
import { ffmpegBinary } from '../lib/video/ffmpeg-binary.js';
import { imageConfig } from '../test/helpers/runtime-dataset.js';
import { makeClip } from '../test/helpers/make-clips.js';
import { benchScale, CORPUS_DIR } from './corpus.js';
import type { BenchLine } from './results.js';

const SCALES = {
  tiny: { clips: 4, w: 320, h: 240, frames: 17, epochs: 2 },
  small: { clips: 8, w: 480, h: 272, frames: 33, epochs: 3 },
  full: { clips: 24, w: 640, h: 360, frames: 49, epochs: 3 },
};
const PARALLELISM = 2;
const BATCH = 2;

/** This process's CPU including reaped children (ffmpeg), in ms, from /proc/self/stat (clock ticks of 10 ms). */
function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

async function corpus(s: (typeof SCALES)['tiny']): Promise<{ root: string; keys: string[] }> {
  const root = path.join(CORPUS_DIR, `video-${s.clips}x${s.w}x${s.h}x${s.frames}`);
  await mkdir(root, { recursive: true });
  const keys = Array.from({ length: s.clips }, (_, i) => `clip${String(i).padStart(3, '0')}.mp4`);
  for (const k of keys)
    if (!existsSync(path.join(root, k)))
      await makeClip(path.join(root, k), { w: s.w, h: s.h, frames: s.frames, fps: 24 });
  return { root, keys };
}

function dataset(root: string, keys: string[], s: (typeof SCALES)['tiny']): LoaderDatasetInput {
  const opts = { resolution: 256, resolutionType: 'pixel' as const, alignment: 16, rounding: 2, crop: true };
  const geometryOpts = {
    ...opts,
    cropAspect: 'preserve' as const,
    cropAspectBuckets: null,
    cropStyle: 'center' as const,
  };
  const full = { ...geometryOpts, maxUpscaleThreshold: null, maximumImageSize: null, targetDownsampleSize: null };
  const metadata: Record<string, SampleMetadata> = {};
  for (const k of keys)
    metadata[k] = { ...computeGeometry([s.w, s.h], full, () => 0.5), num_frames: s.frames, fps: 24 };
  const index: DatasetIndex = {
    id: 'vb',
    buckets: { x: keys },
    metadata,
    stats: { total_processed: keys.length, skipped: {} },
  };
  const video = { num_frames: s.frames, min_frames: s.frames, max_frames: null, is_i2v: false, frame_interval: null };
  const config = {
    ...imageConfig('vb', root, { train_batch_size: BATCH }),
    dataset_type: 'video' as const,
    video: { ...video, bucket_strategy: 'aspect_ratio' as const },
  };
  return { config, storage: new LocalStorage({ id: 'vb', root }), index };
}

/** The raw loop's decode of one clip: ffmpeg → rgb24 frames → the same sharp resize/crop, frames kept in order. */
function rawClip(file: string, g: SampleMetadata, frames: number): Promise<Buffer> {
  const [w, h] = g.original_size;
  const size = w * h * 3;
  const args = ['-v', 'error', '-i', file, '-map', '0:v:0', '-frames:v', String(frames)];
  const child = spawn(ffmpegBinary(), [...args, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  const jobs: Promise<Buffer>[] = [];
  let frame = Buffer.allocUnsafe(size);
  let filled = 0;
  child.stdout.on('data', (b: Buffer) => {
    for (let at = 0; at < b.length;) {
      const n = b.copy(frame, filled, at);
      at += n;
      filled += n;
      if (filled < size) continue;
      jobs.push(
        toGeometry(sharp(frame, { raw: { width: w, height: h, channels: 3 } }), g)
          .raw()
          .toBuffer(),
      );
      frame = Buffer.allocUnsafe(size);
      filled = 0;
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => void Promise.all(jobs).then((f) => resolve(Buffer.concat(f)), reject));
  });
}

interface Side {
  frameS: number;
  cpuMsPerFrame: number;
  checksum: string;
}

async function rawRun(ds: LoaderDatasetInput, frames: number, epochs: number): Promise<Side> {
  const keys = ds.index.buckets.x;
  const work = Array.from({ length: epochs }, () => keys).flat();
  const hash = createHash('sha1');
  const last = new Map<string, Buffer>();
  const [c0, t0] = [cpuMs(), performance.now()];
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLELISM }, async () => {
      while (next < work.length) {
        const k = work[next++];
        last.set(k, await rawClip(ds.storage.externalPath(k), ds.index.metadata[k], frames));
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const k of keys) hash.update(last.get(k)!);
  const n = work.length * frames;
  return { frameS: n / seconds, cpuMsPerFrame: (cpuMs() - c0) / n, checksum: hash.digest('hex').slice(0, 12) };
}

/** Loader side, timed from its first batch (thread and pool start-up excluded) to its last. */
async function loaderRun(
  ds: LoaderDatasetInput,
  frames: number,
  epochs: number,
): Promise<Side & { waitShare: number }> {
  const loader = await createLoader('x', { datasets: [ds], epochs, seed: 1, threads: 1, tasksPerThread: PARALLELISM });
  const last = new Map<string, Uint8Array>();
  let [c0, t0, n, waited] = [0, 0, 0, 0];
  let w0 = performance.now();
  for await (const b of loader as AsyncIterable<Batch>) {
    if (t0) waited += performance.now() - w0;
    else [c0, t0] = [cpuMs(), performance.now()];
    for (const smp of b.samples) {
      last.set(smp.key, smp.frames!);
      if (n || last.size > BATCH) n += frames;
    }
    w0 = performance.now();
  }
  const seconds = (performance.now() - t0) / 1000;
  await loader.close();
  const hash = createHash('sha1');
  for (const k of ds.index.buckets.x) hash.update(last.get(k)!);
  const checksum = hash.digest('hex').slice(0, 12);
  return { frameS: n / seconds, cpuMsPerFrame: (cpuMs() - c0) / n, checksum, waitShare: waited / 1000 / seconds };
}

/** A consumer that sleeps `stepMs` per batch (a training step on the GPU): the share of time it waits for data. */
async function sleepingConsumer(ds: LoaderDatasetInput, epochs: number, stepMs: number): Promise<number> {
  const loader = await createLoader('x', { datasets: [ds], epochs, seed: 2, threads: 1, tasksPerThread: PARALLELISM });
  let [i, waited, t0, w0] = [0, 0, 0, performance.now()];
  for await (const _ of loader as AsyncIterable<Batch>) {
    if (i++ >= 2) waited += performance.now() - w0;
    else t0 = performance.now();
    await new Promise((r) => setTimeout(r, stepMs));
    w0 = performance.now();
  }
  await loader.close();
  return waited / (performance.now() - t0);
}

async function main(): Promise<void> {
  const scale = benchScale();
  const s = SCALES[scale];
  const { root, keys } = await corpus(s);
  const ds = dataset(root, keys, s);
  await rawRun(ds, s.frames, 1); // warm-up: page cache, sharp and ffmpeg start
  const raw = await rawRun(ds, s.frames, s.epochs);
  const tf = await loaderRun(ds, s.frames, s.epochs);
  const [w, h] = ds.index.metadata[keys[0]].target_size;
  const params = {
    clips: s.clips,
    clip: `${s.w}x${s.h}`,
    frames: s.frames,
    out: `${w}x${h}`,
    parallelism: PARALLELISM,
  };
  const line: BenchLine = {
    bench: 'video',
    case: `${s.clips} H.264 clips ${s.w}x${s.h}, ${s.frames} frames → ${w}x${h}, ${PARALLELISM} clips at once`,
    figures: {
      tunefeed_frames_s: tf.frameS,
      raw_frames_s: raw.frameS,
      tunefeed_cpu_ms_per_frame: tf.cpuMsPerFrame,
      raw_cpu_ms_per_frame: raw.cpuMsPerFrame,
    },
    ratios: { vs_raw_ffmpeg_sharp_loop: tf.frameS / raw.frameS },
    checksum: { tunefeed: tf.checksum, raw: raw.checksum, same: tf.checksum === raw.checksum },
    params: { ...params, epochs: s.epochs, batch: BATCH },
    caveat:
      'raw = ffmpeg (-v error, rgb24 to a pipe) + the same sharp toGeometry per frame, ' +
      `${PARALLELISM} clips in flight on the main thread; tunefeed = createLoader (prefetch thread, ` +
      `pool of 1 thread × ` +
      `${PARALLELISM}, ffmpeg with showinfo for the VFR check). CPU per frame includes the ffmpeg children (reaped). ` +
      'tunefeed is timed from its first batch (start-up excluded); the raw loop after one warm-up epoch.',
  };
  console.log(JSON.stringify(line));
  const stepMs = Math.round((1.25 * BATCH * s.frames * 1000) / raw.frameS);
  const waitShare = await sleepingConsumer(ds, s.epochs, stepMs);
  console.log(
    JSON.stringify({
      bench: 'video',
      case: `sleeping consumer, ${stepMs} ms per batch of ${BATCH} clips (1.25× the raw loop's time per batch)`,
      figures: { wait_share: waitShare },
      params: { ...params, epochs: s.epochs, step_ms: stepMs, warmup_batches: 2 },
      caveat: 'wait share = time in next() after 2 warm-up batches over the wall time of the rest',
    } satisfies BenchLine),
  );
}

await main();
