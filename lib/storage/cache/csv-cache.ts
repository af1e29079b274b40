// The CSV backend's use of the shared read cache: downloads kept bounded on disk, keyed by URL, one fetch per machine.
import { CacheCounter } from './cache-counters.js';
import type { CacheSpec } from './cache-spec.js';
import { diskCacheFor } from './disk-cache.js';
import { memoryCacheFor } from './memory-cache.js';
import { ReadThrough } from './read-through.js';

/**
 * A read-through whose remote is `download` (retries, size and content-type limits, failure record stay in the CSV
 * backend). URLs are not revalidated: a URL has no ETag to compare without fetching it again.
 */
export function csvReadCache(
  dataset: string,
  spec: CacheSpec,
  download: (url: string, signal?: AbortSignal) => Promise<Buffer>,
): ReadThrough {
  return new ReadThrough({
    inner: {
      read: download,
      stat: (key) => Promise.resolve({ key, size: -1 }),
    },
    spec,
    ns: 'url',
    validate: false,
    memory: memoryCacheFor(spec.dir, spec.memoryMaxBytes),
    disk: diskCacheFor(spec.dir, spec.maxBytes),
    counter: new CacheCounter(dataset),
  });
}
