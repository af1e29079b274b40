// Table-driven cases for storage blocks, video, schedules and the rules that span several datasets.
import t from 'tap';
import type { TrainingArgs } from '../../lib/config/types.js';
import { configOf, messages, run, type Entry } from '../helpers/config-run.js';

interface Case {
  name: string;
  entries: Entry[];
  args?: Partial<TrainingArgs>;
  error?: [id: string | null, field: string, text: string];
  warning?: string;
  expect?: [id: string, fields: Entry];
  /** Exact number of warnings expected. */
  warningCount?: number;
}

const text = (extra: Entry = {}): Entry => ({ id: 'text', dataset_type: 'text_embeds', ...extra });
const img = (id: string, extra: Entry = {}): Entry => ({ id, instance_data_dir: `/d/${id}`, ...extra });
const aws = {
  type: 'aws',
  aws_bucket_name: 'b',
  aws_access_key_id: 'AKIDEXAMPLE',
  aws_secret_access_key: 'sekrit-value',
};
const csv = { type: 'csv', csv_file: '/d/list.csv', csv_cache_dir: '/d/cache/', csv_caption_column: 'caption' };
const hf = { type: 'huggingface', dataset_name: 'org/set' };

const cases: Case[] = [
  // AWS
  {
    name: 'aws defaults',
    entries: [text(), { id: 'a', ...aws }],
    expect: [
      'a',
      {
        instance_data_dir: '',
        aws: {
          aws_bucket_name: 'b',
          aws_region_name: 'us-east-1',
          aws_endpoint_url: null,
          aws_data_prefix: '',
          aws_max_pool_connections: 128,
          aws_checksum_mode: 'WHEN_SUPPORTED',
        },
      },
    ],
  },
  {
    name: 'aws endpoint → WHEN_REQUIRED',
    entries: [
      text(),
      {
        id: 'a',
        ...aws,
        aws_endpoint_url: 'http://127.0.0.1:9000',
        aws_data_prefix: 'imgs/',
        aws_max_pool_connections: 256,
      },
    ],
    expect: [
      'a',
      { instance_data_dir: 'imgs/', aws: { aws_checksum_mode: 'WHEN_REQUIRED', aws_max_pool_connections: 256 } },
    ],
  },
  {
    name: 'aws explicit checksum',
    entries: [text(), { id: 'a', ...aws, aws_endpoint_url: 'http://x', aws_checksum_mode: 'WHEN_SUPPORTED' }],
    expect: ['a', { aws: { aws_checksum_mode: 'WHEN_SUPPORTED' } }],
  },
  {
    name: 'aws credentials redacted',
    entries: [text(), { id: 'a', ...aws }],
    expect: ['a', { aws: { aws_access_key_id: '[REDACTED]', aws_secret_access_key: '[REDACTED]' } }],
  },
  {
    name: 'aws missing keys',
    entries: [text(), { id: 'a', type: 'aws', aws_bucket_name: 'b' }],
    error: [
      'a',
      'aws_access_key_id',
      "Missing required AWS configuration keys: ['aws_access_key_id', 'aws_secret_access_key']",
    ],
  },
  {
    name: 'aws block fallback',
    entries: [
      text(),
      {
        id: 'a',
        type: 'aws',
        aws: { aws_bucket_name: 'b', aws_access_key_id: 'k1234', aws_secret_access_key: 's1234' },
      },
    ],
    expect: ['a', { aws: { aws_bucket_name: 'b' } }],
  },
  {
    name: 'text embeds on aws',
    entries: [text(aws), img('i')],
    expect: ['text', { type: 'aws', aws: { aws_bucket_name: 'b' } }],
  },
  {
    name: 'aws keys on a local dataset warn',
    entries: [text(), img('i', { aws_bucket_name: 'b', aws_data_prefix: 'x/' })],
    warning:
      "aws_bucket_name, aws_data_prefix are ignored: they apply to type='aws', but this dataset has type='local'.",
  },
  // CSV
  {
    name: 'csv defaults',
    entries: [text(), { id: 'c', ...csv }],
    expect: [
      'c',
      {
        caption_strategy: 'csv',
        instance_data_dir: '/d/cache',
        csv: { csv_url_column: 'url', csv_cache_dir: '/d/cache' },
      },
    ],
  },
  {
    name: 'csv missing keys',
    entries: [text(), { id: 'c', type: 'csv' }],
    error: ['c', 'csv_file', 'Missing required CSV configuration keys: csv_file, csv_cache_dir, csv_caption_column'],
  },
  {
    name: 'csv wrong caption strategy',
    entries: [text(), { id: 'c', ...csv, caption_strategy: 'filename' }],
    error: ['c', 'caption_strategy', "CSV backend requires a caption_strategy of 'csv'."],
  },
  {
    name: 'csv strategy on local',
    entries: [text(), img('i', { caption_strategy: 'csv' })],
    error: ['i', 'caption_strategy', "caption_strategy='csv' can only be used with type='csv' backends."],
  },
  {
    name: 'text embeds on csv',
    entries: [text({ type: 'csv' }), img('i')],
    error: ['text', 'type', 'Cannot use CSV backend for text embed storage.'],
  },
  {
    name: 'image embeds on csv',
    entries: [text(), { id: 'ie', dataset_type: 'image_embeds', type: 'csv' }, img('i')],
    error: ['ie', 'type', 'Cannot use CSV backend for image embed storage.'],
  },
  // Hugging Face
  {
    name: 'hf defaults',
    entries: [text(), { id: 'h', ...hf }],
    expect: [
      'h',
      {
        metadata_backend: 'huggingface',
        caption_strategy: 'huggingface',
        instance_data_dir: '',
        huggingface: {
          dataset_name: 'org/set',
          split: 'train',
          image_column: 'image',
          video_column: 'video',
          caption_column: 'caption',
          cache_dir: 'cache/huggingface/h',
          num_proc: 16,
          streaming: false,
        },
      },
    ],
  },
  {
    name: 'hf block columns win',
    entries: [
      text(),
      { id: 'h', ...hf, caption_column: 'top', huggingface: { caption_column: ['a', 'b'], width_column: 'w' } },
    ],
    expect: ['h', { huggingface: { caption_column: ['a', 'b'], width_column: 'w' } }],
  },
  {
    name: 'hf needs dataset_name',
    entries: [text(), { id: 'h', type: 'huggingface' }],
    error: ['h', 'dataset_name', 'dataset_name is required for HuggingFace backends.'],
  },
  {
    name: 'hf caption strategy',
    entries: [text(), { id: 'h', ...hf, caption_strategy: 'filename' }],
    error: [
      'h',
      'caption_strategy',
      "When using a huggingface data backend, caption_strategy must be set to 'huggingface'.",
    ],
  },
  {
    name: 'hf instanceprompt ok',
    entries: [text(), { id: 'h', ...hf, caption_strategy: 'instanceprompt', instance_prompt: 'x' }],
    expect: ['h', { caption_strategy: 'instanceprompt' }],
  },
  {
    name: 'hf metadata backend',
    entries: [text(), { id: 'h', ...hf, metadata_backend: 'discovery' }],
    error: [
      'h',
      'metadata_backend',
      "When using a huggingface data backend, metadata_backend must be set to 'huggingface'.",
    ],
  },
  // video
  {
    name: 'video defaults',
    entries: [text(), img('v', { dataset_type: 'video' })],
    warning: 'video->max_frames is not set',
    expect: [
      'v',
      {
        video: { num_frames: null, min_frames: null, max_frames: null, is_i2v: false, bucket_strategy: 'aspect_ratio' },
      },
    ],
  },
  {
    name: 'video framerate default',
    entries: [text(), img('v', { dataset_type: 'video', video: { max_frames: 300 } })],
    args: { framerate: 25 },
    expect: ['v', { video: { num_frames: 125, min_frames: 125, max_frames: 300 } }],
  },
  {
    name: 'video ltx i2v',
    entries: [text(), img('v', { dataset_type: 'video', video: { num_frames: 49 } })],
    args: { model_family: 'ltxvideo' },
    expect: ['v', { video: { is_i2v: true } }],
  },
  {
    name: 'video min < num',
    entries: [text(), img('v', { dataset_type: 'video', video: { num_frames: 49, min_frames: 10 } })],
    error: [
      'v',
      'video.min_frames',
      'video->min_frames must be greater than or equal to video->num_frames. Received min_frames=10 and num_frames=49.',
    ],
  },
  {
    name: 'video non-integer',
    entries: [text(), img('v', { dataset_type: 'video', video: { num_frames: 4.5 } })],
    error: ['v', 'video', 'video->min_frames and video->num_frames must be integers.'],
  },
  {
    name: 'video zero',
    entries: [text(), img('v', { dataset_type: 'video', video: { num_frames: 0 } })],
    error: ['v', 'video', 'must be greater than 0'],
  },
  {
    name: 'video block on image',
    entries: [text(), img('i', { video: { num_frames: 3 } })],
    warning: "The video block is ignored for dataset_type 'image'",
  },
  // schedules
  {
    name: 'end_epoch < start',
    entries: [text(), img('i'), img('j', { start_epoch: 3, end_epoch: 2 })],
    error: ['j', 'end_epoch', '(id=j) end_epoch (2) must be >= start_epoch (3).'],
  },
  {
    name: 'end_step < start',
    entries: [text(), img('i'), img('j', { start_step: 100, end_step: 50 })],
    error: ['j', 'end_step', '(id=j) end_step (50) must be >= start_step (100).'],
  },
  {
    name: 'end_step check needs start_step',
    entries: [text(), img('i', { end_step: 0 })],
    expect: ['i', { end_step: null }],
  },
  {
    name: 'nobody starts',
    entries: [text(), img('i', { start_epoch: 2 }), img('j', { start_step: 500 })],
    error: [null, 'start_epoch', 'At least one dataset must be available at the start of training.'],
  },
  {
    name: 'start after end of training',
    entries: [text(), img('i'), img('j', { start_epoch: 5 })],
    args: { num_train_epochs: 3 },
    warning: '(id=j) Scheduled to start at epoch 5, but training ends at epoch 3. It will never sample.',
  },
  {
    name: 'non-numeric start',
    entries: [text(), img('i', { start_epoch: 'abc' })],
    warning: 'start_epoch "abc" is not a number',
    expect: ['i', { start_epoch: 1 }],
  },
  // links and defaults
  {
    name: 'auto default text embeds',
    entries: [text(), { id: 't2', dataset_type: 'text_embeds', cache_dir: '/c/t2' }, img('i')],
    warning: 'Marking text embed backend text as default.',
    expect: ['text', { default: true }],
  },
  {
    name: 'link filled with default',
    entries: [{ id: 't0', dataset_type: 'text_embeds', cache_dir: '/c/t0' }, text({ default: true }), img('i')],
    expect: ['i', { text_embeds: 'text' }],
  },
  {
    name: 'two defaults',
    entries: [
      text({ default: true }),
      { id: 't2', dataset_type: 'text_embeds', default: true, cache_dir: '/c/2' },
      img('i'),
    ],
    error: ['t2', 'default', 'Only one text embed backend can be marked as default.'],
  },
  {
    name: 'unknown text embeds',
    entries: [text(), img('i', { text_embeds: 'nope' })],
    error: ['i', 'text_embeds', 'Text embed backend nope not found in data backend config file.'],
  },
  {
    name: 'text_embed_cache alias',
    entries: [text(), img('i', { text_embed_cache: 'text' })],
    expect: ['i', { text_embeds: 'text' }],
  },
  {
    name: 'unknown image embeds',
    entries: [text(), img('i', { image_embeds: 'nope' })],
    error: ['i', 'image_embeds', 'Could not find image embed backend ID in multidatabackend config: nope'],
  },
  {
    name: 'image embeds link',
    entries: [text(), { id: 'ie', dataset_type: 'image_embeds' }, img('i', { image_embeds: 'ie' })],
    expect: ['i', { image_embeds: 'ie' }],
  },
  {
    name: 'unknown conditioning_data',
    entries: [text(), img('i', { conditioning_data: ['c1'] })],
    error: ['i', 'conditioning_data', "Conditioning data backend c1 not found in data backend list: {'i'}."],
  },
  {
    name: 'duplicate ids',
    entries: [text(), img('i'), img('i', { instance_data_dir: '/d/other' })],
    error: ['i', 'id', "Each dataset needs a unique 'id' field."],
  },
  {
    name: 'shared vae cache',
    entries: [text(), img('i', { cache_dir_vae: '/c/v' }), img('j', { cache_dir_vae: '/c/v' })],
    error: [
      'j',
      'cache_dir_vae',
      'VAE image embed cache directory /c/v is the same as another VAE image embed cache directory.',
    ],
  },
  {
    name: 'vae = text cache',
    entries: [text({ cache_dir: '/c/t' }), img('i', { cache_dir_vae: '/c/t' })],
    error: [
      'i',
      'cache_dir_vae',
      'VAE image embed cache directory /c/t is the same as the text embed cache directory.',
    ],
  },
  {
    name: 'shared text cache',
    entries: [text({ default: true }), { id: 't2', dataset_type: 'text_embeds' }, img('i')],
    error: ['t2', 'cache_dir', 'is the same as the one of text embed backend text'],
  },
  {
    name: 'S3 text caches at the root of two different buckets do not share a cache',
    entries: [
      text({ ...aws, default: true, aws_data_prefix: '' }),
      { id: 't2', dataset_type: 'text_embeds', ...aws, aws_bucket_name: 'other', aws_data_prefix: '' },
      img('i'),
    ],
    expect: ['t2', { cache_dir: '' }],
  },
  {
    name: 'S3 text caches at the same prefix of one bucket share a cache',
    entries: [
      text({ ...aws, default: true, aws_data_prefix: 'te' }),
      { id: 't2', dataset_type: 'text_embeds', ...aws, cache_dir: 'x', aws_data_prefix: 'te' },
      img('i'),
    ],
    error: ['t2', 'cache_dir', 'is the same as the one of text embed backend text'],
  },
  {
    name: 'no text embeds warns, naming only what is missing',
    entries: [img('i')],
    warning: 'must contain at least a text_embed dataset',
  },
  {
    name: 'no primary dataset',
    entries: [text()],
    error: [null, 'dataset_type', 'must contain at least one primary dataset'],
  },
  {
    name: 'controlnet needs conditioning',
    entries: [text(), img('i')],
    args: { controlnet: true },
    error: [
      'i',
      'conditioning_data',
      'When training ControlNet, a conditioning block or conditioning_data string should be configured',
    ],
  },
  {
    name: 'controlnet satisfied',
    entries: [text(), img('i', { conditioning_data: 'c' }), img('c', { conditioning_type: 'controlnet' })],
    args: { controlnet: true },
    expect: ['c', { dataset_type: 'conditioning' }],
  },
  {
    name: 'strict needs source',
    entries: [text(), img('i'), img('m', { conditioning_type: 'mask' })],
    error: ['m', 'source_dataset_id', 'Could not find source dataset for strict conditioning alignment.'],
  },
  {
    name: 'strict with source',
    entries: [text(), img('i'), img('m', { conditioning_type: 'reference_strict', source_dataset_id: 'i' })],
    expect: ['m', { source_dataset_id: 'i' }],
  },
  {
    name: 'unknown source',
    entries: [text(), img('i', { source_dataset_id: 'zz' })],
    error: ['i', 'source_dataset_id', "source_dataset_id 'zz' does not name a dataset"],
  },
  {
    name: 'conditioning geometry follows its main dataset',
    entries: [
      text(),
      img('i', { conditioning_data: 'c', resolution: 768, resolution_type: 'pixel' }),
      img('c', { conditioning_type: 'controlnet', resolution: 512, resolution_type: 'pixel' }),
    ],
    warning: 'resolution 512 is replaced by 768 from dataset i',
    expect: ['c', { resolution: 768, resolution_type: 'pixel' }],
  },
  {
    name: 'caption dropout 0 warns',
    entries: [text(), img('i')],
    args: { caption_dropout_probability: 0 },
    warning: 'Not using caption dropout',
  },
  {
    name: 'caption_filter_list on image embeds',
    entries: [text(), { id: 'ie', dataset_type: 'image_embeds', caption_filter_list: ['x'] }, img('i')],
    error: [
      'ie',
      'caption_filter_list',
      'caption_filter_list is only a valid setting for text datasets. ' +
        'It is currently set for the image_embeds dataset ie.',
    ],
  },
  {
    name: 'image keys on text embeds warn',
    entries: [text({ crop: true, write_batch_size: 4 }), img('i')],
    warning: '`crop` has no effect on a text_embeds dataset.',
    expect: ['text', { extra: { write_batch_size: 4 } }],
  },
  {
    name: 'caption_filter_list on text',
    entries: [text({ caption_filter_list: ['a', 's/b/c/'] }), img('i')],
    expect: ['text', { caption_filter_list: ['a', 's/b/c/'] }],
  },
  {
    name: 'text_cache_disable implies ondemand',
    entries: [text({ text_cache_disable: true }), img('i')],
    expect: ['text', { text_cache_disable: true, text_cache_ondemand: true }],
  },
  {
    name: 'disabled entries dropped',
    warningCount: 1,
    entries: [
      text(),
      img('i'),
      img('off', { disable: 'True', crop_aspect: 'bogus', disable_vae_cache: true, typo_key: 1 }),
    ],
    expect: ['i', { id: 'i' }],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = await run(c.entries, { args: c.args ?? {} });
    if (c.error) {
      const [id, field, text] = c.error;
      t.notOk(r.ok, 'fails');
      t.ok(
        r.errors.some((e) => e.id === id && e.field === field && e.message.includes(text)),
        `error ${id}/${field}: ${text}\n got:\n${messages(r)}`,
      );
    } else {
      t.ok(r.ok, `valid; errors:\n${messages(r)}`);
    }
    if (c.warning)
      t.ok(
        r.warnings.some((w) => w.message.includes(c.warning!)),
        `warning ${c.warning}\n got:\n${messages(r, 'warnings')}`,
      );
    if (c.expect) t.match(configOf(r, c.expect[0]), c.expect[1]);
    if (c.warningCount !== undefined) t.equal(r.warnings.length, c.warningCount, messages(r, 'warnings'));
  });
}

t.test('all errors of a file in one run', async (t) => {
  const r = await run([
    text({ type: 'csv' }),
    img('a', { crop_aspect: 'bad', train_batch_size: 0, probability: -2 }),
    img('b', { crop_style: 'x', resolution_type: 'y', caption_shuffle: 'z' }),
  ]);
  t.notOk(r.ok);
  const fields = r.errors.map((e) => `${e.id}:${e.field}`).sort();
  t.same(
    fields,
    [
      'a:crop_aspect',
      'a:probability',
      'a:train_batch_size',
      'b:caption_shuffle',
      'b:crop_style',
      'b:resolution_type',
      'text:type',
    ].sort(),
  );
});

t.test('disabled datasets disappear, order follows dependencies', async (t) => {
  const r = await run([
    text(),
    img('cond', { conditioning_type: 'controlnet' }),
    img('main', { conditioning_data: 'cond' }),
    img('off', { disabled: 'true' }),
  ]);
  t.ok(r.ok, messages(r));
  t.same(
    r.datasets.map((d) => d.id),
    ['text', 'main', 'cond'],
  );
});
