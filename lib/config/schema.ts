// zod input schemas per dataset family; each transforms into the typed configs of types.ts.
import { z } from 'zod';
import { CONDITIONING_TYPES, CROP_ASPECTS, CROP_STYLES, IMAGE_DATASET_TYPES } from './choices.js';
import { buildImageDataset } from './build-image.js';
import { buildImageEmbeds, buildTextEmbeds } from './build-embeds.js';
import type { FieldContext } from './schema-fields.js';
import {
  backendType,
  bool,
  datasetId,
  fileNamePart,
  idList,
  nonNegNum,
  oneOf,
  posInt,
  posNum,
  probability,
  repeats,
  scheduleField,
  str,
  strOrList,
  trainBatchSize,
} from './schema-fields.js';
import {
  captionFilterList,
  captionShuffle,
  cropAspectBuckets,
  huggingfaceSchema,
  instancePrompt,
  parquetSchema,
  videoSchema,
} from './schema-blocks.js';

/** S3 keys, at the entry's top level as SimpleTuner writes them. */
function awsFields() {
  return {
    aws_bucket_name: str('aws_bucket_name'),
    aws_region_name: str('aws_region_name'),
    aws_endpoint_url: str('aws_endpoint_url'),
    aws_access_key_id: str('aws_access_key_id'),
    aws_secret_access_key: str('aws_secret_access_key'),
    aws_session_token: str('aws_session_token'),
    aws_data_prefix: str('aws_data_prefix'),
    aws_max_pool_connections: posInt('aws_max_pool_connections'),
    aws_checksum_mode: z
      .enum(['WHEN_REQUIRED', 'WHEN_SUPPORTED'], {
        error: "aws_checksum_mode must be 'WHEN_REQUIRED' or 'WHEN_SUPPORTED'.",
      })
      .nullish(),
    aws: z.record(z.string(), z.unknown(), { error: 'Expected `aws` to be an object of aws_* keys.' }).nullish(),
  };
}

function commonFields(ctx: FieldContext) {
  return {
    id: datasetId(),
    type: backendType(ctx),
    disabled: bool('disabled'),
    cache_dir: str('cache_dir'),
    compress_cache: bool('compress_cache'),
    ...awsFields(),
  };
}

function geometryFields(ctx: FieldContext) {
  return {
    instance_data_dir: str('instance_data_dir'),
    resolution: posNum('resolution'),
    resolution_type: oneOf('resolution_type', ['pixel', 'area', 'pixel_area'], ctx),
    minimum_image_size: nonNegNum('minimum_image_size'),
    maximum_image_size: nonNegNum('maximum_image_size'),
    target_downsample_size: nonNegNum('target_downsample_size'),
    minimum_aspect_ratio: nonNegNum('minimum_aspect_ratio'),
    maximum_aspect_ratio: nonNegNum('maximum_aspect_ratio'),
    max_upscale_threshold: z.number(expectedRange()).min(0, expectedRange()).max(1, expectedRange()).nullish(),
    crop: bool('crop'),
    crop_aspect: oneOf('crop_aspect', CROP_ASPECTS, ctx),
    crop_aspect_buckets: cropAspectBuckets(ctx),
    crop_style: oneOf('crop_style', CROP_STYLES, ctx),
    video: videoSchema,
  };
}

function expectedRange() {
  return {
    error: (iss: { input?: unknown }) =>
      `Expected \`max_upscale_threshold\` to be a number from 0 to 1, got ${String(iss.input)}.`,
  };
}

function captionFields(ctx: FieldContext) {
  return {
    caption_strategy: z.string({ error: 'Expected `caption_strategy` to be a string.' }).nullish(),
    instance_prompt: instancePrompt(),
    prepend_instance_prompt: bool('prepend_instance_prompt'),
    only_instance_prompt: bool('only_instance_prompt'),
    disable_multiline_split: bool('disable_multiline_split'),
    caption_shuffle: captionShuffle(ctx),
    caption_filter_list: captionFilterList,
    metadata_backend: z.string({ error: 'Expected `metadata_backend` to be a string.' }).nullish(),
    parquet: parquetSchema,
    csv_file: str('csv_file'),
    csv_cache_dir: str('csv_cache_dir'),
    csv_caption_column: str('csv_caption_column'),
    csv_url_column: str('csv_url_column'),
    dataset_name: str('dataset_name'),
    split: str('split'),
    revision: str('revision'),
    image_column: str('image_column'),
    video_column: str('video_column'),
    caption_column: strOrList('caption_column'),
    fallback_caption_column: str('fallback_caption_column'),
    huggingface: huggingfaceSchema,
  };
}

function runtimeFields(ctx: FieldContext) {
  return {
    train_batch_size: trainBatchSize(ctx),
    repeats: repeats(ctx),
    probability: probability(ctx),
    start_epoch: scheduleField('start_epoch', 'start_epoch', ctx),
    start_step: scheduleField('start_step', 'start_step', ctx),
    end_epoch: scheduleField('end_epoch', 'end', ctx),
    end_step: scheduleField('end_step', 'end', ctx),
    disable_after_epoch_step: scheduleField('disable_after_epoch_step', 'end', ctx),
    max_num_samples: posInt('max_num_samples'),
    scan_for_errors: bool('scan_for_errors'),
    skip_file_discovery: str('skip_file_discovery'),
    preserve_data_backend_cache: z
      .union([z.boolean(), z.string()], {
        error: 'Expected `preserve_data_backend_cache` to be true, false or a string of cache types.',
      })
      .nullish(),
    hash_filenames: bool('hash_filenames'),
    metadata_update_interval: posNum('metadata_update_interval'),
    cache_file_suffix: fileNamePart('cache_file_suffix'),
    cache_dir_vae: str('cache_dir_vae'),
    text_embeds: str('text_embeds'),
    image_embeds: str('image_embeds'),
    conditioning_image_embeds: str('conditioning_image_embeds'),
    conditioning_data: idList('conditioning_data'),
    conditioning: z.unknown().optional(),
    source_dataset_id: str('source_dataset_id'),
    conditioning_type: oneOf('conditioning_type', CONDITIONING_TYPES, ctx),
    vae_cache_clear_each_epoch: bool('vae_cache_clear_each_epoch'),
    vae_cache_ondemand: bool('vae_cache_ondemand'),
    vae_cache_disable: bool('vae_cache_disable'),
  };
}

function imageInputShape(ctx: FieldContext) {
  return z.looseObject({
    ...commonFields(ctx),
    ...geometryFields(ctx),
    ...captionFields(ctx),
    ...runtimeFields(ctx),
    dataset_type: z.enum(IMAGE_DATASET_TYPES),
  });
}

/** image / video / conditioning / eval. */
export function imageSchema(ctx: FieldContext) {
  return imageInputShape(ctx).transform((raw) => buildImageDataset(raw, ctx));
}

/** The parsed (pre-default) image entry the builder receives. */
export type ParsedImage = z.output<ReturnType<typeof imageInputShape>>;

function textShape(ctx: FieldContext) {
  return z.looseObject({
    ...commonFields(ctx),
    dataset_type: z.literal('text_embeds'),
    default: bool('default'),
    caption_filter_list: captionFilterList,
    text_cache_ondemand: bool('text_cache_ondemand'),
    text_cache_disable: bool('text_cache_disable'),
  });
}
export type ParsedText = z.output<ReturnType<typeof textShape>>;

function imageEmbedsShape(ctx: FieldContext) {
  return z.looseObject({ ...commonFields(ctx), dataset_type: z.enum(['image_embeds', 'conditioning_image_embeds']) });
}
export type ParsedImageEmbeds = z.output<ReturnType<typeof imageEmbedsShape>>;

/** The whole entry schema, discriminated by dataset_type, producing a typed DatasetConfig. */
export function datasetSchema(ctx: FieldContext) {
  return z.discriminatedUnion('dataset_type', [
    imageSchema(ctx),
    textShape(ctx).transform((raw) => buildTextEmbeds(raw, ctx)),
    imageEmbedsShape(ctx).transform((raw) => buildImageEmbeds(raw, ctx)),
  ]);
}
