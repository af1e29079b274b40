// Turns createLoader's `source` into scanned datasets: pre-built inputs, or config → factory → scan.
import { loadConfig, type LoadConfigOptions } from '../config/load-config.js';
import {
  isImageDataset,
  type DatasetConfig,
  type ImageDatasetConfig,
  type LoadedConfig,
  type TrainingArgs,
} from '../config/types.js';
import { createCaptionResolver } from '../captions/resolve-caption.js';
import { createFactory } from '../factory/factory.js';
import { scanDataset } from '../metadata/scan.js';
import type { DatasetIndex } from '../metadata/types.js';
import type { MetricsBus } from '../metrics/events.js';
import type { StorageBackend } from '../storage/types.js';
import { ScanPool } from '../pool/scan-pool.js';
import type { LoaderDatasetInput, LoaderOptions } from './types.js';

/** The runtime's view of the training arguments it uses. */
export interface RuntimeArgs {
  seed: number;
  gradient_accumulation_steps: number;
  allow_dataset_oversubscription: boolean;
  data_backend_sampling: string;
  dataloader_prefetch_qlen: number;
  conditioning_multidataset_sampling: 'combined' | 'random';
}

/** Datasets plus the function that releases what was built for them. */
export interface ResolvedInputs {
  datasets: LoaderDatasetInput[];
  args: RuntimeArgs;
  close: () => Promise<void>;
}

const DEFAULTS: RuntimeArgs = {
  seed: 0,
  gradient_accumulation_steps: 1,
  allow_dataset_oversubscription: false,
  data_backend_sampling: 'auto-weighting',
  dataloader_prefetch_qlen: 10,
  conditioning_multidataset_sampling: 'random',
};

/** SimpleTuner's defaults, overridden by the config's args, overridden by `options.args`. */
export function runtimeArgs(
  base: Partial<TrainingArgs> | undefined,
  over: Partial<TrainingArgs> | undefined,
): RuntimeArgs {
  const merged = { ...DEFAULTS } as Record<string, unknown>;
  for (const src of [base, over]) {
    for (const k of Object.keys(DEFAULTS)) if (src?.[k] !== undefined && src[k] !== null) merged[k] = src[k];
  }
  return merged as unknown as RuntimeArgs;
}

/** A built data backend and the ids of the embed backends it links to (text: the default when unset). */
interface BuiltData {
  id: string;
  config: DatasetConfig;
  storage: StorageBackend;
  textEmbeds?: string | null;
  imageEmbeds?: string | null;
}

/**
 * An S3 dataset without an image_embeds backend keeps its VAE cache in its own bucket, under `cache_dir_vae` as a
 * key prefix (SimpleTuner writes it through the dataset's backend); the returned storage must be closed by the caller.
 */
async function s3VaeCache(b: BuiltData): Promise<StorageBackend | undefined> {
  const desc = b.storage.describe();
  const dir = isImageDataset(b.config) ? b.config.cache_dir_vae : '';
  if (desc.kind !== 'aws' || !dir || b.imageEmbeds) return undefined;
  const prefix = `${dir.replace(/^\.?\/+/, '').replace(/\/+$/, '')}/`;
  const { createStorage } = await import('../storage/from-description.js');
  return createStorage({ ...desc, id: `${b.id}:vae`, prefix });
}

/** The dataset's text_embeds and image_embeds backends (or S3 VAE cache prefix), as the runtime reads them. */
async function embedLinks(
  b: BuiltData,
  get: (id: string) => { storage: StorageBackend } | undefined,
  modelFamily: string,
  owned: StorageBackend[],
): Promise<Pick<LoaderDatasetInput, 'textEmbeds' | 'vaeCache'>> {
  const text = b.textEmbeds ? get(b.textEmbeds) : undefined;
  const image = b.imageEmbeds ? get(b.imageEmbeds)?.storage : await s3VaeCache(b);
  if (image && !b.imageEmbeds) owned.push(image);
  return {
    ...(text ? { textEmbeds: { storage: text.storage, modelFamily } } : {}),
    ...(image ? { vaeCache: image } : {}),
  };
}

/**
 * Caption resolvers built here from the config, by the seed they were built with: the prefetch thread rebuilds them.
 */
const rebuildable = new WeakMap<object, number>();

function markRebuildable<F extends object>(fn: F, seed: number): F {
  rebuildable.set(fn, seed);
  return fn;
}

/** The seed a config-built caption resolver was made with; undefined for a user's own function. */
export function rebuildableCaptionSeed(fn: object): number | undefined {
  return rebuildable.get(fn);
}

type Built = BuiltData;
type Extras = Pick<LoaderDatasetInput, 'captions' | 'textEmbeds' | 'vaeCache'>;

/**
 * Scan every sampled dataset in one ScanPool, the same worker pool `tunefeed scan` uses: one scan path whichever
 * command starts it. Conditioning datasets are paired by relative path, never sampled, so never scanned.
 */
async function scanInputs(
  built: readonly Built[],
  ctx: { args: TrainingArgs; metrics: MetricsBus | undefined },
  extrasFor: (b: Built, config: ImageDatasetConfig, index: DatasetIndex) => Promise<Extras>,
): Promise<LoaderDatasetInput[]> {
  const datasets: LoaderDatasetInput[] = [];
  const pool = new ScanPool();
  try {
    for (const b of built) {
      const config = b.config;
      if (!isImageDataset(config)) continue;
      if (config.dataset_type === 'conditioning') {
        const index = { id: b.id, buckets: {}, metadata: {}, stats: { total_processed: 0, skipped: {} } };
        datasets.push({ config, storage: b.storage, index });
        continue;
      }
      const { index } = await scanDataset({
        id: b.id,
        config,
        storage: b.storage,
        args: ctx.args,
        pool,
        ...(ctx.metrics ? { metrics: ctx.metrics } : {}),
      });
      datasets.push({ config, storage: b.storage, index, ...(await extrasFor(b, config, index)) });
    }
  } finally {
    await pool.close();
  }
  return datasets;
}

/** Resolve `source` into datasets. */
export async function resolveInputs(source: string | LoadedConfig, options: LoaderOptions): Promise<ResolvedInputs> {
  if (options.datasets) {
    const loaded = typeof source === 'string' ? options.loaded : source;
    return { datasets: options.datasets, args: runtimeArgs(loaded?.args, options.args), close: async () => {} };
  }
  const loaded =
    typeof source === 'string' ? (options.loaded ?? (await loadConfig(source, configOptions(options)))) : source;
  const built = await createFactory(loaded, options.cache ? { cache: options.cache } : {}).build();
  const owned: StorageBackend[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(owned.map((s) => s.close()));
    await built.close();
  };
  try {
    const args = { ...loaded.args, ...options.args };
    const rt = runtimeArgs(loaded.args, options.args);
    const seed = options.seed ?? rt.seed;
    const datasets = await scanInputs(built.data, { args, metrics: options.metrics }, async (b, c, i) => ({
      captions: markRebuildable(createCaptionResolver(c, b.storage, i, seed), seed),
      ...(await embedLinks(b, (id) => built.get(id), args.model_family, owned)),
    }));
    return { datasets, args: rt, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function configOptions(options: LoaderOptions): LoadConfigOptions {
  return {
    ...(options.args ? { args: options.args } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.set ? { set: options.set } : {}),
    ...(options.trainingConfig ? { trainingConfig: options.trainingConfig } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
  };
}
