// Builds a typed ImageDatasetConfig (image/video/conditioning/eval) from a parsed entry, applying SimpleTuner's
// defaults.
import { posix } from 'node:path';
import { buildAws, buildCsv, buildHuggingface, buildParquet } from './build-storage.js';
import { buildVideo } from './build-video.js';
import { PASSTHROUGH } from './known-keys.js';
import { convertResolution } from './resolution.js';
import { checkImageRules, resolveCaptionStrategy, resolveMetadataBackend } from './rules-image.js';
import type { ParsedImage } from './schema.js';
import type { FieldContext } from './schema-fields.js';
import type { BackendType, ImageDatasetConfig } from './types.js';

type Loose = Record<string, unknown>;

/** Known SimpleTuner keys tunefeed does not interpret, kept so nothing in the file is lost. */
export function collectExtra(raw: Loose): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (PASSTHROUGH.has(k) || k.startsWith('audio_')) extra[k] = v;
  return extra;
}

/** Where the samples live: instance_data_dir for local, else the aws prefix, csv cache dir or "" for Hugging Face. */
function instanceDir(p: ParsedImage, type: BackendType, ctx: FieldContext): string {
  const given = typeof p.instance_data_dir === 'string' ? p.instance_data_dir.replace(/(.)\/+$/, '$1') : null;
  if (type === 'local' && !given) {
    ctx.log.error(
      ctx.id,
      'instance_data_dir',
      `(id=${ctx.id}) A local backend requires instance_data_dir be defined and pointing to the image data directory.`,
    );
  }
  if (given) return given;
  if (type === 'aws') return p.aws_data_prefix ?? '';
  if (type === 'csv') return (p.csv_cache_dir ?? '').replace(/(.)\/+$/, '$1');
  return '';
}

function prompts(p: ParsedImage, ctx: FieldContext): string[] | null {
  if (p.instance_prompt) return p.instance_prompt;
  return typeof ctx.args.instance_prompt === 'string' ? [ctx.args.instance_prompt] : null;
}

/** Keys that only one storage type reads; set on another type they are ignored, which is worth a warning. */
const TYPE_KEYS: Record<string, (k: string) => boolean> = {
  aws: (k) => k.startsWith('aws_') || k === 'aws',
  csv: (k) => k.startsWith('csv_'),
  huggingface: (k) => ['dataset_name', 'split', 'revision', 'image_column', 'video_column', 'huggingface'].includes(k),
};

function warnForeignStorageKeys(p: ParsedImage, type: BackendType, ctx: FieldContext): void {
  for (const [owner, owns] of Object.entries(TYPE_KEYS)) {
    if (owner === type) continue;
    const keys = Object.keys(p).filter((k) => owns(k) && p[k] !== undefined && p[k] !== null);
    if (keys.length)
      ctx.log.warn(
        ctx.id,
        keys[0],
        `${keys.join(', ')} ${keys.length > 1 ? 'are' : 'is'} ignored: they apply to type='${owner}', but this ` +
          `dataset has type='${type}'.`,
      );
  }
}

function storageBlocks(p: ParsedImage, type: BackendType, ctx: FieldContext) {
  warnForeignStorageKeys(p, type, ctx);
  const metadata_backend = resolveMetadataBackend(p, type, ctx);
  const caption_strategy = resolveCaptionStrategy(p, type, metadata_backend, ctx);
  const needsParquet = metadata_backend === 'parquet' || (p.parquet !== undefined && p.parquet !== null);
  return {
    metadata_backend,
    caption_strategy,
    aws: type === 'aws' ? buildAws(p, ctx) : null,
    csv: type === 'csv' ? buildCsv(p, ctx) : null,
    huggingface: type === 'huggingface' ? buildHuggingface(p, ctx) : null,
    parquet: needsParquet ? buildParquet(p.parquet, ctx) : null,
  };
}

/** resolution and its type; an invalid resolution_type (already reported) falls back to the args' geometry. */
function resolutionOf(p: ParsedImage, ctx: FieldContext): { resolution: number; resolution_type: 'pixel' | 'area' } {
  if (p.resolution_type === 'pixel' || p.resolution_type === 'area')
    return { resolution: p.resolution ?? 1, resolution_type: p.resolution_type };
  const fallback: Record<string, unknown> = { dataset_type: p.dataset_type };
  convertResolution(fallback, ctx.args);
  return {
    resolution: fallback.resolution as number,
    resolution_type: fallback.resolution_type === 'pixel' ? 'pixel' : 'area',
  };
}

function geometry(p: ParsedImage, ctx: FieldContext) {
  const a = ctx.args;
  const zeroOff = (v: number | null | undefined): number | null => (v ? v : null);
  return {
    ...resolutionOf(p, ctx),
    minimum_image_size: p.minimum_image_size ?? null,
    maximum_image_size: p.maximum_image_size ?? null,
    target_downsample_size: p.target_downsample_size ?? null,
    minimum_aspect_ratio: zeroOff(p.minimum_aspect_ratio),
    maximum_aspect_ratio: zeroOff(p.maximum_aspect_ratio),
    max_upscale_threshold: p.max_upscale_threshold ?? null,
    crop: p.crop ?? false,
    crop_aspect: p.crop_aspect ?? 'square',
    crop_aspect_buckets: p.crop_aspect_buckets ?? null,
    crop_style: p.crop_style ?? 'random',
    aspect_bucket_alignment: a.aspect_bucket_alignment,
    aspect_bucket_rounding: a.aspect_bucket_rounding,
  };
}

function schedule(p: ParsedImage, ctx: FieldContext) {
  const isEval = p.dataset_type === 'eval';
  return {
    train_batch_size: isEval ? 1 : (p.train_batch_size ?? ctx.args.train_batch_size),
    repeats: p.repeats ?? 0,
    probability: p.probability ?? 1,
    start_epoch: p.start_epoch ?? 1,
    start_step: p.start_step ?? 0,
    end_epoch: p.end_epoch ?? null,
    end_step: p.end_step ?? null,
    disable_after_epoch_step: p.disable_after_epoch_step ?? null,
    max_num_samples: p.max_num_samples ?? null,
  };
}

function caches(p: ParsedImage, id: string, ctx: FieldContext) {
  const disable = p.vae_cache_disable ?? false;
  if (p.hash_filenames === false)
    ctx.log.warn(ctx.id, 'hash_filenames', 'hash_filenames is ignored: cache file names are always hashed.');
  return {
    scan_for_errors: p.scan_for_errors ?? false,
    cache_dir_vae: p.cache_dir_vae ?? defaultVaeDir(ctx.args, id),
    cache_file_suffix: p.cache_file_suffix ?? id,
    skip_file_discovery: p.skip_file_discovery ?? ctx.args.skip_file_discovery,
    preserve_data_backend_cache: p.preserve_data_backend_cache ?? false,
    compress_cache: p.compress_cache ?? ctx.args.compress_disk_cache,
    vae_cache_ondemand: disable || (p.vae_cache_ondemand ?? false),
    vae_cache_disable: disable,
    vae_cache_clear_each_epoch: p.vae_cache_clear_each_epoch ?? false,
    metadata_update_interval: p.metadata_update_interval ?? ctx.args.metadata_update_interval,
  };
}

function links(p: ParsedImage) {
  return {
    text_embeds: p.text_embeds ?? null,
    image_embeds: p.image_embeds ?? null,
    conditioning_image_embeds: p.conditioning_image_embeds ?? null,
    conditioning_data: p.conditioning_data ?? [],
    source_dataset_id: p.source_dataset_id ?? null,
    conditioning_type: p.conditioning_type ?? null,
  };
}

/** The transform of the image-family schema: defaults, storage blocks, then the per-dataset rules. */
export function buildImageDataset(p: ParsedImage, ctx: FieldContext): ImageDatasetConfig {
  const id = p.id;
  const type: BackendType = p.type ?? 'local';
  const list = prompts(p, ctx);
  const config: ImageDatasetConfig = {
    id,
    type,
    dataset_type: p.dataset_type,
    instance_data_dir: instanceDir(p, type, ctx),
    ...geometry(p, ctx),
    ...storageBlocks(p, type, ctx),
    instance_prompt: list?.[0] ?? null,
    ...(list && list.length > 1 ? { instance_prompts: list } : {}),
    prepend_instance_prompt: p.prepend_instance_prompt ?? false,
    only_instance_prompt: p.only_instance_prompt ?? false,
    disable_multiline_split: p.disable_multiline_split ?? false,
    caption_shuffle: p.caption_shuffle ?? null,
    ...schedule(p, ctx),
    ...caches(p, id, ctx),
    ...links(p),
    // SimpleTuner keeps a `video` block on conditioning datasets too (IC-LoRA reference videos).
    video: hasVideo(p) ? buildVideo(p.video ?? {}, ctx) : null,
    extra: {
      ...collectExtra(p),
      ...(p.conditioning !== undefined && p.conditioning !== null ? { conditioning: p.conditioning } : {}),
    },
  };
  checkImageRules(config, p, ctx);
  return config;
}

function hasVideo(p: { dataset_type?: unknown; video?: unknown }): boolean {
  if (p.dataset_type === 'video') return true;
  return p.dataset_type === 'conditioning' && !!p.video && typeof p.video === 'object' && !Array.isArray(p.video);
}

/**
 * SimpleTuner's per-dataset VAE cache default, `{output_dir}/cache/vae/{model_family}/{id}`; tunefeed also honours
 * a `cache_dir_vae` training argument as the parent directory (SimpleTuner reads it only for image_embeds).
 */
function defaultVaeDir(args: FieldContext['args'], id: string): string {
  if (args.cache_dir_vae) return posix.join(args.cache_dir_vae, id);
  return posix.join(args.output_dir, 'cache', 'vae', args.model_family, id);
}
