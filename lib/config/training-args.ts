// Global training arguments with SimpleTuner's defaults, merged from a config.json, programmatic args and --set k=v.
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { IssueLog } from './issues.js';
import { showValue, typeName } from './issues.js';
import { modelAlignment } from './model-geometry.js';
import { ARG_SPECS, readCliValue, readConfigJsonValue } from './training-arg-spec.js';
import type { TrainingArgs } from './types.js';

/**
 * SimpleTuner's defaults for the arguments the data pipeline reads (its field registry, as argparse sees them;
 * `cache_dir` is derived later as SimpleTuner's parser does). Two deliberate exceptions, see docs/config.md:
 * `model_family` (required by SimpleTuner) is "" and `seed` (unset in SimpleTuner) is 42.
 */
export function defaultTrainingArgs(): TrainingArgs {
  return {
    resolution: 1024,
    resolution_type: 'pixel_area',
    model_family: '',
    output_dir: 'simpletuner-results',
    train_batch_size: 4,
    seed: 42,
    aspect_bucket_alignment: 64,
    aspect_bucket_rounding: 2,
    caption_strategy: 'filename',
    minimum_image_size: null,
    maximum_image_size: null,
    target_downsample_size: null,
    cache_dir: '',
    cache_dir_text: 'cache',
    cache_dir_vae: '',
    data_backend_sampling: 'auto-weighting',
    gradient_accumulation_steps: 1,
    compress_disk_cache: true,
    allow_dataset_oversubscription: false,
    max_train_steps: null,
    num_train_epochs: 1,
    dataloader_prefetch: false,
    dataloader_prefetch_qlen: 10,
    conditioning_multidataset_sampling: 'random',
    instance_prompt: null,
    metadata_update_interval: 3600,
    skip_file_discovery: '',
    controlnet: false,
    framerate: null,
    parquet_caption_column: null,
    parquet_filename_column: null,
    aws_max_pool_connections: 128,
    model_flavour: null,
    i_know_what_i_am_doing: false,
    plugins: [],
  };
}

/** Strip leading dashes and turn `foo-bar` into `foo_bar`, so config.json and CLI spellings both work. */
export function normaliseArgKey(key: string): string {
  return key.replace(/^-+/, '').replace(/-/g, '_');
}

/** Parse `k=v` pairs; values are JSON when they parse as JSON, else the raw string. */
export function parseSetPairs(pairs: readonly string[], log: IssueLog): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      log.error(null, '--set', `Expected \`--set\` to look like key=value, got ${showValue(pair)}.`);
      continue;
    }
    const raw = pair.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    out[normaliseArgKey(pair.slice(0, eq))] = value;
  }
  return out;
}

/** Read a SimpleTuner config.json (an object whose keys may carry a leading `--`). */
export async function readTrainingConfig(file: string, log: IssueLog): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    log.error(null, '--training-config', `Cannot read training config ${file}: ${why}`);
    return {};
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    log.error(null, '--training-config', `Training config ${file} must be a JSON object, got ${typeName(parsed)}.`);
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) {
    const key = normaliseArgKey(k);
    const spec = ARG_SPECS[key];
    if (!spec) {
      out[key] = v;
      continue;
    }
    const r = readConfigJsonValue(spec, v);
    if ('error' in r) badArg(log, key, v, r.error, file);
    else if ('value' in r) out[key] = r.value;
  }
  return out;
}

function badArg(log: IssueLog, key: string, v: unknown, expected: string, file?: string): void {
  const where = file ? ` in ${file}` : '';
  log.error(
    null,
    `args.${key}`,
    `Invalid training argument \`${key}\`${where}: got ${showValue(v)} (${typeName(v)}); expected ${expected}.`,
  );
}

/** Merge the layers (defaults < training config < args < --set), check the known keys and derive cache dirs. */
export function resolveTrainingArgs(layers: readonly Record<string, unknown>[], log: IssueLog): TrainingArgs {
  const merged: Record<string, unknown> = { ...defaultTrainingArgs() };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      const spec = ARG_SPECS[k];
      if (!spec) {
        if (v !== undefined) merged[k] = v;
        continue;
      }
      const r = readCliValue(spec, v);
      if ('error' in r) badArg(log, k, v, r.error);
      else if ('value' in r) merged[k] = r.value;
    }
  }
  const args = merged as TrainingArgs;
  if (args.caption_strategy === ('instance_prompt' as string)) args.caption_strategy = 'instanceprompt';
  args.model_family = args.model_family.trim().toLowerCase();
  // SimpleTuner's parser fills an empty cache_dir from output_dir; cache_dir_text ("cache") and cache_dir_vae ("")
  // keep their registry defaults (a dataset's VAE cache default is derived per dataset, see build-image.ts).
  if (!args.cache_dir) args.cache_dir = posix.join(args.output_dir, 'cache');
  applyModelAlignment(args, log);
  return args;
}

/** SimpleTuner's model classes force their bucket alignment in check_user_config; do the same, with its warning. */
function applyModelAlignment(args: TrainingArgs, log: IssueLog): void {
  const flavour = typeof args.model_flavour === 'string' ? args.model_flavour : null;
  const o = modelAlignment(args.model_family, flavour, args.aspect_bucket_alignment, args.i_know_what_i_am_doing);
  if (!o.overridden) return;
  log.warn(
    null,
    'args.aspect_bucket_alignment',
    `model_family ${args.model_family} requires an alignment value of ${o.alignment}px; ` +
      `overriding --aspect_bucket_alignment=${args.aspect_bucket_alignment}.`,
  );
  args.aspect_bucket_alignment = o.alignment;
}
