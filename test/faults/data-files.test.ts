// Damaged metadata tables (parquet and JSONL: nulls, wrong types, missing columns, broken files) and hostile keys in
// data (parquet ids, Hub tree paths): coded errors or per-row skips naming file, row and column; nothing escapes the
// root.
import t from 'tap';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { writeParquet } from '../helpers/write-parquet.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { HuggingfaceStorage } from '../../lib/storage/huggingface.js';
import { scanParquet } from '../../lib/metadata/parquet-scan.js';
import { DataFileError, PathEscapeError, isTunefeedError } from '../../lib/errors.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { makeImage } from '../helpers/make-images.js';
import { startHttpServer } from '../helpers/http-server.js';
import { report } from '../helpers/fault-count.js';

async function files(dir: string, names: string[]): Promise<void> {
  for (const n of names) await makeImage(join(dir, n), { w: 16, h: 16, format: 'jpeg' });
}

async function scan(dir: string, table: string, extra: Record<string, unknown> = {}) {
  const { config, args } = await datasetConfig({
    id: 'pq',
    instance_data_dir: dir,
    resolution: 256,
    resolution_type: 'pixel',
    metadata_backend: 'parquet',
    caption_strategy: 'parquet',
    parquet: { path: join(dir, table), ...extra },
  });
  return scanParquet({
    id: 'pq',
    config,
    storage: new LocalStorage({ id: 'pq', root: dir }),
    args,
    cacheStorage: new LocalStorage({ id: 'pq', root: join(dir, '.cache') }),
  });
}

t.test('parquet: nulls and wrong types skip the row with row and column named; good rows survive', async (t) => {
  const dir = t.testdir({});
  await files(dir, ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg']);
  writeParquet(join(dir, 'meta.parquet'), [
    { name: 'id', data: ['a', 'b', 'c', null, 'e'], type: 'STRING' },
    { name: 'width', data: ['512', null, 'wide', '640', '-3'], type: 'STRING' },
    { name: 'height', data: [512, 300, 300, 480, 200], type: 'INT32' },
    { name: 'description', data: ['cat', null, 'cow', 'dog', 'eel'], type: 'STRING' },
  ]);
  const r = await scan(dir, 'meta.parquet');
  t.same(Object.keys(r.index.metadata), ['a.jpg'], 'only the fully valid row is used');
  t.equal(r.report.skipped.metadata_missing, 4, 'null width, text width, null id, negative width');
  const msgs = (r.report.examples.metadata_missing ?? []).map((e) => `${e.file}: ${e.message}`);
  t.ok(
    msgs.some((m) => /^b\.jpg: row 2: width\/height must be positive numbers/.test(m)),
    'null cell: file, row and column named',
  );
  t.ok(
    msgs.some((m) => /^c\.jpg: row 3: width/.test(m)),
    'wrong type: row and column named',
  );
  t.ok(
    msgs.some((m) => /^d\.jpg: no row with id=d/.test(m)),
    'null id: the file has no row',
  );
  t.equal(
    (r.report as { constraints: { table?: string } }).constraints.table,
    join(dir, 'meta.parquet'),
    'the report names the table file',
  );
  report(t, 'parquet-bad-cells', { rows: 5, used: 1, metadata_missing: r.report.skipped.metadata_missing });
});

t.test('parquet: a missing column or a broken file is a DataFileError naming file and column', async (t) => {
  const dir = t.testdir({});
  await files(dir, ['a.jpg']);
  writeParquet(join(dir, 'nohead.parquet'), [
    { name: 'id', data: ['a'], type: 'STRING' },
    { name: 'width', data: [5], type: 'INT32' },
  ]);
  const miss = await scan(dir, 'nohead.parquet').catch((e: unknown) => e);
  t.ok(miss instanceof DataFileError, 'DataFileError');
  t.match(miss, {
    code: 'TF_DATA_FILE',
    field: 'height',
    message: /missing column\(s\) height; columns are: id, width.*nohead\.parquet/s,
  });
  await writeFile(join(dir, 'junk.parquet'), 'PAR1 this is not really parquet PAR1');
  await t.rejects(scan(dir, 'junk.parquet'), {
    code: 'TF_DATA_FILE',
    message: /not a readable parquet file.*junk\.parquet/s,
  });
  writeParquet(join(dir, 'ok.parquet'), [
    { name: 'id', data: ['a'], type: 'STRING' },
    { name: 'width', data: [5], type: 'INT32' },
    { name: 'height', data: [5], type: 'INT32' },
  ]);
  const { readFile } = await import('node:fs/promises');
  const whole = await readFile(join(dir, 'ok.parquet'));
  await writeFile(join(dir, 'cut.parquet'), whole.subarray(0, Math.floor(whole.length / 2)));
  await t.rejects(scan(dir, 'cut.parquet'), { code: 'TF_DATA_FILE', message: /cut\.parquet/ });
  await t.rejects(scan(dir, 'absent.parquet'), { code: 'TF_DATA_FILE', message: /absent\.parquet/ });
});

t.test(
  'JSONL: nulls, wrong types, arrays, rows missing columns; broken lines and non-objects name the row',
  async (t) => {
    const dir = t.testdir({});
    await files(dir, ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg']);
    const rows = [
      { id: 'a', width: 100, height: 50, description: 'ok' },
      { id: 'b', width: null, height: 50 },
      { id: 'c', width: [100], height: 50 },
      { id: 'd', width: 100 },
      { id: 'e', width: { v: 1 }, height: true },
    ];
    await writeFile(join(dir, 'meta.jsonl'), `\uFEFF${rows.map((r) => JSON.stringify(r)).join('\r\n')}\r\n`);
    const r = await scan(dir, 'meta.jsonl');
    t.same(Object.keys(r.index.metadata), ['a.jpg']);
    t.equal(r.report.skipped.metadata_missing, 4);
    t.ok(
      (r.report.examples.metadata_missing ?? []).every((e) => /row \d: width\/height/.test(e.message)),
      'every skip names its row and the columns',
    );
    let errors = 0;
    for (const [name, text, row] of [
      ['broken.jsonl', '{"id":"a","width":1,"height":1}\n{"id": "b", width\n', 2],
      ['array.jsonl', '{"id":"a","width":1,"height":1}\n\n[1,2]\n', 3],
      ['null.jsonl', 'null\n', 1],
    ] as const) {
      await writeFile(join(dir, name), text);
      const err = await scan(dir, name).catch((e: unknown) => e);
      t.match(
        err,
        { code: 'TF_DATA_FILE', row, message: new RegExp(`${name.replace('.', '\\.')}.*row=${row}`, 's') },
        `${name}: row ${row} named`,
      );
      if (err instanceof DataFileError) errors++;
    }
    await writeFile(join(dir, 'nowidth.jsonl'), '{"id":"a","w":1,"height":1}\n');
    const nowidth = await scan(dir, 'nowidth.jsonl').catch((e: unknown) => e);
    t.match(nowidth, { field: 'width', message: /missing column\(s\) width.*nowidth\.jsonl/s }, 'missing column named');
    if (nowidth instanceof DataFileError) errors++;
    t.equal(errors, 4, 'all 4 bad files refused with DataFileError');
    report(t, 'jsonl-bad-cells', {
      rows: rows.length,
      used: Object.keys(r.index.metadata).length,
      metadata_missing: r.report.skipped.metadata_missing,
      coded_file_errors: errors,
    });
  },
);

t.test("ids with '..' or absolute paths in a table never name a file outside the root", async (t) => {
  const top = t.testdir({ root: {}, outside: {} });
  const dir = join(top, 'root');
  await files(dir, ['inside.jpg']);
  await files(join(top, 'outside'), ['secret.jpg']);
  writeParquet(join(dir, 'meta.parquet'), [
    {
      name: 'id',
      data: ['../outside/secret.jpg', `${top}/outside/secret.jpg`, 'inside.jpg', '../../../../etc/passwd'],
      type: 'STRING',
    },
    { name: 'width', data: [64, 64, 32, 10], type: 'INT32' },
    { name: 'height', data: [64, 64, 32, 10], type: 'INT32' },
  ]);
  const r = await scan(dir, 'meta.parquet', { identifier_includes_extension: true });
  t.same(Object.keys(r.index.metadata), ['inside.jpg'], 'keys come from the listing of the root, never from the table');
  t.same(r.index.metadata['inside.jpg']?.original_size, [32, 32], 'the row of the file inside is used');
  t.notOk(JSON.stringify(r.index).includes('secret'), 'nothing about the outside file in the index');
});

t.test("a Hub tree listing with '..' or absolute shard paths is refused before any shard is fetched", async (t) => {
  const name = 'evil/tree';
  for (const bad of ['../../../../tmp/evil.parquet', '/etc/evil.parquet', 'data/../../evil.parquet']) {
    const srv = await startHttpServer(t, {
      routes: {
        [`/api/datasets/${name}/tree/main`]: {
          body: JSON.stringify([{ type: 'file', path: bad, size: 10 }]),
          headers: { 'content-type': 'application/json' },
        },
      },
    });
    const dir = t.testdir({});
    const hf = new HuggingfaceStorage({
      kind: 'huggingface',
      id: 'hf',
      datasetName: name,
      split: 'train',
      revision: null,
      mediaColumn: 'image',
      extension: 'jpg',
      captionColumn: 'caption',
      fallbackCaptionColumn: null,
      widthColumn: null,
      heightColumn: null,
      filter: null,
      cacheDir: join(dir, 'cache'),
      hubCache: join(dir, 'hub'),
      endpoint: srv.url,
      source: 'auto',
      retryBaseDelayMs: 1,
      maxAttempts: 1,
    });
    const err = await (async () => {
      for await (const _ of hf.list()) {
        /* drain */
      }
    })().catch((e: unknown) => e);
    t.ok(
      err instanceof PathEscapeError ||
        (isTunefeedError(err) && (err as { cause?: unknown }).cause instanceof PathEscapeError),
      `${bad}: refused (${(err as Error)?.constructor?.name}: ${(err as Error)?.message?.slice(0, 90)})`,
    );
    t.same(
      srv.requests.map((q) => q.path.split('?')[0]),
      [`/api/datasets/${name}/tree/main`],
      'only the tree was requested',
    );
  }
});

t.test("an S3 listing with '..', '.', empty or absolute segments yields only addressable keys", async (t) => {
  const keys = [
    'data/ok.jpg',
    'data/../../etc/passwd.jpg',
    'data/a/../../../x.jpg',
    'data/./dot.jpg',
    'data//double.jpg',
    'data/sub/fine.png',
  ];
  const contents = keys
    .map(
      (k) =>
        `<Contents><Key>${k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"e"</ETag>` +
        '<Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>',
    )
    .join('');
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>b</Name><Prefix>data/</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
    `<IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
  const listing = { body: xml, headers: { 'content-type': 'application/xml' } };
  const srv = await startHttpServer(t, { routes: { '/b': listing, '/b/': listing } });
  const { S3Storage } = await import('../../lib/storage/s3.js');
  const s3 = new S3Storage({
    kind: 'aws',
    id: 's3',
    bucket: 'b',
    prefix: 'data/',
    region: 'us-east-1',
    endpoint: srv.url,
    accessKeyId: 'a',
    secretAccessKey: 'b',
    maxPoolConnections: 4,
    checksumMode: 'WHEN_REQUIRED',
    forcePathStyle: true,
    requestTimeoutMs: 2000,
    connectTimeoutMs: 1000,
    maxAttempts: 1,
  });
  t.teardown(() => s3.close());
  const listed: string[] = [];
  for await (const o of s3.list()) listed.push(o.key);
  t.comment(`requests: ${srv.requests.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  t.same(listed.sort(), ['ok.jpg', 'sub/fine.png'], 'only canonical keys inside the prefix are listed');
  for (const bad of ['../../etc/passwd.jpg', 'a/../../../x.jpg', '/etc/passwd'])
    await t.rejects(s3.read(bad), PathEscapeError, `read ${bad} refused`);
  report(t, 's3-listing-keys', {
    listed_by_server: keys.length,
    yielded: listed.length,
    unsafe_skipped: keys.length - listed.length,
  });
});
