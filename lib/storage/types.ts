// The one storage interface every read goes through (local, S3, CSV-of-URLs, HF parquet), plus serialisable
// descriptions.
import type { CacheSpec } from './cache/cache-spec.js';

/** What a listing or stat reports for one object. Keys are POSIX-style, relative to the dataset root. */
export interface ObjectInfo {
  key: string;
  /** Bytes; -1 when unknown until the object is fetched (CSV URLs not yet cached, Hugging Face rows). */
  size: number;
  /** Local mtime in ms, or S3 LastModified. */
  mtimeMs?: number;
  /** S3 ETag (quotes stripped), when known. */
  etag?: string;
}

/** A whole object and what the response said about it. */
export interface ReadWithInfo {
  body: Buffer;
  info: ObjectInfo;
}

/** Options for listing. */
export interface ListOptions {
  /** Lower-case extensions without dot; matched case-insensitively. Empty/undefined = all files. */
  extensions?: readonly string[];
  /** Only keys under this sub-prefix of the root. */
  prefix?: string;
  signal?: AbortSignal;
}

/** A serialisable description from which a worker builds its own client (clients cannot cross threads). */
export type BackendDescription =
  | { kind: 'local'; id: string; root: string }
  | {
      kind: 'aws';
      id: string;
      /** Read cache (memory → disk) in front of this backend; absent = reads go straight to the remote. */
      cache?: CacheSpec;
      bucket: string;
      prefix: string;
      region: string;
      endpoint?: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      sessionToken?: string;
      maxPoolConnections: number;
      checksumMode: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
      forcePathStyle: boolean;
      requestTimeoutMs: number;
      connectTimeoutMs: number;
      maxAttempts: number;
      /** Key ranges listed at once (1 = one sequential paginated listing). @default 8 */
      listConcurrency?: number;
      /** Keys per ListObjectsV2 page (S3 caps it at 1000). @default 1000 */
      listPageSize?: number;
      /** First retry backoff ceiling in ms (doubles per retry, full jitter). @default 200 */
      retryBaseDelayMs?: number;
      /** Deadline of one attempt including the body, ms. @default 60000 */
      attemptTimeoutMs?: number;
      /**
       * Reads through a lean SigV4-signed node:http path instead of the SDK (static credentials only; ~4× less client
       * CPU per small GET here). 'ranges' = ranged reads only (full reads keep the SDK's checksum validation).
       * @default 'ranges'
       */
      leanReads?: boolean | 'ranges';
    }
  | {
      kind: 'csv';
      id: string;
      /** Downloads go to this bounded shared cache instead of csv_cache_dir; absent = csv_cache_dir, unbounded. */
      cache?: CacheSpec;
      csvFile: string;
      cacheDir: string;
      urlColumn: string;
      /** "" = no caption column. */
      captionColumn: string;
      /** Allow URLs that resolve to loopback/private/link-local addresses (csv_allow_private_hosts). @default false */
      allowPrivateHosts?: boolean;
      /** Downloads in flight per client. @default 16 */
      downloadConcurrency?: number;
      /** Largest accepted body in bytes. @default 67108864 (64 MiB) */
      maxBytes?: number;
      /** Attempts per URL per run (transient failures only). @default 3 */
      maxAttempts?: number;
      /** Deadline for one attempt including the body, ms. @default 120000 */
      attemptTimeoutMs?: number;
      /** Connect/first-byte and idle timeout, ms. @default 15000 */
      connectTimeoutMs?: number;
      /** First retry backoff ceiling, ms. @default 500 */
      retryBaseDelayMs?: number;
      /**
       * Accepted content-type prefixes. @default ['image/', 'video/', 'application/octet-stream', 'binary/octet-
       * stream']
       */
      contentTypes?: string[];
    }
  | {
      kind: 'huggingface';
      id: string;
      /** Read cache (memory → disk) in front of this backend; absent = no read cache. */
      cache?: CacheSpec;
      /** ORG/NAME on the Hub. */
      datasetName: string;
      split: string;
      /** Branch, tag or commit; null = main. */
      revision: string | null;
      /** Column holding the media (HF Image/Video struct `{bytes, path}` or raw binary). */
      mediaColumn: string;
      /** Extension of the virtual keys `{idx}.{ext}`. */
      extension: string;
      captionColumn: string | string[] | null;
      fallbackCaptionColumn: string | null;
      widthColumn: string | null;
      heightColumn: string | null;
      /** Column with a dict of quality metrics for filter.quality_thresholds. @default "quality_assessment" */
      qualityColumn?: string | null;
      filter: {
        collection?: string | string[];
        quality_thresholds?: Record<string, number>;
        min_width?: number;
        min_height?: number;
      } | null;
      /** Local directory for cache files written through this backend. */
      cacheDir: string;
      /** Hub cache root ($HF_HUB_CACHE or $HF_HOME/hub), resolved when the backend was built; null = none. */
      hubCache: string | null;
      /** Hub endpoint (HF_ENDPOINT), resolved when built. */
      endpoint: string;
      /** Bearer token for the Hub (HF_TOKEN); never logged. */
      token?: string;
      /** Where shards come from: the local hub cache, HTTP, or local first. @default 'auto' */
      source?: 'auto' | 'local' | 'http';
      /** Decoded row groups kept in memory, bytes. @default 268435456 */
      rowGroupCacheBytes?: number;
      maxAttempts?: number;
      attemptTimeoutMs?: number;
      retryBaseDelayMs?: number;
    }
  | {
      /** A third-party builder's storage: any thread imports `plugin` and rebuilds it with `fromDescription(data)`. */
      kind: 'plugin';
      id: string;
      /** Absolute path of the plug-in module (resolved once, on the main thread). */
      plugin: string;
      /** The builder `type` within that module. */
      type: string;
      /** The plug-in's own serialisable description. */
      data: unknown;
    };

/** Every storage backend implements this. All methods reject with coded TunefeedErrors. */
export interface StorageBackend {
  readonly id: string;
  readonly kind: BackendDescription['kind'];
  /** False for backends that cannot write media (HF, CSV originals). */
  readonly writable: boolean;
  /** Stream the objects under the root page by page (never a whole listing in memory). */
  list(options?: ListOptions): AsyncIterable<ObjectInfo>;
  /** Whole object. */
  read(key: string, signal?: AbortSignal): Promise<Buffer>;
  /**
   * Whole object with the identity (size, ETag, Last-Modified) of the very version read, from the same response;
   * backends that can tell it without a second request implement it (the read cache then skips its stat).
   */
  readWithInfo?(key: string, signal?: AbortSignal): Promise<ReadWithInfo>;
  /** Bytes [start, end) — fewer if the object is shorter; empty for an empty object. */
  readRange(key: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo>;
  exists(key: string): Promise<boolean>;
  /** Atomic: readers see the old or the new content, never a part. */
  write(key: string, data: Buffer | string): Promise<void>;
  delete(key: string): Promise<void>;
  /** The path SimpleTuner would record for this key in its cache files (absolute path, S3 key, URL, `{idx}.{ext}`). */
  externalPath(key: string): string;
  /** Inverse of externalPath; throws PathEscapeError if the path is outside the root. */
  keyFromExternal(path: string): string;
  /** Serialisable description for worker threads. */
  describe(): BackendDescription;
  close(): Promise<void>;
}
