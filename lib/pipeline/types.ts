// Public shapes of the runtime: batches, samples, skips, loader inputs and options.
import type { ImageDatasetConfig, LoadedConfig, TrainingArgs } from '../config/types.js';
import type { Tensor } from '../embeds/tensor.js';
import type { DatasetIndex } from '../metadata/types.js';
import type { MetricsBus } from '../metrics/events.js';
import type { ResumeState } from '../sampling/state.js';
import type { WeightingStrategy } from '../sampling/weights.js';
import type { StorageBackend } from '../storage/types.js';
import type { CacheOptions } from '../storage/cache/cache-spec.js';
import type { DashboardSpec } from '../dashboard/options.js';

/** One training sample as delivered (SimpleTuner's metadata names; sizes [width, height], crop [top, left]). */
export interface BatchSample {
  /** Storage key, relative to the dataset root. */
  key: string;
  /** The path SimpleTuner would record (absolute path, S3 key, URL). */
  path: string;
  caption: string | null;
  original_size: [number, number];
  intermediary_size: [number, number];
  target_size: [number, number];
  crop_coordinates: [number, number];
  aspect_ratio: number;
  /** RGB uint8, row-major, shape `[height, width, 3]` (when images are decoded). */
  pixels?: Uint8Array;
  /** Cached VAE latents (when the dataset's VAE cache is complete; decode is skipped). */
  latents?: Tensor;
  /** True when this sample replaced one that failed to read or decode. */
  refill?: boolean;
  /** Paired conditioning samples (same relative path, same geometry as this sample), in dataset-id order. */
  conditioning?: ConditioningSample[];
  /**
   * The caption's cached text embeds, every tensor the cache file holds by its name (prompt_embeds,
   * pooled_prompt_embeds, attention masks, ...), when the dataset has a text_embeds backend and decoding is on.
   */
  textEmbeds?: Record<string, Tensor>;
  /** Set instead of `textEmbeds` when the caption's cache file does not exist: that file's key in the text cache. */
  textEmbedMissing?: string;
  /** Video: RGB uint8 frames, row-major, shape `[frames, height, width, 3]` (when clips are decoded). */
  frames?: Uint8Array;
  /** Video: the clip's frame indices (decode order) that `frames` holds. */
  frame_indices?: number[];
  /** Video: the clip's frame rate. */
  fps?: number;
}

/** A conditioning image paired with a training sample: cropped and resized exactly like it, so pixels align. */
export interface ConditioningSample {
  dataset: string;
  path: string;
  /** RGB uint8 `[height, width, 3]`, same shape as the training sample's pixels (when decoding). */
  pixels?: Uint8Array;
}

/**
 * A sample that could not be used, and why (`not_found`, `read_error`, `corrupt`, `pixel_limit`, `geometry`,
 * `worker_crash`, ...).
 */
export interface SkippedSample {
  dataset: string;
  key: string;
  reason: string;
  message: string;
}

/** One batch for this rank: every sample from one dataset and one aspect bucket. */
export interface Batch {
  /** Global batch index (the same on every rank for the same global batch). */
  step: number;
  epoch: number;
  dataset: string;
  bucket: string;
  rank: number;
  worldSize: number;
  samples: BatchSample[];
  /** Samples that failed and were replaced (or dropped when the bucket had no good replacement). */
  skipped: SkippedSample[];
}

/** A dataset handed to the loader directly (bypassing config → factory → scan). */
export interface LoaderDatasetInput {
  config: ImageDatasetConfig;
  storage: StorageBackend;
  index: DatasetIndex;
  /** Caption lookup; default: the index's captions, else the config's strategy for filename/instanceprompt. */
  captions?: (key: string, sampleSeed: number) => Promise<string | null>;
  /** The dataset's text_embeds backend: each sample's caption is looked up there (SimpleTuner's file names). */
  textEmbeds?: TextEmbedSource;
  /** The VAE cache to read latents from instead of `config.cache_dir_vae` (the linked image_embeds backend). */
  vaeCache?: StorageBackend;
}

/** Where a dataset's text embeds are cached and how their files are named. */
export interface TextEmbedSource {
  /** The text_embeds backend's storage, rooted at its cache_dir (local directory or S3 prefix). */
  storage: StorageBackend;
  /** `model_family` of the training args: the file name suffix (`<md5>-<model_family>.pt`). */
  modelFamily: string;
}

/** Options of createLoader. */
export interface LoaderOptions {
  /** Seed of every order. @default args.seed */
  seed?: number;
  /** This process's rank. @default RANK, else LOCAL_RANK, else 0 */
  rank?: number;
  /** Data-parallel world size. @default WORLD_SIZE, else 1 */
  worldSize?: number;
  /** Environment for RANK / WORLD_SIZE / LOCAL_RANK. @default process.env */
  env?: Record<string, string | undefined>;
  /** Continue from a state returned by `loader.state()`. */
  resume?: ResumeState;
  /** Stop after this many batches (counted from the start or resume point). @default unlimited */
  batches?: number;
  /** Stop at the end of this epoch. @default unlimited */
  epochs?: number;
  /** `train` selects training datasets; `eval` the eval datasets with batch size 1. @default 'train' */
  split?: 'train' | 'eval';
  /** Ready batches kept ahead of the consumer. @default args.dataloader_prefetch_qlen, else 10 */
  prefetch?: number;
  /** Decode images (or read latents). false = metadata and captions only. @default true */
  decode?: boolean;
  /** Use complete VAE caches instead of decoding. @default true */
  latents?: boolean;
  /**
   * Samples in flight in the ordered window. @default 16 (deep enough that one slow image at the head does not leave
   * decode slots idle; see docs/runtime.md)
   */
  inFlight?: number;
  /** Decode worker threads. @default 1 */
  threads?: number;
  /** Decodes in flight per worker thread. @default 4 */
  tasksPerThread?: number;
  /** Weighting strategy name or function. @default args.data_backend_sampling, else 'auto-weighting' */
  weighting?: string | WeightingStrategy;
  /** Overrides of training args (gradient_accumulation_steps, allow_dataset_oversubscription, ...). */
  args?: Partial<TrainingArgs>;
  /** Datasets already built and scanned (skips factory and scan). */
  datasets?: LoaderDatasetInput[];
  /** An already loaded config to use instead of loading `source` (when `source` is a path). */
  loaded?: LoadedConfig;
  /** Metric events go here. @default the process-wide bus */
  metrics?: MetricsBus;
  /** Pixel limit per input image. @default 178956970 */
  limitInputPixels?: number;
  /**
   * With several linked conditioning datasets: `combined` pairs every one, `random` one per sample and epoch.
   * @default args.conditioning_multidataset_sampling, else 'random' (SimpleTuner's default)
   */
  conditioningSampling?: 'combined' | 'random';
  /**
   * Run the batch pipeline (sampling, merge, decode window and its pool, assembly) in a dedicated prefetch thread;
   * the main thread only receives finished batches (buffers transferred, not copied), so a consumer that computes
   * on the main thread does not stall preparation. `false` runs it in-process. A weighting function or a weighting
   * registered with `registerWeighting` keeps it in-process (functions cannot cross threads).
   * @default true (false when the environment sets TUNEFEED_PREFETCH_THREAD=0)
   */
  thread?: boolean;
  /** `key=value` training-argument overrides, as `tunefeed stream --set` (when `source` is a path). @default [] */
  set?: string[];
  /** SimpleTuner's config.json with training arguments, as `--training-config` (when `source` is a path). */
  trainingConfig?: string;
  /** Dataset builder plug-ins (npm package names or paths), added to the `plugins` training argument. @default [] */
  plugins?: string[];
  /**
   * A sample whose caption has no cached text embed fails the stream with TextEmbedMissingError (naming the caption)
   * instead of being delivered without embeds (and counted in `textEmbedMissing`).
   * @default false
   */
  requireEmbeds?: boolean;
  /**
   * Video: largest width × height × frames decoded for one clip; a larger clip is skipped (`pixel_limit`).
   * @default 2147483648
   */
  maxVideoPixels?: number;
  /**
   * Read cache (memory → disk) for the S3, Hugging Face and CSV datasets the loader builds from a config; a dataset's
   * `tunefeed_cache` overrides it. Pre-built `datasets` keep their storage (build it with a `cache` description).
   * @default off (see docs/cache.md for each field's default)
   */
  cache?: CacheOptions;
  /** Batches whose samples are downloaded into the cache ahead of use (cached datasets only; 0 = off). @default 4 */
  readAhead?: number;
  /** Bytes of read-ahead downloads in flight at most. @default 268435456 (256 MiB) */
  readAheadBytes?: number;
  /**
   * Serve the live dashboard and /metrics while the loader runs (closed with it): `[HOST:]PORT` (`0` = a free port,
   * 127.0.0.1 unless a host is named) or DashboardOptions. The URL with its token goes to stderr.
   * @default undefined (no server, nothing listens)
   */
  dashboard?: DashboardSpec;
}
