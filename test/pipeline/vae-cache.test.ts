// Cached VAE latents from any storage, used per bucket: a bucket whose every sample has its latent file reads
// latents, the others decode, and the loader.vae_cache event names exactly the samples that fall back. Caches on
// local disk (cache_dir_vae), in a linked image_embeds backend on s3rver, and under cache_dir_vae inside an S3
// dataset's own bucket (a real config through factory and scan).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { vaeCacheKey } from '../../lib/embeds/cache-keys.js';
import { MetricsBus, type MetricEvent } from '../../lib/metrics/events.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch, LoaderDatasetInput } from '../../lib/pipeline/types.js';
import { S3Storage } from '../../lib/storage/s3.js';
import { makeDataset } from '../helpers/runtime-dataset.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/embeds/latent-f32.pt', import.meta.url));
const LATENT = readFileSync(FIXTURE);

async function run(
  input: LoaderDatasetInput | string,
  thread: boolean,
  extra: object = {},
): Promise<{ batches: Batch[]; events: MetricEvent[] }> {
  const metrics = new MetricsBus();
  const events: MetricEvent[] = [];
  metrics.subscribe((e) => {
    if (e.type === 'loader.vae_cache') events.push(e);
  });
  const source = typeof input === 'string' ? input : 'unused';
  const datasets = typeof input === 'string' ? {} : { datasets: [input] };
  const loader = await createLoader(source, { ...datasets, epochs: 1, seed: 2, thread, metrics, ...extra });
  const batches: Batch[] = [];
  for await (const b of loader) batches.push(b);
  return { batches, events };
}

for (const thread of [false, true])
  t.test(
    `partial local cache: complete bucket reads latents, the other decodes, fallback named (thread: ${thread})`,
    async (t) => {
      const ds = await makeDataset('part', [4, 4]);
      const cache = path.join(ds.root, 'vae');
      const input = { ...ds, config: { ...ds.config, cache_dir_vae: cache } };
      const [full, partial] = [ds.index.buckets['1.0'], ds.index.buckets['1.5']];
      for (const k of [...full, ...partial.slice(1)]) {
        await mkdir(path.dirname(path.join(cache, vaeCacheKey('', k))), { recursive: true });
        await copyFile(FIXTURE, path.join(cache, vaeCacheKey('', k)));
      }
      const { batches, events } = await run(input, thread);
      t.equal(batches.length, 4, 'two batches per bucket');
      for (const b of batches) {
        const cached = b.bucket === '1.0';
        for (const s of b.samples) {
          t.equal(!!s.latents, cached, `${b.bucket} ${s.key}: ${cached ? 'latents' : 'pixels'}`);
          t.equal(!!s.pixels, !cached);
        }
      }
      t.equal(events.length, 1, 'one loader.vae_cache event');
      t.match(events[0], {
        dataset: 'part',
        buckets_cached: ['1.0'],
        buckets_decoded: ['1.5'],
        fallback: [...partial].sort(),
        missing: [partial[0]],
      });
    },
  );

t.test('linked image_embeds backend on s3rver: every sample reads its latent from S3', async (t) => {
  const srv = await startS3Server(t, { bucket: 'embeds' });
  const vae = new S3Storage(awsDescription(srv, { id: 'vae', prefix: 'vae/flux/' }));
  t.teardown(() => vae.close());
  const ds = await makeDataset('linked', [4, 2]);
  const keys = Object.values(ds.index.buckets).flat();
  await srv.putMany(keys.map((k) => [`vae/flux/${vaeCacheKey('', k)}`, LATENT]));
  const { batches, events } = await run({ ...ds, vaeCache: vae }, true);
  const samples = batches.flatMap((b) => b.samples);
  t.equal(samples.length, 6);
  for (const s of samples) t.same([s.pixels, s.latents?.dtype, s.latents?.shape], [undefined, 'float32', [4, 6, 5]]);
  t.match(events[0], { dataset: 'linked', buckets_decoded: [], fallback: [] });
});

t.test(
  "S3 dataset from a config: latents under cache_dir_vae in its own bucket by SimpleTuner's names " +
    '(factory → scan → loader)',
  async (t) => {
    const srv = await startS3Server(t, { bucket: 'photos' });
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) {
      const img = sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 50 * i, g: 9, b: 9 } } });
      keys.push(`img/p${i}.jpg`);
      await srv.put(`img/p${i}.jpg`, await img.jpeg().toBuffer());
    }
    // SimpleTuner names them from the full key minus aws_data_prefix by str.replace: "img" is left for images right
    // under "img/", so the files are cache/vae/s3ds/img/<sha256(stem)>.pt. (cache-keys.test.ts checks vaeCacheKey
    // against Python's own result.)
    t.equal(vaeCacheKey('img/', 'img/p0.jpg'), `img/${vaeCacheKey('', 'p0.jpg')}`, 'the top folder stays');
    await srv.putMany(keys.map((k) => [`cache/vae/s3ds/${vaeCacheKey('img/', k)}`, LATENT]));
    const dir = t.testdir({});
    const cfg = path.join(dir, 'mdb.json');
    const aws = {
      aws_bucket_name: srv.bucket,
      aws_region_name: srv.region,
      aws_endpoint_url: srv.endpoint,
      aws_access_key_id: srv.accessKeyId,
      aws_secret_access_key: srv.secretAccessKey,
    };
    await writeFile(
      cfg,
      JSON.stringify([
        { id: 's3ds', type: 'aws', ...aws, aws_data_prefix: 'img/', cache_dir_vae: 'cache/vae/s3ds', resolution: 64 },
        { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: path.join(dir, 'te') },
      ]),
    );
    const { batches, events } = await run(cfg, true, { args: { output_dir: dir } });
    const samples = batches.flatMap((b) => b.samples);
    t.equal(samples.length, 4, 'every sample delivered');
    t.ok(
      samples.every((s) => s.latents?.shape.join() === '4,6,5' && !s.pixels),
      'every sample read its latent from the bucket',
    );
    t.match(events[0], { dataset: 's3ds', buckets_decoded: [], fallback: [] });
  },
);
