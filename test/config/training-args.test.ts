// Training arguments: SimpleTuner defaults, --set parsing, config.json with or without leading dashes, precedence.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { IssueLog } from '../../lib/config/issues.js';
import { resolveArgs } from '../../lib/config/load-config.js';
import {
  defaultTrainingArgs,
  normaliseArgKey,
  parseSetPairs,
  resolveTrainingArgs,
} from '../../lib/config/training-args.js';

t.test('defaults match SimpleTuner', async (t) => {
  const a = resolveTrainingArgs([], new IssueLog());
  t.match(a, {
    resolution: 1024,
    resolution_type: 'pixel_area',
    aspect_bucket_alignment: 64,
    aspect_bucket_rounding: 2,
    caption_strategy: 'filename',
    data_backend_sampling: 'auto-weighting',
    train_batch_size: 4,
    gradient_accumulation_steps: 1,
    compress_disk_cache: true,
    dataloader_prefetch_qlen: 10,
    seed: 42,
    output_dir: 'simpletuner-results',
    cache_dir: 'simpletuner-results/cache',
    metadata_update_interval: 3600,
    cache_dir_text: 'cache',
    cache_dir_vae: '',
  });
  t.not(defaultTrainingArgs(), defaultTrainingArgs(), 'fresh object each call');
});

t.test('cache_dir derives from output_dir; cache_dir_text and cache_dir_vae keep SimpleTuner defaults', async (t) => {
  const a = resolveTrainingArgs([{ output_dir: '/o', model_family: 'flux' }], new IssueLog());
  t.equal(a.cache_dir, '/o/cache');
  t.equal(a.cache_dir_vae, '');
  t.equal(a.cache_dir_text, 'cache');
  const b = resolveTrainingArgs([{ cache_dir_vae: '/v', cache_dir_text: '/t' }], new IssueLog());
  t.equal(b.cache_dir_vae, '/v');
  t.equal(b.cache_dir_text, '/t');
});

t.test('--set parsing: JSON when possible, raw string otherwise, dashes normalised', async (t) => {
  const log = new IssueLog();
  t.same(parseSetPairs(['resolution=512', 'model_family=flux', '--crop-x=true', 'list=[1,2]', 'eq=a=b', 'bad'], log), {
    resolution: 512,
    model_family: 'flux',
    crop_x: true,
    list: [1, 2],
    eq: 'a=b',
  });
  t.equal(log.errors.length, 1);
  t.match(log.errors[0]?.message, 'key=value');
  t.equal(normaliseArgKey('--train-batch-size'), 'train_batch_size');
});

t.test('string values of known args are coerced; bad values reported and defaulted', async (t) => {
  const log = new IssueLog();
  const a = resolveTrainingArgs(
    [
      {
        resolution: '512',
        compress_disk_cache: 'false',
        instance_prompt: 'a cat',
        seed: 'x',
        aspect_bucket_alignment: 7,
      },
    ],
    log,
  );
  t.equal(a.resolution, 512);
  t.equal(a.compress_disk_cache, false);
  t.equal(a.instance_prompt, 'a cat', 'strings that fit stay strings');
  t.equal(a.seed, 42);
  t.equal(a.aspect_bucket_alignment, 64);
  t.same(log.errors.map((e) => e.field).sort(), ['args.aspect_bucket_alignment', 'args.seed']);
});

t.test('precedence: defaults < training config < args < --set', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-args-'));
  const file = join(dir, 'config.json');
  await writeFile(
    file,
    JSON.stringify({
      '--resolution': 768,
      '--seed': '7',
      model_family: 'sdxl',
      '--output_dir': '/out',
      '--train_batch_size': 2,
    }),
  );
  const log = new IssueLog();
  const a = await resolveArgs({ trainingConfig: file, args: { train_batch_size: 3 }, set: ['seed=9'] }, log);
  t.match(a, { resolution: 768, seed: 9, model_family: 'sdxl', output_dir: '/out', train_batch_size: 3 });
  t.same(log.errors, []);
});

t.test('training config problems are issues, not exceptions', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-args-'));
  const arr = join(dir, 'arr.json');
  await writeFile(arr, '[1]');
  const log = new IssueLog();
  await resolveArgs({ trainingConfig: join(dir, 'missing.json') }, log);
  await resolveArgs({ trainingConfig: arr }, log);
  t.match(
    log.errors.map((e) => e.message),
    [/file not found/, /must be a JSON object, got array/],
  );
});
