// scanDataset: stream the listing into the scan pool in chunks, keep facts incrementally, flush progress
// atomically, then build buckets and write SimpleTuner's cache files (or a shard's part file).
import type { ImageDatasetConfig } from '../config/types.js';
import type { ObjectInfo, StorageBackend } from '../storage/types.js';
import { metrics as defaultMetrics } from '../metrics/events.js';
import { logger } from '../log.js';
import { entryFrom, entryIsFresh, serialiseEntries, type ManifestEntry } from './manifest.js';
import { BucketReport } from './bucket-report.js';
import { inShard, loadPreviousFacts, manifestPath, markerPath, partPath, type Shard } from './scan-files.js';
import { selectMaxSamples } from './max-samples.js';
import { InlineScanRunner } from '../pool/scan-pool.js';
import { finalize } from './finalize.js';
import { IMAGE_EXTENSIONS, scanResult, type ScanDatasetOptions, type ScanResult } from './scan-types.js';
import { scanParquet } from './parquet-scan.js';
import { canScanHfColumns, scanHfColumns } from './hf-scan.js';
import type { ScanProbeOptions } from './scan-task.js';
import { buildIndex } from './build-index.js';
import { VIDEO_EXTENSIONS } from './video-probe.js';
import { TaskWindow } from './task-window.js';
import { readCacheFiles } from './cache-files.js';
import { removeStaleTemps } from './stale-temps.js';
import { geometryChange } from './geometry-change.js';

export { IMAGE_EXTENSIONS, type ScanDatasetOptions, type ScanResult } from './scan-types.js';
export { finalize } from './finalize.js';

const log = logger('metadata/scan');

/** Scan one dataset. Throws EmptyDatasetError (after writing the cache files) when nothing usable is left. */
export async function scanDataset(opts: ScanDatasetOptions): Promise<ScanResult> {
  // A writer killed between its temp file and the rename leaves the temp behind; this run is the next chance to remove
  // it.
  await removeStaleTemps(opts.cacheStorage ?? opts.storage, opts.config);
  if (opts.config.metadata_backend === 'parquet') return scanParquet(opts);
  if (canScanHfColumns(opts)) return scanHfColumns(opts);
  const t0 = performance.now();
  const { config, storage, shard } = opts;
  const cache = opts.cacheStorage ?? storage;
  const report = newReport(opts);
  if (shard && (await cache.exists(markerPath(config, shard)))) return finishedShard(opts, cache, report, t0);
  const trusted = await trustedCache(opts, cache, report, t0);
  if (trusted) return trusted;
  if (!shard) await geometryChange(opts, cache);
  const prev = opts.ignoreCache
    ? new Map<string, ManifestEntry>()
    : await loadPreviousFacts(cache, storage, config, shard);
  const state = await collect(opts, cache, prev, report);
  const counts = { reusedCache: state.reused > 0, files: state.entries.size, probed: state.probed };
  if (shard) {
    await cache.write(
      partPath(config, shard),
      serialiseEntries({ tunefeed_scan_part: 1, dataset: config.id, shard, complete: true }, state.entries),
    );
    await cache.write(markerPath(config, shard), JSON.stringify({ files: state.entries.size }));
    const index = buildIndex(state.entries, config, opts.args, report, { maxCanvasSize: opts.maxCanvasSize ?? null });
    const shardDone = { ...shard, alreadyComplete: false };
    return scanResult(index, report, t0, { ...counts, shard: shardDone });
  }
  await cache.write(
    manifestPath(config),
    serialiseEntries({ tunefeed_scan_manifest: 1, dataset: config.id }, state.entries),
  );
  const index = await finalize(opts, cache, state.entries, report);
  return scanResult(index, report, t0, counts);
}

function newReport(opts: ScanDatasetOptions): BucketReport {
  const c = opts.config;
  return new BucketReport(opts.id, c.dataset_type, c.instance_data_dir, {
    resolution: c.resolution,
    resolution_type: c.resolution_type,
    minimum_image_size: c.minimum_image_size,
    minimum_aspect_ratio: c.minimum_aspect_ratio,
    maximum_aspect_ratio: c.maximum_aspect_ratio,
    train_batch_size: c.dataset_type === 'eval' ? 1 : c.train_batch_size,
    repeats: c.repeats,
    max_num_samples: c.max_num_samples,
  });
}

async function finishedShard(
  opts: ScanDatasetOptions,
  cache: StorageBackend,
  report: BucketReport,
  t0: number,
): Promise<ScanResult> {
  const { config, shard } = opts as ScanDatasetOptions & { shard: Shard };
  const entries = await loadPreviousFacts(cache, opts.storage, config, shard);
  report.stage('already_complete', entries.size);
  const index = buildIndex(entries, config, opts.args, report, { maxCanvasSize: opts.maxCanvasSize ?? null });
  return scanResult(index, report, t0, {
    reusedCache: true,
    files: entries.size,
    shard: { ...shard, alreadyComplete: true },
  });
}

/**
 * skip_file_discovery containing "aspect" (SimpleTuner's switch) trusts the cache files without listing, but only
 * when they were made for this geometry config; stale ones are rescanned, never silently served.
 */
async function trustedCache(
  opts: ScanDatasetOptions,
  cache: StorageBackend,
  report: BucketReport,
  t0: number,
): Promise<ScanResult | null> {
  if (opts.shard || opts.ignoreCache || !/\baspect\b/.test(opts.config.skip_file_discovery ?? '')) return null;
  const loaded = await readCacheFiles(cache, opts.storage, opts.config, opts.args);
  if (!loaded?.fresh) {
    if (loaded)
      log.warn(
        { dataset: opts.id },
        'skip_file_discovery=aspect, but the cache files were made for another geometry config; rescanning',
      );
    return null;
  }
  const n = Object.values(loaded.index.buckets).reduce((a, b) => a + b.length, 0);
  report.stage('skip_file_discovery', n);
  for (const [k, v] of Object.entries(loaded.index.buckets)) report.data.buckets[k] = v.length;
  return scanResult(loaded.index, report, t0, { reusedCache: true, files: loaded.index.stats.total_processed });
}

interface CollectState {
  entries: Map<string, ManifestEntry>;
  reused: number;
  probed: number;
  listed: number;
}

function isFresh(e: ManifestEntry | undefined, info: ObjectInfo, config: ImageDatasetConfig): e is ManifestEntry {
  if (!e || !entryIsFresh(e, info)) return false;
  return !(config.dataset_type === 'video' && e.n === undefined && !e.x);
}

async function* listing(opts: ScanDatasetOptions, report: BucketReport): AsyncGenerator<ObjectInfo> {
  const extensions = opts.config.dataset_type === 'video' ? VIDEO_EXTENSIONS : IMAGE_EXTENSIONS;
  const source = opts.storage.list({ extensions, ...(opts.signal ? { signal: opts.signal } : {}) });
  const max = opts.config.max_num_samples;
  const all = max ? await selectMaxSamples(source, max, opts.id, report) : source;
  let inShardCount = 0;
  for await (const info of all) {
    if (!inShard(info.key, opts.shard)) continue;
    inShardCount++;
    yield info;
  }
  if (opts.shard) report.stage('shard', inShardCount, { index: opts.shard.index, count: opts.shard.count });
}

/** Streams the listing through the runner with a bounded window of chunked tasks. */
function adopt(e: ManifestEntry, info: ObjectInfo): ManifestEntry {
  if (e.s !== -1) return e;
  return {
    ...e,
    s: info.size,
    ...(info.mtimeMs === undefined ? {} : { m: info.mtimeMs }),
    ...(info.etag === undefined ? {} : { e: info.etag }),
  };
}

/** Streams the listing through the runner with a bounded window of chunked tasks. */
async function collect(
  opts: ScanDatasetOptions,
  cache: StorageBackend,
  prev: Map<string, ManifestEntry>,
  report: BucketReport,
): Promise<CollectState> {
  const runner = opts.pool ?? new InlineScanRunner(opts.storage);
  const chunkSize = opts.chunkSize ?? 32;
  const st: CollectState = { entries: new Map(), reused: 0, probed: 0, listed: 0 };
  const flusher = makeFlusher(opts, cache, prev, st);
  const window = new TaskWindow(runner.concurrency);
  const infos = new Map<string, ObjectInfo>();
  const options: ScanProbeOptions = { scanForErrors: opts.config.scan_for_errors, ...opts.probe };
  const dispatch = (items: ObjectInfo[]) =>
    window.add(async () => {
      opts.signal?.throwIfAborted();
      const res = await runner.run(
        { desc: opts.storage.describe(), items: items.map((i) => ({ key: i.key, size: i.size })), options },
        opts.signal,
      );
      for (const r of res.results) {
        st.entries.set(r.key, entryFrom(r, infos.get(r.key)!));
        infos.delete(r.key);
      }
      st.probed += res.results.length;
      flusher.maybe(res.bytesRead);
    });
  let chunk: ObjectInfo[] = [];
  try {
    for await (const info of listing(opts, report)) {
      st.listed++;
      const e = prev.get(info.key);
      if (isFresh(e, info, opts.config)) {
        st.entries.set(info.key, adopt(e, info));
        st.reused++;
        continue;
      }
      infos.set(info.key, info);
      chunk.push(info);
      if (chunk.length >= chunkSize) {
        const full = chunk;
        chunk = [];
        await dispatch(full);
      }
    }
    (opts.metrics ?? defaultMetrics).emit('scan.listed', { dataset: opts.id, files: st.listed });
    if (chunk.length) await dispatch(chunk);
    await window.drain();
  } finally {
    if (!opts.pool) await runner.close();
  }
  report.stage('file_discovery', st.listed);
  report.stage('existing_cache', st.reused);
  report.stage('new_files_to_process', st.probed);
  flusher.progress(true);
  return st;
}

function makeFlusher(
  opts: ScanDatasetOptions,
  cache: StorageBackend,
  prev: Map<string, ManifestEntry>,
  st: CollectState,
) {
  const interval = opts.flushIntervalMs ?? 30_000;
  const bus = opts.metrics ?? defaultMetrics;
  let last = performance.now();
  let lastEmit = 0;
  let bytes = 0;
  let writing: Promise<void> | null = null;
  const progress = (force = false) => {
    const now = performance.now();
    if (!force && now - lastEmit < 250) return;
    lastEmit = now;
    bus.emit('scan.progress', {
      dataset: opts.id,
      listed: st.listed,
      probed: st.probed,
      reused: st.reused,
      bytesRead: bytes,
      ...(opts.pool?.utilization !== undefined ? { poolUtilization: opts.pool.utilization } : {}),
      // Files the previous run knew: an ETA before this listing (paced by the probes) is complete.
      ...(prev.size ? { expected: prev.size } : {}),
    });
  };
  const write = (): Promise<void> => {
    // Earlier facts stay in the checkpoint until this run has replaced them; the final write drops removed files.
    const snapshot = new Map([...prev, ...st.entries]);
    const kind = opts.shard
      ? { tunefeed_scan_part: 1, dataset: opts.config.id, shard: opts.shard, complete: false }
      : { tunefeed_scan_manifest: 1, dataset: opts.config.id };
    const path = opts.shard ? partPath(opts.config, opts.shard) : manifestPath(opts.config);
    return cache.write(path, serialiseEntries(kind, snapshot));
  };
  const maybe = (bytesRead: number) => {
    bytes += bytesRead;
    progress();
    if (writing || performance.now() - last < interval) return;
    writing = write()
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'progress flush failed; will retry'))
      .finally(() => {
        writing = null;
        last = performance.now();
      });
  };
  return { maybe, progress };
}
