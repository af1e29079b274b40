// Storage blocks with defaults: aws_* keys → AwsConfig, csv_* → CsvConfig, huggingface and parquet blocks.
import { posix } from 'node:path';
import { registerSecret } from '../redact.js';
import { pyList } from './issues.js';
import type { FieldContext } from './schema-fields.js';
import type { AwsConfig, CsvConfig, HuggingfaceConfig, ParquetConfig } from './types.js';

type Loose = Record<string, unknown>;

const AWS_REQUIRED = ['aws_bucket_name', 'aws_access_key_id', 'aws_secret_access_key'] as const;

function strOr(v: unknown, fallback: string): string {
  return typeof v === 'string' && v !== '' ? v : fallback;
}
function strOrNull(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * aws_* keys (top level, as SimpleTuner writes them; an `aws` object block is read as a fallback).
 * Region defaults to us-east-1; checksum mode to WHEN_REQUIRED when an endpoint is set (S3-compatible servers).
 */
export function buildAws(raw: Loose, ctx: FieldContext): AwsConfig {
  const block = raw.aws && typeof raw.aws === 'object' ? (raw.aws as Loose) : {};
  const get = (k: string): unknown => (raw[k] !== undefined && raw[k] !== null ? raw[k] : block[k]);
  const missing = AWS_REQUIRED.filter((k) => typeof get(k) !== 'string' || get(k) === '');
  if (missing.length)
    ctx.log.error(ctx.id, missing[0], `(id=${ctx.id}) Missing required AWS configuration keys: ${pyList(missing)}`);
  for (const k of ['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token']) registerSecret(get(k));
  const endpoint = strOrNull(get('aws_endpoint_url'));
  const pool = get('aws_max_pool_connections');
  const checksum = get('aws_checksum_mode');
  return {
    aws_bucket_name: strOr(get('aws_bucket_name'), ''),
    aws_region_name: strOr(get('aws_region_name'), 'us-east-1'),
    aws_endpoint_url: endpoint,
    aws_access_key_id: strOrNull(get('aws_access_key_id')),
    aws_secret_access_key: strOrNull(get('aws_secret_access_key')),
    aws_session_token: strOrNull(get('aws_session_token')),
    aws_data_prefix: strOr(get('aws_data_prefix'), ''),
    aws_max_pool_connections: typeof pool === 'number' ? pool : (ctx.args.aws_max_pool_connections ?? 128),
    aws_checksum_mode:
      checksum === 'WHEN_REQUIRED' || checksum === 'WHEN_SUPPORTED'
        ? checksum
        : endpoint
          ? 'WHEN_REQUIRED'
          : 'WHEN_SUPPORTED',
  };
}

/** csv_* keys; csv_file, csv_cache_dir and csv_caption_column are required, the URL column defaults to "url". */
export function buildCsv(raw: Loose, ctx: FieldContext): CsvConfig {
  const required = ['csv_file', 'csv_cache_dir', 'csv_caption_column'];
  const missing = required.filter((k) => typeof raw[k] !== 'string' || raw[k] === '');
  if (missing.length)
    ctx.log.error(ctx.id, missing[0], `(id=${ctx.id}) Missing required CSV configuration keys: ${missing.join(', ')}`);
  return {
    csv_file: strOr(raw.csv_file, ''),
    csv_cache_dir: strOr(raw.csv_cache_dir, '').replace(/(.)\/+$/, '$1'),
    csv_caption_column: strOr(raw.csv_caption_column, ''),
    csv_url_column: strOr(raw.csv_url_column, 'url'),
    csv_allow_private_hosts: raw.csv_allow_private_hosts === true,
  };
}

/** Hugging Face: top-level dataset keys plus the `huggingface` block (its columns win over top-level copies). */
export function buildHuggingface(raw: Loose, ctx: FieldContext): HuggingfaceConfig {
  const hf = raw.huggingface && typeof raw.huggingface === 'object' ? (raw.huggingface as Loose) : {};
  const pick = (k: string): unknown => hf[k] ?? raw[k] ?? null;
  // SimpleTuner reads these top-level first and falls back to the `huggingface` block (ImageBackendConfig).
  const top = (k: string): unknown => raw[k] ?? hf[k] ?? null;
  const datasetName = top('dataset_name');
  if (typeof datasetName !== 'string' || datasetName === '') {
    ctx.log.error(ctx.id, 'dataset_name', `(id=${ctx.id}) dataset_name is required for HuggingFace backends.`);
  }
  const caption = pick('caption_column');
  return {
    dataset_name: strOr(datasetName, ''),
    split: strOr(top('split'), 'train'),
    revision: strOrNull(top('revision')),
    image_column: strOr(pick('image_column'), 'image'),
    video_column: strOr(pick('video_column'), 'video'),
    caption_column: typeof caption === 'string' || Array.isArray(caption) ? (caption as string | string[]) : 'caption',
    fallback_caption_column: strOrNull(pick('fallback_caption_column')),
    width_column: strOrNull(pick('width_column')),
    height_column: strOrNull(pick('height_column')),
    quality_column: strOrNull(pick('quality_column')),
    file_extension: strOrNull(pick('file_extension')),
    cache_dir: strOr(hf.cache_dir, posix.join(ctx.args.cache_dir, 'huggingface', ctx.id ?? '')),
    filter_func: (hf.filter_func as HuggingfaceConfig['filter_func']) ?? null,
    streaming: hf.streaming === true,
    num_proc: typeof hf.num_proc === 'number' ? hf.num_proc : 16,
    description_column: strOrNull(hf.description_column),
  };
}

/** The parquet block; `path` is required (SimpleTuner's message). Column defaults follow configure_parquet_database. */
export function buildParquet(block: Loose | null | undefined, ctx: FieldContext): ParquetConfig | null {
  if (!block) {
    ctx.log.error(
      ctx.id,
      'parquet',
      `(id=${ctx.id}) Parquet backend must have a 'parquet' field in the backend config containing required ` +
        `fields for configuration.`,
    );
    return null;
  }
  if (typeof block.path !== 'string' || block.path === '') {
    ctx.log.error(
      ctx.id,
      'parquet.path',
      `(id=${ctx.id}) Parquet backend must have a 'path' field in the backend config under the 'parquet' key.`,
    );
  }
  const caption = block.caption_column;
  return {
    path: strOr(block.path, ''),
    filename_column: strOr(block.filename_column, strOr(ctx.args.parquet_filename_column, 'id')),
    caption_column:
      typeof caption === 'string' || Array.isArray(caption)
        ? (caption as string | string[])
        : strOr(ctx.args.parquet_caption_column, 'description'),
    fallback_caption_column: strOrNull(block.fallback_caption_column),
    width_column: strOr(block.width_column, 'width'),
    height_column: strOr(block.height_column, 'height'),
    aspect_ratio_column: strOrNull(block.aspect_ratio_column),
    num_frames_column: strOrNull(block.num_frames_column),
    fps_column: strOrNull(block.fps_column),
    identifier_includes_extension: block.identifier_includes_extension === true,
  };
}
