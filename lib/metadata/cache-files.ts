// SimpleTuner's cache files, byte-for-byte in its format: aspect_ratio_bucket_indices_<suffix>.json and
// aspect_ratio_bucket_metadata_<suffix>.json, written atomically through the storage backend.
import type { ImageDatasetConfig, TrainingArgs } from '../config/types.js';
import type { StorageBackend } from '../storage/types.js';
import { CacheFileError } from '../errors.js';
import { redactValue } from '../redact.js';
import type { DatasetIndex, SampleMetadata, SkipReason } from './types.js';
import { pyFloatKey } from './python-format.js';
import { geometryHash } from './build-index.js';

/** SimpleTuner's config_version for the saved config. */
export const CONFIG_VERSION = 2;
const ST_SKIP_KEYS = ['already_exists', 'metadata_missing', 'not_found', 'too_small', 'too_long', 'other'];
const OTHER_REASONS = new Set<SkipReason>([
  'corrupt',
  'unsupported',
  'pixel_limit',
  'read_error',
  'truncated',
  'frames_out_of_range',
]);

export function cacheSuffix(config: ImageDatasetConfig): string {
  return config.cache_file_suffix || config.id;
}
export const indicesKey = (suffix: string): string => `aspect_ratio_bucket_indices_${suffix}.json`;
export const metadataKey = (suffix: string): string => `aspect_ratio_bucket_metadata_${suffix}.json`;

function num(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e15 ? String(x) : pyFloatKey(x);
}

/** One metadata record as Python's json.dump writes it (floats keep their ".0"). */
function metaJson(m: SampleMetadata): string {
  const parts = [
    `"original_size": [${m.original_size.join(', ')}]`,
    `"crop_coordinates": [${m.crop_coordinates.join(', ')}]`,
    `"target_size": [${m.target_size.join(', ')}]`,
    `"intermediary_size": [${m.intermediary_size.join(', ')}]`,
    `"aspect_ratio": ${pyFloatKey(m.aspect_ratio)}`,
  ];
  for (const k of ['num_frames', 'original_num_frames', 'bucket_frames'] as const)
    if (m[k] !== undefined) parts.push(`"${k}": ${num(m[k])}`);
  if (m.fps !== undefined) parts.push(`"fps": ${pyFloatKey(m.fps)}`);
  if (m.video_duration !== undefined) parts.push(`"video_duration": ${pyFloatKey(m.video_duration)}`);
  return `{${parts.join(', ')}}`;
}

function statistics(index: DatasetIndex): Record<string, unknown> {
  const skipped: Record<string, number> = Object.fromEntries(ST_SKIP_KEYS.map((k) => [k, 0]));
  for (const [reason, n] of Object.entries(index.stats.skipped)) {
    skipped[reason] = (skipped[reason] ?? 0) + (n ?? 0);
    if (OTHER_REASONS.has(reason as SkipReason)) skipped.other += n ?? 0;
  }
  return { total_processed: index.stats.total_processed, skipped };
}

/** Blocks SimpleTuner's dataset config does not hold in this form (storage details, credentials, tunefeed extras). */
// caption_filter is tunefeed's copy of the text-embed backend's list, not a dataset key SimpleTuner knows.
const NOT_SAVED = new Set(['extra', 'aws', 'csv', 'huggingface', 'caption_filter']);

/**
 * The config saved in the indices file. SimpleTuner compares it key by key with the live entry (and copies keys the
 * live entry lacks), so only set, SimpleTuner-shaped values are kept: nulls, storage blocks and credentials are not.
 */
export function cacheConfig(config: ImageDatasetConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config as unknown as Record<string, unknown>)) {
    if (v === null || v === undefined || NOT_SAVED.has(k)) continue;
    out[k] = v;
  }
  return { ...redactValue(out), config_version: CONFIG_VERSION };
}

/** Serialises both files. Keys and lists are sorted, so equal content gives equal bytes. */
export function serialiseCacheFiles(
  index: DatasetIndex,
  storage: StorageBackend,
  config: ImageDatasetConfig,
  hash: string,
  geometry?: Record<string, unknown>,
) {
  const buckets: Record<string, string[]> = {};
  for (const k of Object.keys(index.buckets).sort())
    buckets[k] = index.buckets[k].map((key) => storage.externalPath(key));
  const indices = JSON.stringify({
    config: cacheConfig(config),
    aspect_ratio_bucket_indices: buckets,
    filtering_statistics: statistics(index),
    tunefeed: { version: 1, geometry_hash: hash, ...(geometry ? { geometry } : {}) },
  });
  const lines = Object.keys(index.metadata)
    .sort()
    .map((k) => `${JSON.stringify(storage.externalPath(k))}: ${metaJson(index.metadata[k])}`);
  return { indices, metadata: `{${lines.join(', ')}}` };
}

/** Writes both cache files atomically (metadata first, so indices never name samples without metadata). */
export async function writeCacheFiles(
  cache: StorageBackend,
  storage: StorageBackend,
  config: ImageDatasetConfig,
  index: DatasetIndex,
  hash: string,
  geometry?: Record<string, unknown>,
): Promise<void> {
  const { indices, metadata } = serialiseCacheFiles(index, storage, config, hash, geometry);
  const suffix = cacheSuffix(config);
  await cache.write(metadataKey(suffix), metadata);
  await cache.write(indicesKey(suffix), indices);
}

/** What readCacheFiles found. `fresh` is false when the files were made for another geometry config. */
export interface LoadedCache {
  index: DatasetIndex;
  geometryHash: string | null;
  fresh: boolean;
  config: Record<string, unknown> | null;
}

async function readJson(cache: StorageBackend, key: string, dataset: string): Promise<Record<string, unknown> | null> {
  if (!(await cache.exists(key))) return null;
  try {
    return JSON.parse((await cache.read(key)).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CacheFileError(`Error loading ${key}; remove it to rescan: ${(err as Error).message}`, {
      dataset,
      file: cache.externalPath(key),
      cause: err,
    });
  }
}

function toKey(storage: StorageBackend, path: string, dataset: string, file: string): string {
  try {
    return storage.keyFromExternal(path);
  } catch (err) {
    throw new CacheFileError(`cache names a path outside the dataset: ${path}`, { dataset, file, cause: err });
  }
}

/** Reads SimpleTuner cache files (tunefeed's or SimpleTuner's own); null when there are none. */
export async function readCacheFiles(
  cache: StorageBackend,
  storage: StorageBackend,
  config: ImageDatasetConfig,
  args: TrainingArgs,
): Promise<LoadedCache | null> {
  const suffix = cacheSuffix(config);
  const ind = await readJson(cache, indicesKey(suffix), config.id);
  if (!ind) return null;
  const meta = (await readJson(cache, metadataKey(suffix), config.id)) ?? {};
  const file = cache.externalPath(indicesKey(suffix));
  const index: DatasetIndex = { id: config.id, buckets: {}, metadata: {}, stats: { total_processed: 0, skipped: {} } };
  const raw = (ind.aspect_ratio_bucket_indices ?? {}) as Record<string, unknown>;
  for (const [bucket, paths] of Object.entries(raw)) {
    if (!Array.isArray(paths)) throw new CacheFileError(`bucket ${bucket} is not a list`, { dataset: config.id, file });
    // SimpleTuner coerces keys to float on load; "1" and "1.0" are the same bucket.
    const k =
      bucket.includes('x') || bucket.endsWith('s') || Number.isNaN(Number(bucket))
        ? bucket
        : pyFloatKey(Number(bucket));
    (index.buckets[k] ??= []).push(...paths.map((p) => toKey(storage, String(p), config.id, file)));
  }
  for (const [p, m] of Object.entries(meta)) index.metadata[toKey(storage, p, config.id, file)] = m as SampleMetadata;
  const stats = ind.filtering_statistics as DatasetIndex['stats'] | undefined;
  if (stats && typeof stats.total_processed === 'number') index.stats = stats;
  const tf = ind.tunefeed as { geometry_hash?: string } | undefined;
  const hash = tf?.geometry_hash ?? null;
  return {
    index,
    geometryHash: hash,
    fresh: hash === geometryHash(config, args),
    config: (ind.config as Record<string, unknown>) ?? null,
  };
}
