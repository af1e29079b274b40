// Hostile config values ('..', absolute paths and URLs where ids/keys are expected, enormous numbers, 10 MB strings)
// always end in a coded config error with a short message naming the field, never a crash or an accepted config.
import t, { type Test } from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config/load-config.js';
import { isTunefeedError } from '../../lib/errors.js';
import { report } from '../helpers/fault-count.js';

const HUGE = 'x'.repeat(10 * 1024 * 1024);
const base = (over: Record<string, unknown>): unknown[] => [
  { id: 'd', type: 'local', instance_data_dir: '/data/d', resolution: 512, resolution_type: 'pixel', ...over },
  { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: '/cache/te' },
];

/** Loads `doc`; returns the coded error's code and message, or fails the test when it was accepted or uncoded. */
async function refused(
  t: Test,
  label: string,
  doc: unknown[] | string,
): Promise<{ code: string; message: string } | null> {
  const err = await loadConfig(doc, { checkPaths: false, env: {} }).then(
    () => null,
    (e: unknown) => e,
  );
  if (err === null) {
    t.fail(`${label}: accepted`);
    return null;
  }
  if (!isTunefeedError(err) || !err.code.startsWith('TF_CONFIG')) {
    t.fail(`${label}: uncoded ${(err as Error).stack}`);
    return null;
  }
  return { code: err.code, message: err.message };
}

const PATHS = [
  '..',
  '../../etc/passwd',
  '/etc/passwd',
  'http://evil.example/x',
  'file:///etc/passwd',
  'a/b',
  'C:\\win',
  'x\u0000y',
];
const KEY_FIELDS = ['id', 'cache_file_suffix', 'text_embeds', 'image_embeds', 'source_dataset_id', 'conditioning_data'];
const NUMBERS = [1e308, -1e308, 2 ** 60, 1e20, Infinity, -Infinity, NaN];
const NUMBER_FIELDS = ['resolution', 'train_batch_size', 'repeats', 'max_num_samples'];
const STRING_FIELDS = [
  'id',
  'instance_data_dir',
  'cache_dir_vae',
  'instance_prompt',
  'caption_strategy',
  'cache_file_suffix',
  'aws_bucket_name',
  'csv_file',
  'text_embeds',
];

t.test("'..', absolute paths and URLs where a dataset id or cache name is expected", async (t) => {
  let n = 0;
  for (const field of KEY_FIELDS)
    for (const v of PATHS) {
      const r = await refused(t, `${field}=${JSON.stringify(v)}`, base({ [field]: v }));
      if (r && r.message.includes(field)) n++;
      else t.fail(`${field}=${JSON.stringify(v)}: message does not name the field: ${r?.message.slice(0, 200)}`);
    }
  t.equal(n, KEY_FIELDS.length * PATHS.length, `${n} hostile ids/names refused, each naming its field`);
  report(t, 'config-path-values', { cases: KEY_FIELDS.length * PATHS.length, coded_errors: n });
});

t.test('enormous and non-finite numbers', async (t) => {
  let n = 0;
  for (const field of NUMBER_FIELDS)
    for (const v of NUMBERS) {
      const r = await refused(t, `${field}=${v}`, base({ [field]: v }));
      if (r?.message.includes(field)) n++;
    }
  for (const v of [1e8, 1e20])
    if (
      (
        await refused(t, `pixel_area resolution ${v}`, base({ resolution: v, resolution_type: 'pixel_area' }))
      )?.message.includes('resolution')
    )
      n++;
  if (
    (await refused(t, 'area resolution 1e9 MP', base({ resolution: 1e9, resolution_type: 'area' })))?.message.includes(
      'resolution',
    )
  )
    n++;
  t.equal(n, NUMBER_FIELDS.length * NUMBERS.length + 3, `${n} enormous numbers refused, each naming its field`);
  report(t, 'config-numbers', { cases: NUMBER_FIELDS.length * NUMBERS.length + 3, coded_errors: n });
});

t.test('10 MB strings in every string field: coded error, short message, bounded time', async (t) => {
  let n = 0;
  const started = Date.now();
  for (const field of STRING_FIELDS) {
    const r = await refused(t, `${field}=<10 MB>`, base({ [field]: HUGE }));
    if (r && r.message.length < 10_000) n++;
    else t.fail(`${field}: message of ${r?.message.length} chars`);
  }
  const r = await refused(t, 'nested 10 MB', base({ parquet: { path: HUGE }, metadata_backend: 'parquet' }));
  if (r && r.message.length < 10_000) n++;
  t.equal(n, STRING_FIELDS.length + 1, 'every 10 MB string refused with a message under 10 kB');
  const ms = Date.now() - started;
  report(t, 'config-10mb-strings', { cases: STRING_FIELDS.length + 1, coded_errors: n, ms });
});

t.test('the same through a config file (1e999 parses to Infinity; 10 MB id; URL id)', async (t) => {
  const dir = t.testdir({});
  let n = 0;
  const cases: [string, string][] = [
    ['inf.json', JSON.stringify(base({})).replace('"resolution":512', '"resolution":1e999')],
    ['huge.json', JSON.stringify(base({ id: HUGE }))],
    ['url.json', JSON.stringify(base({ id: 'https://evil.example/x' }))],
    ['dotdot.json', JSON.stringify(base({ cache_file_suffix: '../../../tmp/x' }))],
  ];
  for (const [name, text] of cases) {
    await writeFile(join(dir, name), text);
    if (await refused(t, name, join(dir, name))) n++;
  }
  t.equal(n, cases.length, 'every hostile file refused with a coded error');
});
