// Merges the part files of a sharded scan into the manifest and SimpleTuner's cache files.
import { CacheFileError } from '../errors.js';
import type { StorageBackend } from '../storage/types.js';
import { entriesOf, readJsonObject, serialiseEntries, type ManifestEntry } from './manifest.js';
import { BucketReport } from './bucket-report.js';
import { manifestPath, markerPath, partPath, stateDir, type Shard } from './scan-files.js';
import { finalize } from './finalize.js';
import { scanResult, type ScanDatasetOptions, type ScanResult } from './scan-types.js';

/** Finds the completed shards (their `.done` markers) of one dataset. */
async function findMarkers(cache: StorageBackend, prefix: string): Promise<Shard[]> {
  const out: Shard[] = [];
  for await (const info of cache.list({ prefix, extensions: ['done'] })) {
    const m = /part-(\d+)-of-(\d+)\.done$/.exec(info.key);
    if (m) out.push({ index: Number(m[1]), count: Number(m[2]) });
  }
  return out;
}

/**
 * Combines every part of an N-way sharded scan. All N markers must exist (the message lists the missing shards);
 * the result is byte-identical to a single-process scan of the same files.
 */
export async function mergeShards(
  opts: Omit<ScanDatasetOptions, 'shard' | 'pool'> & { count?: number },
): Promise<ScanResult> {
  const t0 = performance.now();
  const { config } = opts;
  const cache = opts.cacheStorage ?? opts.storage;
  const markers = await findMarkers(cache, stateDir(config));
  const count = opts.count ?? Math.max(0, ...markers.map((m) => m.count));
  if (!count)
    throw new CacheFileError('no completed shard parts to merge; run `tunefeed scan --shard I/N` first', {
      dataset: config.id,
    });
  const done = new Set(markers.filter((m) => m.count === count).map((m) => m.index));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !done.has(i));
  if (missing.length) {
    throw new CacheFileError(
      `cannot merge: shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')} of ${count} have not completed`,
      { dataset: config.id },
    );
  }
  const entries = new Map<string, ManifestEntry>();
  for (let index = 0; index < count; index++) {
    const part = await readJsonObject(cache, partPath(config, { index, count }), config.id);
    for (const [k, v] of entriesOf(part)) entries.set(k, v);
  }
  await cache.write(manifestPath(config), serialiseEntries({ tunefeed_scan_manifest: 1, dataset: config.id }, entries));
  const c = config;
  const report = new BucketReport(opts.id, c.dataset_type, c.instance_data_dir, {
    resolution: c.resolution,
    resolution_type: c.resolution_type,
    train_batch_size: c.dataset_type === 'eval' ? 1 : c.train_batch_size,
    repeats: c.repeats,
    shards: count,
  });
  report.stage('merged_parts', entries.size, { shards: count });
  const index = await finalize(opts, cache, entries, report);
  return scanResult(index, report, t0, { reusedCache: true, files: entries.size });
}

export { markerPath, partPath };
