// S3 listing with the default options (8 parallel ranges, 1000-key pages) against a real s3rver: every key, in order.
import t from 'tap';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { LocalStorage } from '../../lib/storage/local.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { compareKeys } from '../../lib/storage/s3-key-order.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { encodeImage, type MakeFormat } from '../helpers/make-images.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import {
  AROUND_SLASH,
  flatKeys,
  listedKeys,
  listingStorage,
  nestedKeys,
  relativeKeys,
  seedS3rver,
} from '../helpers/s3-list-layouts.js';

t.test('s3rver, default listing options', async (t) => {
  const srv = await startS3Server(t, { bucket: 'list-bucket' });
  const nested = nestedKeys('deep');
  const odd = AROUND_SLASH.map((k) => `odd/${k}`);
  const flat = flatKeys('flat', 10_500);
  await srv.putMany([...nested, ...odd].map((k) => [k, k] as [string, string]));
  await seedS3rver(srv.dir, srv.bucket, flat);

  await t.test('s3rver leaves folders that hold only folders out of CommonPrefixes (the quirk)', async (t) => {
    const out = await srv.client.send(
      new ListObjectsV2Command({ Bucket: srv.bucket, Prefix: 'deep/', Delimiter: '/' }),
    );
    const prefixes = (out.CommonPrefixes ?? []).map((p) => p.Prefix);
    t.notOk(prefixes.includes('deep/only/'), `deep/only/ missing from ${JSON.stringify(prefixes)}`);
    t.ok(
      nested.some((k) => k.startsWith('deep/only/')),
      'yet keys exist below it',
    );
  });

  await t.test(
    'folders holding only folders, 4-7 levels: every key in key order, 3 runs, 1000- and 5-key pages',
    async (t) => {
      for (const listPageSize of [1000, 5]) {
        const s3 = listingStorage(t, srv, { prefix: 'deep', listPageSize });
        for (let run = 0; run < 3; run++)
          t.same(await listedKeys(s3.list()), relativeKeys(nested, 'deep'), `pages of ${listPageSize}, run ${run}`);
      }
    },
  );

  await t.test('a flat folder of 10 500 keys: every key in key order, 2 runs, through StartAfter ranges', async (t) => {
    const proxy = await startFaultProxy(t, srv.endpoint, () => ({ kind: 'pass' }));
    const s3 = listingStorage(t, srv, { prefix: 'flat', endpoint: proxy.url });
    for (let run = 0; run < 2; run++) t.same(await listedKeys(s3.list()), relativeKeys(flat, 'flat'), `run ${run}`);
    const lists = proxy.stats.log.filter((l) => l.url.includes('list-type=2'));
    const ranged = lists.filter((l) => /[?&]start-after=/.test(l.url));
    t.ok(ranged.length > 0, `${ranged.length} of ${lists.length} list requests started after a key (parallel ranges)`);
    t.notOk(
      lists.some((l) => /[?&]delimiter=/.test(l.url)),
      'no request relies on delimiter semantics',
    );
  });

  await t.test('spaces, +, %, unicode and keys sorting around / come back whole and in UTF-8 byte order', async (t) => {
    const s3 = listingStorage(t, srv, { prefix: 'odd' });
    for (let run = 0; run < 3; run++)
      t.same(await listedKeys(s3.list()), [...AROUND_SLASH].sort(compareKeys), `run ${run}`);
  });

  await t.test(
    's3rver lists folder a/ before file "a b.png": paged, that is a TF_STORAGE error, not a short list',
    async (t) => {
      // s3rver walks its folders (dir "a" sorts before file "a b.png._S3rver_object"), and continues after the last
      // key it sent, so keys the walk puts later but S3 order puts earlier would be skipped by the server itself.
      const s3 = listingStorage(t, srv, { prefix: 'odd', listPageSize: 3 });
      await t.rejects(listedKeys(s3.list()), { code: 'TF_STORAGE', message: /not in S3 key order/ });
    },
  );
});

t.test('the 120-image nested dataset scans as 120 images through the real scan with default options', async (t) => {
  const srv = await startS3Server(t, { bucket: 'scan-bucket' });
  const formats: MakeFormat[] = ['jpeg', 'png', 'webp'];
  const objects: [string, Buffer][] = [];
  for (let i = 0; i < 120; i++) {
    const [w, h] = [
      [192, 108],
      [100, 100],
      [108, 192],
    ][i % 3];
    const ext = formats[i % 3] === 'jpeg' ? 'jpg' : formats[i % 3];
    const folder = `set${i % 2}/part${(i >> 1) % 2}/group${(i >> 2) % 2}/shot${(i >> 3) % 3}`;
    objects.push([`data/${folder}/img${i}.${ext}`, await encodeImage({ w: w + (i % 7), h, format: formats[i % 3] })]);
  }
  await srv.putMany(objects);
  const { config, args } = await datasetConfig({
    id: 'nested120',
    instance_data_dir: 'data',
    resolution: 256,
    resolution_type: 'pixel',
    crop: true,
    crop_aspect: 'preserve',
    train_batch_size: 1,
  });
  const s3 = listingStorage(t, srv, { id: 'nested120', prefix: 'data' });
  const r = await scanDataset({
    id: 'nested120',
    config,
    storage: s3,
    args,
    cacheStorage: new LocalStorage({ id: 'nested120', root: t.testdir({}) }),
  });
  t.equal(r.files, 120, 'all 120 files listed');
  t.equal(Object.values(r.index.buckets).flat().length, 120, 'all 120 images in the buckets');
});
