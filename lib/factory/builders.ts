// The four built-in builders: local, aws, csv, huggingface.
import { stat } from 'node:fs/promises';
import type { ConfigIssue } from '../errors.js';
import type { DatasetConfig } from '../config/types.js';
import { isImageDataset } from '../config/types.js';
import { type CsvStorage } from '../storage/csv.js';
import { type HuggingfaceStorage } from '../storage/huggingface.js';
import type { BackendDescription, StorageBackend } from '../storage/types.js';
import { BaseBuilder, requireFields, type BuildContext } from './builder.js';
import { datasetRoot, describeAws, describeCsv, describeHuggingface, describeLocal } from './describe.js';

export class LocalBuilder extends BaseBuilder {
  readonly type = 'local';

  override validate(config: DatasetConfig, ctx: BuildContext): ConfigIssue[] {
    if (datasetRoot(config, ctx.args)) return [];
    const field = isImageDataset(config) ? 'instance_data_dir' : 'cache_dir';
    return [{ id: config.id, field, message: `(id=${config.id}) A local backend requires ${field} be defined.` }];
  }

  describe(config: DatasetConfig, ctx: BuildContext): BackendDescription {
    return describeLocal(config, ctx);
  }
}

export class AwsBuilder extends BaseBuilder {
  readonly type = 'aws';

  override validate(config: DatasetConfig): ConfigIssue[] {
    return requireFields(config, config.aws as unknown as Record<string, unknown> | null, ['aws_bucket_name'], 'AWS');
  }

  describe(config: DatasetConfig, ctx: BuildContext): BackendDescription {
    return describeAws(config, ctx);
  }
}

export class CsvBuilder extends BaseBuilder {
  readonly type = 'csv';

  override validate(config: DatasetConfig): ConfigIssue[] {
    if (!isImageDataset(config))
      return [
        {
          id: config.id,
          field: 'type',
          message: `(id=${config.id}) Cannot use CSV backend for ${config.dataset_type} storage.`,
        },
      ];
    return requireFields(
      config,
      config.csv as unknown as Record<string, unknown> | null,
      ['csv_file', 'csv_cache_dir'],
      'CSV',
    );
  }

  describe(config: DatasetConfig, ctx: BuildContext): BackendDescription {
    return describeCsv(config, ctx);
  }

  /**
   * Parse the CSV now so a malformed file fails the build, not the first batch. Big files are parsed on a worker
   * thread (csv-parse is CPU-bound) and the main thread adopts the result; small ones are not worth a thread.
   */
  override async probe(
    storage: StorageBackend,
    _config: DatasetConfig,
    ctx: BuildContext,
  ): Promise<Record<string, unknown>> {
    const csv = storage as CsvStorage;
    const d = csv.describe() as Extract<BackendDescription, { kind: 'csv' }>;
    const size = (await stat(d.csvFile).catch(() => null))?.size ?? 0;
    const onWorker = ctx.pool !== undefined && size >= ctx.workerThresholdBytes;
    const idx = onWorker
      ? await csv.adoptIndex(
          await ctx.pool!.csvIndex({
            dataset: d.id,
            csvFile: d.csvFile,
            urlColumn: d.urlColumn,
            captionColumn: d.captionColumn || null,
          }),
        )
      : await csv.index();
    return {
      rows: idx.rows,
      urls: idx.entries.size,
      duplicates: idx.duplicates,
      skippedRows: idx.skipped.length,
      parsedOn: onWorker ? 'worker' : 'main',
    };
  }
}

export class HuggingfaceBuilder extends BaseBuilder {
  readonly type = 'huggingface';

  override validate(config: DatasetConfig): ConfigIssue[] {
    if (!isImageDataset(config))
      return [
        { id: config.id, field: 'type', message: `(id=${config.id}) Hugging Face backends serve media datasets only.` },
      ];
    return requireFields(
      config,
      config.huggingface as unknown as Record<string, unknown> | null,
      ['dataset_name'],
      'huggingface',
    );
  }

  describe(config: DatasetConfig, ctx: BuildContext): BackendDescription {
    return describeHuggingface(config, ctx);
  }

  /** Resolve the shard list and read every footer now (a few ranged reads per shard). */
  override async probe(storage: StorageBackend): Promise<Record<string, unknown>> {
    const table = await (storage as HuggingfaceStorage).table();
    return { shards: table.shardFiles.length, rows: table.rowCount };
  }
}
