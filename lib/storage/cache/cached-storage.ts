// A StorageBackend that reads through the memory and disk cache levels to the remote backend it wraps.
import { sliceRange } from '../list-filter.js';
import type { BackendDescription, ListOptions, ObjectInfo, ReadWithInfo, StorageBackend } from '../types.js';
import { CacheCounter, type CacheCounters } from './cache-counters.js';
import type { CacheSpec } from './cache-spec.js';
import { diskCacheFor } from './disk-cache.js';
import { memoryCacheFor } from './memory-cache.js';
import { ReadThrough } from './read-through.js';

/** Which objects a backend's keys name: two backends share entries only when this and the key match. */
export function cacheNamespace(desc: BackendDescription): string {
  switch (desc.kind) {
    case 'aws':
      return `s3|${desc.endpoint ?? 'aws'}|${desc.bucket}|${desc.prefix}`;
    case 'huggingface': {
      // Row keys `{idx}.{ext}` depend on the split, column and filter, not only on the dataset.
      const parts = [desc.endpoint, desc.datasetName, desc.revision, desc.split, desc.mediaColumn, desc.filter];
      return `hf|${JSON.stringify(parts)}`;
    }
    case 'csv':
      return 'url'; // keys are the URLs themselves
    default:
      return `${desc.kind}|${desc.id}`;
  }
}

/** Read-through wrapper; writes and deletes go to the remote and drop the cached copy. */
export class CachedStorage implements StorageBackend {
  readonly #inner: StorageBackend;
  readonly #spec: CacheSpec;
  readonly #rt: ReadThrough;
  readonly #counter: CacheCounter;

  constructor(inner: StorageBackend, spec: CacheSpec) {
    this.#inner = inner;
    this.#spec = spec;
    this.#counter = new CacheCounter(inner.id);
    const desc = inner.describe();
    this.#rt = new ReadThrough({
      inner,
      spec,
      ns: cacheNamespace(desc),
      // A Hub revision's rows do not change under a fixed key; a stat there would download the row.
      validate: desc.kind !== 'huggingface',
      memory: memoryCacheFor(spec.dir, spec.memoryMaxBytes),
      disk: diskCacheFor(spec.dir, spec.maxBytes),
      counter: this.#counter,
    });
  }

  get id(): string {
    return this.#inner.id;
  }
  get kind(): StorageBackend['kind'] {
    return this.#inner.kind;
  }
  get writable(): boolean {
    return this.#inner.writable;
  }
  /** Hits, misses and bytes per level since this storage was built. */
  get cacheStats(): CacheCounters {
    return { ...this.#counter.counts };
  }
  /** Why the disk level is off, or null. */
  get diskDisabled(): string | null {
    return diskCacheFor(this.#spec.dir, this.#spec.maxBytes).disabled;
  }

  list(options?: ListOptions): AsyncIterable<ObjectInfo> {
    return this.#inner.list(options);
  }

  read(key: string, signal?: AbortSignal): Promise<Buffer> {
    return this.#rt.read(key, signal);
  }

  /** Through the cache too (else the proxy below would hand callers the remote's uncached method); size only. */
  async readWithInfo(key: string, signal?: AbortSignal): Promise<ReadWithInfo> {
    const body = await this.#rt.read(key, signal);
    return { body, info: { key, size: body.length } };
  }

  /** Served from a cached whole object when there is one; else a ranged remote read (headers are not cached alone). */
  async readRange(key: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer> {
    const whole = await this.#rt.cached(key);
    if (whole) return sliceRange(whole, start, end);
    return this.#inner.readRange(key, start, end, signal);
  }

  /** Download into the disk level ahead of use; resolves with the bytes downloaded (0 when already cached). */
  warm(key: string): Promise<number> {
    return this.#rt.warm(key);
  }

  stat(key: string): Promise<ObjectInfo> {
    return this.#inner.stat(key);
  }
  exists(key: string): Promise<boolean> {
    return this.#inner.exists(key);
  }
  async write(key: string, data: Buffer | string): Promise<void> {
    await this.#inner.write(key, data);
    await this.#rt.forget(key);
  }
  async delete(key: string): Promise<void> {
    await this.#inner.delete(key);
    await this.#rt.forget(key);
  }
  externalPath(key: string): string {
    return this.#inner.externalPath(key);
  }
  keyFromExternal(path: string): string {
    return this.#inner.keyFromExternal(path);
  }
  describe(): BackendDescription {
    return { ...this.#inner.describe(), cache: this.#spec } as BackendDescription;
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * Wrap `inner`; backend-specific methods the wrapper does not define (the CSV and HF caption lookups, `table()`)
 * stay reachable through a proxy, because builders and caption strategies call them by duck typing.
 */
export function withCache(inner: StorageBackend, spec: CacheSpec): StorageBackend {
  const cached = new CachedStorage(inner, spec);
  return new Proxy(cached, {
    get(target, prop) {
      const own = prop in target;
      const from = own ? target : (inner as unknown as Record<string | symbol, unknown>);
      const value = Reflect.get(from, prop, from) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(from) : value;
    },
  });
}

/** Read-ahead hook: true for a storage that can warm its cache. */
export function canWarm(s: StorageBackend): s is StorageBackend & { warm(key: string): Promise<number> } {
  return typeof (s as { warm?: unknown }).warm === 'function';
}
