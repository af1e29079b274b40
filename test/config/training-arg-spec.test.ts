// SimpleTuner's config.json and argparse semantics for every training argument tunefeed reads, table by table.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { IssueLog } from '../../lib/config/issues.js';
import { resolveArgs } from '../../lib/config/load-config.js';
import { ARG_SPECS, readCliValue, readConfigJsonValue } from '../../lib/config/training-arg-spec.js';
import { resolveTrainingArgs } from '../../lib/config/training-args.js';

type Row = [key: string, given: unknown, want: unknown];
const SKIP = Symbol('skip');
const ERR = Symbol('error');

function outcome(r: ReturnType<typeof readConfigJsonValue>): unknown {
  if ('skip' in r) return SKIP;
  if ('error' in r) return ERR;
  return r.value;
}

t.test('config.json values are read as mapping_to_cli_args + argparse read them', async (t) => {
  const rows: Row[] = [
    ['minimum_image_size', 0, null],
    ['minimum_image_size', 256, 256],
    ['minimum_image_size', '0.5', 0.5],
    ['maximum_image_size', null, SKIP],
    ['skip_file_discovery', false, 'false'],
    ['skip_file_discovery', 'false', SKIP],
    ['skip_file_discovery', '', SKIP],
    ['skip_file_discovery', 'vae aspect', 'vae aspect'],
    ['compress_disk_cache', false, false],
    ['compress_disk_cache', 'false', SKIP],
    ['compress_disk_cache', 'true', true],
    ['compress_disk_cache', 'yes', true],
    ['compress_disk_cache', 'maybe', ERR],
    ['controlnet', true, true],
    ['train_batch_size', 4, 4],
    ['train_batch_size', '4', 4],
    ['train_batch_size', 1.5, ERR],
    ['train_batch_size', 0, ERR],
    ['train_batch_size', [2, 3], 3],
    ['train_batch_size', [], SKIP],
    ['train_batch_size', true, ERR],
    ['seed', '1_000', 1000],
    ['seed', -3, -3],
    ['resolution', 1024, 1024],
    ['resolution', 1.0, 1],
    ['resolution', '0.5', 0.5],
    ['resolution', 0, ERR],
    ['resolution_type', 'pixel_area', 'pixel_area'],
    ['resolution_type', 'megapixel', ERR],
    ['aspect_bucket_alignment', 32, 32],
    ['aspect_bucket_alignment', '16', 16],
    ['aspect_bucket_alignment', 12, ERR],
    ['aspect_bucket_rounding', 3, 3],
    ['aspect_bucket_rounding', 10, ERR],
    ['caption_strategy', 'instance_prompt', 'instance_prompt'],
    ['caption_strategy', 'textfile', 'textfile'],
    ['caption_strategy', 'random', ERR],
    ['max_train_steps', 0, 0],
    ['max_train_steps', null, SKIP],
    ['num_train_epochs', 100, 100],
    ['framerate', '24', 24],
    ['framerate', 0, null],
    ['data_backend_sampling', 'uniform', 'uniform'],
    ['conditioning_multidataset_sampling', 'random', 'random'],
    ['model_flavour', 'ti2v-5b-2.2', 'ti2v-5b-2.2'],
    ['plugins', ['a', 'b'], ['a', 'b']],
    ['plugins', 'a, b', ['a', 'b']],
    ['output_dir', 'output/models', 'output/models'],
    ['output_dir', { a: 1 }, ERR],
  ];
  for (const [key, given, want] of rows) {
    const spec = ARG_SPECS[key];
    if (!spec) throw new Error(`no spec for ${key}`);
    t.same(outcome(readConfigJsonValue(spec, given)), want, `${key} ${JSON.stringify(given)}`);
  }
});

t.test('--set and Node API values are typed values or argparse strings', async (t) => {
  const rows: Row[] = [
    ['compress_disk_cache', 'false', false],
    ['compress_disk_cache', 'off', false],
    ['skip_file_discovery', '', ''],
    ['train_batch_size', '03', 3],
    ['train_batch_size', 'three', ERR],
    ['minimum_image_size', 0, null],
    ['minimum_image_size', -1, ERR],
    ['instance_prompt', null, SKIP],
    ['aspect_bucket_alignment', 64, 64],
  ];
  for (const [key, given, want] of rows) {
    const spec = ARG_SPECS[key];
    if (!spec) throw new Error(`no spec for ${key}`);
    t.same(outcome(readCliValue(spec, given)), want, `${key} ${JSON.stringify(given)}`);
  }
});

t.test('a SimpleTuner config.json with 0, false and null values resolves without errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-stargs-'));
  const file = join(dir, 'config.json');
  await writeFile(
    file,
    JSON.stringify({
      '--minimum_image_size': 0,
      '--skip_file_discovery': false,
      '--maximum_image_size': null,
      '--compress_disk_cache': 'false',
      '--caption_strategy': 'instance_prompt',
      '--model_family': ' Flux ',
      '--report_to': 'none',
      '--lr_scheduler': 'polynomial',
    }),
  );
  const log = new IssueLog();
  const a = await resolveArgs({ trainingConfig: file }, log);
  t.same(log.errors, []);
  t.match(a, {
    minimum_image_size: null,
    skip_file_discovery: 'false',
    maximum_image_size: null,
    compress_disk_cache: true,
    caption_strategy: 'instanceprompt',
    model_family: 'flux',
    report_to: 'none',
  });
});

t.test('a bad config.json value names the file, the argument and what was expected', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-stargs-'));
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify({ '--train_batch_size': 1.5 }));
  const log = new IssueLog();
  const a = await resolveArgs({ trainingConfig: file }, log);
  t.equal(a.train_batch_size, 4, "SimpleTuner's default stays");
  t.equal(log.errors.length, 1);
  t.equal(log.errors[0]?.field, 'args.train_batch_size');
  t.match(log.errors[0]?.message, `in ${file}: got 1.5 (number); expected an integer from 1 and up`);
});

t.test('a model family forces its bucket alignment with one warning', async (t) => {
  const log = new IssueLog();
  const a = resolveTrainingArgs([{ model_family: 'wan', model_flavour: 't2v-480p-1.3b-2.1' }], log);
  t.equal(a.aspect_bucket_alignment, 32);
  t.equal(log.warnings.length, 1);
  t.match(log.warnings[0]?.message, 'model_family wan requires an alignment value of 32px');
  const five = resolveTrainingArgs([{ model_family: 'wan', model_flavour: 'ti2v-5b-2.2' }], new IssueLog());
  t.equal(five.aspect_bucket_alignment, 64);
});
