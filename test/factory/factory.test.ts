// createFactory(loadConfig(...)).build() with all four backend types against real services: order, links, metrics,
// caches.
import t from 'tap';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../lib/config/load-config.js';
import { createFactory } from '../../lib/factory/factory.js';
import { createStorage } from '../../lib/storage/from-description.js';
import type { CsvStorage } from '../../lib/storage/csv.js';
import type { ObjectInfo } from '../../lib/storage/types.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startHttpServer } from '../helpers/http-server.js';
import { makeRows, shardBytes, shardNames, writeHubCache } from '../fixtures/storage/hf-fixture.js';

async function keys(it: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of it) out.push(o.key);
  return out;
}

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

t.test('all four backend types build into working backends', async (t) => {
  const red = await sharp({ create: { width: 6, height: 4, channels: 3, background: '#f00' } })
    .png()
    .toBuffer();
  const dir = t.testdir({
    photos: { 'a.png': red, sub: { 'b.png': red } },
    text: {},
    vae: {},
    out: {
      'all_image_files_photos.json': '{}',
      'all_text_cache_files_photos.json': '{}',
      'all_vae_cache_files_photos.json': '{}',
    },
  });
  const s3 = await startS3Server(t, { bucket: 'media' });
  await s3.putMany([
    ['data/x/one.png', red],
    ['data/y/two.png', red],
    ['elsewhere/z.png', red],
  ]);
  const web = await startHttpServer(t, {
    routes: { '/u/1.png': { body: red, headers: { 'content-type': 'image/png' } } },
  });
  await writeFile(path.join(dir, 'urls.csv'), `url,caption\n${web.url}/u/1.png,a red square\n`);
  const rows = await makeRows(5);
  const hub = await writeHubCache(path.join(dir, 'hf', 'hub'), 'org/tiny', 'b'.repeat(40), {
    [shardNames('train', 1)[0]]: shardBytes(rows, 2),
  });

  const config = [
    {
      id: 'photos',
      type: 'local',
      instance_data_dir: path.join(dir, 'photos'),
      caption_strategy: 'filename',
      image_embeds: 'vae',
      preserve_data_backend_cache: 'text',
    },
    {
      id: 'bucket',
      type: 'aws',
      aws_bucket_name: 'media',
      aws_endpoint_url: s3.endpoint,
      aws_access_key_id: s3.accessKeyId,
      aws_secret_access_key: s3.secretAccessKey,
      aws_data_prefix: 'data/',
      caption_strategy: 'filename',
    },
    {
      id: 'urls',
      type: 'csv',
      csv_file: path.join(dir, 'urls.csv'),
      csv_cache_dir: path.join(dir, 'csv-cache'),
      csv_caption_column: 'caption',
      caption_strategy: 'csv',
    },
    {
      id: 'hub',
      type: 'huggingface',
      dataset_name: 'org/tiny',
      metadata_backend: 'huggingface',
      caption_strategy: 'huggingface',
      huggingface: { caption_column: 'caption', cache_dir: path.join(dir, 'hf-cache') },
    },
    { id: 'vae', type: 'local', dataset_type: 'image_embeds', cache_dir: path.join(dir, 'vae') },
    { id: 'text', type: 'local', dataset_type: 'text_embeds', cache_dir: path.join(dir, 'text'), default: true },
  ];
  const loaded = await loadConfig(config, {
    args: { output_dir: path.join(dir, 'out'), cache_dir: path.join(dir, 'cache') },
    env: { HF_HOME: path.join(dir, 'hf') },
  });
  const factory = createFactory(loaded, {
    env: { HF_HOME: path.join(dir, 'hf') },
    csvAllowPrivateHosts: true,
    timings: { config_load: 1.5 },
  });
  factory.registerMetric('answer', () => 42);
  const built = await factory.build();
  t.teardown(() => built.close());

  t.same(
    built.textEmbeds.map((b) => b.id),
    ['text'],
  );
  t.same(
    built.imageEmbeds.map((b) => b.id),
    ['vae'],
  );
  t.same(
    built.data.map((b) => b.id),
    ['photos', 'bucket', 'urls', 'hub'],
    'data backends in config order',
  );
  t.equal(built.defaultTextEmbedId, 'text');
  t.match(built.get('photos'), { textEmbeds: 'text', imageEmbeds: 'vae', metadataBackend: 'discovery' });
  t.match(built.get('hub'), { metadataBackend: 'huggingface', description: { kind: 'huggingface', hubCache: hub } });

  t.same(await keys(built.get('photos')!.storage.list({ extensions: ['png'] })), ['a.png', 'sub/b.png']);
  t.same(await keys(built.get('bucket')!.storage.list()), ['x/one.png', 'y/two.png'], 'aws_data_prefix applied');
  t.same(await built.get('bucket')!.storage.read('y/two.png'), red);
  t.same(await keys(built.get('urls')!.storage.list()), [`${web.url}/u/1.png`]);
  t.same(await built.get('urls')!.storage.read(`${web.url}/u/1.png`), red);
  t.same(await keys(built.get('hub')!.storage.list()), ['0.jpg', '1.jpg', '2.jpg', '3.jpg', '4.jpg']);
  t.same(await built.get('hub')!.storage.read('2.jpg'), rows[2].image);
  for (const b of [...built.data, ...built.textEmbeds]) {
    const copy = createStorage(structuredClone(b.description));
    t.same(
      await keys(copy.list()),
      await keys(b.storage.list()),
      `${b.id}: a worker rebuilds the same backend from its description`,
    );
    await copy.close();
  }

  const m = built.metrics;
  t.same(Object.keys(m.stages), ['config_load', 'plugins', 'text_embeds', 'image_embeds', 'data_backends']);
  t.same(m.counts, { text_embeds: 1, image_embeds: 1, data_backends: 4 });
  t.match(m.backends, {
    urls: { type: 'csv', group: 'data_backends', probe: { rows: 1, urls: 1 } },
    hub: { type: 'huggingface', probe: { shards: 1, rows: 5 } },
  });
  // The kernel's peak for this process never falls, so it bounds the recorded peak from above (1 MB for rounding).
  const kernelPeakMb = process.resourceUsage().maxRSS / 1024;
  t.ok(
    m.memory.peakRssMb >= m.memory.rssMb && m.memory.peakRssMb <= kernelPeakMb + 1 && m.memory.heapUsedMb > 0,
    `peak RSS ${m.memory.peakRssMb} MB within [rss ${m.memory.rssMb}, kernel peak ${kernelPeakMb.toFixed(1)}] MB`,
  );
  t.same(m.custom, { answer: 42 });
  t.equal(await exists(path.join(dir, 'out', 'all_image_files_photos.json')), false, 'file-list cache deleted');
  t.equal(await exists(path.join(dir, 'out', 'all_vae_cache_files_photos.json')), false);
  t.equal(
    await exists(path.join(dir, 'out', 'all_text_cache_files_photos.json')),
    true,
    'preserve_data_backend_cache="text" keeps it',
  );
});

t.test('bad data fails the build with a coded error and releases what was built', async (t) => {
  const dir = t.testdir({ photos: {}, 'bad.csv': 'url,caption\nhttp://h/a.png,x\nhttp://h/b.png,y,extra\n' });
  const loaded = await loadConfig(
    [
      { id: 'photos', type: 'local', instance_data_dir: path.join(dir, 'photos'), caption_strategy: 'filename' },
      {
        id: 'urls',
        type: 'csv',
        csv_file: path.join(dir, 'bad.csv'),
        csv_cache_dir: path.join(dir, 'c'),
        csv_caption_column: 'caption',
        caption_strategy: 'csv',
      },
    ],
    { args: { output_dir: path.join(dir, 'out') } },
  );
  await t.rejects(createFactory(loaded).build(), { code: 'TF_DATA_FILE', row: 3, message: /dataset=urls.*bad\.csv/s });
  const linked = {
    ...loaded,
    datasets: loaded.datasets
      .map((d) => (d.id === 'photos' ? { ...d, image_embeds: 'nope' } : d))
      .filter((d) => d.id === 'photos'),
  };
  await t.rejects(createFactory(linked).build(), {
    code: 'TF_CONFIG_INVALID',
    message: /Could not find image embed backend ID in multidatabackend config: nope/,
  });
});

t.test('big CSV indexes are parsed on a worker thread and adopted', async (t) => {
  const rows = Array.from({ length: 3000 }, (_, i) => `http://h.example/img/${i}.png,"caption ${i}, quoted"`);
  const dir = t.testdir({
    'big.csv': `url,caption\n${rows.join('\n')}\nhttp://h.example/img/7.png,dup\n`,
    'bad.csv': 'url,caption\nhttp://h/a.png,"open\n',
  });
  const cfg = (file: string): unknown[] => [
    {
      id: 'urls',
      type: 'csv',
      csv_file: path.join(dir, file),
      csv_cache_dir: path.join(dir, 'c'),
      csv_caption_column: 'caption',
      caption_strategy: 'csv',
    },
  ];
  const built = await createFactory(await loadConfig(cfg('big.csv'), { args: { output_dir: '' } }), {
    workerThresholdBytes: 0,
    workers: 1,
  }).build();
  t.teardown(() => built.close());
  t.match(built.metrics.backends.urls.probe, { rows: 3001, urls: 3000, duplicates: 1, parsedOn: 'worker' });
  const csv = built.get('urls')!.storage as CsvStorage;
  t.equal(await csv.caption('http://h.example/img/7.png'), 'dup');
  t.equal(await csv.caption('http://h.example/img/2999.png'), 'caption 2999, quoted');
  t.equal((await keys(csv.list())).length, 3000);
  const small = await createFactory(await loadConfig(cfg('big.csv'), { args: { output_dir: '' } })).build();
  t.equal(small.metrics.backends.urls.probe!.parsedOn, 'main', 'below the threshold: no thread');
  await small.close();
  await t.rejects(
    createFactory(await loadConfig(cfg('bad.csv'), { args: { output_dir: '' } }), {
      workerThresholdBytes: 0,
      workers: 1,
    }).build(),
    { code: 'TF_DATA_FILE', message: /Malformed CSV.*dataset=urls.*bad\.csv/s },
    'coded error across the thread boundary',
  );
});
