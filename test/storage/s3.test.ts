// S3Storage on a real s3rver on loopback: prefix-scoped paged/parallel listing, reads, ranges, writes, pool size.
import t from 'tap';
import { S3Storage } from '../../lib/storage/s3.js';
import { createStorage } from '../../lib/storage/from-description.js';
import { NotFoundError, PathEscapeError } from '../../lib/errors.js';
import type { ObjectInfo } from '../../lib/storage/types.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of it) out.push(o);
  return out;
}

function body(key: string): Buffer {
  return Buffer.from(`${key}:`.repeat(1 + (key.length % 7)));
}

// Distinct stems per folder (s3rver drops keys of sibling folders sharing a stem when paginating).
const inside = [
  ...Array.from({ length: 9 }, (_, i) => `alpha/a${i}.png`),
  ...Array.from({ length: 4 }, (_, i) => `beta/deep/b${i}.JPG`),
  'beta/notes.txt',
  'gamma/g.webp',
  'root1.png',
  'zroot.jpeg',
  'kappa.png',
  '.Trashes/t.png',
  'delta/.ipynb_checkpoints/c.png',
];
const outside = ['other/o.png', 'datafile.png'];

t.test('S3Storage on s3rver', async (t) => {
  const srv = await startS3Server(t, { bucket: 'tf-bucket' });
  await srv.putMany([
    ...inside.map((k) => [`data/${k}`, body(k)] as [string, Buffer]),
    ...outside.map((k) => [k, body(k)] as [string, Buffer]),
    ['data/folder/', ''],
  ]);
  const expected = inside.filter((k) => !k.includes('.Trashes') && !k.includes('.ipynb')).sort();
  const s3 = new S3Storage(awsDescription(srv, { prefix: 'data/', listPageSize: 3, listConcurrency: 3 }));
  t.teardown(() => s3.close());

  await t.test('listing applies the prefix, paginates and is in key order (parallel and sequential)', async (t) => {
    const par = await collect(s3.list());
    t.same(
      par.map((o) => o.key),
      expected,
    );
    const seq = new S3Storage(awsDescription(srv, { prefix: '/data', listPageSize: 2, listConcurrency: 1 }));
    t.teardown(() => seq.close());
    t.same(await collect(seq.list()), par, 'same objects, same order, same metadata');
    const png = par.find((o) => o.key === 'alpha/a3.png')!;
    t.equal(png.size, body('alpha/a3.png').length);
    t.match(png.etag, /^[0-9a-f]{32}$/);
    t.ok(png.mtimeMs! > 0);
    t.same(
      (await collect(s3.list({ extensions: ['jpg', 'png'] }))).map((o) => o.key),
      expected.filter((k) => /\.(png|jpg)$/i.test(k)),
    );
    t.same(
      (await collect(s3.list({ prefix: 'beta' }))).map((o) => o.key),
      ['beta/deep/b0.JPG', 'beta/deep/b1.JPG', 'beta/deep/b2.JPG', 'beta/deep/b3.JPG', 'beta/notes.txt'],
    );
    const whole = new S3Storage(awsDescription(srv, { listConcurrency: 4 }));
    t.teardown(() => whole.close());
    const all = (await collect(whole.list())).map((o) => o.key);
    t.ok(all.includes('other/o.png') && all.includes('data/alpha/a0.png'), 'empty prefix = whole bucket');
  });

  await t.test('early exit from a parallel listing stops cleanly', async (t) => {
    let n = 0;
    for await (const o of s3.list()) {
      if (o && ++n === 4) break;
    }
    t.equal(n, 4);
  });

  await t.test('read, readRange, stat, exists', async (t) => {
    const k = 'alpha/a5.png';
    t.same(await s3.read(k), body(k));
    t.same(await s3.readRange(k, 2, 6), body(k).subarray(2, 6));
    t.same(await s3.readRange(k, 3, 10_000), body(k).subarray(3), 'short read at the end');
    t.equal((await s3.readRange(k, 0, 0)).length, 0);
    t.equal((await s3.readRange(k, 10_000, 10_010)).length, 0, 'past the end is empty');
    t.match(await s3.stat(k), { key: k, size: body(k).length });
    t.equal(await s3.exists(k), true);
    t.equal(await s3.exists('alpha/missing.png'), false);
    await t.rejects(s3.read('alpha/missing.png'), NotFoundError);
    await t.rejects(s3.stat('alpha/missing.png'), {
      code: 'TF_STORAGE_NOT_FOUND',
      message: /s3:\/\/tf-bucket\/data\/alpha\/missing\.png/,
    });
  });

  await t.test('write, delete, paths, escapes, describe', async (t) => {
    await s3.write('cache/x.json', '{"v":1}');
    t.equal((await s3.read('cache/x.json')).toString(), '{"v":1}');
    t.equal(
      await srv.client
        .send(
          new (await import('@aws-sdk/client-s3')).HeadObjectCommand({ Bucket: 'tf-bucket', Key: 'data/cache/x.json' }),
        )
        .then(() => true),
      true,
      'stored under the prefix',
    );
    await s3.delete('cache/x.json');
    t.equal(await s3.exists('cache/x.json'), false);
    t.equal(s3.externalPath('alpha/a1.png'), 'data/alpha/a1.png');
    t.equal(s3.keyFromExternal('data/alpha/a1.png'), 'alpha/a1.png');
    t.throws(() => s3.keyFromExternal('other/o.png'), PathEscapeError);
    t.throws(() => s3.keyFromExternal('data/../other/o.png'), PathEscapeError);
    await t.rejects(s3.read('../other/o.png'), PathEscapeError);
    await t.rejects(s3.write('/abs.png', 'x'), PathEscapeError);
    const copy = createStorage(JSON.parse(JSON.stringify(s3.describe())) as ReturnType<typeof s3.describe>);
    t.teardown(() => copy.close());
    t.same(await copy.read('root1.png'), body('root1.png'));
  });

  await t.test('aws_max_pool_connections bounds the sockets really opened', async (t) => {
    const proxy = await startFaultProxy(t, srv.endpoint, () => ({ kind: 'delay', ms: 60 }));
    for (const pool of [2, 5]) {
      const s = new S3Storage(awsDescription(srv, { prefix: 'data', endpoint: proxy.url, maxPoolConnections: pool }));
      proxy.stats.maxActive = 0;
      const keys = expected.slice(0, 15);
      const got = await Promise.all(keys.map((k) => s.read(k)));
      t.same(got, keys.map(body));
      t.equal(proxy.stats.maxActive, pool, `${pool} concurrent requests at most, and the pool is used fully`);
      await s.close();
    }
  });
});

t.test('hostile keys in a listing are skipped, never turned into paths', async (t) => {
  // s3rver normalises such keys away, so a scripted server returns the ListObjectsV2 XML a hostile bucket would.
  const { startHttpServer } = await import('../helpers/http-server.js');
  const keys = [
    'data/../../etc/passwd',
    'data//abs.png',
    'data/ok.png',
    'data/C:\\win.png',
    'data/a/./b.png',
    'data/sub/fine.jpg',
    'data/x/..',
    'data/http://evil/x.png',
  ];
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const contents = keys.map(
    (k) =>
      `<Contents><Key>${esc(k)}</Key><LastModified>2026-11-26T00:00:00.000Z</LastModified>` +
      '<ETag>"abc"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>',
  );
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>hostile</Name><Prefix>data/</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
    `<IsTruncated>false</IsTruncated>${contents.join('')}</ListBucketResult>`;
  const listing = { body: xml, headers: { 'content-type': 'application/xml' } };
  const web = await startHttpServer(t, { routes: { '/hostile': listing, '/hostile/': listing } });
  const s3 = new S3Storage({
    kind: 'aws',
    id: 'hostile',
    bucket: 'hostile',
    prefix: 'data',
    region: 'us-east-1',
    endpoint: web.url,
    accessKeyId: 'AKID',
    secretAccessKey: 'secretsecret',
    maxPoolConnections: 4,
    checksumMode: 'WHEN_REQUIRED',
    forcePathStyle: true,
    requestTimeoutMs: 2000,
    connectTimeoutMs: 1000,
    maxAttempts: 1,
    listConcurrency: 1,
  });
  t.teardown(() => s3.close());
  t.same(
    (await collect(s3.list())).map((o) => o.key),
    ['ok.png', 'sub/fine.jpg'],
    'only canonical relative keys survive',
  );
});

t.test(
  's3rver answers as docs/storage.md says: 416 past the end, a broken reply for empty objects, raw aws-chunked bodies',
  async (t) => {
    const { GetObjectCommand, PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
    const { Readable } = await import('node:stream');
    const srv = await startS3Server(t, { bucket: 'facts' });
    await srv.putMany([
      ['full.bin', 'hello world'],
      ['empty.bin', ''],
    ]);
    const get = (Key: string, Range: string) => srv.client.send(new GetObjectCommand({ Bucket: 'facts', Key, Range }));
    await t.rejects(get('full.bin', 'bytes=100-110'), { name: 'InvalidRange', $metadata: { httpStatusCode: 416 } });
    await t.rejects(
      get('empty.bin', 'bytes=0-9').then((o) => o.Body!.transformToByteArray()),
      'a range of an empty object: s3rver answers a 206 whose body cannot be read (not a 416)',
    );
    const s3 = new S3Storage(awsDescription(srv, { maxAttempts: 2 }));
    t.teardown(() => s3.close());
    t.equal((await s3.readRange('full.bin', 100, 110)).length, 0, 'readRange past the end: empty');
    t.equal(
      (await s3.readRange('empty.bin', 0, 10)).length,
      0,
      'readRange of an empty object: empty (HEAD says size 0)',
    );
    // The SDK's default checksum mode (WHEN_SUPPORTED) sends streamed bodies aws-chunked; s3rver stores them verbatim.
    const chunky = new S3Client({
      endpoint: srv.endpoint,
      region: srv.region,
      forcePathStyle: true,
      credentials: { accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey },
    });
    t.teardown(() => chunky.destroy());
    const Body = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    await chunky.send(new PutObjectCommand({ Bucket: 'facts', Key: 'chunky.bin', Body, ContentLength: 6 }));
    const stored = (await s3.read('chunky.bin')).toString();
    t.not(stored, 'abcdef', 'stored bytes differ from the upload');
    t.match(stored, /^3\r\nabc\r\n3\r\ndef\r\n0\r\n/, 'the aws-chunked framing was stored as data');
  },
);
