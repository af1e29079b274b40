// Table-driven cases for every per-dataset field rule of reference §3 (defaults, aliases, messages).
import t from 'tap';
import type { TrainingArgs } from '../../lib/config/types.js';
import { configOf, messages, run, withImage, type Entry } from '../helpers/config-run.js';

interface Case {
  name: string;
  img: Entry;
  args?: Partial<TrainingArgs>;
  env?: Record<string, string>;
  /** Extra entries after `img`. */
  more?: Entry[];
  /** Substring of an error message (and its field) that must be reported. */
  error?: [field: string, text: string];
  /** Substring of a warning that must be reported. */
  warning?: string;
  /** Fields of the built `img` config (the run must succeed). */
  expect?: Entry;
}

const BUCKET_MSG = 'crop_aspect_buckets must be a list of float values or a list of dictionaries';
const cases: Case[] = [
  // identity and type
  {
    name: 'defaults',
    img: {},
    expect: {
      type: 'local',
      dataset_type: 'image',
      crop: false,
      crop_aspect: 'square',
      crop_style: 'random',
      repeats: 0,
      probability: 1,
      train_batch_size: 4,
      metadata_backend: 'discovery',
      caption_strategy: 'filename',
      compress_cache: true,
      cache_file_suffix: 'img',
      start_epoch: 1,
      start_step: 0,
      end_epoch: null,
    },
  },
  { name: 'id with a slash', img: { id: '../etc' }, error: ['id', "must not contain '/'"] },
  { name: 'empty id', img: { id: '' }, error: ['id', "Each dataset needs a unique 'id' field."] },
  {
    name: 'unknown type',
    img: { type: 'ftp' },
    error: ['type', "Unknown backend type: ftp. Supported types: ['local', 'aws', 'csv', 'huggingface']"],
  },
  {
    name: 'memory type on an image dataset',
    img: { type: 'memory' },
    error: ['type', "Memory backends only support dataset_type='text_embeds' or 'image_embeds'."],
  },
  { name: 'webshart type', img: { type: 'webshart' }, error: ['type', "type 'webshart' is not supported by tunefeed"] },
  {
    name: 'unknown dataset_type',
    img: { dataset_type: 'bogus' },
    error: ['dataset_type', 'Unknown dataset_type: bogus'],
  },
  {
    name: 'audio dataset_type validates and is not streamed',
    img: { dataset_type: 'audio' },
    warning: 'tunefeed validates but does not stream img (audio)',
  },
  { name: 'dataset_type case', img: { dataset_type: ' IMAGE ' }, expect: { dataset_type: 'image' } },
  {
    name: 'local needs a dir',
    img: { instance_data_dir: undefined },
    error: ['instance_data_dir', 'A local backend requires instance_data_dir be defined'],
  },
  { name: 'trailing slash stripped', img: { instance_data_dir: '/data/x/' }, expect: { instance_data_dir: '/data/x' } },
  {
    name: 'instance_data_root alias',
    img: { instance_data_dir: undefined, instance_data_root: '/data/r' },
    expect: { instance_data_dir: '/data/r' },
  },
  // resolution
  { name: 'pixel_area default', img: {}, expect: { resolution: 1.048576, resolution_type: 'area' } },
  {
    name: 'pixel_area sizes',
    img: {
      resolution: 1024,
      resolution_type: 'pixel_area',
      maximum_image_size: 1536,
      target_downsample_size: 1280,
      minimum_image_size: 512,
    },
    expect: {
      resolution: 1.048576,
      maximum_image_size: 2.359296,
      target_downsample_size: 1.6384,
      minimum_image_size: 0.262144,
    },
  },
  {
    name: 'pixel_area zero size kept',
    img: { resolution_type: 'pixel_area', minimum_image_size: 0 },
    expect: { minimum_image_size: 0 },
  },
  {
    name: 'pixel kept',
    img: { resolution: 768, resolution_type: 'pixel' },
    expect: { resolution: 768, resolution_type: 'pixel' },
  },
  { name: 'area inherits converted args', img: { resolution_type: 'area' }, expect: { resolution: 1.048576 } },
  {
    name: 'pixel inherits args edge',
    img: { resolution_type: 'pixel' },
    args: { resolution: 512 },
    expect: { resolution: 512 },
  },
  {
    name: 'args area mode',
    img: {},
    args: { resolution: 1, resolution_type: 'area' },
    expect: { resolution: 1, resolution_type: 'area' },
  },
  {
    name: 'bad resolution_type',
    img: { resolution_type: 'megapixel' },
    error: ['resolution_type', "(id=img) resolution_type must be one of ['pixel', 'area', 'pixel_area']"],
  },
  {
    name: 'resolution string',
    img: { resolution: '1024' },
    error: ['resolution', 'Expected `resolution` to be a number > 0'],
  },
  {
    name: 'max needs target',
    img: { resolution_type: 'area', resolution: 1, maximum_image_size: 5 },
    error: ['target_downsample_size', 'you must also provide a value for `target_downsample_size`'],
  },
  {
    name: 'max area >= 20',
    img: { resolution_type: 'area', resolution: 1, maximum_image_size: 20, target_downsample_size: 5 },
    error: ['maximum_image_size', 'maximum_image_size must be less than 20 megapixels'],
  },
  {
    name: 'max area override env',
    img: { resolution_type: 'area', resolution: 1, maximum_image_size: 20, target_downsample_size: 5 },
    env: { SIMPLETUNER_MAXIMUM_IMAGE_SIZE_OVERRIDE: '1' },
    expect: { maximum_image_size: 20 },
  },
  {
    name: 'target area >= 20',
    img: { resolution_type: 'area', resolution: 1, maximum_image_size: 10, target_downsample_size: 30 },
    error: ['target_downsample_size', 'target_downsample_size must be less than 20 megapixels'],
  },
  {
    name: 'max pixel < 512',
    img: { resolution_type: 'pixel', resolution: 1024, maximum_image_size: 256, target_downsample_size: 600 },
    error: ['maximum_image_size', 'maximum_image_size must be at least 512 pixels'],
  },
  {
    name: 'max pixel < 512 deepfloyd',
    img: { resolution_type: 'pixel', resolution: 64, maximum_image_size: 256, target_downsample_size: 128 },
    args: { model_family: 'deepfloyd' },
    expect: { maximum_image_size: 256 },
  },
  {
    name: 'minimum area > 5',
    img: { resolution_type: 'area', resolution: 1, minimum_image_size: 6 },
    error: ['minimum_image_size', 'which means this value is most likely too large. Please use a value less than 5.'],
  },
  {
    name: 'aspect ratio 0 is off',
    img: { minimum_aspect_ratio: 0, maximum_aspect_ratio: 2 },
    expect: { minimum_aspect_ratio: null, maximum_aspect_ratio: 2 },
  },
  // crop
  {
    name: 'bad crop_aspect',
    img: { crop_aspect: 'invalid_value' },
    error: ['crop_aspect', "(id=img) crop_aspect must be one of ['square', 'preserve', 'random', 'closest']"],
  },
  {
    name: 'bad crop_style',
    img: { crop_style: 'invalid_value' },
    error: ['crop_style', "(id=img) crop_style must be one of ['random', 'corner', 'center', 'centre', 'face']"],
  },
  {
    name: 'random needs buckets',
    img: { crop_aspect: 'random' },
    error: ['crop_aspect_buckets', "crop_aspect_buckets must be provided when crop_aspect is set to 'random'"],
  },
  {
    name: 'closest needs buckets',
    img: { crop_aspect: 'closest', crop_aspect_buckets: [] },
    error: ['crop_aspect_buckets', "crop_aspect_buckets must be provided when crop_aspect is set to 'closest'"],
  },
  {
    name: 'bucket strings',
    img: { crop_aspect: 'random', crop_aspect_buckets: ['invalid', 1.0] },
    error: ['crop_aspect_buckets', BUCKET_MSG],
  },
  {
    name: 'bucket floats',
    img: { crop_aspect: 'random', crop_aspect_buckets: [1.0, 1.5, 2.0] },
    expect: { crop_aspect_buckets: [1, 1.5, 2] },
  },
  {
    name: 'bucket dicts',
    img: {
      crop_aspect: 'random',
      crop_aspect_buckets: [
        { aspect: 1, weight: 0.1 },
        { aspect: 1.5, weight: 0.2 },
        { aspect: 0.75, weight: 0.7 },
      ],
    },
    expect: {
      crop_aspect_buckets: [
        { aspect: 1, weight: 0.1 },
        { aspect: 1.5, weight: 0.2 },
        { aspect: 0.75, weight: 0.7 },
      ],
    },
  },
  {
    name: 'bucket aspect_bucket alias',
    img: {
      crop_aspect: 'closest',
      crop_aspect_buckets: [
        { aspect_bucket: 1, weight: 0.5 },
        { aspect_ratio: 1.5, weight: 0.5 },
      ],
    },
    expect: {
      crop_aspect_buckets: [
        { aspect: 1, weight: 0.5 },
        { aspect: 1.5, weight: 0.5 },
      ],
    },
  },
  {
    name: 'bucket weights sum',
    img: {
      crop_aspect: 'random',
      crop_aspect_buckets: [
        { aspect: 1, weight: 0.5 },
        { aspect: 1.5, weight: 0.4 },
      ],
    },
    error: ['crop_aspect_buckets', 'The weights of aspect buckets must add up to 1'],
  },
  {
    name: 'bucket mixed',
    img: { crop_aspect: 'random', crop_aspect_buckets: [1.0, { aspect: 1.5, weight: 1 }] },
    error: ['crop_aspect_buckets', BUCKET_MSG],
  },
  {
    name: 'bucket without weight',
    img: { crop_aspect: 'random', crop_aspect_buckets: [{ aspect: 1.5 }] },
    error: ['crop_aspect_buckets', BUCKET_MSG],
  },
  {
    name: 'buckets ignored for square',
    img: { crop_aspect_buckets: [1.5] },
    warning: 'crop_aspect_buckets is ignored',
  },
  // string booleans
  { name: 'crop "False"', img: { crop: 'False' }, warning: 'read "False" as false', expect: { crop: false } },
  { name: 'crop "true"', img: { crop: 'true' }, expect: { crop: true } },
  {
    name: 'crop "maybe"',
    img: { crop: 'maybe' },
    error: ['crop', 'Expected `crop` to be true or false, got "maybe" (string)'],
  },
  {
    name: 'vae_cache_disable "yes"',
    img: { vae_cache_disable: 'yes' },
    expect: { vae_cache_disable: true, vae_cache_ondemand: true },
  },
  {
    name: 'vae_cache_ondemand only',
    img: { vae_cache_ondemand: true },
    expect: { vae_cache_disable: false, vae_cache_ondemand: true },
  },
  // removed / deprecated / unknown
  {
    name: 'disable_vae_cache removed',
    img: { disable_vae_cache: true },
    error: ['disable_vae_cache', '(id=img) disable_vae_cache has been removed. Use vae_cache_disable instead.'],
  },
  {
    name: 'ignore_epochs deprecated',
    img: { ignore_epochs: true },
    warning: 'ignore_epochs is deprecated, and will do nothing.',
  },
  {
    name: 'unknown key suggestion',
    img: { crop_aspekt: 'square' },
    warning: 'Unknown key `crop_aspekt` is ignored; did you mean `crop_aspect`?',
  },
  { name: 'unknown key no suggestion', img: { zzzzzzzzzzzz: 1 }, warning: 'Unknown key `zzzzzzzzzzzz` is ignored' },
  {
    name: 'unknown nested key',
    img: { dataset_type: 'video', video: { num_frame: 33 } },
    warning: 'Unknown key `video.num_frame` is ignored; did you mean `video.num_frames`?',
  },
  {
    name: 'passthrough kept in extra',
    img: { write_batch_size: 64, slider_strength: 0.5 },
    expect: { extra: { write_batch_size: 64, slider_strength: 0.5 } },
  },
  { name: 'hash_filenames false', img: { hash_filenames: false }, warning: 'hash_filenames is ignored' },
  // metadata backends and captions
  { name: 'metadata json alias', img: { metadata_backend: 'json' }, expect: { metadata_backend: 'discovery' } },
  {
    name: 'metadata filesystem alias',
    img: { metadata_backend: 'filesystem' },
    warning: "legacy alias of 'discovery'",
    expect: { metadata_backend: 'discovery' },
  },
  { name: 'metadata empty', img: { metadata_backend: '' }, expect: { metadata_backend: 'discovery' } },
  {
    name: 'metadata unknown',
    img: { metadata_backend: 'sqlite' },
    error: ['metadata_backend', 'Unknown metadata backend type: sqlite'],
  },
  {
    name: 'parquet caption + discovery',
    img: { caption_strategy: 'parquet' },
    error: ['caption_strategy', 'Cannot use caption_strategy=parquet with metadata_backend=discovery'],
  },
  {
    name: 'parquet needs block',
    img: { metadata_backend: 'parquet', caption_strategy: 'parquet' },
    error: ['parquet', "Parquet backend must have a 'parquet' field"],
  },
  {
    name: 'parquet needs path',
    img: { metadata_backend: 'parquet', parquet: { caption_column: 'c' } },
    error: ['parquet.path', "must have a 'path' field in the backend config under the 'parquet' key"],
  },
  {
    name: 'parquet defaults',
    img: { metadata_backend: 'parquet', caption_strategy: 'parquet', parquet: { path: '/d/x.parquet' } },
    expect: {
      parquet: {
        path: '/d/x.parquet',
        filename_column: 'id',
        caption_column: 'description',
        fallback_caption_column: null,
        width_column: 'width',
        height_column: 'height',
        aspect_ratio_column: null,
        num_frames_column: null,
        fps_column: null,
        identifier_includes_extension: false,
      },
    },
  },
  {
    name: 'parquet bad column type',
    img: { metadata_backend: 'parquet', parquet: { path: 'p', width_column: 3 } },
    error: ['parquet.width_column', 'Expected `parquet.width_column` to be a string'],
  },
  {
    name: 'unsupported caption strategy',
    img: { caption_strategy: 'magic' },
    error: ['caption_strategy', 'Unsupported caption strategy: "magic"'],
  },
  {
    name: 'instance_prompt as strategy',
    img: { caption_strategy: 'instance_prompt' },
    error: ['caption_strategy', "Did you mean 'instanceprompt'?"],
  },
  {
    name: 'huggingface caption on local',
    img: { caption_strategy: 'huggingface' },
    error: ['caption_strategy', "caption_strategy='huggingface' can only be used with type='huggingface' backends"],
  },
  {
    name: 'instanceprompt needs prompt',
    img: { caption_strategy: 'instanceprompt' },
    error: ['instance_prompt', 'Backend img has caption_strategy=instanceprompt, but no instance_prompt was provided.'],
  },
  {
    name: 'instanceprompt from args',
    img: { caption_strategy: 'instanceprompt' },
    args: { instance_prompt: 'a photo' },
    expect: { instance_prompt: 'a photo' },
  },
  {
    name: 'prepend needs prompt',
    img: { prepend_instance_prompt: true },
    error: ['instance_prompt', 'Backend img has prepend_instance_prompt=True, but no instance_prompt was provided.'],
  },
  {
    name: 'only_instance_prompt needs prompt',
    img: { only_instance_prompt: true },
    error: ['instance_prompt', 'Instance prompt is required when instance_prompt_only is enabled.'],
  },
  {
    name: 'instance_prompt list',
    img: { caption_strategy: 'instanceprompt', instance_prompt: [' a ', '', 'b'] },
    expect: { instance_prompt: 'a', instance_prompts: ['a', 'b'] },
  },
  {
    name: 'caption_filter_list on image',
    img: { caption_filter_list: ['x'] },
    error: [
      'caption_filter_list',
      'caption_filter_list is only a valid setting for text datasets. It is currently set for the image dataset img.',
    ],
  },
  // caption_shuffle
  {
    name: 'shuffle not a dict',
    img: { caption_shuffle: 'yes' },
    error: ['caption_shuffle', '(id=img) caption_shuffle must be a dictionary, got str'],
  },
  {
    name: 'shuffle split_on',
    img: { caption_shuffle: { enable: true, split_on: 'tab' } },
    error: ['caption_shuffle', "caption_shuffle.split_on must be one of {'comma', 'space', 'period'}, got \"tab\""],
  },
  {
    name: 'shuffle count',
    img: { caption_shuffle: { enable: true, count: 0 } },
    error: ['caption_shuffle', 'caption_shuffle.count must be a positive integer, got 0'],
  },
  {
    name: 'shuffle position_start',
    img: { caption_shuffle: { enable: true, position_start: -1 } },
    error: ['caption_shuffle', 'caption_shuffle.position_start must be a non-negative integer, got -1'],
  },
  {
    name: 'shuffle defaults',
    img: { caption_shuffle: { enable: 'true' } },
    args: { seed: 7 },
    expect: {
      caption_shuffle: {
        enabled: true,
        count: 1,
        position_start: 0,
        include_original: true,
        split_on: 'comma',
        seed: 7,
      },
    },
  },
  // batch, probability, repeats
  { name: 'train_batch_size "3"', img: { train_batch_size: '3' }, expect: { train_batch_size: 3 } },
  { name: 'train_batch_size from args', img: {}, args: { train_batch_size: 4 }, expect: { train_batch_size: 4 } },
  {
    name: 'eval batch forced to 1',
    img: { dataset_type: 'eval', train_batch_size: 17 },
    more: [{ id: 'train', instance_data_dir: '/d/t' }],
    expect: { train_batch_size: 1 },
  },
  { name: 'probability 0 stays 0', img: { probability: 0 }, expect: { probability: 0 } },
  { name: 'probability empty', img: { probability: '' }, expect: { probability: 1 } },
  { name: 'probability 2', img: { probability: 2 }, expect: { probability: 2 } },
  {
    name: 'probability negative',
    img: { probability: -1 },
    error: ['probability', 'Expected `probability` to be a number >= 0'],
  },
  { name: 'repeats null', img: { repeats: null }, expect: { repeats: 0 } },
  { name: 'repeats 5', img: { repeats: 5 }, expect: { repeats: 5 } },
  { name: 'repeats 1.5', img: { repeats: 1.5 }, error: ['repeats', 'Expected `repeats` to be a non-negative integer'] },
  // conditioning
  {
    name: 'conditioning_type forces type',
    img: { conditioning_type: 'controlnet' },
    more: [{ id: 'train', instance_data_dir: '/d/t', conditioning_data: 'img' }],
    expect: { dataset_type: 'conditioning' },
  },
  {
    name: 'bad conditioning_type',
    img: { conditioning_type: 'sketch' },
    error: ['conditioning_type', 'conditioning_type must be one of'],
  },
  {
    name: 'inline conditioning without type',
    img: { conditioning: [{ params: {} }] },
    error: ['conditioning', "Conditioning config must have a 'type' field"],
  },
  {
    name: 'inline conditioning warns',
    img: { conditioning: { type: 'canny' } },
    warning: 'Inline `conditioning` generators are not run by tunefeed',
  },
];

const BAD_BATCH = [true, false, 2.5, 0, '0', -1, '-1', '03', '+3', 'three', '2.5'];
for (const v of BAD_BATCH) {
  cases.push({
    name: `train_batch_size ${JSON.stringify(v)}`,
    img: { train_batch_size: v },
    error: ['train_batch_size', '(id=img) train_batch_size must be a positive integer.'],
  });
}

// Reference §11.4 normalize_start_epoch / normalize_start_step / end_* vectors.
const SCHEDULE: [string, unknown, unknown][] = [
  ['start_epoch', 3, 3],
  ['start_epoch', '3', 3],
  ['start_epoch', 0, 1],
  ['start_epoch', -2, 1],
  ['start_epoch', null, 1],
  ['start_epoch', 'abc', 1],
  ['start_epoch', 2.7, 2],
  ['start_step', 0, 0],
  ['start_step', -5, 0],
  ['start_step', null, 0],
  ['start_step', 'x', 0],
  ['start_step', 7, 7],
  ['end_epoch', null, null],
  ['end_epoch', '', null],
  ['end_epoch', 0, null],
  ['end_epoch', -1, null],
  ['end_epoch', 'abc', null],
  ['end_epoch', 2.9, 2],
  ['end_step', null, null],
  ['end_step', '', null],
  ['end_step', 0, null],
  ['end_step', -4, null],
  ['end_step', 'abc', null],
  ['end_step', 2.9, 2],
];
for (const [field, input, want] of SCHEDULE) {
  cases.push({
    name: `${field} ${JSON.stringify(input)} → ${JSON.stringify(want)}`,
    img: { [field]: input },
    more: [{ id: 'starter', instance_data_dir: '/d/s' }],
    expect: { [field]: want },
  });
}

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = await run(withImage(c.img, c.more), { args: c.args ?? {}, env: c.env ?? {} });
    if (c.error) {
      t.notOk(r.ok, 'fails');
      const hit = r.errors.find((e) => e.field === c.error![0] && e.message.includes(c.error![1]));
      t.ok(hit, `error ${c.error[0]}: ${c.error[1]}\n got:\n${messages(r)}`);
      t.same(r.datasets, [], 'no datasets on failure');
    } else {
      t.ok(r.ok, `valid; errors:\n${messages(r)}`);
    }
    if (c.warning)
      t.ok(
        r.warnings.some((w) => w.message.includes(c.warning!)),
        `warning ${c.warning}\n got:\n${messages(r, 'warnings')}`,
      );
    if (c.expect) t.match(configOf(r, 'img'), c.expect);
  });
}
