// Hugging Face datasets: sizes from width/height columns when configured (no image bytes read), else probed.
import type { StorageBackend } from '../storage/types.js';
import type { ManifestEntry } from './manifest.js';
import { BucketReport } from './bucket-report.js';
import { finalize } from './finalize.js';
import { IMAGE_EXTENSIONS, scanResult, type ScanDatasetOptions, type ScanResult } from './scan-types.js';
import { VIDEO_EXTENSIONS } from './video-probe.js';
import { cellNumber } from './parquet-rows.js';

/** What HuggingfaceStorage offers beyond StorageBackend: selected columns of a row. */
interface RowFields {
  fields(key: string, columns: readonly string[]): Promise<Record<string, unknown>>;
}

function hasFields(s: StorageBackend): s is StorageBackend & RowFields {
  return typeof (s as Partial<RowFields>).fields === 'function';
}

/** True when this dataset can be scanned from columns alone. */
export function canScanHfColumns(opts: ScanDatasetOptions): boolean {
  const h = opts.config.huggingface;
  return (
    opts.config.metadata_backend === 'huggingface' &&
    Boolean(h?.width_column && h.height_column) &&
    hasFields(opts.storage)
  );
}

/** Builds facts from the width/height columns of each listed row. */
export async function scanHfColumns(opts: ScanDatasetOptions): Promise<ScanResult> {
  const t0 = performance.now();
  const { config } = opts;
  const storage = opts.storage as StorageBackend & RowFields;
  const h = config.huggingface!;
  const cols = [h.width_column!, h.height_column!];
  const report = new BucketReport(opts.id, config.dataset_type, config.instance_data_dir, {
    resolution: config.resolution,
    resolution_type: config.resolution_type,
    columns: cols,
  });
  const entries = new Map<string, ManifestEntry>();
  const extensions = config.dataset_type === 'video' ? VIDEO_EXTENSIONS : IMAGE_EXTENSIONS;
  for await (const info of storage.list({ extensions, ...(opts.signal ? { signal: opts.signal } : {}) })) {
    const row = await storage.fields(info.key, cols);
    const w = cellNumber(row[cols[0]]);
    const hh = cellNumber(row[cols[1]]);
    entries.set(
      info.key,
      w && hh
        ? { s: info.size, w: Math.round(w), h: Math.round(hh), f: 'table' }
        : { s: info.size, x: 'metadata_missing', msg: `${cols.join('/')} must be positive numbers` },
    );
  }
  report.stage('file_discovery', entries.size);
  const index = await finalize(opts, opts.cacheStorage ?? storage, entries, report);
  return scanResult(index, report, t0, { reusedCache: false, files: entries.size });
}
