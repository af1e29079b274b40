// HuggingfaceStorage from a hub-cache folder and over HTTP in the Hub's URL layout, with real parquet + real images.
import t from 'tap';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HuggingfaceStorage, hubEnvironment, type HfDescription } from '../../lib/storage/huggingface.js';
import { createStorage } from '../../lib/storage/from-description.js';
import { DataFileError, NotFoundError, PathEscapeError, ReadOnlyError } from '../../lib/errors.js';
import type { BackendDescription, ObjectInfo } from '../../lib/storage/types.js';
import { parquetMetadata } from 'hyparquet';
import {
  hfDescription,
  makeRows,
  shardBytes,
  shardNames,
  writeHubCache,
  type FixtureRow,
} from '../fixtures/storage/hf-fixture.js';
import { startHttpServer } from '../helpers/http-server.js';

async function keys(it: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of it) out.push(o.key);
  return out;
}

const REV = 'a'.repeat(40);
const NAME = 'tunefeed/tiny-images';

let made: Promise<{ rows: FixtureRow[]; files: Record<string, Buffer> }> | undefined;
const fixture = (): Promise<{ rows: FixtureRow[]; files: Record<string, Buffer> }> => (made ??= makeFixture());

async function makeFixture(): Promise<{ rows: FixtureRow[]; files: Record<string, Buffer> }> {
  const rows = await makeRows(17);
  rows[5].image = null;
  const [a, b] = shardNames('train', 2);
  const files = {
    [a]: shardBytes(rows.slice(0, 10), 4),
    [b]: shardBytes(rows.slice(10), 3),
    [shardNames('test', 1)[0]]: shardBytes(rows.slice(0, 2), 2),
    'README.md': Buffer.from('# tiny'),
  };
  return { rows, files };
}

function desc(over: Partial<HfDescription>): HfDescription {
  return hfDescription(NAME, over);
}

t.test('from the local hub cache layout', async (t) => {
  const { rows, files } = await fixture();
  const dir = t.testdir({});
  const hub = await writeHubCache(path.join(dir, 'hf', 'hub'), NAME, REV, files);
  t.equal(hubEnvironment({ HF_HOME: path.join(dir, 'hf') }).hubCache, hub, 'HF_HOME/hub');
  const hf = new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: path.join(dir, 'cache'), source: 'local' }));
  const listed = await keys(hf.list());
  t.same(
    listed,
    rows.map((_, i) => `${i}.jpg`),
    'virtual keys over both shards, row groups in order',
  );
  for (const i of [0, 3, 4, 9, 10, 16])
    t.same(await hf.read(`${i}.jpg`), rows[i].image, `row ${i} bytes exact (utf8:false)`);
  t.same(await hf.readRange('4.jpg', 0, 4), rows[4].image!.subarray(0, 4));
  await t.rejects(hf.read('5.jpg'), {
    code: 'TF_DATA_FILE',
    row: 6,
    field: 'image',
    message: /no image bytes.*train-00000-of-00002/,
  });
  await t.rejects(hf.read('17.jpg'), NotFoundError);
  t.equal(await hf.exists('16.jpg'), true);
  t.equal(await hf.exists('17.jpg'), false);
  t.equal(await hf.caption('2.jpg'), 'caption 2');
  t.equal(await hf.caption('3.jpg'), 'alt 3', 'fallback column when the caption is null');
  t.same(await hf.fields('12.jpg', ['width', 'height']), { width: rows[12].width, height: rows[12].height });
  const multi = new HuggingfaceStorage(
    desc({
      hubCache: hub,
      cacheDir: path.join(dir, 'cache'),
      captionColumn: ['caption', 'meta.caption'],
      fallbackCaptionColumn: null,
    }),
  );
  t.same(await multi.captions('1.jpg'), ['caption 1', 'nested 1'], 'list of columns and a dotted path');
  t.same(await multi.captions('3.jpg'), ['nested 3']);
  const testSplit = new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: path.join(dir, 'c2'), split: 'test' }));
  t.same(await keys(testSplit.list()), ['0.jpg', '1.jpg']);
  t.same(await keys(hf.list({ extensions: ['png'] })), [], 'extension filter applies to virtual keys');

  await hf.write('aspect_ratio_bucket_indices_hf.json', '{"x":1}');
  t.equal(await readFile(path.join(dir, 'cache', 'aspect_ratio_bucket_indices_hf.json'), 'utf8'), '{"x":1}');
  await t.rejects(hf.write('3.jpg', 'x'), ReadOnlyError);
  await t.rejects(hf.delete('3.jpg'), ReadOnlyError);
  await t.rejects(hf.write('../../escape.json', 'x'), PathEscapeError);
  t.equal(hf.externalPath('7.jpg'), '7.jpg');
  t.equal(hf.keyFromExternal('7.jpg'), '7.jpg');
  const copy = createStorage(JSON.parse(JSON.stringify(hf.describe())) as BackendDescription);
  t.same(await copy.read('9.jpg'), rows[9].image);
});

t.test('GZIP-compressed shards (hyparquet-compressors)', async (t) => {
  const { rows } = await fixture();
  const dir = t.testdir({});
  const gz = shardBytes(rows.slice(0, 6), 3, 'GZIP');
  const meta = parquetMetadata(gz.buffer.slice(gz.byteOffset, gz.byteOffset + gz.byteLength) as ArrayBuffer);
  t.equal(meta.row_groups[0].columns[0].meta_data!.codec, 'GZIP', 'the shard really is GZIP-compressed');
  const hub = await writeHubCache(path.join(dir, 'hub'), NAME, REV, { 'data/train-00000-of-00001.parquet': gz });
  const hf = new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: dir }));
  for (const i of [0, 4]) t.same(await hf.read(`${i}.jpg`), rows[i].image, `row ${i} decompressed exactly`);
  t.equal(await hf.caption('1.jpg'), 'caption 1');
});

t.test('filter_func: collection, quality thresholds, min sizes', async (t) => {
  const { rows, files } = await fixture();
  const dir = t.testdir({});
  const hub = await writeHubCache(path.join(dir, 'hub'), NAME, REV, files);
  const filter = { collection: ['keep'], quality_thresholds: { aesthetic: 1 }, min_width: 12, min_height: 6 };
  const hf = new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: dir, filter }));
  const want = rows
    .map((r, i) => [r, i] as const)
    .filter(([r]) => r.collection === 'keep' && r.aesthetic >= 1 && r.width >= 12 && r.height >= 6)
    .map(([, i]) => `${i}.jpg`);
  t.ok(want.length > 0 && want.length < rows.length, `filter keeps ${want.length} of ${rows.length}`);
  t.same(await keys(hf.list()), want);
  const bad = new HuggingfaceStorage(
    desc({ hubCache: hub, cacheDir: dir, filter: { collection: 'x' }, captionColumn: 'caption' }),
  );
  t.same(await keys(bad.list()), []);
});

t.test('bad shards and settings give coded errors naming the file and column', async (t) => {
  const { files } = await fixture();
  const dir = t.testdir({});
  const hub = await writeHubCache(path.join(dir, 'hub'), NAME, REV, files);
  await t.rejects(keys(new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: dir, mediaColumn: 'picture' })).list()), {
    code: 'TF_DATA_FILE',
    field: 'image_column',
    message: /no column "picture"; columns are: image, caption.*train-00000/,
  });
  await t.rejects(keys(new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: dir, captionColumn: 'text' })).list()), {
    code: 'TF_DATA_FILE',
    field: 'caption_column',
  });
  await t.rejects(keys(new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: dir, split: 'validation' })).list()), {
    code: 'TF_STORAGE_NOT_FOUND',
    message: /split "validation".*train-00000-of-00002\.parquet/,
  });
  await t.rejects(
    new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: dir, mediaColumn: 'caption' })).read('0.jpg'),
    { code: 'TF_DATA_FILE', message: /got a string/ },
  );
  await t.rejects(
    keys(
      new HuggingfaceStorage(desc({ hubCache: hub, cacheDir: dir, source: 'local', datasetName: 'other/name' })).list(),
    ),
    { message: /not in the hub cache/ },
  );
  const junk = await writeHubCache(path.join(dir, 'hub2'), NAME, REV, {
    'data/train-00000-of-00001.parquet': Buffer.from('not parquet at all, just text bytes'),
  });
  await t.rejects(keys(new HuggingfaceStorage(desc({ hubCache: junk, cacheDir: dir })).list()), DataFileError);
  t.throws(() => new HuggingfaceStorage(desc({ cacheDir: dir })).keyFromExternal('../x.json'), PathEscapeError);
});

t.test('over HTTP in the Hub URL layout: paginated tree, ranged reads, redirects', async (t) => {
  const { rows, files } = await fixture();
  const root = t.testdir({});
  const resolveDir = path.join(root, 'cdn');
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(resolveDir, rel)), { recursive: true });
    await writeFile(path.join(resolveDir, rel), data);
  }
  const entries = Object.entries(files).map(([p, d]) => ({ type: 'file', path: p, size: d.length, oid: 'x' }));
  const srv = await startHttpServer(t, { root });
  srv.route(`/api/datasets/${NAME}/tree/main`, (req, res) => {
    const page = Number(new URL(req.url!, 'http://x').searchParams.get('cursor') ?? 0);
    const body = JSON.stringify(entries.slice(page * 2, page * 2 + 2));
    const next =
      page * 2 + 2 < entries.length
        ? { link: `<${srv.url}/api/datasets/${NAME}/tree/main?recursive=true&cursor=${page + 1}>; rel="next"` }
        : {};
    res.writeHead(200, { 'content-type': 'application/json', ...next }).end(body);
  });
  for (const rel of Object.keys(files)) srv.route(`/datasets/${NAME}/resolve/main/${rel}`, { redirect: `/cdn/${rel}` });
  const hf = new HuggingfaceStorage(
    desc({
      endpoint: srv.url,
      cacheDir: path.join(root, 'cache'),
      hubCache: path.join(root, 'empty-hub'),
      token: 'hf_secret_token_value',
    }),
  );
  t.same(
    await keys(hf.list()),
    rows.map((_, i) => `${i}.jpg`),
  );
  for (const i of [0, 7, 10, 16]) t.same(await hf.read(`${i}.jpg`), rows[i].image, `row ${i} over HTTP`);
  t.equal(await hf.caption('3.jpg'), 'alt 3');
  t.equal(srv.count(`/api/datasets/${NAME}/tree/main`), 2, 'both tree pages followed (Link: rel=next)');
  const shardGets = srv.requests.filter((r) => r.path.startsWith('/cdn/'));
  t.ok(shardGets.length > 0 && shardGets.every((r) => r.range), 'every shard read is a ranged GET');
  t.notOk(
    shardGets.some((r) => r.path.includes('test-00000')),
    'shards of other splits are never read',
  );
  await t.rejects(
    new HuggingfaceStorage(
      desc({ endpoint: srv.url, cacheDir: root, datasetName: 'nobody/missing', maxAttempts: 1 }),
    ).table(),
    NotFoundError,
  );
});
