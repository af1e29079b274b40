// Final step of every scan path: build the index, write SimpleTuner's cache files, refuse an empty dataset.
import type { StorageBackend } from '../storage/types.js';
import { EmptyDatasetError } from '../errors.js';
import { metrics as defaultMetrics } from '../metrics/events.js';
import type { DatasetIndex } from './types.js';
import type { ManifestEntry } from './manifest.js';
import type { BucketReport } from './bucket-report.js';
import { buildIndex, geometryHash, geometryParts } from './build-index.js';
import { writeCacheFiles } from './cache-files.js';
import { loadAspectMap, saveAspectMap } from './aspect-map-file.js';
import type { ScanDatasetOptions } from './scan-types.js';

/** Build the index from complete facts, write the cache files, and refuse an empty result. */
export async function finalize(
  opts: ScanDatasetOptions,
  cache: StorageBackend,
  entries: Map<string, ManifestEntry>,
  report: BucketReport,
): Promise<DatasetIndex> {
  const aspectMap = await loadAspectMap(opts.config, opts.args);
  const index = buildIndex(entries, opts.config, opts.args, report, {
    maxCanvasSize: opts.maxCanvasSize ?? null,
    aspectMap,
  });
  await writeCacheFiles(
    cache,
    opts.storage,
    opts.config,
    index,
    geometryHash(opts.config, opts.args, { maxCanvasSize: opts.maxCanvasSize ?? null }),
    geometryParts(opts.config, opts.args, { maxCanvasSize: opts.maxCanvasSize ?? null }),
  );
  await saveAspectMap(opts.config, opts.args, aspectMap);
  (opts.metrics ?? defaultMetrics).emit('scan.done', {
    dataset: opts.id,
    buckets: report.data.buckets,
    skipped: report.data.skipped,
    examples: report.data.examples,
  });
  if (Object.keys(index.buckets).length === 0) throw new EmptyDatasetError(report.emptyMessage(), { dataset: opts.id });
  return index;
}
