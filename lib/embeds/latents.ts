// Batch reads of cached VAE latents through a StorageBackend, and the "is this dataset's cache complete" check.
import { EmbedFormatError, isTunefeedError } from '../errors.js';
import type { StorageBackend } from '../storage/types.js';
import { vaeCacheKey, type VaeCacheKeyOptions } from './cache-keys.js';
import { inflateGzipAsync, isGzip } from './gzip-inflate.js';
import { readSafetensors } from './safetensors.js';
import { isTensor, type Tensor, type TorchValue } from './tensor.js';
import { readTorchFile, type TorchReadOptions } from './torch-file.js';

/** Options for {@link readLatents}. */
export interface ReadLatentsOptions extends TorchReadOptions {
  /**
   * Reads kept in flight at once (results stay in key order).
   * @default 8
   */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Safetensors opens with its header's u64 length, then the header's `{`. A one-byte magic test would misroute it:
 * a 128-byte header starts with 0x80 (the pickle PROTO byte), a 0x4b50-byte one with `PK`.
 */
function isSafetensors(buf: Uint8Array): boolean {
  return buf.length > 8 && buf[8] === 0x7b && buf[4] === 0 && buf[5] === 0 && buf[6] === 0 && buf[7] === 0;
}

function hasTorchMagic(buf: Uint8Array): boolean {
  return (buf[0] === 0x1f && buf[1] === 0x8b) || (buf[0] === 0x50 && buf[1] === 0x4b) || buf[0] === 0x80;
}

/** Parse any embed file: safetensors by its header, torch (zip, gzip, legacy-bytes) by magic; else safetensors. */
export function readEmbedFile(buf: Uint8Array, options: TorchReadOptions = {}): TorchValue | Record<string, Tensor> {
  return !isSafetensors(buf) && hasTorchMagic(buf) ? readTorchFile(buf, options) : readSafetensors(buf);
}

/** The latent tensor in a VAE cache value: the tensor itself, or `latents` of SimpleTuner's dict form. */
export function latentFrom(value: TorchValue | Record<string, Tensor>): Tensor {
  if (isTensor(value)) return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)) {
    const inner = (value as Record<string, unknown>).latents;
    if (isTensor(inner)) return inner;
  }
  throw new EmbedFormatError('VAE cache file holds neither a tensor nor a dict with a `latents` tensor');
}

async function readOne(storage: StorageBackend, key: string, options: ReadLatentsOptions): Promise<Tensor> {
  const buf = await storage.read(key, options.signal);
  try {
    // compress_cache files inflate on libuv's threadpool, so a batch's files inflate in parallel, off this thread.
    const bytes = isGzip(buf) ? await inflateGzipAsync(buf, options.maxDecompressedBytes ?? 2 ** 30) : buf;
    return latentFrom(readEmbedFile(bytes, options));
  } catch (cause) {
    const message = isTunefeedError(cause) ? cause.message : String(cause);
    throw new EmbedFormatError(`Cannot read latents: ${message}`, { dataset: storage.id, file: key, cause });
  }
}

/**
 * Read and decode the latent files `keys` (cache-relative, see vaeCacheKey) from `storage`, at most
 * `concurrency` at a time, in order. Rejects with the first error (EmbedFormatError names dataset and file;
 * storage errors pass through with their own codes).
 */
export async function readLatents(
  storage: StorageBackend,
  keys: readonly string[],
  options: ReadLatentsOptions = {},
): Promise<Tensor[]> {
  const width = Math.max(1, Math.min(options.concurrency ?? 8, keys.length));
  options.signal?.throwIfAborted();
  // A batch no wider than the window needs no lanes: one promise per file is the cheapest schedule.
  if (width >= keys.length) return Promise.all(keys.map((k) => readOne(storage, k, options)));
  const out = new Array<Tensor>(keys.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < keys.length) {
      options.signal?.throwIfAborted();
      const i = next++;
      out[i] = await readOne(storage, keys[i], options);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return out;
}

/** Options for {@link isVaeCacheComplete}. */
export interface VaeCacheCheckOptions extends VaeCacheKeyOptions {
  /** Sub-prefix of `cacheStorage` holding this dataset's cache (S3 layouts). @default '' */
  prefix?: string;
  /**
   * How many missing sample keys to report.
   * @default 20
   */
  reportMissing?: number;
  signal?: AbortSignal;
}

/** What {@link isVaeCacheComplete} found. */
export interface VaeCacheStatus {
  complete: boolean;
  expected: number;
  present: number;
  /** The first `reportMissing` samples without a cache file. */
  missing: string[];
  /** Sample key → cache key (inside cacheStorage), for every sample whose file exists. */
  cacheKeys: Map<string, string>;
}

/**
 * Whether every sample has its VAE latent file, found by ONE listing of the cache storage (not one request
 * per sample, which would be slow on S3). `instanceRoot` and `sampleKeys` are as for vaeCacheKey.
 */
export async function isVaeCacheComplete(
  cacheStorage: StorageBackend,
  instanceRoot: string,
  sampleKeys: Iterable<string>,
  options: VaeCacheCheckOptions = {},
): Promise<VaeCacheStatus> {
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const listed = new Set<string>();
  for await (const o of cacheStorage.list({ extensions: ['pt'], prefix: prefix || undefined, signal: options.signal }))
    listed.add(o.key);
  const status: VaeCacheStatus = { complete: true, expected: 0, present: 0, missing: [], cacheKeys: new Map() };
  const limit = options.reportMissing ?? 20;
  for (const sample of sampleKeys) {
    status.expected++;
    const key = prefix + vaeCacheKey(instanceRoot, sample, options);
    if (listed.has(key)) {
      status.present++;
      status.cacheKeys.set(sample, key);
    } else {
      status.complete = false;
      if (status.missing.length < limit) status.missing.push(sample);
    }
  }
  return status;
}
