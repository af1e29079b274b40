// Builds typed text_embeds / image_embeds / conditioning_image_embeds configs with SimpleTuner's defaults.
import { buildAws } from './build-storage.js';
import { collectExtra } from './build-image.js';
import { AWS_KEYS, PASSTHROUGH } from './known-keys.js';
import type { ParsedImageEmbeds, ParsedText } from './schema.js';
import type { FieldContext } from './schema-fields.js';
import type { BackendType, ImageEmbedsConfig, TextEmbedsConfig } from './types.js';

const STORAGE_NAME: Record<string, string> = {
  text_embeds: 'text embed',
  image_embeds: 'image embed',
  conditioning_image_embeds: 'conditioning image embed',
};

const EMBED_KEYS = new Set([
  'id',
  'type',
  'dataset_type',
  'disabled',
  'cache_dir',
  'compress_cache',
  ...AWS_KEYS,
  'preserve_data_backend_cache',
]);
const TEXT_KEYS = new Set([
  ...EMBED_KEYS,
  'default',
  'caption_filter_list',
  'text_cache_ondemand',
  'text_cache_disable',
]);

/** Dataset keys that mean nothing for an embed cache: caption_filter_list is SimpleTuner's error, the rest warn. */
function checkForeignKeys(
  raw: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  datasetType: string,
  ctx: FieldContext,
): void {
  for (const k of Object.keys(raw)) {
    if (allowed.has(k) || PASSTHROUGH.has(k) || k.startsWith('memory_') || k.startsWith('audio_')) continue;
    if (k === 'caption_filter_list') {
      ctx.log.error(
        ctx.id,
        k,
        `caption_filter_list is only a valid setting for text datasets. It is currently set for the ` +
          `${datasetType} dataset ${ctx.id}.`,
      );
    } else {
      ctx.log.warn(ctx.id, k, `\`${k}\` has no effect on a ${datasetType} dataset.`);
    }
  }
}

/** Embed caches live on local disk or S3 only. */
function embedType(type: BackendType | null | undefined, datasetType: string, ctx: FieldContext): BackendType {
  const t = type ?? 'local';
  if (t === 'csv')
    ctx.log.error(ctx.id, 'type', `(id=${ctx.id}) Cannot use CSV backend for ${STORAGE_NAME[datasetType]} storage.`);
  else if (t === 'huggingface') ctx.log.error(ctx.id, 'type', `(id=${ctx.id}) Unknown data backend type: huggingface`);
  else return t;
  return 'local';
}

/**
 * Where text embeds live, as SimpleTuner's factory picks it: on S3 a top-level aws_data_prefix wins whenever the key
 * is present, "" (the bucket root) included; otherwise cache_dir as written, else the training args' cache_dir_text.
 */
function textCacheDir(p: ParsedText, type: BackendType, ctx: FieldContext): string {
  if (type === 'aws' && typeof p.aws_data_prefix === 'string') return p.aws_data_prefix;
  return p.cache_dir ?? ctx.args.cache_dir_text;
}

/** text_embeds: cache_dir defaults to args.cache_dir_text; text_cache_disable implies text_cache_ondemand. */
export function buildTextEmbeds(p: ParsedText, ctx: FieldContext): TextEmbedsConfig {
  const type = embedType(p.type, 'text_embeds', ctx);
  checkForeignKeys(p, TEXT_KEYS, 'text_embeds', ctx);
  const disable = p.text_cache_disable ?? false;
  return {
    id: p.id,
    type,
    dataset_type: 'text_embeds',
    default: p.default ?? false,
    cache_dir: textCacheDir(p, type, ctx),
    caption_filter_list: p.caption_filter_list ?? [],
    text_cache_ondemand: disable || (p.text_cache_ondemand ?? false),
    text_cache_disable: disable,
    aws: type === 'aws' ? buildAws(p, ctx) : null,
    ...preserve(p, ctx),
    extra: collectExtra(p),
  };
}

/** SimpleTuner keeps embed-cache file lists across launches when this is true or names the cache kind. */
function preserve(p: object, ctx: FieldContext): { preserve_data_backend_cache?: boolean | string } {
  const v = (p as { preserve_data_backend_cache?: unknown }).preserve_data_backend_cache;
  if (v === undefined || v === null) return {};
  if (typeof v === 'boolean' || typeof v === 'string') return { preserve_data_backend_cache: v };
  ctx.log.error(
    ctx.id,
    'preserve_data_backend_cache',
    'Expected `preserve_data_backend_cache` to be true, false or a string of cache types.',
  );
  return {};
}

/** image_embeds / conditioning_image_embeds: only the cache location and compression. */
export function buildImageEmbeds(p: ParsedImageEmbeds, ctx: FieldContext): ImageEmbedsConfig {
  const type = embedType(p.type, p.dataset_type, ctx);
  checkForeignKeys(p, EMBED_KEYS, p.dataset_type, ctx);
  return {
    id: p.id,
    type,
    dataset_type: p.dataset_type,
    cache_dir: p.cache_dir ?? null,
    compress_cache: p.compress_cache ?? ctx.args.compress_disk_cache,
    aws: type === 'aws' ? buildAws(p, ctx) : null,
    ...preserve(p, ctx),
    extra: collectExtra(p),
  };
}
