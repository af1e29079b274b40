// Loads the engine stages the demo drives (config, factory, scan, loader) by the team contracts; a missing one is reported, not fatal.
import type { ScanRunner } from '../pool/scan-pool.js';
import type { LoadedConfig, ImageDatasetConfig, TrainingArgs, DatasetConfig } from '../config/types.js';
import type { DatasetIndex } from '../metadata/types.js';
import type { MetricsBus } from '../metrics/events.js';
import type { BackendDescription, StorageBackend } from '../storage/types.js';

/** lib/config/load-config.ts */
export interface ConfigStage {
  loadConfig(
    source: string | unknown[],
    options?: { args?: Partial<TrainingArgs>; set?: string[]; trainingConfig?: string; plugins?: string[] },
  ): Promise<LoadedConfig>;
}

/** One built backend (lib/factory/factory.ts). */
export interface BuiltBackend {
  id: string;
  config: DatasetConfig;
  storage: StorageBackend;
  description: BackendDescription;
}

/** lib/factory/factory.ts */
export interface FactoryStage {
  createFactory(
    loaded: LoadedConfig,
    options?: unknown,
  ): {
    build(): Promise<{
      textEmbeds: BuiltBackend[];
      imageEmbeds: BuiltBackend[];
      data: BuiltBackend[];
      defaultTextEmbedId: string | null;
      close(): Promise<void>;
    }>;
  };
}

/** The bucket report as the demo reads it: any object; printed field by field. */
export type BucketReportLike = Record<string, unknown>;

/** lib/metadata/scan.ts */
export interface ScanStage {
  scanDataset(opts: {
    id: string;
    config: ImageDatasetConfig;
    storage: StorageBackend;
    args: TrainingArgs;
    signal?: AbortSignal;
    metrics?: MetricsBus;
    pool?: ScanRunner;
  }): Promise<{ index: DatasetIndex; report: BucketReportLike; reusedCache: boolean }>;
}

/** lib/pipeline/create-loader.ts: an object-mode Readable of batches with `state()`. */
export interface LoaderStage {
  createLoader(
    source: string | LoadedConfig,
    options?: Record<string, unknown>,
  ): Promise<
    AsyncIterable<unknown> & {
      state(): unknown;
      destroy(error?: Error): unknown;
      /** Stops workers too (lib/pipeline's Loader); preferred over destroy when present. */
      close?(): Promise<void>;
    }
  >;
}

/** The stages found in this build; null where the module has not landed. */
export interface Stages {
  config: ConfigStage | null;
  factory: FactoryStage | null;
  scan: ScanStage | null;
  loader: LoaderStage | null;
}

/** Import a sibling module by path; only "module not found" for that very module means "not built yet". */
async function optional<T>(relative: string, exportName: string): Promise<T | null> {
  const url = new URL(relative, import.meta.url);
  try {
    const mod = (await import(url.href)) as Record<string, unknown>;
    return typeof mod[exportName] === 'function' ? (mod as T) : null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Loaders differ (node, tsx, tap's ts-node): accept either the code or the message, but only for this very file.
    const notFound = e.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module/.test(String(e.message));
    const missing = notFound && String(e.message).includes(relative.replace(/^\.\.\//, '').replace(/\.js$/, ''));
    if (missing) return null;
    throw err;
  }
}

/** Resolve every stage once. */
export async function loadStages(): Promise<Stages> {
  const [config, factory, scan, loader] = await Promise.all([
    optional<ConfigStage>('../config/load-config.js', 'loadConfig'),
    optional<FactoryStage>('../factory/factory.js', 'createFactory'),
    optional<ScanStage>('../metadata/scan.js', 'scanDataset'),
    optional<LoaderStage>('../pipeline/create-loader.js', 'createLoader'),
  ]);
  return { config, factory, scan, loader };
}
