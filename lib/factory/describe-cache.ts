// The `cache` field of a remote dataset's description: global cache options merged with the dataset's `tunefeed_cache`.
import type { DatasetConfig } from '../config/types.js';
import { datasetCacheOptions, resolveCacheSpec, type CacheSpec } from '../storage/cache/cache-spec.js';
import type { DescribeContext } from './describe.js';

/** `{ cache }` when the dataset's cache is on, else `{}` (spread into a description). */
export function cacheField(config: DatasetConfig, ctx: DescribeContext): { cache?: CacheSpec } {
  const own = datasetCacheOptions(config.id, config.extra?.tunefeed_cache);
  const spec = resolveCacheSpec(ctx.cache, own, ctx.env);
  return spec ? { cache: spec } : {};
}
