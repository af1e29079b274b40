// Options and result of a dataset scan (shared by the discovery, parquet and merge paths).
import type { ImageDatasetConfig, TrainingArgs } from '../config/types.js';
import type { StorageBackend } from '../storage/types.js';
import type { MetricsBus } from '../metrics/events.js';
import type { ScanRunner } from '../pool/scan-pool.js';
import type { DatasetIndex } from './types.js';
import type { BucketReport, BucketReportData } from './bucket-report.js';
import type { ScanProbeOptions } from './scan-task.js';
import type { Shard } from './scan-files.js';

/** Image extensions listed for image, conditioning and eval datasets. */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp', 'tif', 'tiff', 'avif', 'heic', 'heif'];

/** Options for scanDataset (the first seven are the cross-team contract). */
export interface ScanDatasetOptions {
  id: string;
  config: ImageDatasetConfig;
  storage: StorageBackend;
  args: TrainingArgs;
  /** Runs probe tasks; pass a ScanPool for worker threads. @default an in-thread runner */
  pool?: ScanRunner;
  signal?: AbortSignal;
  metrics?: MetricsBus;
  /** Where cache, manifest and part files go (CSV/HF datasets keep them in a local cache dir). @default storage */
  cacheStorage?: StorageBackend;
  /** Scan only this share of the keys and write a part file instead of the cache files. */
  shard?: Shard;
  /** Keys per pool task. @default 32 */
  chunkSize?: number;
  /** Minimum time between progress flushes of the manifest/part file. @default 30000 */
  flushIntervalMs?: number;
  probe?: ScanProbeOptions;
  /** The model's MAXIMUM_CANVAS_SIZE in pixels. @default null */
  maxCanvasSize?: number | null;
  /** Probe every file again, ignoring earlier facts. @default false */
  ignoreCache?: boolean;
}

/** What a scan produced. */
export interface ScanResult {
  index: DatasetIndex;
  report: BucketReportData;
  /** True when earlier facts (manifest, part file or SimpleTuner cache) were reused for at least one file. */
  reusedCache: boolean;
  files: number;
  probed: number;
  seconds: number;
  /** Set for shard scans; `alreadyComplete` when the shard had finished before (a no-op). */
  shard?: Shard & { alreadyComplete: boolean };
}

/** What differs between the scan paths' results; `probed` defaults to 0 (no file was opened). */
export type ScanCounts = Pick<ScanResult, 'reusedCache' | 'files'> & Partial<Pick<ScanResult, 'probed' | 'shard'>>;

/** A scan's result: the index, the report's data and `seconds` since `t0` (a performance.now() reading). */
export function scanResult(index: DatasetIndex, report: BucketReport, t0: number, c: ScanCounts): ScanResult {
  const seconds = (performance.now() - t0) / 1000;
  const base = {
    index,
    report: report.data,
    reusedCache: c.reusedCache,
    files: c.files,
    probed: c.probed ?? 0,
    seconds,
  };
  return c.shard ? { ...base, shard: c.shard } : base;
}
