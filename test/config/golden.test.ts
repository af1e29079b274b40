// Golden configs after SimpleTuner's factory_golden set: expected order, normalised fields and exact errors.
import { join } from 'node:path';
import t from 'tap';
import { validateConfig, type ValidationResult } from '../../lib/config/load-config.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'configs');
const load = (name: string, set: string[] = [], env: Record<string, string> = {}): Promise<ValidationResult> =>
  validateConfig(join(dir, name), { checkPaths: false, set, env });
const cfg = (r: ValidationResult, id: string): Record<string, unknown> =>
  r.datasets.find((d) => d.id === id)?.config ?? {};

t.test('minimal local', async (t) => {
  const r = await load('minimal_local.json', ['model_family=sdxl']);
  t.ok(r.ok, JSON.stringify(r.errors));
  t.same(
    r.datasets.map((d) => [d.id, d.dataset_type]),
    [
      ['captions', 'text_embeds'],
      ['photos', 'image'],
    ],
  );
  t.match(cfg(r, 'photos'), {
    type: 'local',
    instance_data_dir: '/srv/data/photos',
    resolution: 1.048576,
    resolution_type: 'area',
    crop: false,
    crop_aspect: 'square',
    caption_strategy: 'filename',
    metadata_backend: 'discovery',
    text_embeds: 'captions',
    cache_dir_vae: 'simpletuner-results/cache/vae/sdxl/photos',
    train_batch_size: 4,
    probability: 1,
    repeats: 0,
  });
  t.same(r.warnings, []);
});

t.test('multi-backend dependencies sort like SimpleTuner', async (t) => {
  const r = await load('multi_backend_dependencies.json');
  t.ok(r.ok, JSON.stringify(r.errors));
  t.same(
    r.datasets.map((d) => d.id),
    ['text_embeds_primary', 'text_embeds_secondary', 'main_dataset', 'conditioning_dataset', 'secondary_dataset'],
  );
  t.match(cfg(r, 'main_dataset'), {
    conditioning_data: ['conditioning_dataset'],
    probability: 0.7,
    repeats: 3,
    text_embeds: 'text_embeds_primary',
  });
  t.match(cfg(r, 'secondary_dataset'), { text_embeds: 'text_embeds_secondary', probability: 0.3 });
});

t.test('controlnet', async (t) => {
  const r = await load('controlnet.json', ['controlnet=true']);
  t.ok(r.ok, JSON.stringify(r.errors));
  t.same(
    r.datasets.map((d) => [d.id, d.dataset_type]),
    [
      ['text', 'text_embeds'],
      ['art', 'image'],
      ['canny_maps', 'conditioning'],
    ],
  );
  t.match(cfg(r, 'art'), { resolution: 1024, resolution_type: 'pixel', crop: true });
});

t.test('csv', async (t) => {
  const r = await load('csv.json');
  t.ok(r.ok, JSON.stringify(r.errors));
  t.match(cfg(r, 'web_images'), {
    type: 'csv',
    caption_strategy: 'csv',
    instance_data_dir: '/srv/cache/web',
    probability: 0.8,
    repeats: 2,
    csv: {
      csv_file: '/srv/lists/images.csv',
      csv_cache_dir: '/srv/cache/web',
      csv_url_column: 'image_url',
      csv_caption_column: 'alt_text',
    },
  });
});

t.test('aws: credentials redacted, checksum WHEN_REQUIRED for a custom endpoint', async (t) => {
  const r = await load('aws.json');
  t.ok(r.ok, JSON.stringify(r.errors));
  t.match(cfg(r, 'bucket_images'), {
    type: 'aws',
    instance_data_dir: 'sets/v1/',
    crop_aspect: 'preserve',
    aws: {
      aws_bucket_name: 'training-images',
      aws_region_name: 'eu-west-1',
      aws_endpoint_url: 'http://127.0.0.1:9000',
      aws_access_key_id: '[REDACTED]',
      aws_secret_access_key: '[REDACTED]',
      aws_checksum_mode: 'WHEN_REQUIRED',
      aws_max_pool_connections: 128,
    },
  });
  const printed = JSON.stringify({ datasets: r.datasets, errors: r.errors, warnings: r.warnings });
  t.notOk(printed.includes('fixture-secret-do-not-print'), 'not in the printable result');
  t.equal(
    (r.loaded?.datasets[1] as { aws?: { aws_secret_access_key: string } }).aws?.aws_secret_access_key,
    'fixture-secret-do-not-print',
    'the engine still gets it',
  );
});

t.test('huggingface: columns from the huggingface block', async (t) => {
  const r = await load('huggingface.json');
  t.ok(r.ok, JSON.stringify(r.errors));
  t.match(cfg(r, 'hub_images'), {
    type: 'huggingface',
    metadata_backend: 'huggingface',
    caption_strategy: 'huggingface',
    instance_data_dir: '',
    huggingface: {
      dataset_name: 'someone/pictures',
      split: 'train',
      revision: 'main',
      image_column: 'jpg',
      caption_column: 'caption',
      width_column: 'width',
      height_column: 'height',
      cache_dir: '/srv/cache/hf',
      streaming: true,
    },
  });
});

t.test('invalid crop_aspect', async (t) => {
  const r = await load('error_invalid_crop_aspect.json');
  t.notOk(r.ok);
  t.same(r.errors, [
    {
      id: 'bad_crop',
      field: 'crop_aspect',
      message: "(id=bad_crop) crop_aspect must be one of ['square', 'preserve', 'random', 'closest'], got \"wide\".",
    },
  ]);
});

t.test('missing aws fields', async (t) => {
  const r = await load('error_missing_aws_fields.json');
  t.notOk(r.ok);
  t.same(r.errors, [
    {
      id: 'half_configured_s3',
      field: 'aws_access_key_id',
      message:
        '(id=half_configured_s3) Missing required AWS configuration keys: ' +
        "['aws_access_key_id', 'aws_secret_access_key']",
    },
  ]);
  t.ok(r.warnings.some((w) => w.message === 'Your dataloader config must contain at least a text_embed dataset'));
});

t.test('variable filling (the verified example) in nested values', async (t) => {
  const r = await load('variables.json', ['output_dir=/out', 'model_family=flux'], { TF_DATA_ROOT: '/data' });
  t.ok(r.ok, JSON.stringify(r.errors));
  t.match(cfg(r, 'ds1'), {
    cache_dir_vae: '/out/cache/flux/ds1/{unknown}',
    instance_data_dir: '/data/ds1',
    parquet: { path: '/data/ds1.parquet' },
  });
  t.match(cfg(r, 'text'), { cache_dir: '/out/cache/text/flux' });
});

t.test('every error of a broken file in one run', async (t) => {
  const r = await load('many_errors.json');
  t.notOk(r.ok);
  const got = r.errors.map((e) => `${e.id}:${e.field}`);
  for (const want of [
    'text:type',
    'a:crop',
    'a:crop_aspect_buckets',
    'a:train_batch_size',
    'a:resolution_type',
    'a:probability',
    'a:disable_vae_cache',
    'a:crop_style',
    'a:instance_prompt',
    'a:end_epoch',
    'a:id',
    'null:id',
  ]) {
    t.ok(got.includes(want), `${want} reported; got ${got.join(', ')}`);
  }
});
