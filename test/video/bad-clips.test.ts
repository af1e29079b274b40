// Bad clips in a bucket (metadata from a table, as parquet/HF give it, so nothing probed them) are skipped with a
// reason and counted; every batch is refilled from the bucket and the stream reaches its end.
import t from 'tap';
import { join } from 'node:path';
import type { ImageDatasetConfig } from '../../lib/config/types.js';
import type { SampleMetadata } from '../../lib/metadata/types.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch, LoaderDatasetInput } from '../../lib/pipeline/types.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { imageConfig, oneBucketIndex } from '../helpers/runtime-dataset.js';
import { makeAudioOnly, makeClip, makeTruncatedClip, makeUnknownCodecAvi } from '../helpers/make-clips.js';

const GOOD = ['g0.mp4', 'g1.mp4', 'g2.webm', 'g3.mp4', 'g4.mp4', 'g5.webm'];
const BAD: Record<string, string> = {
  'rotated.mp4': 'rotated',
  'vfr.mkv': 'variable_frame_rate',
  'truncated.mp4': 'truncated',
  'audio.mp4': 'no_video_stream',
  'unknown.avi': 'unsupported_codec',
  'huge.mp4': 'pixel_limit',
  'short.mp4': 'too_few_frames',
};

async function makeAll(dir: string): Promise<void> {
  const s = { w: 64, h: 64, frames: 10, fps: 10 };
  for (const g of GOOD) await makeClip(join(dir, g), { ...s, codec: g.endsWith('.webm') ? 'vp9' : 'h264' });
  await makeClip(join(dir, 'rotated.mp4'), { ...s, rotate: 90 });
  await makeClip(join(dir, 'vfr.mkv'), { ...s, vfr: true });
  await makeTruncatedClip(join(dir, 'truncated.mp4'), { ...s, frames: 12 }, 0.35);
  await makeAudioOnly(join(dir, 'audio.mp4'));
  await makeUnknownCodecAvi(join(dir, 'unknown.avi'), s);
  await makeClip(join(dir, 'huge.mp4'), { ...s, w: 320, h: 320 });
  await makeClip(join(dir, 'short.mp4'), { ...s, frames: 4 });
}

/** A literal index: every clip claims 64×64 and 10 frames (a stale or column-made table), 8 frames taken. */
function dataset(dir: string): LoaderDatasetInput {
  const keys = [...GOOD, ...Object.keys(BAD)].sort();
  const meta: SampleMetadata = {
    original_size: [64, 64],
    intermediary_size: [48, 48],
    target_size: [48, 48],
    crop_coordinates: [0, 0],
    aspect_ratio: 1,
    num_frames: 8,
    original_num_frames: 10,
    fps: 10,
  };
  const index = oneBucketIndex('clips', keys, meta);
  const video = { num_frames: 8, min_frames: 8, max_frames: null, is_i2v: false, frame_interval: null };
  const config: ImageDatasetConfig = {
    ...imageConfig('clips', dir, { train_batch_size: 2 }),
    dataset_type: 'video',
    video: { ...video, bucket_strategy: 'aspect_ratio' },
  };
  return { config, storage: new LocalStorage({ id: 'clips', root: dir }), index };
}

t.test('every bad clip is skipped with its reason, counted once, and replaced from the bucket', async (t) => {
  const dir = t.testdir({});
  await makeAll(dir);
  // 64×64×8 = 32768 pixels pass; the 320×320 clip (819200) is over.
  const loader = await createLoader('x', { datasets: [dataset(dir)], epochs: 1, seed: 9, maxVideoPixels: 100_000 });
  const batches: Batch[] = [];
  for await (const b of loader) batches.push(b);
  const skipped = new Map(batches.flatMap((b) => b.skipped).map((s) => [s.key, s.reason]));
  t.same(Object.fromEntries([...skipped].sort()), Object.fromEntries(Object.entries(BAD).sort()), 'reasons');
  t.same(loader.skips(), Object.fromEntries(Object.values(BAD).map((r) => [r, 1])), 'each counted once');
  for (const s of batches.flatMap((b) => b.skipped)) t.match(s.message, s.key, `${s.key}: message names the file`);
  for (const b of batches) {
    t.equal(b.samples.length, 2, `step ${b.step}: a full batch`);
    for (const s of b.samples) {
      t.ok(GOOD.includes(s.key), `${s.key} is a good clip`);
      t.equal(s.frames?.byteLength, 8 * 48 * 48 * 3, `${s.key}: [8, 48, 48, 3]`);
    }
  }
  t.ok(batches.length >= 3, `the stream went on to the epoch's end (${batches.length} batches)`);
});
