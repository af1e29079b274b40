// Parquet/JSONL metadata backends (no image reads) and video datasets through ffprobe on real MJPEG AVIs.
import t from 'tap';
import { join } from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import { writeParquet } from '../helpers/write-parquet.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { scanParquet } from '../../lib/metadata/parquet-scan.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { DataFileError } from '../../lib/errors.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { makeMjpegAvi } from '../helpers/make-images.js';

async function plantGarbage(dir: string, names: string[]) {
  await mkdir(dir, { recursive: true });
  // Not images at all: the parquet backend must never read them.
  for (const n of names) await writeFile(join(dir, n), 'garbage');
}

t.test('parquet table gives sizes and captions; unmatched files are metadata_missing', async (t) => {
  const dir = t.testdir({});
  await plantGarbage(dir, ['a.jpg', 'b.png', 'c.jpg', 'orphan.jpg']);
  writeParquet(join(dir, 'meta.parquet'), [
    { name: 'id', data: ['a', 'b', 'c', 'x'], type: 'STRING' },
    { name: 'width', data: [1920, 1024, 640, 10], type: 'INT32' },
    { name: 'height', data: [1080, 1024, 0, 10], type: 'INT32' },
    { name: 'description', data: ['a cat', 'a dog', 'a cow', 'none'], type: 'STRING' },
  ]);
  const { config, args } = await datasetConfig({
    id: 'pq',
    instance_data_dir: dir,
    resolution: 1024,
    resolution_type: 'pixel',
    metadata_backend: 'parquet',
    caption_strategy: 'parquet',
    parquet: { path: join(dir, 'meta.parquet') },
  });
  const r = await scanParquet({ id: 'pq', config, storage: new LocalStorage({ id: 'pq', root: dir }), args });
  t.same(r.index.buckets, { '1.0': ['b.png'], '1.75': ['a.jpg'] });
  t.same(r.index.metadata['a.jpg']?.target_size, [1792, 1024]);
  t.equal(r.report.skipped.metadata_missing, 2, 'orphan (no row) and c (height 0)');
  t.same(r.index.captions, { 'a.jpg': 'a cat', 'b.png': 'a dog', 'c.jpg': 'a cow' });
});

t.test('jsonl with identifier_includes_extension and aspect_ratio column; bad lines name the row', async (t) => {
  const dir = t.testdir({});
  await plantGarbage(dir, ['a.jpg', 'b.jpg']);
  const rows = [
    { file: 'a.jpg', width: 1000, height: 500, ar: 2.0, text: ['one', 'two'] },
    { file: 'b.jpg', width: 500, height: 1000 },
  ];
  await writeFile(join(dir, 'meta.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  const { config, args } = await datasetConfig({
    id: 'jl',
    instance_data_dir: dir,
    resolution: 512,
    resolution_type: 'pixel',
    metadata_backend: 'parquet',
    caption_strategy: 'parquet',
    parquet: {
      path: join(dir, 'meta.jsonl'),
      filename_column: 'file',
      caption_column: 'text',
      aspect_ratio_column: 'ar',
      identifier_includes_extension: true,
    },
  });
  const storage = new LocalStorage({ id: 'jl', root: dir });
  const r = await scanParquet({ id: 'jl', config, storage, args });
  t.same(Object.keys(r.index.buckets).sort(), ['0.5', '2.0']);
  t.same(r.index.captions?.['a.jpg'], ['one', 'two']);
  await writeFile(join(dir, 'meta.jsonl'), `${JSON.stringify(rows[0])}\n{broken\n`);
  await t.rejects(scanParquet({ id: 'jl', config, storage, args }), DataFileError);
  const err = await scanParquet({ id: 'jl', config, storage, args }).catch((e: Error) => e);
  t.match((err as Error).message, /row=2/);
  await writeFile(join(dir, 'meta.jsonl'), JSON.stringify({ file: 'a.jpg', w: 1 }));
  const miss = await scanParquet({ id: 'jl', config, storage, args }).catch((e: Error) => e);
  t.match((miss as Error).message, /missing column\(s\) width, height/);
});

t.test('video: ffprobe sizes and frames, frame filters, resolution_frames buckets', async (t) => {
  const dir = t.testdir({});
  await makeMjpegAvi(join(dir, 'short.avi'), { w: 64, h: 48, frames: 4, fps: 8 });
  await makeMjpegAvi(join(dir, 'long.avi'), { w: 64, h: 48, frames: 20, fps: 8 });
  await makeMjpegAvi(join(dir, 'mid.avi'), { w: 64, h: 48, frames: 12, fps: 8 });
  await makeMjpegAvi(join(dir, 'wide.avi'), { w: 96, h: 48, frames: 16, fps: 8 });
  await writeFile(join(dir, 'broken.mp4'), 'not a video');
  const { config, args } = await datasetConfig({
    id: 'vid',
    dataset_type: 'video',
    instance_data_dir: dir,
    resolution: 256,
    resolution_type: 'pixel',
    video: { num_frames: 8, min_frames: 8, max_frames: 18, bucket_strategy: 'resolution_frames' },
  });
  const r = await scanDataset({ id: 'vid', config, storage: new LocalStorage({ id: 'vid', root: dir }), args });
  t.same(r.report.skipped, { frames_out_of_range: 2, corrupt: 1 });
  t.same(Object.keys(r.index.buckets).sort(), ['320x256@8', '512x256@8']);
  const m = r.index.metadata['mid.avi'];
  t.same(
    [m.original_size, m.target_size, m.num_frames, m.original_num_frames, m.fps, m.video_duration, m.bucket_frames],
    [[64, 48], [320, 256], 8, 12, 8, 1.5, 8],
  );
});
