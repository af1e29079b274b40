// The typed, frozen configs the config stage hands to the engine (SimpleTuner snake_case field names kept).
// The zod schemas in this folder must produce exactly these shapes; other modules import only from here.
import type { UnstreamedDataset } from './unstreamed.js';

export type BackendType = 'local' | 'aws' | 'csv' | 'huggingface';
export type ImageDatasetType = 'image' | 'video' | 'conditioning' | 'eval';
export type DatasetType = ImageDatasetType | 'text_embeds' | 'image_embeds' | 'conditioning_image_embeds';
export type ResolutionType = 'pixel' | 'area';
export type CropAspect = 'square' | 'preserve' | 'closest' | 'random';
export type CropStyle = 'random' | 'center' | 'centre' | 'corner' | 'face';
export type CaptionStrategy = 'filename' | 'textfile' | 'instanceprompt' | 'parquet' | 'csv' | 'huggingface';
export type MetadataBackendType = 'discovery' | 'parquet' | 'huggingface';

/** crop_aspect_buckets element: a bare aspect or a weighted one. */
export type AspectBucketSpec = number | { aspect: number; weight: number };

/** Global training arguments configs depend on (SimpleTuner defaults in lib/config/training-args.ts). */
export interface TrainingArgs {
  resolution: number;
  resolution_type: 'pixel' | 'area' | 'pixel_area';
  model_family: string;
  output_dir: string;
  train_batch_size: number;
  seed: number;
  aspect_bucket_alignment: number;
  aspect_bucket_rounding: number;
  caption_strategy: CaptionStrategy;
  minimum_image_size: number | null;
  maximum_image_size: number | null;
  target_downsample_size: number | null;
  cache_dir: string;
  cache_dir_text: string;
  cache_dir_vae: string;
  data_backend_sampling: string;
  gradient_accumulation_steps: number;
  compress_disk_cache: boolean;
  allow_dataset_oversubscription: boolean;
  /** Training length in steps; null (SimpleTuner's None) or 0 means the epochs decide. @default null */
  max_train_steps: number | null;
  num_train_epochs: number;
  dataloader_prefetch: boolean;
  dataloader_prefetch_qlen: number;
  /**
   * With several conditioning datasets linked to one training dataset: pair every one, or one per sample and epoch.
   * @default 'random'
   */
  conditioning_multidataset_sampling: 'combined' | 'random';
  instance_prompt: string | null;
  metadata_update_interval: number;
  skip_file_discovery: string;
  /** ControlNet training: every image dataset then needs conditioning_data or a conditioning block. @default false */
  controlnet?: boolean;
  /** Frames per second used for the video `num_frames` default (framerate × 5). @default null */
  framerate?: number | null;
  /** Default parquet caption column. @default null (→ "description") */
  parquet_caption_column?: string | null;
  /** Default parquet filename column. @default null (→ "id") */
  parquet_filename_column?: string | null;
  /** Default S3 connection pool size. @default 128 */
  aws_max_pool_connections?: number;
  /** The model's flavour (Wan `5b` flavours align buckets to 64 px instead of 32). @default null */
  model_flavour?: string | null;
  /** SimpleTuner's escape hatch; tunefeed honours it where SimpleTuner does (qwen_image alignment). @default false */
  i_know_what_i_am_doing?: boolean;
  /** npm packages whose dataset builders are registered before the config is read. @default [] */
  plugins?: string[];
  [key: string]: unknown;
}

/** Video block. */
export interface VideoConfig {
  num_frames: number | null;
  min_frames: number | null;
  max_frames: number | null;
  is_i2v: boolean;
  bucket_strategy: 'aspect_ratio' | 'resolution_frames';
  frame_interval: number | null;
}

/** S3 settings (aws_* keys). */
export interface AwsConfig {
  aws_bucket_name: string;
  aws_region_name: string;
  aws_endpoint_url: string | null;
  aws_access_key_id: string | null;
  aws_secret_access_key: string | null;
  aws_session_token: string | null;
  aws_data_prefix: string;
  aws_max_pool_connections: number;
  /** tunefeed extension: 'WHEN_REQUIRED' for S3-compatible servers. */
  aws_checksum_mode: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
}

/** CSV-of-URLs settings. */
export interface CsvConfig {
  csv_file: string;
  csv_cache_dir: string;
  csv_caption_column: string;
  csv_url_column: string;
  /** tunefeed extension: allow URLs on loopback/private/link-local addresses. @default false */
  csv_allow_private_hosts: boolean;
}

/** Parquet/JSONL metadata block. */
export interface ParquetConfig {
  path: string;
  filename_column: string;
  caption_column: string | string[] | null;
  fallback_caption_column: string | null;
  width_column: string | null;
  height_column: string | null;
  aspect_ratio_column: string | null;
  num_frames_column: string | null;
  fps_column: string | null;
  identifier_includes_extension: boolean;
}

/** Hugging Face block. */
export interface HuggingfaceConfig {
  dataset_name: string;
  split: string;
  revision: string | null;
  image_column: string;
  video_column: string | null;
  caption_column: string | string[] | null;
  fallback_caption_column: string | null;
  width_column: string | null;
  height_column: string | null;
  /** Column holding a dict of quality metrics for filter_func.quality_thresholds. @default "quality_assessment" */
  quality_column: string | null;
  /** Extension of the virtual `{idx}.{ext}` keys. @default "jpg" (video: "mp4") */
  file_extension: string | null;
  cache_dir: string;
  filter_func: {
    collection?: string | string[];
    quality_thresholds?: Record<string, number>;
    min_width?: number;
    min_height?: number;
  } | null;
  /** Stream the dataset instead of downloading it. @default false */
  streaming?: boolean;
  /** Worker processes SimpleTuner would use for filtering. @default 16 */
  num_proc?: number;
  /** Column holding a description dict used as a caption fallback. @default null */
  description_column?: string | null;
}

/** Fields shared by image / video / conditioning / eval datasets. */
export interface ImageDatasetConfig {
  readonly id: string;
  readonly type: BackendType;
  readonly dataset_type: ImageDatasetType;
  readonly instance_data_dir: string;
  readonly resolution: number;
  readonly resolution_type: ResolutionType;
  readonly minimum_image_size: number | null;
  readonly maximum_image_size: number | null;
  readonly target_downsample_size: number | null;
  readonly minimum_aspect_ratio: number | null;
  readonly maximum_aspect_ratio: number | null;
  readonly max_upscale_threshold: number | null;
  readonly crop: boolean;
  readonly crop_aspect: CropAspect;
  readonly crop_aspect_buckets: readonly AspectBucketSpec[] | null;
  readonly crop_style: CropStyle;
  readonly caption_strategy: CaptionStrategy;
  readonly instance_prompt: string | null;
  readonly prepend_instance_prompt: boolean;
  readonly only_instance_prompt: boolean;
  readonly caption_shuffle: {
    enabled: boolean;
    count: number;
    position_start: number;
    include_original: boolean;
    /** Tag separator. @default 'comma' */
    split_on?: 'comma' | 'space' | 'period';
    /** Shuffle seed. @default args.seed */
    seed?: number;
  } | null;
  readonly metadata_backend: MetadataBackendType;
  readonly train_batch_size: number;
  readonly repeats: number;
  readonly probability: number;
  readonly start_epoch: number;
  readonly start_step: number;
  readonly end_epoch: number | null;
  readonly end_step: number | null;
  readonly disable_after_epoch_step: number | null;
  readonly max_num_samples: number | null;
  readonly scan_for_errors: boolean;
  readonly cache_dir_vae: string;
  readonly cache_file_suffix: string;
  readonly text_embeds: string | null;
  readonly image_embeds: string | null;
  readonly conditioning_data: readonly string[];
  readonly source_dataset_id: string | null;
  readonly conditioning_type: string | null;
  readonly skip_file_discovery: string;
  readonly preserve_data_backend_cache: boolean | string;
  readonly compress_cache: boolean;
  readonly vae_cache_ondemand: boolean;
  readonly vae_cache_disable: boolean;
  readonly video: VideoConfig | null;
  readonly aws: AwsConfig | null;
  readonly csv: CsvConfig | null;
  readonly parquet: ParquetConfig | null;
  readonly huggingface: HuggingfaceConfig | null;
  /** Geometry globals copied in so a dataset config is self-contained. */
  readonly aspect_bucket_alignment: number;
  readonly aspect_bucket_rounding: number;
  /** Every prompt when `instance_prompt` was given as a list (instance_prompt then holds the first). */
  readonly instance_prompts?: readonly string[];
  /** textfile captions: do not split a caption file into one caption per line. @default false */
  readonly disable_multiline_split?: boolean;
  /** Seconds between periodic metadata flushes during a scan. @default args.metadata_update_interval (3600) */
  readonly metadata_update_interval?: number;
  /** Conditioning image embed backend id (CLIP-vision etc.). @default null */
  readonly conditioning_image_embeds?: string | null;
  /**
   * The caption_filter_list of the linked text-embed backend (file lists already read), applied to captions.
   * @default undefined (no filter)
   */
  readonly caption_filter?: readonly string[];
  /** Rebuild the VAE cache every epoch. @default false */
  readonly vae_cache_clear_each_epoch?: boolean;
  /**
   * Known SimpleTuner keys tunefeed carries through without interpreting them (write_batch_size, slider_strength, ...).
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** text_embeds datasets. */
export interface TextEmbedsConfig {
  readonly id: string;
  readonly type: BackendType;
  readonly dataset_type: 'text_embeds';
  readonly default: boolean;
  readonly cache_dir: string;
  readonly caption_filter_list: readonly string[] | string;
  readonly text_cache_ondemand: boolean;
  readonly text_cache_disable: boolean;
  readonly aws: AwsConfig | null;
  /** Keep the `all_text_cache_files_{id}.json` listing across launches (true, or a string naming `text`). */
  readonly preserve_data_backend_cache?: boolean | string;
  /** Known SimpleTuner keys carried through uninterpreted. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** image_embeds and conditioning_image_embeds datasets. */
export interface ImageEmbedsConfig {
  readonly id: string;
  readonly type: BackendType;
  readonly dataset_type: 'image_embeds' | 'conditioning_image_embeds';
  readonly cache_dir: string | null;
  readonly compress_cache: boolean;
  readonly aws: AwsConfig | null;
  /** Keep this cache's file listing across launches (true, or a string naming `vae` / `conditioning_image_embeds`). */
  readonly preserve_data_backend_cache?: boolean | string;
  /** Known SimpleTuner keys carried through uninterpreted. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export type DatasetConfig = ImageDatasetConfig | TextEmbedsConfig | ImageEmbedsConfig;

/** What the config stage returns: datasets in dependency order, plus the args they were resolved against. */
export interface LoadedConfig {
  readonly datasets: readonly DatasetConfig[];
  readonly args: Readonly<TrainingArgs>;
  readonly warnings: readonly { id: string | null; field: string; message: string }[];
  /** Entries validated but not streamed (audio, caption, grounding, distillation_cache, memory embeds). @default [] */
  readonly unstreamed?: readonly UnstreamedDataset[];
}

/** Narrowing helper. */
export function isImageDataset(d: DatasetConfig): d is ImageDatasetConfig {
  return (
    d.dataset_type === 'image' ||
    d.dataset_type === 'video' ||
    d.dataset_type === 'conditioning' ||
    d.dataset_type === 'eval'
  );
}
