// Mixed local + S3 (s3rver on 127.0.0.1) datasets in one loader: workers build their own S3 clients and decode.
import t from 'tap';
import sharp from 'sharp';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch, LoaderDatasetInput } from '../../lib/pipeline/types.js';
import type { DatasetIndex } from '../../lib/metadata/types.js';
import { S3Storage } from '../../lib/storage/s3.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';
import { imageConfig, makeDataset } from '../helpers/runtime-dataset.js';

t.test('batches come from both datasets; S3 samples are read and decoded inside the workers', async (t) => {
  const srv = await startS3Server(t, { bucket: 'train' });
  const keys = ['s_0.jpg', 's_1.jpg', 's_2.jpg', 's_3.jpg'];
  for (const [i, k] of keys.entries()) {
    await srv.put(`photos/${k}`, await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 60 * i, g: 200, b: 10 } } }).jpeg().toBuffer());
  }
  const storage = new S3Storage(awsDescription(srv, { id: 'remote', prefix: 'photos/' }));
  t.teardown(() => storage.close());
  const index: DatasetIndex = { id: 'remote', buckets: { '1.0': keys }, metadata: {}, stats: { total_processed: 4, skipped: {} } };
  for (const k of keys) index.metadata[k] = { original_size: [64, 64], intermediary_size: [64, 64], target_size: [48, 48], crop_coordinates: [8, 8], aspect_ratio: 1 };
  const remote: LoaderDatasetInput = { config: imageConfig('remote', 'photos/', { type: 'aws' }), storage, index };
  const local = await makeDataset('local', [4]);
  const batches: Batch[] = [];
  for await (const b of await createLoader('x', { datasets: [remote, local], epochs: 1, seed: 3, weighting: 'uniform' })) batches.push(b as Batch);
  t.same(new Set(batches.map((b) => b.dataset)), new Set(['remote', 'local']));
  const fromS3 = batches.filter((b) => b.dataset === 'remote').flatMap((b) => b.samples);
  t.equal(fromS3.length, 4, 'every S3 sample once');
  for (const s of fromS3) {
    t.equal(s.pixels?.length, 48 * 48 * 3);
    t.ok(Math.abs((s.pixels?.[1] ?? 0) - 200) <= 3, `${s.key}: decoded colour (green ≈ 200, got ${s.pixels?.[1]})`);
  }
  t.same(batches.flatMap((b) => b.skipped), []);
});
