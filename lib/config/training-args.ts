// Global training arguments with SimpleTuner's defaults, merged from a config.json, programmatic args and --set k=v.
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { z } from 'zod';
import type { IssueLog } from './issues.js';
import { showValue, typeName } from './issues.js';
import type { TrainingArgs } from './types.js';

/** SimpleTuner's registry defaults for the arguments the data pipeline reads (cache dirs are derived later). */
export function defaultTrainingArgs(): TrainingArgs {
  return {
    resolution: 1024,
    resolution_type: 'pixel_area',
    model_family: '',
    output_dir: 'output',
    train_batch_size: 1,
    seed: 42,
    aspect_bucket_alignment: 64,
    aspect_bucket_rounding: 2,
    caption_strategy: 'filename',
    minimum_image_size: null,
    maximum_image_size: null,
    target_downsample_size: null,
    cache_dir: 'cache',
    cache_dir_text: '',
    cache_dir_vae: '',
    data_backend_sampling: 'auto-weighting',
    gradient_accumulation_steps: 1,
    compress_disk_cache: true,
    allow_dataset_oversubscription: false,
    max_train_steps: 0,
    num_train_epochs: 1,
    dataloader_prefetch: false,
    dataloader_prefetch_qlen: 10,
    conditioning_multidataset_sampling: 'combined',
    instance_prompt: null,
    metadata_update_interval: 3600,
    skip_file_discovery: '',
    controlnet: false,
    framerate: null,
    parquet_caption_column: null,
    parquet_filename_column: null,
    aws_max_pool_connections: 128,
  };
}

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const optNum = z.number().positive().nullable();
/** Types of the arguments tunefeed reads; other keys pass through untouched. */
const argShapes: Record<string, z.ZodType> = {
  resolution: z.number().positive(),
  resolution_type: z.enum(['pixel', 'area', 'pixel_area']),
  model_family: z.string(),
  output_dir: z.string(),
  train_batch_size: posInt,
  seed: z.number().int(),
  aspect_bucket_alignment: z.union([z.literal(8), z.literal(16), z.literal(24), z.literal(32), z.literal(64)]),
  aspect_bucket_rounding: z.number().int().min(1).max(9),
  caption_strategy: z.enum(['filename', 'textfile', 'instanceprompt', 'parquet', 'csv', 'huggingface']),
  minimum_image_size: optNum,
  maximum_image_size: optNum,
  target_downsample_size: optNum,
  cache_dir: z.string(),
  cache_dir_text: z.string(),
  cache_dir_vae: z.string(),
  data_backend_sampling: z.enum(['auto-weighting', 'uniform']),
  gradient_accumulation_steps: posInt,
  compress_disk_cache: z.boolean(),
  allow_dataset_oversubscription: z.boolean(),
  max_train_steps: nonNegInt,
  num_train_epochs: nonNegInt,
  dataloader_prefetch: z.boolean(),
  dataloader_prefetch_qlen: posInt,
  conditioning_multidataset_sampling: z.enum(['combined', 'random']),
  instance_prompt: z.string().nullable(),
  metadata_update_interval: z.number().positive(),
  skip_file_discovery: z.string(),
  controlnet: z.boolean(),
  framerate: optNum,
  aws_max_pool_connections: posInt,
};

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
    let value: unknown = raw;
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
  for (const [k, v] of Object.entries(parsed)) out[normaliseArgKey(k)] = v;
  return out;
}

/** config.json and --set values are often strings ("1024", "true"); coerce them to the declared type. */
function coerceArg(key: string, value: unknown): unknown {
  const shape = argShapes[key];
  if (!shape || typeof value !== 'string') return value;
  if (shape.safeParse(value).success) return value;
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === 'false')
    return shape.safeParse(lower === 'true').success ? lower === 'true' : value;
  if (lower === 'none' || lower === 'null' || lower === '') return shape.safeParse(null).success ? null : value;
  const n = Number(lower);
  return Number.isFinite(n) && shape.safeParse(n).success ? n : value;
}

/** Merge the layers (defaults < training config < args < --set), check the known keys and derive cache dirs. */
export function resolveTrainingArgs(layers: readonly Record<string, unknown>[], log: IssueLog): TrainingArgs {
  const defaults = defaultTrainingArgs();
  const merged: Record<string, unknown> = { ...defaults };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) merged[k] = coerceArg(k, v);
  }
  for (const [key, shape] of Object.entries(argShapes)) {
    const r = shape.safeParse(merged[key]);
    if (r.success) continue;
    const expected = r.error.issues[0]?.message ?? 'a valid value';
    log.error(
      null,
      `args.${key}`,
      `Invalid training argument \`${key}\`: got ${showValue(merged[key])} (${typeName(merged[key])}); ${expected}.`,
    );
    merged[key] = (defaults as Record<string, unknown>)[key];
  }
  const args = merged as TrainingArgs;
  if (!args.cache_dir_text) args.cache_dir_text = posix.join(args.output_dir, 'cache', 'text', args.model_family);
  if (!args.cache_dir_vae) args.cache_dir_vae = posix.join(args.output_dir, 'cache', 'vae', args.model_family);
  return args;
}
