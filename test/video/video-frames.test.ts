// Scanned H.264 and VP9 clips stream [F, H, W, 3] frames: counts, indices, pixels vs Debian's ffmpeg, binary format.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeToTarget } from '../../lib/image/decode.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { encodeFrame, encodeNdjson } from '../../lib/pipeline/binary-format.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch, BatchSample } from '../../lib/pipeline/types.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { makeClip } from '../helpers/make-clips.js';

const run = promisify(execFile);

/** Debian's ffmpeg (another build and version than the bundled one) decodes the first `n` frames to PNG. */
async function referenceFrames(clip: string, dir: string, n: number): Promise<Buffer[]> {
  const pattern = join(dir, 'ref_%03d.png');
  await run('/usr/bin/ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    clip,
    '-vsync',
    'passthrough',
    '-frames:v',
    String(n),
    pattern,
  ]);
  const names = (await readdir(dir)).filter((f) => f.startsWith('ref_')).sort();
  return Promise.all(names.map((f) => readFile(join(dir, f))));
}

function diffStats(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

async function scanned(dir: string, video: Record<string, unknown>, family = 'wan') {
  const { config, args } = await datasetConfig(
    { id: 'clips', dataset_type: 'video', instance_data_dir: dir, resolution: 64, resolution_type: 'pixel', video },
    { model_family: family },
  );
  const storage = new LocalStorage({ id: 'clips', root: dir });
  const { index, report } = await scanDataset({ id: 'clips', config, storage, args });
  return { config, storage, index, report };
}

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

t.test(
  'scanned H.264/VP9 clips deliver their first num_frames frames (wan: 10 → 9), pixel-true to ffmpeg→PNG',
  async (t) => {
    const dir = t.testdir({});
    await makeClip(join(dir, 'a.mp4'), { w: 96, h: 64, frames: 12, fps: 12 });
    await makeClip(join(dir, 'b.mp4'), { w: 96, h: 64, frames: 14, fps: 12 });
    await makeClip(join(dir, 'c.webm'), { w: 96, h: 64, frames: 10, fps: 10, codec: 'vp9' });
    await makeClip(join(dir, 'd.webm'), { w: 96, h: 64, frames: 11, fps: 10, codec: 'vp9' });
    await makeClip(join(dir, 'tall.mp4'), { w: 64, h: 112, frames: 9, fps: 8 });
    await makeClip(join(dir, 'short.mp4'), { w: 96, h: 64, frames: 5, fps: 12 });
    const ds = await scanned(dir, { num_frames: 10, min_frames: 10 });
    t.equal(ds.config.video?.num_frames, 9, 'num_frames adjusted to 8k+1 for wan');
    t.same(ds.report.skipped, { frames_out_of_range: 1 }, 'the 5-frame clip is below min_frames');
    const batches = await collect(await createLoader('x', { datasets: [ds], epochs: 1, seed: 5 }));
    const samples = batches.flatMap((b) => b.samples);
    t.same(samples.map((s) => s.key).sort(), ['a.mp4', 'b.mp4', 'c.webm', 'd.webm', 'tall.mp4']);
    t.same(
      batches.flatMap((b) => b.skipped),
      [],
    );
    for (const s of samples) {
      const [w, h] = s.target_size;
      t.equal(s.frames?.byteLength, 9 * h * w * 3, `${s.key}: [9, ${h}, ${w}, 3]`);
      t.same(s.frame_indices, [0, 1, 2, 3, 4, 5, 6, 7, 8], `${s.key}: the first 9 frames`);
      t.equal(s.fps, s.key.endsWith('.webm') ? 10 : s.key === 'tall.mp4' ? 8 : 12, `${s.key}: fps`);
      t.equal(s.conditioning, undefined, 'not i2v: no conditioning frame');
    }
    for (const key of ['a.mp4', 'c.webm', 'tall.mp4'])
      await agree(
        t,
        dir,
        samples.find((s) => s.key === key)!,
      );
  },
);

/**
 * Each frame against Debian's ffmpeg 5.1 → PNG → the image path (sharp, same geometry). Both builds use swscale's
 * default yuv420p→rgb24 conversion: measured identical here (max |Δ| 0). The bound (mean < 0.1, max ≤ 2 per
 * channel) leaves room only for rounding changes between swscale versions when TUNEFEED_FFMPEG picks another build.
 */
async function agree(t: Test, dir: string, s: BatchSample): Promise<void> {
  const refDir = await mkdtemp(join(tmpdir(), 'tf-ref-'));
  t.teardown(() => rm(refDir, { recursive: true, force: true }));
  const refs = await referenceFrames(join(dir, s.key), refDir, 9);
  t.equal(refs.length, 9, `${s.key}: 9 reference frames`);
  const [w, h] = s.target_size;
  const size = w * h * 3;
  for (const [i, png] of refs.entries()) {
    const ref = await decodeToTarget(png, s);
    const got = s.frames!.subarray(i * size, (i + 1) * size);
    const d = diffStats(got, ref.data);
    t.ok(d.mean < 0.1 && d.max <= 2, `${s.key} frame ${i}: mean |Δ| ${d.mean.toFixed(3)}, max ${d.max}`);
  }
  // Frames really are different pictures (the pattern moves), so a repeated frame would fail above.
  t.not(Buffer.compare(Buffer.from(s.frames!.subarray(0, size)), Buffer.from(s.frames!.subarray(size, 2 * size))), 0);
}

t.test('binary stream: frames are a [F, H, W, 3] uint8 array that docs/read_batches.py reads', async (t) => {
  const dir = t.testdir({});
  await makeClip(join(dir, 'a.mp4'), { w: 96, h: 64, frames: 9, fps: 12 });
  const ds = await scanned(dir, { num_frames: 9, min_frames: 9, is_i2v: true }, 'ltxvideo');
  const [batch] = await collect(await createLoader('x', { datasets: [ds], epochs: 1, seed: 1, thread: false }));
  const s = batch.samples[0];
  const [w, h] = s.target_size;
  t.equal(s.conditioning?.[0].dataset, 'clips_conditioning_i2v_first_frame', 'i2v: first frame as conditioning');
  t.same(s.conditioning?.[0].pixels, s.frames?.subarray(0, w * h * 3), 'the conditioning image is frame 0');
  const file = join(dir, 'stream.bin');
  const bytes = Buffer.concat(encodeFrame(batch));
  await writeFile(file, bytes);
  const header = JSON.parse(bytes.subarray(16, 16 + bytes.readUInt32LE(4)).toString('utf8')) as {
    samples: { frame_indices: number[]; fps: number }[];
  };
  t.same(header.samples[0].frame_indices, [0, 1, 2, 3, 4, 5, 6, 7, 8], 'the header names the frames taken');
  t.equal(header.samples[0].fps, 12);
  const script = join(import.meta.dirname, '../../docs/read_batches.py');
  const py = await run('/bin/sh', ['-c', `/usr/bin/python3 '${script}' < '${file}'`]);
  const line = JSON.parse(py.stdout.trim()) as { samples: Record<string, { shape: number[]; sum: number }>[] };
  t.same(line.samples[0].frames.shape, [9, h, w, 3]);
  t.equal(
    line.samples[0].frames.sum,
    s.frames!.reduce((a, b) => a + b, 0),
    'same bytes as the batch',
  );
});

t.test(
  'metadata-only stream (ndjson): each sample names the frames it would hold and the fps, nothing decoded',
  async (t) => {
    const dir = t.testdir({});
    await makeClip(join(dir, 'a.mp4'), { w: 96, h: 64, frames: 12, fps: 12 });
    await makeClip(join(dir, 'b.webm'), { w: 96, h: 64, frames: 12, fps: 10, codec: 'vp9' });
    const ds = await scanned(dir, { num_frames: 10, min_frames: 10 });
    const batches = await collect(await createLoader('x', { datasets: [ds], epochs: 1, seed: 1, decode: false }));
    const lines = batches.map((b) => JSON.parse(encodeNdjson(b)) as { samples: Record<string, unknown>[] });
    const samples = lines.flatMap((l) => l.samples).sort((a, b) => String(a.path).localeCompare(String(b.path)));
    t.same(
      samples.map((s) => [s.frame_indices, s.fps]),
      [
        [[0, 1, 2, 3, 4, 5, 6, 7, 8], 12],
        [[0, 1, 2, 3, 4, 5, 6, 7, 8], 10],
      ],
    );
    t.ok(
      batches.every((b) => b.samples.every((s) => s.frames === undefined)),
      'no frames decoded',
    );
  },
);
