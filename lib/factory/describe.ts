// Serialisable storage descriptions from typed dataset configs (what a worker needs to rebuild the same client).
import path from 'node:path';
import type { DatasetConfig, ImageDatasetConfig, TrainingArgs } from '../config/types.js';
import { isImageDataset } from '../config/types.js';
import { S3_DEFAULTS } from '../storage/s3-client.js';
import { hubEnvironment } from '../storage/huggingface.js';
import type { BackendDescription } from '../storage/types.js';
import { cacheField } from './describe-cache.js';
import type { CacheOptions } from '../storage/cache/cache-spec.js';

/** Inputs beyond the config: args, environment (HF_*), and test/ops switches. */
export interface DescribeContext {
  args: Readonly<TrainingArgs>;
  env: Record<string, string | undefined>;
  /** Allow CSV URLs on private/loopback hosts when the config does not say (csv_allow_private_hosts). */
  csvAllowPrivateHosts?: boolean;
  /** Read cache for remote datasets (a dataset's `tunefeed_cache` overrides it field by field). @default off */
  cache?: CacheOptions;
}

/** Where a dataset's files live: instance_data_dir for media, cache_dir for embed datasets. */
export function datasetRoot(config: DatasetConfig, args: Readonly<TrainingArgs>): string {
  if (isImageDataset(config)) return config.instance_data_dir;
  if (config.dataset_type === 'text_embeds') return config.cache_dir || args.cache_dir_text;
  return config.cache_dir ?? args.cache_dir_vae;
}

export function describeLocal(config: DatasetConfig, ctx: DescribeContext): BackendDescription {
  return { kind: 'local', id: config.id, root: path.resolve(datasetRoot(config, ctx.args)) };
}

/**
 * An embed cache's key prefix when aws_data_prefix is empty: its cache_dir. For text embeds that is the config's
 * value, the training args' cache_dir_text only when the key is absent: SimpleTuner joins the file names to an
 * explicit `"cache_dir": ""` (its documented S3 example), so they sit at the bucket root.
 */
function embedPrefix(config: DatasetConfig, args: Readonly<TrainingArgs>): string {
  const dir = config.dataset_type === 'text_embeds' ? config.cache_dir : datasetRoot(config, args);
  return dir.replace(/^\.?\/+/, '');
}

export function describeAws(config: DatasetConfig, ctx: DescribeContext): BackendDescription {
  const a = config.aws!;
  // Media datasets live under aws_data_prefix; embed caches under their cache_dir inside the bucket when no prefix is
  // set.
  const prefix = a.aws_data_prefix || (isImageDataset(config) ? '' : embedPrefix(config, ctx.args));
  return {
    kind: 'aws',
    id: config.id,
    bucket: a.aws_bucket_name,
    prefix,
    region: a.aws_region_name || 'us-east-1',
    ...(a.aws_endpoint_url ? { endpoint: a.aws_endpoint_url } : {}),
    ...(a.aws_access_key_id ? { accessKeyId: a.aws_access_key_id } : {}),
    ...(a.aws_secret_access_key ? { secretAccessKey: a.aws_secret_access_key } : {}),
    ...(a.aws_session_token ? { sessionToken: a.aws_session_token } : {}),
    maxPoolConnections: a.aws_max_pool_connections || S3_DEFAULTS.maxPoolConnections,
    checksumMode: a.aws_checksum_mode,
    forcePathStyle: Boolean(a.aws_endpoint_url),
    requestTimeoutMs: S3_DEFAULTS.requestTimeoutMs,
    connectTimeoutMs: S3_DEFAULTS.connectTimeoutMs,
    maxAttempts: S3_DEFAULTS.maxAttempts,
    ...cacheField(config, ctx),
  };
}

export function describeCsv(config: DatasetConfig, ctx: DescribeContext): BackendDescription {
  const c = (config as ImageDatasetConfig).csv!;
  return {
    kind: 'csv',
    id: config.id,
    csvFile: path.resolve(c.csv_file),
    cacheDir: path.resolve(c.csv_cache_dir),
    urlColumn: c.csv_url_column || 'url',
    captionColumn: c.csv_caption_column ?? '',
    allowPrivateHosts: c.csv_allow_private_hosts || ctx.csvAllowPrivateHosts === true,
    ...cacheField(config, ctx),
  };
}

export function describeHuggingface(config: DatasetConfig, ctx: DescribeContext): BackendDescription {
  const d = config as ImageDatasetConfig;
  const h = d.huggingface!;
  const video = d.dataset_type === 'video';
  const hub = hubEnvironment(ctx.env);
  return {
    kind: 'huggingface',
    id: d.id,
    datasetName: h.dataset_name,
    split: h.split || 'train',
    revision: h.revision,
    mediaColumn: video ? (h.video_column ?? 'video') : h.image_column || 'image',
    extension: h.file_extension ?? (video ? 'mp4' : 'jpg'),
    captionColumn: h.caption_column,
    fallbackCaptionColumn: h.fallback_caption_column,
    widthColumn: h.width_column,
    heightColumn: h.height_column,
    qualityColumn: h.quality_column,
    filter: h.filter_func,
    cacheDir: path.resolve(h.cache_dir),
    hubCache: hub.hubCache,
    endpoint: hub.endpoint,
    ...(hub.token ? { token: hub.token } : {}),
    ...cacheField(config, ctx),
  };
}
