// The factory: builds text-embed, then image-embed, then data backends from a loaded config, with links and metrics.
import { ConfigValidationError, type ConfigIssue } from '../errors.js';
import type { DatasetConfig, ImageDatasetConfig, LoadedConfig, MetadataBackendType } from '../config/types.js';
import { isImageDataset } from '../config/types.js';
import { logger } from '../log.js';
import { metrics as bus } from '../metrics/events.js';
import type { BackendDescription, StorageBackend } from '../storage/types.js';
import type { BuildContext } from './builder.js';
import { BuildPool } from './build-pool.js';
import { PerfTracker, type CustomMetric, type FactoryMetrics } from './perf.js';
import { type BuilderRegistry, defaultRegistry, loadBuilderPlugin, forThreads } from './registry.js';
import type { CacheOptions } from '../storage/cache/cache-spec.js';

/** Options for createFactory. */
export interface FactoryOptions {
  /** Builders to use. @default the four built-ins */
  registry?: BuilderRegistry;
  /** npm package names or paths of third-party builders, registered before building. @default [] */
  plugins?: string[];
  /** Directory plug-in names resolve from. @default process.cwd() */
  pluginsFrom?: string;
  /** Environment for HF_ENDPOINT, HF_HOME, HF_TOKEN. @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Delete `{output_dir}/all_*_files_{id}.json` unless preserve_data_backend_cache keeps them (SimpleTuner). @default
   * true
   */
  deleteCaches?: boolean;
  /** Parse CSV indexes and read HF shard footers at build time, so bad data fails early. @default true */
  probe?: boolean;
  /**
   * CSV URLs may target private/loopback hosts when the dataset does not set csv_allow_private_hosts. @default false
   */
  csvAllowPrivateHosts?: boolean;
  /** Worker threads for CPU-heavy build steps (CSV index parsing); 0 = main thread only. @default 2 */
  workers?: number;
  /**
   * CSV files at least this big are parsed on a worker thread (csv-parse costs ~5.5 µs CPU per row here, ~0.3 s per 4
   * MiB). @default 4194304 (4 MiB)
   */
  workerThresholdBytes?: number;
  /** Builds in flight within one group. @default 4 */
  concurrency?: number;
  /** Stages timed before the factory (e.g. `{ config_load: 12.5 }`), reported with the factory's own. */
  timings?: Record<string, number>;
  /** Custom metrics, reported in `metrics.custom` and the log line. */
  customMetrics?: Record<string, CustomMetric>;
  /**
   * Read cache for S3, Hugging Face and CSV datasets (per dataset: `tunefeed_cache`). @default off (see docs/cache.md)
   */
  cache?: CacheOptions;
}

/** One built backend. */
export interface BuiltBackend {
  id: string;
  config: DatasetConfig;
  storage: StorageBackend;
  description: BackendDescription;
  /** The metadata backend that scans it (data datasets), else null. */
  metadataBackend: MetadataBackendType | null;
  /** Linked text-embed backend id (data datasets). */
  textEmbeds: string | null;
  /** Linked image-embed backend id (data datasets). */
  imageEmbeds: string | null;
}

/** Everything the factory built. */
export interface BuiltBackends {
  textEmbeds: BuiltBackend[];
  imageEmbeds: BuiltBackend[];
  data: BuiltBackend[];
  defaultTextEmbedId: string | null;
  metrics: FactoryMetrics;
  /** A backend by id, or undefined. */
  get(id: string): BuiltBackend | undefined;
  /** Close every storage client (sockets, agents, file handles). */
  close(): Promise<void>;
}

/** A factory for one loaded config. */
export interface Factory {
  readonly registry: BuilderRegistry;
  /** Add a custom metric (name → function) reported with the factory metrics. */
  registerMetric(name: string, fn: CustomMetric): void;
  build(): Promise<BuiltBackends>;
}

const log = logger('factory');

/** Create a factory; nothing is built until `build()`. */
export function createFactory(loaded: LoadedConfig, options: FactoryOptions = {}): Factory {
  const registry = options.registry ?? defaultRegistry();
  const custom = new Map<string, CustomMetric>(Object.entries(options.customMetrics ?? {}));
  return {
    registry,
    registerMetric: (name, fn) => {
      custom.set(name, fn);
    },
    build: () => buildAll(loaded, options, registry, custom),
  };
}

async function buildAll(
  loaded: LoadedConfig,
  options: FactoryOptions,
  registry: BuilderRegistry,
  custom: Map<string, CustomMetric>,
): Promise<BuiltBackends> {
  const perf = new PerfTracker(custom);
  for (const [k, ms] of Object.entries(options.timings ?? {})) perf.external(k, ms);
  const built: BuiltBackend[] = [];
  const pool = (options.workers ?? 2) > 0 ? new BuildPool(options.workers ?? 2) : undefined;
  try {
    await perf.stage('plugins', async () => {
      // --plugin / the `plugins` training argument, then the caller's; a type already registered is not re-added.
      for (const spec of new Set([...(loaded.args.plugins ?? []), ...(options.plugins ?? [])]))
        for (const b of await loadBuilderPlugin(spec, options.pluginsFrom))
          if (!registry.has(b.type)) registry.register(b);
    });
    const ctx: BuildContext = {
      loaded,
      args: loaded.args,
      env: options.env ?? process.env,
      deleteCaches: options.deleteCaches ?? true,
      probe: options.probe ?? true,
      workerThresholdBytes: options.workerThresholdBytes ?? 4 * 1024 * 1024,
      ...(pool ? { pool } : {}),
      ...(options.csvAllowPrivateHosts !== undefined ? { csvAllowPrivateHosts: options.csvAllowPrivateHosts } : {}),
      ...(options.cache ? { cache: options.cache } : {}),
    };
    const groups = splitGroups(loaded.datasets);
    const defaultTextEmbedId = pickDefault(groups.text);
    checkLinks(groups, loaded.unstreamed ?? []);
    const run = (name: string, list: DatasetConfig[]): Promise<BuiltBackend[]> =>
      perf.stage(name, () =>
        buildGroup(name, list, registry, ctx, perf, options.concurrency ?? 4, built, defaultTextEmbedId),
      );
    const textEmbeds = await run('text_embeds', groups.text);
    const imageEmbeds = await run('image_embeds', groups.image);
    const data = await run('data_backends', groups.data);
    const m = perf.metrics;
    m.counts = { text_embeds: textEmbeds.length, image_embeds: imageEmbeds.length, data_backends: data.length };
    const metrics = perf.finish();
    log.info({ metrics }, 'factory built backends');
    bus.emit('factory.built', { ...metrics });
    const byId = new Map(built.map((b) => [b.id, b]));
    return {
      textEmbeds,
      imageEmbeds,
      data,
      defaultTextEmbedId,
      metrics,
      get: (id) => byId.get(id),
      close: () => closeAll(built),
    };
  } catch (err) {
    await closeAll(built);
    throw err;
  } finally {
    await pool?.close();
  }
}

function splitGroups(datasets: readonly DatasetConfig[]): {
  text: DatasetConfig[];
  image: DatasetConfig[];
  data: DatasetConfig[];
} {
  return {
    text: datasets.filter((d) => d.dataset_type === 'text_embeds'),
    image: datasets.filter((d) => d.dataset_type === 'image_embeds' || d.dataset_type === 'conditioning_image_embeds'),
    data: datasets.filter(isImageDataset),
  };
}

/** The text-embed backend marked default, else the first one (SimpleTuner marks it), else null. */
function pickDefault(text: DatasetConfig[]): string | null {
  const marked = text.find((d) => (d as { default?: boolean }).default === true);
  return (marked ?? text[0])?.id ?? null;
}

/**
 * Every text_embeds / image_embeds reference must name a backend of the right kind; all problems reported at once.
 * loadConfig already checks this (config/rules-cross.ts); the factory repeats the cheap check because a
 * LoadedConfig can also be built by hand, and a dangling link would otherwise surface mid-training.
 */
function checkLinks(g: ReturnType<typeof splitGroups>, unstreamed: readonly { id: string }[]): void {
  // Memory embed backends are validated, not built: a link to one is not a missing backend.
  const text = new Set([...g.text.map((d) => d.id), ...unstreamed.map((d) => d.id)]);
  const image = new Set([...g.image.map((d) => d.id), ...unstreamed.map((d) => d.id)]);
  const issues: ConfigIssue[] = [];
  for (const d of g.data as ImageDatasetConfig[]) {
    if (d.text_embeds && !text.has(d.text_embeds))
      issues.push({
        id: d.id,
        field: 'text_embeds',
        message: `Text embed backend ${d.text_embeds} not found in data backend config file.`,
      });
    if (d.image_embeds && !image.has(d.image_embeds))
      issues.push({
        id: d.id,
        field: 'image_embeds',
        message: `Could not find image embed backend ID in multidatabackend config: ${d.image_embeds}`,
      });
  }
  if (issues.length) throw new ConfigValidationError(issues);
}

async function buildGroup(
  group: string,
  list: DatasetConfig[],
  registry: BuilderRegistry,
  ctx: BuildContext,
  perf: PerfTracker,
  concurrency: number,
  built: BuiltBackend[],
  defaultText: string | null,
): Promise<BuiltBackend[]> {
  const out = new Array<BuiltBackend>(list.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < list.length; i = next++) {
      const config = list[i];
      const t0 = performance.now();
      const builder = registry.get(config.type, config.id);
      const r = forThreads(builder, config.id, await builder.build(config, ctx));
      const image = isImageDataset(config);
      out[i] = {
        id: config.id,
        config,
        storage: r.storage,
        description: r.description,
        metadataBackend: r.metadataBackend,
        textEmbeds: image ? (config.text_embeds ?? defaultText) : null,
        imageEmbeds: image ? config.image_embeds : null,
      };
      built.push(out[i]);
      const ms = Math.round((performance.now() - t0) * 100) / 100;
      perf.metrics.backends[config.id] = { type: config.type, group, ms, probe: r.probe };
      log.info(
        { dataset: config.id, type: config.type, group, ms, probe: r.probe, deletedCaches: r.deletedCaches.length },
        'built backend',
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, list.length)) }, lane));
  return out;
}

async function closeAll(built: BuiltBackend[]): Promise<void> {
  await Promise.allSettled(built.map((b) => b.storage.close()));
}
