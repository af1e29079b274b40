// CsvStorage against a real HTTP server: 200, 404, 500-then-200, timeouts, oversize, wrong type, redirect loop, slow
// body.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { CsvStorage, FAILURE_FILE, type CsvDescription } from '../../lib/storage/csv.js';
import { simpletunerCacheName } from '../../lib/storage/csv-naming.js';
import { DownloadError, PathEscapeError, ReadOnlyError } from '../../lib/errors.js';
import type { ObjectInfo } from '../../lib/storage/types.js';
import { csvDescription } from '../helpers/csv-dataset.js';
import { startHttpServer } from '../helpers/http-server.js';

/** The persisted download-failure record (FAILURE_FILE), as far as these tests read it. */
interface FailureFile {
  version: number;
  failures: Record<string, { status: number | null; reason: string; permanent: boolean; failures: number }>;
}

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of it) out.push(o);
  return out;
}

const png = (w: number, h: number, color: string): Promise<Buffer> =>
  sharp({ create: { width: w, height: h, channels: 3, background: color } })
    .png()
    .toBuffer();
const noisy = (bytes: number): Promise<Buffer> =>
  sharp(Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 7919) % 251)), {
    raw: { width: bytes / 3, height: 1, channels: 3 },
  })
    .png({ compressionLevel: 0 })
    .toBuffer();

t.test('downloads: every HTTP outcome classified, cached, recorded', async (t) => {
  const [ok, ok2, big] = await Promise.all([png(8, 6, '#0f0'), png(5, 9, '#00f'), noisy(90_000)]);
  const img = { 'content-type': 'image/png' };
  const srv = await startHttpServer(t, {
    routes: {
      '/img/ok.png': { body: ok, headers: img },
      '/img/second.png': { redirect: '/img/ok2.png' },
      '/img/ok2.png': { body: ok2, headers: img },
      '/img/missing.png': { status: 404, body: 'nope' },
      '/img/flaky.png': [
        { status: 500, body: 'oops' },
        { body: ok, headers: img },
      ],
      '/img/hang.png': { hang: true },
      '/img/big.png': { body: big, headers: img },
      '/img/page.png': { body: '<html></html>', headers: { 'content-type': 'text/html' } },
      '/img/loop-a.png': { redirect: '/img/loop-b.png' },
      '/img/loop-b.png': { redirect: '/img/loop-a.png' },
      '/img/trickle.png': { body: ok, headers: img, trickle: { chunkBytes: 4, intervalMs: 40 } },
    },
  });
  const u = (p: string): string => `${srv.url}/img/${p}`;
  const dir = t.testdir({});
  const rows = [
    'ok.png',
    'second.png',
    'missing.png',
    'flaky.png',
    'hang.png',
    'big.png',
    'page.png',
    'loop-a.png',
    'trickle.png',
  ];
  const body = rows.map((r) => `${u(r)},"a ""${r}"" photo"`).join('\r\n');
  const csv = `\uFEFFurl,caption\r\n${body}\r\n${u('ok.png')},last wins\r\n`;
  await writeFile(path.join(dir, 'list.csv'), csv);
  const desc = csvDescription('urls', path.join(dir, 'list.csv'), path.join(dir, 'cache'), {
    maxAttempts: 2,
    retryBaseDelayMs: 1,
    attemptTimeoutMs: 500,
    connectTimeoutMs: 400,
    maxBytes: 50_000,
  });
  const csvs = new CsvStorage(desc);
  t.teardown(() => csvs.close());

  const listed = await collect(csvs.list());
  t.same(
    listed.map((o) => o.key),
    [...rows.slice(1).map(u), u('ok.png')],
    'duplicates: last row wins, at its position',
  );
  t.ok(
    listed.every((o) => o.size === -1),
    'size unknown before download',
  );
  t.equal(await csvs.caption(u('ok.png')), 'last wins');
  t.equal(await csvs.captionFor(u('ok.png')), 'last wins', 'alias used by the caption strategies');
  t.equal(await csvs.caption(u('missing.png')), 'a "missing.png" photo', 'quoted caption');

  t.same(await csvs.read(u('ok.png')), ok);
  t.same(await readFile(path.join(dir, 'cache', simpletunerCacheName(u('ok.png')))), ok, 'cached as sha256(stem)+ext');
  t.same(await csvs.read(u('ok.png')), ok);
  t.equal(srv.count('/img/ok.png'), 1, 'second read served from cache');
  t.same(await csvs.read(u('second.png')), ok2, 'redirect followed');
  t.same(await csvs.read(u('flaky.png')), ok, '500 then 200');
  t.equal(srv.count('/img/flaky.png'), 2);
  t.match(
    (await collect(csvs.list())).find((o) => o.key === u('flaky.png')),
    { size: ok.length },
    'size known once cached',
  );

  // Bounded by attempts, not by a wall-clock limit: each failure takes exactly the requests its kind allows.
  const expectFail = async (name: string, reason: RegExp, attempts: number, status?: number): Promise<void> => {
    const before = srv.count(`/img/${name}`);
    const err = await csvs.read(u(name)).catch((e: unknown) => e);
    t.ok(err instanceof DownloadError, `${name}: DownloadError`);
    t.match((err as DownloadError).reason, reason, `${name}: reason ${(err as DownloadError).reason}`);
    if (status !== undefined) t.equal((err as DownloadError).status, status);
    t.match((err as Error).message, /dataset=urls/);
    const made = srv.count(`/img/${name}`) - before;
    t.equal(made, attempts, `${name}: bounded: ${made} request(s) of maxAttempts ${desc.maxAttempts}`);
  };
  await expectFail('missing.png', /^http_404$/, 1, 404);
  t.equal(srv.count('/img/missing.png'), 1, '404 is not retried');
  await expectFail('hang.png', /^timeout$/, 2);
  t.equal(srv.count('/img/hang.png'), 2, 'timeouts retried, bounded');
  await expectFail('big.png', /^too_large$/, 1);
  await expectFail('page.png', /^content_type$/, 1);
  await expectFail('loop-a.png', /^redirect_loop$/, 1);
  await expectFail('trickle.png', /^timeout$/, 2);

  const record = JSON.parse(await readFile(path.join(dir, 'cache', FAILURE_FILE), 'utf8')) as FailureFile;
  t.equal(record.version, 1);
  t.match(record.failures[u('missing.png')], { status: 404, reason: 'http_404', permanent: true, failures: 1 });
  t.match(record.failures[u('hang.png')], { status: null, reason: 'timeout', permanent: false, failures: 1 });
  t.notOk(record.failures[u('flaky.png')], 'recovered URLs are not recorded');

  await t.rejects(csvs.read(u('missing.png')), { name: 'DownloadError', reason: 'http_404', message: /failed before/ });
  t.equal(srv.count('/img/missing.png'), 1, 'a dead URL is not fetched again in this run');
  const nextRun = new CsvStorage(desc);
  t.teardown(() => nextRun.close());
  await t.rejects(nextRun.read(u('missing.png')), DownloadError);
  t.equal(srv.count('/img/missing.png'), 1, '... nor in the next run');
  t.equal(await nextRun.exists(u('missing.png')), false);
  await t.rejects(nextRun.read(u('hang.png')), { name: 'DownloadError', reason: 'timeout' });
  t.equal(srv.count('/img/hang.png'), 4, 'a transient failure is retried next run');
  await t.rejects(nextRun.read(u('hang.png')), { name: 'DownloadError', reason: 'timeout' });
  await t.rejects(nextRun.read(u('hang.png')), { message: /failed before/ });
  t.equal(srv.count('/img/hang.png'), 6, '... until it has failed three times');
});

t.test('private and loopback targets are refused unless allowed', async (t) => {
  const ok = await png(4, 4, '#f00');
  const srv = await startHttpServer(t, {
    routes: {
      '/a.png': { body: ok, headers: { 'content-type': 'image/png' } },
      '/hop.png': { redirect: 'http://127.0.0.1:9/x.png' },
    },
  });
  const dir = t.testdir({ 'l.csv': `url,caption\n${srv.url}/a.png,x\nhttp://localhost:${srv.port}/a.png,y\n` });
  const csvs = new CsvStorage({
    kind: 'csv',
    id: 'priv',
    csvFile: path.join(dir, 'l.csv'),
    cacheDir: path.join(dir, 'c'),
    urlColumn: 'url',
    captionColumn: 'caption',
    retryBaseDelayMs: 1,
  });
  t.teardown(() => csvs.close());
  await t.rejects(csvs.read(`${srv.url}/a.png`), {
    name: 'DownloadError',
    reason: 'private_address',
    message: /csv_allow_private_hosts/,
  });
  await t.rejects(csvs.read(`http://localhost:${srv.port}/a.png`), {
    name: 'DownloadError',
    reason: 'private_address',
  });
  await t.rejects(csvs.read('http://[::1]:9/a.png'), { name: 'DownloadError', reason: 'private_address' });
  t.equal(srv.requests.length, 0, 'nothing reached the server');
  await t.rejects(csvs.read('file:///etc/passwd'), PathEscapeError);
  await t.rejects(csvs.read('../../etc/passwd'), PathEscapeError);
  await t.rejects(csvs.read('/etc/passwd'), PathEscapeError);
  const allowed = new CsvStorage({
    ...(csvs.describe() as CsvDescription),
    cacheDir: path.join(dir, 'c2'),
    allowPrivateHosts: true,
  });
  t.teardown(() => allowed.close());
  t.same(await allowed.read(`${srv.url}/a.png`), ok);
});

t.test('cache-file keys, read-only originals, describe round trip', async (t) => {
  const dir = t.testdir({ 'l.csv': 'url,caption\nhttp://example.invalid/a.jpg,x\n' });
  const csvs = new CsvStorage({
    kind: 'csv',
    id: 'w',
    csvFile: path.join(dir, 'l.csv'),
    cacheDir: path.join(dir, 'c'),
    urlColumn: 'url',
    captionColumn: 'caption',
  });
  t.teardown(() => csvs.close());
  await csvs.write('aspect_ratio_bucket_indices_w.json', '{}');
  t.equal((await readFile(path.join(dir, 'c', 'aspect_ratio_bucket_indices_w.json'))).toString(), '{}');
  t.equal((await csvs.read('aspect_ratio_bucket_indices_w.json')).toString(), '{}');
  await t.rejects(csvs.write('http://example.invalid/a.jpg', 'x'), ReadOnlyError);
  await t.rejects(csvs.write('../escape.json', 'x'), PathEscapeError);
  t.equal(csvs.externalPath('http://example.invalid/a.jpg'), 'http://example.invalid/a.jpg');
  t.equal(csvs.keyFromExternal(path.join(dir, 'c', 'x.json')), 'x.json');
  t.throws(() => csvs.keyFromExternal('ftp://x/y.png'), PathEscapeError);
  t.same((await collect(csvs.list({ extensions: ['png'] }))).length, 0, 'extension filter uses the URL path');
  t.same((await collect(csvs.list({ extensions: ['JPG'] }))).length, 1);
});
