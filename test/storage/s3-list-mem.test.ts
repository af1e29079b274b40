// S3 listing in the default mode on the in-memory double (a test double: s3-list.test.ts shows the same on s3rver),
// and on a scripted server that ignores StartAfter (s3rver and the double both honour it, so neither can show that).
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { listS3 } from '../../lib/storage/s3-list.js';
import { compareKeys } from '../../lib/storage/s3-key-order.js';
import { listPage, listParams, listXml, type MemObject } from '../helpers/mem-s3-protocol.js';
import { startMemS3Server } from '../helpers/mem-s3-server.js';
import {
  AROUND_SLASH,
  flatKeys,
  listedKeys,
  listingStorage,
  nestedKeys,
  relativeKeys,
} from '../helpers/s3-list-layouts.js';

t.test('in-memory double, default listing options', async (t) => {
  const srv = await startMemS3Server(t);
  const nested = nestedKeys('deep');
  const odd = AROUND_SLASH.map((k) => `odd/${k}`);
  const flat = flatKeys('flat', 10_500);
  await srv.putMany([...nested, ...odd].map((k) => [k, k] as [string, string]));
  const file = path.join(t.testdir({}), 'tiny.bin');
  await writeFile(file, 'tiny');
  await srv.load(flat.map((k) => [k, file]));

  await t.test(
    'folders holding only folders, 4-7 levels: every key in key order, 3 runs, 1000- and 5-key pages',
    async (t) => {
      for (const listPageSize of [1000, 5]) {
        const s3 = listingStorage(t, srv, { prefix: 'deep', listPageSize });
        for (let run = 0; run < 3; run++)
          t.same(await listedKeys(s3.list()), relativeKeys(nested, 'deep'), `${listPageSize}, ${run}`);
      }
    },
  );

  await t.test('a flat folder of 10 500 keys: every key in key order, 2 runs, in parallel ranges', async (t) => {
    const s3 = listingStorage(t, srv, { prefix: 'flat' });
    const before = (await srv.stats()).list ?? 0;
    t.same(await listedKeys(s3.list()), relativeKeys(flat, 'flat'), 'run 0');
    const requests = ((await srv.stats()).list ?? 0) - before;
    t.ok(requests > 11, `${requests} list requests: more than the 11 pages of a sequential listing (ranges, probes)`);
    t.same(await listedKeys(s3.list()), relativeKeys(flat, 'flat'), 'run 1');
  });

  await t.test(
    'spaces, +, %, unicode and keys sorting around /: whole and in byte order, 1000- and 3-key pages',
    async (t) => {
      for (const listPageSize of [1000, 3]) {
        const s3 = listingStorage(t, srv, { prefix: 'odd', listPageSize });
        for (let run = 0; run < 3; run++)
          t.same(await listedKeys(s3.list()), [...AROUND_SLASH].sort(compareKeys), `${listPageSize}, ${run}`);
      }
    },
  );
});

/** ListObjectsV2 with continuation tokens but no StartAfter, as some S3-compatible servers answer. */
async function startAfterIgnoringServer(t: Test, keys: readonly string[]): Promise<{ url: string; queries: string[] }> {
  const sorted = [...keys].sort();
  const objects = new Map<string, MemObject>(
    sorted.map((k) => [k, { body: Buffer.from(k), etag: 'e', lastModified: new Date(0), contentType: 'x' }]),
  );
  const queries: string[] = [];
  const server = http.createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    queries.push(q.toString());
    const p = listParams(q);
    if (typeof p === 'string') throw new Error(p);
    const xml = listXml('quirky', { ...p, startAfter: '' }, listPage(sorted, { ...p, startAfter: '' }), objects);
    res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries };
}

t.test('a server that ignores StartAfter: warned, listed sequentially, no key lost or repeated', async (t) => {
  const keys = flatKeys('data', 2500);
  const srv = await startAfterIgnoringServer(t, keys);
  const client = new S3Client({
    endpoint: srv.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
  });
  t.teardown(() => client.destroy());
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const ctx = {
    dataset: 'quirky',
    where: 's3://quirky/data/',
    root: 'data/',
    pageSize: 1000,
    concurrency: 8,
    log: pino(sink),
    listPage: (params: object, signal?: AbortSignal) =>
      client.send(new ListObjectsV2Command({ Bucket: 'quirky', ...params }), { abortSignal: signal }),
  };
  t.same(await listedKeys(listS3(ctx)), relativeKeys(keys, 'data'), 'all 2500 keys once, in order');
  const probes = srv.queries.filter((q) => q.includes('start-after='));
  t.ok(probes.length >= 1 && probes.length <= 8, `${probes.length} probes (one lane each at most) before falling back`);
  t.equal(srv.queries.filter((q) => q.includes('continuation-token=')).length, 2, 'then pages 2 and 3 by token');
  t.match(lines.join(''), /ignores StartAfter: listing sequentially/, 'a warning says so');
});
