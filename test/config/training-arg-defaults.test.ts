// Table: every training argument tunefeed reads, SimpleTuner's default (field registry + cmd_args) and tunefeed's.
import t from 'tap';
import { IssueLog } from '../../lib/config/issues.js';
import { loadConfig } from '../../lib/config/load-config.js';
import { ARG_SPECS } from '../../lib/config/training-arg-spec.js';
import { defaultTrainingArgs, resolveTrainingArgs } from '../../lib/config/training-args.js';

/**
 * [argument, SimpleTuner's value after its parser ran with nothing given, tunefeed's resolved default].
 * SimpleTuner's values were read from its field registry (simpletuner_sdk/server/services/field_registry/
 * sections/*.py) and parse_cmdline_args (cmd_args.py), which turns an empty cache_dir into {output_dir}/cache.
 * argparse's None is null here.
 */
const SAME: readonly [string, unknown][] = [
  ['resolution', 1024],
  ['resolution_type', 'pixel_area'],
  ['model_flavour', null],
  ['output_dir', 'simpletuner-results'],
  ['train_batch_size', 4],
  ['aspect_bucket_alignment', 64],
  ['aspect_bucket_rounding', 2],
  ['caption_strategy', 'filename'],
  ['minimum_image_size', null],
  ['maximum_image_size', null],
  ['target_downsample_size', null],
  ['cache_dir', 'simpletuner-results/cache'],
  ['cache_dir_text', 'cache'],
  ['cache_dir_vae', ''],
  ['data_backend_sampling', 'auto-weighting'],
  ['gradient_accumulation_steps', 1],
  ['compress_disk_cache', true],
  ['allow_dataset_oversubscription', false],
  ['max_train_steps', null],
  ['num_train_epochs', 1],
  ['dataloader_prefetch', false],
  ['dataloader_prefetch_qlen', 10],
  ['conditioning_multidataset_sampling', 'random'],
  ['instance_prompt', null],
  ['metadata_update_interval', 3600],
  ['skip_file_discovery', ''],
  ['controlnet', false],
  ['framerate', null],
  ['parquet_caption_column', null],
  ['parquet_filename_column', null],
  ['aws_max_pool_connections', 128],
  ['i_know_what_i_am_doing', false],
];

/** [argument, SimpleTuner's, tunefeed's, why]: the deliberate differences docs/config.md lists. */
const DIFFERENT: readonly [string, unknown, unknown, string][] = [
  ['model_family', 'required (no default)', '', 'validate/scan work without a trainer model family'],
  ['seed', null, 42, 'scans and caption shuffles are reproducible; SimpleTuner then draws unseeded'],
  ['data_backend_config', 'config/multidatabackend.json', undefined, 'CONFIG on the command line names it'],
  ['plugins', 'no such argument', [], "tunefeed's own"],
];

const resolved = resolveTrainingArgs([], new IssueLog()) as unknown as Record<string, unknown>;

t.test('every argument tunefeed reads has its default equal to SimpleTuner', async (t) => {
  for (const [name, simpletuner] of SAME)
    t.same(resolved[name], simpletuner, `${name}: ${JSON.stringify(simpletuner)}`);
});

t.test('the deliberate differences hold the values docs/config.md gives', async (t) => {
  for (const [name, simpletuner, ours, why] of DIFFERENT) {
    t.same(resolved[name], ours, `${name}: SimpleTuner ${JSON.stringify(simpletuner)}, tunefeed ours (${why})`);
  }
});

t.test('the table covers every argument in ARG_SPECS and every key of defaultTrainingArgs()', async (t) => {
  const listed = new Set([...SAME.map((r) => r[0]), ...DIFFERENT.map((r) => r[0])]);
  const known = new Set([...Object.keys(ARG_SPECS), ...Object.keys(defaultTrainingArgs())]);
  t.same(
    [...known].filter((k) => !listed.has(k)),
    [],
    'no argument without a row',
  );
  t.same(
    [...listed].filter((k) => !known.has(k)),
    [],
    'no row for an argument tunefeed does not read',
  );
});

t.test('cache_dir follows output_dir when unset, as SimpleTuner parse_cmdline_args does', async (t) => {
  t.equal(resolveTrainingArgs([{ output_dir: '/o' }], new IssueLog()).cache_dir, '/o/cache');
  t.equal(resolveTrainingArgs([{ output_dir: '/o', cache_dir: '/c' }], new IssueLog()).cache_dir, '/c');
});

t.test('a dataset with no train_batch_size or cache settings gets SimpleTuner-default values', async (t) => {
  const loaded = await loadConfig(
    [
      { id: 'img', type: 'local', instance_data_dir: '/data/img' },
      { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true },
    ],
    { args: { model_family: 'flux' }, checkPaths: false },
  );
  const img = loaded.datasets.find((d) => d.id === 'img');
  const text = loaded.datasets.find((d) => d.id === 'text');
  t.match(img, { train_batch_size: 4, cache_dir_vae: 'simpletuner-results/cache/vae/flux/img' });
  t.match(text, { cache_dir: 'cache' });
});
