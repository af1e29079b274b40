// Per-dataset rules for the image family, with SimpleTuner's message texts; every violation is logged, none throws.
import { showValue } from './issues.js';
import { suggestKey } from './known-keys.js';
import type { ParsedImage } from './schema.js';
import { CAPTION_STRATEGIES } from './choices.js';
import type { FieldContext } from './schema-fields.js';
import type { BackendType, CaptionStrategy, ImageDatasetConfig, MetadataBackendType } from './types.js';

const METADATA_BACKENDS = ['discovery', 'parquet', 'huggingface'] as const;
const SUPPORTED_CAPTIONS = "'filename', 'textfile', 'parquet', 'instanceprompt', 'csv', 'huggingface'";

/** metadata_backend with its default (huggingface for HF datasets, else discovery) and its type rules. */
export function resolveMetadataBackend(p: ParsedImage, type: BackendType, ctx: FieldContext): MetadataBackendType {
  const fallback: MetadataBackendType = type === 'huggingface' ? 'huggingface' : 'discovery';
  const v = p.metadata_backend ?? fallback;
  if (v === 'webshart') {
    ctx.log.error(
      ctx.id,
      'metadata_backend',
      `(id=${ctx.id}) metadata_backend 'webshart' is not supported by tunefeed.`,
    );
    return fallback;
  }
  if (!(METADATA_BACKENDS as readonly string[]).includes(v)) {
    ctx.log.error(ctx.id, 'metadata_backend', `(id=${ctx.id}) Unknown metadata backend type: ${v}`);
    return fallback;
  }
  if (type === 'huggingface' && v !== 'huggingface') {
    ctx.log.error(
      ctx.id,
      'metadata_backend',
      `(id=${ctx.id}) When using a huggingface data backend, metadata_backend must be set to 'huggingface'.`,
    );
  } else if (type !== 'huggingface' && v === 'huggingface') {
    ctx.log.error(
      ctx.id,
      'metadata_backend',
      `(id=${ctx.id}) metadata_backend 'huggingface' can only be used with type='huggingface' backends.`,
    );
  }
  return v as MetadataBackendType;
}

/** caption_strategy with its default (huggingface / csv for those types, else args) and the compatibility rules. */
export function resolveCaptionStrategy(
  p: ParsedImage,
  type: BackendType,
  mb: MetadataBackendType,
  ctx: FieldContext,
): CaptionStrategy {
  const id = ctx.id;
  const fallback: CaptionStrategy =
    type === 'huggingface' ? 'huggingface' : type === 'csv' ? 'csv' : ctx.args.caption_strategy;
  const v = p.caption_strategy ?? fallback;
  const err = (message: string): void => ctx.log.error(id, 'caption_strategy', `(id=${id}) ${message}`);
  if (v === 'webshart') {
    err("caption_strategy 'webshart' is not supported by tunefeed.");
    return fallback;
  }
  if (!(CAPTION_STRATEGIES as readonly string[]).includes(v)) {
    const near = suggestKey(v.replace(/_/g, ''), CAPTION_STRATEGIES);
    err(
      `Unsupported caption strategy: ${showValue(v)}. Supported: ${SUPPORTED_CAPTIONS}` +
        `${near ? `. Did you mean '${near}'?` : ''}`,
    );
    return fallback;
  }
  if (v === 'parquet' && mb !== 'parquet') {
    err(
      `Cannot use caption_strategy=parquet with metadata_backend=${mb}. Instead, it is recommended to use the ` +
        `textfile strategy and extract your captions into txt files.`,
    );
  }
  if (v === 'huggingface' && type !== 'huggingface')
    err("caption_strategy='huggingface' can only be used with type='huggingface' backends");
  if (type === 'huggingface' && v !== 'huggingface' && v !== 'instanceprompt') {
    err("When using a huggingface data backend, caption_strategy must be set to 'huggingface'.");
  }
  if (type === 'csv' && v !== 'csv') err("CSV backend requires a caption_strategy of 'csv'.");
  if (v === 'csv' && type !== 'csv') err("caption_strategy='csv' can only be used with type='csv' backends.");
  return v as CaptionStrategy;
}

function checkCrop(c: ImageDatasetConfig, ctx: FieldContext): void {
  const needsBuckets = c.crop_aspect === 'random' || c.crop_aspect === 'closest';
  if (needsBuckets && (!c.crop_aspect_buckets || c.crop_aspect_buckets.length === 0)) {
    ctx.log.error(
      ctx.id,
      'crop_aspect_buckets',
      `(id=${ctx.id}) crop_aspect_buckets must be provided when crop_aspect is set to '${c.crop_aspect}'. This ` +
        `should be a list of float values or a list of dictionaries following the format: {'aspect_bucket': float, ` +
        `'weight': float}. The weight represents how likely this bucket is to be chosen, and all weights should ` +
        `add up to 1.0 collectively.`,
    );
  }
  if (!needsBuckets && c.crop_aspect_buckets) {
    ctx.log.warn(
      ctx.id,
      'crop_aspect_buckets',
      `crop_aspect_buckets is ignored unless crop_aspect is 'random' or 'closest' (it is '${c.crop_aspect}').`,
    );
  }
}

function checkSizeField(
  c: ImageDatasetConfig,
  field: 'maximum_image_size' | 'target_downsample_size',
  ctx: FieldContext,
): void {
  const v = c[field];
  if (v === null || v <= 0) return;
  if (c.resolution_type === 'area' && v >= 20 && !ctx.env.SIMPLETUNER_MAXIMUM_IMAGE_SIZE_OVERRIDE) {
    ctx.log.error(
      ctx.id,
      field,
      `(id=${ctx.id}) ${field} must be less than 20 megapixels when resolution_type is 'area'.`,
    );
  }
  if (c.resolution_type === 'pixel' && v < 512 && !ctx.args.model_family.startsWith('deepfloyd')) {
    ctx.log.error(
      ctx.id,
      field,
      `(id=${ctx.id}) ${field} must be at least 512 pixels when resolution_type is 'pixel'.`,
    );
  }
}

function checkSizes(c: ImageDatasetConfig, ctx: FieldContext): void {
  if (c.maximum_image_size && !c.target_downsample_size) {
    ctx.log.error(
      ctx.id,
      'target_downsample_size',
      `(id=${ctx.id}) When a data backend is configured to use \`maximum_image_size\`, you must also provide a ` +
        `value for \`target_downsample_size\`.`,
    );
  }
  checkSizeField(c, 'maximum_image_size', ctx);
  checkSizeField(c, 'target_downsample_size', ctx);
  const min = c.minimum_image_size;
  if (c.resolution_type === 'area' && min !== null && min > 5) {
    ctx.log.error(
      ctx.id,
      'minimum_image_size',
      `(id=${ctx.id}) --minimum_image_size was given with a value of ${min} but resolution_type is area, which ` +
        `means this value is most likely too large. Please use a value less than 5.`,
    );
  }
  // Beyond libvips's largest coordinate (10,000,000 px per edge) no image can be decoded to the target size.
  const edge = c.resolution_type === 'area' ? Math.sqrt(c.resolution * 1e6) : c.resolution;
  if (edge > 1e7) {
    ctx.log.error(
      ctx.id,
      'resolution',
      `(id=${ctx.id}) resolution ${c.resolution} (${c.resolution_type}) implies an edge of ` +
        `${edge.toExponential(2)} pixels; the largest decodable edge is 10000000.`,
    );
  } else if (c.resolution_type === 'area' && c.resolution > 16) {
    ctx.log.warn(
      ctx.id,
      'resolution',
      `resolution ${c.resolution} with resolution_type 'area' means ${c.resolution} megapixels; did you mean ` +
        `resolution_type 'pixel_area'?`,
    );
  }
}

function checkPrompts(c: ImageDatasetConfig, ctx: FieldContext): void {
  const has = c.instance_prompt !== null && c.instance_prompt.trim() !== '';
  if (c.prepend_instance_prompt && !has) {
    ctx.log.error(
      ctx.id,
      'instance_prompt',
      `(id=${ctx.id}) Backend ${ctx.id} has prepend_instance_prompt=True, but no instance_prompt was provided. ` +
        `You must provide an instance_prompt, or disable this option.`,
    );
  }
  if (c.caption_strategy === 'instanceprompt' && !has) {
    ctx.log.error(
      ctx.id,
      'instance_prompt',
      `(id=${ctx.id}) Backend ${ctx.id} has caption_strategy=instanceprompt, but no instance_prompt was ` +
        `provided. You must provide an instance_prompt, or change the caption_strategy.`,
    );
  } else if (c.only_instance_prompt && !has) {
    ctx.log.error(
      ctx.id,
      'instance_prompt',
      `(id=${ctx.id}) Instance prompt is required when instance_prompt_only is enabled.`,
    );
  }
}

function checkSchedule(c: ImageDatasetConfig, ctx: FieldContext): void {
  const id = ctx.id;
  if (c.end_epoch !== null && c.end_epoch < c.start_epoch) {
    ctx.log.error(id, 'end_epoch', `(id=${id}) end_epoch (${c.end_epoch}) must be >= start_epoch (${c.start_epoch}).`);
  }
  if (c.start_step > 0 && c.end_step !== null && c.end_step < c.start_step) {
    ctx.log.error(id, 'end_step', `(id=${id}) end_step (${c.end_step}) must be >= start_step (${c.start_step}).`);
  }
  const epochs = ctx.args.num_train_epochs;
  if (epochs > 0 && !ctx.args.max_train_steps && c.start_epoch > epochs) {
    ctx.log.warn(
      id,
      'start_epoch',
      `(id=${id}) Scheduled to start at epoch ${c.start_epoch}, but training ends at epoch ${epochs}. It will ` +
        `never sample.`,
    );
  }
  const steps = ctx.args.max_train_steps ?? 0;
  if (steps > 0 && c.start_step > steps) {
    ctx.log.warn(
      id,
      'start_step',
      `(id=${id}) Scheduled to start at step ${c.start_step}, but training ends at step ${steps}. It will never ` +
        `sample.`,
    );
  }
}

function checkConditioningBlock(p: ParsedImage, ctx: FieldContext): void {
  const block = p.conditioning;
  if (block === undefined || block === null) return;
  const items = Array.isArray(block) ? block : [block];
  const typed = items.every(
    (b) => b && typeof b === 'object' && typeof (b as Record<string, unknown>).type === 'string',
  );
  if (!typed) {
    ctx.log.error(
      ctx.id,
      'conditioning',
      `(id=${ctx.id}) Conditioning config must have a 'type' field containing a value like 'canny', ` +
        `'depth_midas', etc.`,
    );
    return;
  }
  ctx.log.warn(
    ctx.id,
    'conditioning',
    'Inline `conditioning` generators are not run by tunefeed; generate the conditioning dataset with ' +
      'SimpleTuner and list it in conditioning_data.',
  );
}

/** Every single-dataset rule; cross-dataset rules run later, once all entries are known. */
export function checkImageRules(c: ImageDatasetConfig, p: ParsedImage, ctx: FieldContext): void {
  checkCrop(c, ctx);
  checkSizes(c, ctx);
  checkPrompts(c, ctx);
  checkSchedule(c, ctx);
  checkConditioningBlock(p, ctx);
  if (p.caption_filter_list !== undefined && p.caption_filter_list !== null) {
    ctx.log.error(
      ctx.id,
      'caption_filter_list',
      `caption_filter_list is only a valid setting for text datasets. It is currently set for the ` +
        `${c.dataset_type} dataset ${ctx.id}.`,
    );
  }
  if (p.video && c.dataset_type !== 'video')
    ctx.log.warn(ctx.id, 'video', `The video block is ignored for dataset_type '${c.dataset_type}'.`);
}
