// Mixed local + S3 (s3rver on 127.0.0.1) datasets in one loader: workers build their own S3 clients and decode.
import t from 'tap';
import sharp from 'sharp';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch, LoaderDatasetInput } from '../../lib/pipeline/types.js';
import { S3Storage } from '../../lib/storage/s3.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';
import { imageConfig, makeDataset, oneBucketIndex } from '../helpers/runtime-dataset.js';

t.test('batches come from both datasets; S3 samples are read and decoded inside the workers', async (t) => {
  const srv = await startS3Server(t, { bucket: 'train' });
  const keys = ['s_0.jpg', 's_1.jpg', 's_2.jpg', 's_3.jpg'];
  for (const [i, k] of keys.entries()) {
    await srv.put(
      `photos/${k}`,
      await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 60 * i, g: 200, b: 10 } } })
        .jpeg()
        .toBuffer(),
    );
  }
  const storage = new S3Storage(awsDescription(srv, { id: 'remote', prefix: 'photos/' }));
  t.teardown(() => storage.close());
  const index = oneBucketIndex('remote', keys, {
    original_size: [64, 64],
    intermediary_size: [64, 64],
    target_size: [48, 48],
    crop_coordinates: [8, 8],
    aspect_ratio: 1,
  });
  const remote: LoaderDatasetInput = { config: imageConfig('remote', 'photos/', { type: 'aws' }), storage, index };
  const local = await makeDataset('local', [4]);
  const batches: Batch[] = [];
  for await (const b of await createLoader('x', {
    datasets: [remote, local],
    epochs: 1,
    seed: 3,
    weighting: 'uniform',
  }))
    batches.push(b);
  t.same(new Set(batches.map((b) => b.dataset)), new Set(['remote', 'local']));
  const fromS3 = batches.filter((b) => b.dataset === 'remote').flatMap((b) => b.samples);
  t.equal(fromS3.length, 4, 'every S3 sample once');
  for (const s of fromS3) {
    t.equal(s.pixels?.length, 48 * 48 * 3);
    t.ok(Math.abs((s.pixels?.[1] ?? 0) - 200) <= 3, `${s.key}: decoded colour (green ≈ 200, got ${s.pixels?.[1]})`);
  }
  t.same(
    batches.flatMap((b) => b.skipped),
    [],
  );
});

t.test(
  'CSV-of-URLs dataset (loopback HTTP): workers download through their own CsvStorage; ' +
    'a 404 is skipped with its reason',
  async (t) => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { startHttpServer } = await import('../helpers/http-server.js');
    const { csvUrlDataset } = await import('../helpers/csv-dataset.js');
    const root = await mkdtemp(path.join(os.tmpdir(), 'tf-csv-'));
    for (let i = 0; i < 4; i++) {
      await writeFile(
        path.join(root, `u${i}.jpg`),
        await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 10, g: 10, b: 220 } } })
          .jpeg()
          .toBuffer(),
      );
    }
    const srv = await startHttpServer(t, { root });
    const urls = [0, 1, 2, 3, 9].map((i) => `${srv.url}/u${i}.jpg`);
    const input = await csvUrlDataset(t, root, urls, { captions: async (k) => `url ${k.slice(-6)}` });
    const batches: Batch[] = [];
    for await (const b of await createLoader('x', { datasets: [input], epochs: 1, seed: 1 })) batches.push(b);
    const samples = batches.flatMap((b) => b.samples);
    t.same(
      [...new Set(samples.map((s) => s.key.slice(-6)))].sort(),
      ['u0.jpg', 'u1.jpg', 'u2.jpg', 'u3.jpg'],
      'every reachable URL delivered, nothing else',
    );
    t.ok(
      batches.every((b) => b.samples.length === 2),
      'every batch full (the 404 refilled)',
    );
    t.ok(
      samples.every((s) => s.pixels?.length === 32 * 32 * 3 && Math.abs(s.pixels[2] - 220) <= 3),
      'downloaded and decoded',
    );
    t.notOk(samples.some((s) => s.key.endsWith('u9.jpg')));
    const skip = batches.flatMap((b) => b.skipped).find((s) => s.key.endsWith('u9.jpg'));
    t.match(skip, { dataset: 'web', reason: 'http_404' }, 'the 404 is skipped with reason http_404');
  },
);
