// Every multidatabackend.json key SimpleTuner knows, which are booleans, which are removed or deprecated, and "did you
// mean".

/** Keys whose values must be booleans (string booleans are coerced with a warning). */
export const BOOLEAN_KEYS: ReadonlySet<string> = new Set([
  'disabled',
  'default',
  'crop',
  'prepend_instance_prompt',
  'only_instance_prompt',
  'disable_multiline_split',
  'scan_for_errors',
  'hash_filenames',
  'compress_cache',
  'delete_unwanted_images',
  'delete_problematic_images',
  'delete_nsfw_images',
  'vae_cache_clear_each_epoch',
  'vae_cache_ondemand',
  'vae_cache_disable',
  'text_cache_ondemand',
  'text_cache_disable',
  'is_regularisation_data',
  'is_regularization_data',
  'disable_validation',
  'shuffle',
  'csv_shorten_filenames',
  'shorten_filenames',
  'csv_hash_filenames',
  'split_composite_images',
  'memory_filesystem_sudo',
  'auto_generated',
]);

/** Boolean keys inside nested blocks, as `block.key`. */
export const NESTED_BOOLEAN_KEYS: ReadonlySet<string> = new Set([
  'video.is_i2v',
  'caption_shuffle.enable',
  'caption_shuffle.enabled',
  'caption_shuffle.include_original',
  'parquet.identifier_includes_extension',
  'huggingface.streaming',
  'huggingface.auto_load',
]);

/** Keys known inside the nested blocks (unknown ones are warned like top-level keys). */
export const NESTED_KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  video: ['num_frames', 'min_frames', 'max_frames', 'is_i2v', 'bucket_strategy', 'frame_interval'],
  parquet: [
    'path',
    'filename_column',
    'caption_column',
    'fallback_caption_column',
    'width_column',
    'height_column',
    'identifier_includes_extension',
    'aspect_ratio_column',
    'num_frames_column',
    'fps_column',
    'bbox_column',
  ],
  huggingface: [
    'dataset_name',
    'split',
    'revision',
    'cache_dir',
    'streaming',
    'num_proc',
    'auto_load',
    'composite_image_config',
    'filter_func',
    'caption_column',
    'fallback_caption_column',
    'description_column',
    'width_column',
    'height_column',
    'quality_column',
    'num_frames_column',
    'fps_column',
    'bbox_column',
    'file_extension',
    'lyrics_column',
    'audio_caption_fields',
    'image_column',
    'video_column',
  ],
  caption_shuffle: ['enable', 'enabled', 'count', 'seed', 'split_on', 'position_start', 'include_original'],
};

/** The S3 storage keys (flat `aws_*` and the nested `aws` block), for every dataset type that can live on S3. */
export const AWS_KEYS = [
  'aws_bucket_name',
  'aws_region_name',
  'aws_endpoint_url',
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_data_prefix',
  'aws_max_pool_connections',
  'aws_checksum_mode',
  'aws',
] as const;

/** Keys tunefeed interprets itself. */
const MODELLED_KEYS = [
  'id',
  'type',
  'dataset_type',
  'disabled',
  'default',
  'train_batch_size',
  'probability',
  'repeats',
  'start_epoch',
  'start_step',
  'end_epoch',
  'end_step',
  'disable_after_epoch_step',
  'preserve_data_backend_cache',
  'skip_file_discovery',
  'scan_for_errors',
  'hash_filenames',
  'compress_cache',
  'metadata_update_interval',
  'cache_file_suffix',
  'max_num_samples',
  'instance_data_dir',
  'resolution',
  'resolution_type',
  'minimum_image_size',
  'maximum_image_size',
  'target_downsample_size',
  'minimum_aspect_ratio',
  'maximum_aspect_ratio',
  'crop',
  'crop_aspect',
  'crop_aspect_buckets',
  'crop_style',
  'max_upscale_threshold',
  'video',
  'caption_strategy',
  'instance_prompt',
  'prepend_instance_prompt',
  'only_instance_prompt',
  'disable_multiline_split',
  'caption_shuffle',
  'caption_filter_list',
  'metadata_backend',
  'parquet',
  'csv_file',
  'csv_cache_dir',
  'csv_caption_column',
  'csv_url_column',
  'csv_allow_private_hosts',
  ...AWS_KEYS,
  'dataset_name',
  'split',
  'revision',
  'image_column',
  'video_column',
  'huggingface',
  'caption_column',
  'fallback_caption_column',
  'text_embeds',
  'image_embeds',
  'conditioning_image_embeds',
  'cache_dir_vae',
  'cache_dir',
  'vae_cache_clear_each_epoch',
  'vae_cache_ondemand',
  'vae_cache_disable',
  'text_cache_ondemand',
  'text_cache_disable',
  'conditioning_type',
  'conditioning_data',
  'conditioning',
  'source_dataset_id',
];

/** Keys SimpleTuner knows that tunefeed passes through in `extra` without interpreting. */
const PASSTHROUGH_KEYS = [
  'delete_unwanted_images',
  'delete_problematic_images',
  'delete_nsfw_images',
  'audio',
  'audio_column',
  'csv_shorten_filenames',
  'shorten_filenames',
  'csv_hash_filenames',
  'split_composite_images',
  'composite_image_column',
  'cache_dir_conditioning_image_embeds',
  'conditioning_image_embed_batch_size',
  'write_batch_size',
  'read_batch_size',
  'vae_batch_size',
  'image_processing_batch_size',
  'max_workers',
  'text_encoder_batch_size',
  's2v_datasets',
  'grounding',
  'grounding_data',
  'slider_strength',
  'timestep_sampling_offset',
  'is_regularisation_data',
  'is_regularization_data',
  'disable_validation',
  'shuffle',
  'caption_file_extensions',
  'auto_generated',
  'distillation_type',
  'config_version',
  'tunefeed_cache',
];

/** Memory/webshart keys: known, but their backends are not supported by tunefeed. */
const UNSUPPORTED_KEYS = ['memory_filesystem_path', 'memory_filesystem_size', 'memory_filesystem_sudo', 'source'];

/** Aliases normalised away before validation (alias → canonical). */
export const KEY_ALIASES: Readonly<Record<string, string>> = {
  instance_data_root: 'instance_data_dir',
  disable: 'disabled',
  text_embed_cache: 'text_embeds',
};

/** Keys that SimpleTuner removed: using one is an error. */
export const REMOVED_KEYS: Readonly<Record<string, string>> = {
  disable_vae_cache: 'disable_vae_cache has been removed. Use vae_cache_disable instead.',
};

/** Keys that still parse but do nothing: using one is a warning. */
export const DEPRECATED_KEYS: Readonly<Record<string, string>> = {
  ignore_epochs:
    'ignore_epochs is deprecated, and will do nothing. This can be safely removed from your configuration.',
};

/** Known keys carried through in `extra`. */
export const PASSTHROUGH: ReadonlySet<string> = new Set(PASSTHROUGH_KEYS.filter((k) => !MODELLED_KEYS.includes(k)));

/** Every key that is not "unknown". */
export const KNOWN_KEYS: ReadonlySet<string> = new Set([
  ...MODELLED_KEYS,
  ...PASSTHROUGH_KEYS,
  ...UNSUPPORTED_KEYS,
  ...Object.keys(KEY_ALIASES),
  ...Object.keys(REMOVED_KEYS),
  ...Object.keys(DEPRECATED_KEYS),
]);

/** Audio settings may also appear as top-level `audio_*` keys. */
export function isKnownKey(key: string): boolean {
  return KNOWN_KEYS.has(key) || key.startsWith('audio_');
}

/** Levenshtein distance, two rows, early exit once every cell exceeds `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return rowMin;
    prev = cur;
  }
  return prev[b.length];
}

/** Nearest known key within a third of its length (at least 1 edit), or null. Long keys are not compared. */
export function suggestKey(key: string, known: Iterable<string> = KNOWN_KEYS): string | null {
  if (key.length > 64) return null;
  const lower = key.toLowerCase();
  let best: string | null = null;
  let bestD = Math.max(1, Math.floor(lower.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(lower, k, bestD);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}
