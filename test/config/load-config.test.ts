// loadConfig / validateConfig: the composed object stream, thrown error types, frozen output, secrets redacted.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chainUnchecked } from 'stream-chain';
import t from 'tap';
import { ConfigFileError, ConfigParseError, ConfigValidationError } from '../../lib/errors.js';
import { IssueLog } from '../../lib/config/issues.js';
import { configStages, loadConfig, validateConfig } from '../../lib/config/load-config.js';
import { defaultTrainingArgs } from '../../lib/config/training-args.js';
import type { DatasetConfig } from '../../lib/config/types.js';
import * as api from '../../lib/index.js';

t.test('the stages run as one object stream and keep dependency order', async (t) => {
  const log = new IssueLog();
  const out: DatasetConfig[] = [];
  const stream = chainUnchecked(configStages(defaultTrainingArgs(), {}, log, false));
  t.ok(stream.writableObjectMode && stream.readableObjectMode, 'object mode both ways');
  const source = [
    { id: 'cond', conditioning_type: 'controlnet', instance_data_dir: '/c' },
    { id: 'text', dataset_type: 'text_embeds' },
    { id: 'main', instance_data_dir: '/m', conditioning_data: ['cond'] },
  ];
  await pipeline(
    Readable.from([{ source }]),
    stream,
    new Writable({ objectMode: true, write: (d, _e, cb) => (out.push(d as DatasetConfig), cb()) }),
  );
  t.same(
    out.map((d) => d.id),
    ['main', 'cond', 'text'],
  );
  t.ok(
    out.every((d) => Object.isFrozen(d)),
    'frozen',
  );
  t.same(log.errors, []);
});

t.test('loadConfig throws coded errors: file, parse, validation with every issue', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-load-'));
  await t.rejects(loadConfig(join(dir, 'none.json')), ConfigFileError);
  const broken = join(dir, 'broken.json');
  await writeFile(broken, '[\n {"id": "a"\n]');
  const parseErr = await loadConfig(broken).catch((e: unknown) => e);
  t.ok(parseErr instanceof ConfigParseError);
  t.equal((parseErr as ConfigParseError).line, 3);
  const bad = join(dir, 'bad.json');
  await writeFile(bad, JSON.stringify([{ id: 'a', instance_data_dir: '/x', crop_aspect: 'no', crop_style: 'no' }]));
  const err = await loadConfig(bad, { checkPaths: false }).catch((e: unknown) => e);
  t.ok(err instanceof ConfigValidationError);
  t.same(
    (err as ConfigValidationError).issues.map((i) => i.field),
    ['crop_aspect', 'crop_style'],
  );
});

t.test('loadConfig returns frozen, typed datasets and the args used', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-load-'));
  await mkdir(join(dir, 'imgs'));
  const file = join(dir, 'multidatabackend.json');
  await writeFile(
    file,
    JSON.stringify([
      { id: 'text', dataset_type: 'text_embeds' },
      { id: 'imgs', instance_data_dir: '{env:TF_ROOT}/imgs' },
    ]),
  );
  const loaded = await api.loadConfig(file, { env: { TF_ROOT: dir }, set: ['model_family=flux'] });
  t.equal(loaded.args.model_family, 'flux');
  const imgs = loaded.datasets.find((d) => d.id === 'imgs');
  t.ok(imgs && api.isImageDataset(imgs));
  t.equal(imgs && 'instance_data_dir' in imgs ? imgs.instance_data_dir : '', join(dir, 'imgs'));
  t.ok(Object.isFrozen(loaded) && Object.isFrozen(loaded.args) && Object.isFrozen(loaded.datasets));
  t.equal(api.defaultTrainingArgs().resolution, 1024);
});

t.test('path checks: missing local directory, csv file and parquet file', async (t) => {
  const r = await validateConfig(
    [
      { id: 'text', dataset_type: 'text_embeds' },
      {
        id: 'a',
        instance_data_dir: '/nonexistent/tf-a',
        metadata_backend: 'parquet',
        parquet: { path: '/nonexistent/p.parquet' },
      },
      { id: 'c', type: 'csv', csv_file: '/nonexistent/l.csv', csv_cache_dir: '/tmp/c', csv_caption_column: 'cap' },
    ],
    { env: {} },
  );
  t.same(
    r.errors.map((e) => `${e.id}:${e.field}`),
    ['a:instance_data_dir', 'a:parquet.path', 'c:csv_file'],
  );
  t.match(r.errors[0]?.message, 'does not exist');
});

t.test('credentials are redacted in results and never appear in messages', async (t) => {
  const secret = 'wJalrXUtnFEMI-very-secret';
  const r = await validateConfig(
    [
      { id: 'text', dataset_type: 'text_embeds' },
      {
        id: 's3',
        type: 'aws',
        aws_bucket_name: 'b',
        aws_access_key_id: 'AKIAEXAMPLE',
        aws_secret_access_key: secret,
        crop_style: secret,
      },
    ],
    { env: {} },
  );
  const dump = JSON.stringify({ datasets: r.datasets, errors: r.errors, warnings: r.warnings });
  t.notOk(dump.includes(secret), 'secret value scrubbed everywhere');
  t.ok(dump.includes('[REDACTED]'));
});

t.test('in-memory sources are not mutated', async (t) => {
  const src = [
    { id: 'text', dataset_type: 'text_embeds' },
    { id: 'i', instance_data_dir: '/i', crop: 'false', video: { num_frames: 'x' } },
  ];
  const copy = structuredClone(src);
  await validateConfig(src, { checkPaths: false });
  t.same(src, copy);
});
