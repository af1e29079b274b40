// The in-memory S3 test server: driven by the real SDK and by S3Storage, listings and ranges compared with s3rver.
import t, { type Test } from 'tap';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandInput,
} from '@aws-sdk/client-s3';
import { S3Storage } from '../../lib/storage/s3.js';
import { startMemS3Server, type MemS3Server } from '../helpers/mem-s3-server.js';
import { awsDescription, startS3Server, testS3Client } from '../helpers/s3-server.js';

const bytes = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff));

/**
 * A layout with nesting, odd characters, an empty object and distinct folder stems (s3rver drops shared-stem siblings).
 */
const OBJECTS: [string, Buffer][] = [
  ...Array.from(
    { length: 23 },
    (_, i) => [`data/a/img-${String(i).padStart(3, '0')}.png`, bytes(100 + i * 37, i)] as [string, Buffer],
  ),
  ...Array.from({ length: 9 }, (_, i) => [`data/b/deep/x${i}.jpg`, bytes(2000 + i, i + 50)] as [string, Buffer]),
  ['data/top.webp', bytes(5000, 3)],
  ['data/with space (1)+é.jpg', bytes(321, 4)],
  ['data/zero.gif', Buffer.alloc(0)],
  ['other/q.txt', bytes(10, 5)],
  ['root.bin', bytes(70000, 6)],
];

async function getBytes(
  client: S3Client,
  Bucket: string,
  Key: string,
  Range?: string,
): Promise<{ status: number | undefined; body: Buffer; range: string | undefined }> {
  const out = await client.send(new GetObjectCommand({ Bucket, Key, ...(Range ? { Range } : {}) }));
  return {
    status: out.$metadata.httpStatusCode,
    body: Buffer.from(await out.Body!.transformToByteArray()),
    range: out.ContentRange,
  };
}

t.test('the SDK can put, get, head and range-read; errors are S3-shaped', async (t) => {
  const srv = await startMemS3Server(t);
  await srv.putMany(OBJECTS, 8);
  const streamed = bytes(300_000, 9);
  // A streaming body with the SDK's default checksums arrives aws-chunked with a trailer; it must be stored decoded.
  const chunky = new S3Client({
    endpoint: srv.endpoint,
    region: srv.region,
    forcePathStyle: true,
    credentials: { accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey },
  });
  t.teardown(() => chunky.destroy());
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  await chunky.send(
    new PutObjectCommand({
      Bucket: srv.bucket,
      Key: 'streamed.bin',
      Body: Readable.from([streamed.subarray(0, 100_000), streamed.subarray(100_000)]),
      ContentLength: streamed.length,
    }),
  );
  t.same((await getBytes(srv.client, srv.bucket, 'streamed.bin')).body, streamed, 'aws-chunked PUT stored byte-exact');
  const root = OBJECTS.find(([k]) => k === 'root.bin')![1];
  t.same((await getBytes(srv.client, srv.bucket, 'root.bin')).body, root);
  const r = await getBytes(srv.client, srv.bucket, 'root.bin', 'bytes=10-19');
  t.same([r.status, r.body, r.range], [206, root.subarray(10, 20), `bytes 10-19/${root.length}`]);
  t.same((await getBytes(srv.client, srv.bucket, 'root.bin', 'bytes=-5')).body, root.subarray(-5), 'suffix range');
  t.same((await getBytes(srv.client, srv.bucket, 'root.bin', 'bytes=69990-')).body, root.subarray(69990), 'open range');
  t.same(
    (await getBytes(srv.client, srv.bucket, 'root.bin', 'bytes=69990-99999')).body,
    root.subarray(69990),
    'range clipped at the end',
  );
  await t.rejects(
    getBytes(srv.client, srv.bucket, 'data/zero.gif', 'bytes=0-99'),
    { name: 'InvalidRange', $metadata: { httpStatusCode: 416 } },
    'empty object: 416',
  );
  await t.rejects(
    getBytes(srv.client, srv.bucket, 'root.bin', 'bytes=70000-70010'),
    { name: 'InvalidRange' },
    'start past the end: 416',
  );
  await t.rejects(getBytes(srv.client, srv.bucket, 'nope'), { name: 'NoSuchKey' });
  await t.rejects(srv.client.send(new HeadObjectCommand({ Bucket: srv.bucket, Key: 'nope' })), { name: 'NotFound' });
  const head = await srv.client.send(new HeadObjectCommand({ Bucket: srv.bucket, Key: 'data/top.webp' }));
  t.equal(head.ContentLength, 5000);
  t.match(head.ETag, /^"[0-9a-f]{32}"$/);
});

t.test('SigV4 signatures are verified against the known secret', async (t) => {
  const srv = await startMemS3Server(t);
  await srv.put('k.bin', 'hello');
  const make = (accessKeyId: string, secretAccessKey: string) => {
    const c = testS3Client(srv.endpoint, { accessKeyId, secretAccessKey });
    t.teardown(() => c.destroy());
    return c;
  };
  await t.rejects(getBytes(make(srv.accessKeyId, 'wrong-secret'), srv.bucket, 'k.bin'), {
    name: 'SignatureDoesNotMatch',
    $metadata: { httpStatusCode: 403 },
  });
  await t.rejects(getBytes(make('UNKNOWNKEY', srv.secretAccessKey), srv.bucket, 'k.bin'), {
    name: 'InvalidAccessKeyId',
  });
  const list = await make(srv.accessKeyId, srv.secretAccessKey).send(
    new ListObjectsV2Command({ Bucket: srv.bucket, Prefix: 'k', StartAfter: 'a b' }),
  );
  t.same(
    list.Contents?.map((c) => c.Key),
    ['k.bin'],
    'signed query strings verify',
  );
  const lean = new S3Storage(awsDescription(srv, { secretAccessKey: 'wrong-secret', maxAttempts: 1 }));
  t.teardown(() => lean.close());
  await t.rejects(lean.readRange('k.bin', 0, 3), /SignatureDoesNotMatch|signature/i, 'the lean path is checked too');
  // The failed lean range read is followed by a (denied) HEAD that checks for an empty object.
  t.ok((await srv.stats()).denied >= 3, 'denied requests are counted');
});

/** Every page of a listing, with the opaque continuation token dropped (servers make their own). */
async function pages(client: S3Client, input: ListObjectsV2CommandInput): Promise<unknown[]> {
  const out: unknown[] = [];
  let token: string | undefined;
  do {
    const p = await client.send(new ListObjectsV2Command({ ...input, ...(token ? { ContinuationToken: token } : {}) }));
    out.push({
      keys: (p.Contents ?? []).map((c) => [c.Key, c.Size, c.ETag]),
      prefixes: (p.CommonPrefixes ?? []).map((c) => c.Prefix),
      count: p.KeyCount,
      truncated: p.IsTruncated,
    });
    token = p.IsTruncated ? p.NextContinuationToken : undefined;
  } while (token && out.length < 100);
  return out;
}

t.test('listings, pages, ranges and S3Storage reads equal s3rver for the same objects', async (t) => {
  const mem = await startMemS3Server(t);
  const s3r = await startS3Server(t);
  await Promise.all([mem.putMany(OBJECTS, 8), s3r.putMany(OBJECTS, 8)]);
  // Without a delimiter s3rver is right, so the two must agree page by page.
  const queries: Omit<ListObjectsV2CommandInput, 'Bucket'>[] = [
    {},
    { Prefix: 'data/' },
    { Prefix: 'data/a/', MaxKeys: 5 },
    { StartAfter: 'data/a/img-017.png', MaxKeys: 6 },
    { Prefix: 'data/b', MaxKeys: 2 },
    { Prefix: 'nothing/' },
    { MaxKeys: 1 },
  ];
  for (const q of queries) {
    t.same(
      await pages(mem.client, { Bucket: mem.bucket, ...q }),
      await pages(s3r.client, { Bucket: s3r.bucket, ...q }),
      `ListObjectsV2 ${JSON.stringify(q)}`,
    );
  }
  // With a delimiter s3rver 3.7.1 is wrong (it drops "data/b/", whose keys sit two levels down, and leaves common
  // prefixes out of KeyCount and MaxKeys); S3's documented answer is asserted instead.
  const rest = ['data/top.webp', 'data/with space (1)+é.jpg', 'data/zero.gif'];
  const delimited = (await pages(mem.client, { Bucket: mem.bucket, Prefix: 'data/', Delimiter: '/', MaxKeys: 4 })) as {
    keys: string[][];
    prefixes: string[];
    count: number;
    truncated: boolean;
  }[];
  t.same(
    delimited.map((p) => [p.keys.map((k) => k[0]), p.prefixes, p.count, p.truncated]),
    [
      [rest.slice(0, 2), ['data/a/', 'data/b/'], 4, true],
      [rest.slice(2), [], 1, false],
    ],
    'delimiter: common prefixes count towards MaxKeys and KeyCount, pages continue after them',
  );
  const top = (await pages(mem.client, { Bucket: mem.bucket, Delimiter: '/' })) as {
    keys: string[][];
    prefixes: string[];
    count: number;
  }[];
  t.same(
    top.map((p) => [p.keys.map((k) => k[0]), p.prefixes, p.count]),
    [[['root.bin'], ['data/', 'other/'], 3]],
  );
  await compareStorages(t, mem, s3r);
});

async function compareStorages(
  t: Test,
  mem: MemS3Server,
  s3r: Awaited<ReturnType<typeof startS3Server>>,
): Promise<void> {
  const listed = async (s: S3Storage): Promise<unknown[]> => {
    const out: unknown[] = [];
    for await (const i of s.list()) out.push([i.key, i.size, i.etag]);
    return out;
  };
  const flatMem = new S3Storage(awsDescription(mem, { prefix: 'data', listPageSize: 7, listConcurrency: 1 }));
  const flatS3r = new S3Storage(awsDescription(s3r, { prefix: 'data', listPageSize: 7, listConcurrency: 1 }));
  const parMem = new S3Storage(awsDescription(mem, { prefix: 'data', listPageSize: 7, listConcurrency: 8 }));
  t.teardown(async () => {
    await flatMem.close();
    await flatS3r.close();
    await parMem.close();
  });
  const flat = await listed(flatMem);
  t.equal(flat.length, 35, 'listed every object under the prefix');
  t.same(flat, await listed(flatS3r), "S3Storage sequential listing (page size 7) equals s3rver's");
  // tunefeed's parallel lister splits on "/" folders; s3rver loses nested folders there, the in-memory server does not.
  t.same(await listed(parMem), flat, 'parallel listing by folder equals the sequential one');
  const a = new S3Storage(awsDescription(mem, { prefix: 'data' }));
  const b = new S3Storage(awsDescription(s3r, { prefix: 'data' }));
  for (const [key, body] of OBJECTS.filter(([k]) => k.startsWith('data/'))) {
    const k = key.slice(5);
    for (const [s, e] of [
      [0, 64],
      [50, 4000],
      [body.length - 3, body.length + 10],
      [body.length + 5, body.length + 9],
    ] as const) {
      const got = await a.readRange(k, Math.max(0, s), e);
      t.same(got, body.subarray(Math.max(0, s), e), `${k} [${s}, ${e})`);
      if (body.length) t.same(got, await b.readRange(k, Math.max(0, s), e), `${k} [${s}, ${e}) equals s3rver`);
    }
    t.same(await a.read(k), body);
    t.same({ ...(await a.stat(k)), mtimeMs: 0 }, { ...(await b.stat(k)), mtimeMs: 0 }, `stat ${k}`);
  }
  await a.write('w/new.json', '{"x":1}');
  t.equal((await a.read('w/new.json')).toString(), '{"x":1}');
  await a.delete('w/new.json');
  t.equal(await a.exists('w/new.json'), false);
  await a.close();
  await b.close();
}

t.test('child-process mode, bulk load and latency', async (t) => {
  const srv = await startMemS3Server(t, { child: true, latencyMs: 20 });
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const dir = await mkdtemp(`${(await import('node:os')).tmpdir()}/mem-s3-`);
  await writeFile(`${dir}/one.bin`, bytes(1234, 1));
  await srv.load(
    Array.from(
      { length: 2500 },
      (_, i) => [`bulk/${String(i).padStart(5, '0')}.bin`, `${dir}/one.bin`] as [string, string],
    ),
  );
  // One sequential listing, so the page count is the server's: the default parallel one adds StartAfter probes.
  const s = new S3Storage(awsDescription(srv, { prefix: 'bulk', listConcurrency: 1 }));
  t.teardown(() => s.close());
  let n = 0;
  for await (const i of s.list()) n += i.size === 1234 ? 1 : 0;
  t.equal(n, 2500, 'bulk-loaded keys list in three pages');
  const t0 = performance.now();
  t.same(await s.readRange('02499.bin', 0, 10), bytes(1234, 1).subarray(0, 10));
  t.ok(performance.now() - t0 >= 19, 'latency applied');
  t.match(await srv.stats(), { list: 3, get: 1 });
});
