// Builders turn one dataset config into a live storage backend: a template method with per-type steps.
import { ConfigValidationError, type ConfigIssue } from '../errors.js';
import type { DatasetConfig, LoadedConfig, MetadataBackendType } from '../config/types.js';
import { isImageDataset } from '../config/types.js';
import { createStorage } from '../storage/from-description.js';
import type { BackendDescription, StorageBackend } from '../storage/types.js';
import { deleteFileListCaches } from './cache-cleanup.js';
import type { BuildPool } from './build-pool.js';
import type { DescribeContext } from './describe.js';

/** Everything a builder may use. */
export interface BuildContext extends DescribeContext {
  loaded: LoadedConfig;
  /** Delete SimpleTuner's per-run file-list caches (unless preserved per dataset). */
  deleteCaches: boolean;
  /** Run the expensive probe (CSV index, HF shard footers) now so bad data fails at build time. */
  probe: boolean;
  /** Worker threads for CPU-heavy probes; undefined = main thread only. */
  pool?: BuildPool;
  /** Files at least this big are parsed on the pool. */
  workerThresholdBytes: number;
}

/** What one build produces. */
export interface BuildOutput {
  description: BackendDescription;
  storage: StorageBackend;
  /** Which metadata backend scans this dataset (data datasets only). */
  metadataBackend: MetadataBackendType | null;
  /** Facts from the probe (row counts, shard counts), for logs and metrics. */
  probe: Record<string, unknown> | null;
  deletedCaches: string[];
}

/** The plug-in surface: a third-party builder implements this (or extends BaseBuilder). */
export interface BackendBuilder {
  /** The `type` value in multidatabackend.json this builder serves. */
  readonly type: string;
  build(config: DatasetConfig, ctx: BuildContext): Promise<BuildOutput>;
  /**
   * Plug-ins: a zod schema for the entry's own fields, run on the raw entry after tunefeed's schema; its issues are
   * reported with the dataset id and field path, and the keys of its shape are not "unknown keys".
   */
  readonly schema?: PluginSchema;
  /** Plug-ins: rebuild the storage from the plug-in's own description in a worker thread. */
  fromDescription?(data: unknown, id: string): StorageBackend;
}

/** The part of a zod schema tunefeed uses (any zod version, or a hand-written validator with the same shape). */
export interface PluginSchema {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: unknown }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
  readonly shape?: Record<string, unknown>;
}

/** validate → cache deletion → describe → create storage → probe → metadata backend choice. */
export abstract class BaseBuilder implements BackendBuilder {
  abstract readonly type: string;

  async build(config: DatasetConfig, ctx: BuildContext): Promise<BuildOutput> {
    const issues = this.validate(config, ctx);
    if (issues.length) throw new ConfigValidationError(issues, { dataset: config.id });
    const deletedCaches = ctx.deleteCaches ? await deleteFileListCaches(config, ctx.args) : [];
    const description = this.describe(config, ctx);
    const storage = this.create(description);
    try {
      const probe = ctx.probe ? await this.probe(storage, config, ctx) : null;
      return { description, storage, metadataBackend: this.metadataBackend(config), probe, deletedCaches };
    } catch (err) {
      await storage.close();
      throw err;
    }
  }

  /** Type-specific checks beyond the schema; each problem names the dataset and field. */
  validate(_config: DatasetConfig, _ctx: BuildContext): ConfigIssue[] {
    return [];
  }

  abstract describe(config: DatasetConfig, ctx: BuildContext): BackendDescription;

  create(description: BackendDescription): StorageBackend {
    return createStorage(description);
  }

  /** The expensive part of opening a backend, done once at build time. */
  async probe(
    _storage: StorageBackend,
    _config: DatasetConfig,
    _ctx: BuildContext,
  ): Promise<Record<string, unknown> | null> {
    return null;
  }

  metadataBackend(config: DatasetConfig): MetadataBackendType | null {
    return isImageDataset(config) ? config.metadata_backend : null;
  }
}

/** An issue for a missing or empty required field. */
export function requireFields(
  config: DatasetConfig,
  block: Record<string, unknown> | null,
  fields: readonly string[],
  label: string,
): ConfigIssue[] {
  if (!block)
    return [
      {
        id: config.id,
        field: label,
        message: `(id=${config.id}) a ${config.type} backend needs its ${label} settings`,
      },
    ];
  const missing = fields.filter((f) => block[f] === undefined || block[f] === null || block[f] === '');
  return missing.length
    ? [
        {
          id: config.id,
          field: missing[0],
          message: `(id=${config.id}) Missing required ${label} configuration keys: ${missing.join(', ')}`,
        },
      ]
    : [];
}
