// CSV-of-URLs backend: streamed index, cached downloads (SimpleTuner names), bounded concurrency, persistent failures.
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { DownloadError, PathEscapeError, ReadOnlyError } from '../errors.js';
import { logger } from '../log.js';
import { metrics } from '../metrics/events.js';
import { readCsvIndex, type CsvIndex } from './csv-index.js';
import { isUrlKey, simpletunerCacheName, uniqueCacheName, urlExtension } from './csv-naming.js';
import { downloadToCache, type DownloadSettings } from './csv-download.js';
import { FailureRecord } from './failure-record.js';
import { extensionFilter, sliceRange } from './list-filter.js';
import { LocalStorage } from './local.js';
import { urlProblem } from './net-policy.js';
import type { BackendDescription, ListOptions, ObjectInfo, StorageBackend } from './types.js';
import { csvReadCache } from './cache/csv-cache.js';
import type { ReadThrough } from './cache/read-through.js';

export type CsvDescription = Extract<BackendDescription, { kind: 'csv' }>;

/** File name of the failure record inside csv_cache_dir. */
export const FAILURE_FILE = '.tunefeed-download-failures.json';

interface Loaded extends CsvIndex {
  /** url → cache file name (stem collisions resolved). */
  names: Map<string, string>;
}

/** A CSV file of image URLs; downloads land in csv_cache_dir. Keys are the URLs; other keys are cache files. */
export class CsvStorage implements StorageBackend {
  readonly kind = 'csv' as const;
  /** Originals cannot be written; cache files (non-URL keys) can. */
  readonly writable = false;
  readonly id: string;
  readonly #desc: CsvDescription;
  readonly #cache: LocalStorage;
  readonly #failures: FailureRecord;
  readonly #settings: DownloadSettings;
  #index: Promise<Loaded> | undefined;
  /** The bounded shared cache that keeps downloads when the description has `cache`; else csv_cache_dir does. */
  readonly #shared: ReadThrough | null;

  constructor(desc: CsvDescription) {
    this.#desc = { ...desc, cacheDir: path.resolve(desc.cacheDir), csvFile: path.resolve(desc.csvFile) };
    this.id = desc.id;
    this.#cache = new LocalStorage({ id: desc.id, root: this.#desc.cacheDir });
    this.#failures = new FailureRecord(path.join(this.#desc.cacheDir, FAILURE_FILE), desc.id);
    const concurrency = Math.max(1, desc.downloadConcurrency ?? 16);
    const agentOptions = { keepAlive: true, maxSockets: concurrency };
    this.#settings = {
      dataset: desc.id,
      concurrency,
      log: logger('storage/csv'),
      agents: { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) },
      policy: {
        attempts: Math.max(1, desc.maxAttempts ?? 3),
        baseDelayMs: desc.retryBaseDelayMs ?? 500,
        maxDelayMs: 10_000,
        attemptTimeoutMs: desc.attemptTimeoutMs ?? 120_000,
      },
      limits: {
        maxBytes: desc.maxBytes ?? 64 * 1024 * 1024,
        connectTimeoutMs: desc.connectTimeoutMs ?? 15_000,
        idleTimeoutMs: desc.connectTimeoutMs ?? 15_000,
        allowPrivate: desc.allowPrivateHosts === true,
        contentTypes: desc.contentTypes ?? ['image/', 'video/', 'application/octet-stream', 'binary/octet-stream'],
      },
    };
    this.#shared = desc.cache ? csvReadCache(desc.id, desc.cache, (url, signal) => this.#fetch(url, signal)) : null;
  }

  /** Parse the CSV once (streamed); later calls share the result. */
  index(): Promise<Loaded> {
    this.#index ??= readCsvIndex(
      this.#desc.csvFile,
      this.#desc.urlColumn,
      this.#desc.captionColumn || null,
      this.id,
    ).then((idx) => this.#finish(idx));
    return this.#index;
  }

  /** Use an index parsed elsewhere (a worker thread) instead of parsing the file here. */
  adoptIndex(idx: CsvIndex): Promise<Loaded> {
    this.#index = Promise.resolve(this.#finish(idx));
    return this.#index;
  }

  /** The caption of a URL from csv_caption_column, or null. */
  async caption(key: string): Promise<string | null> {
    return (await this.index()).entries.get(key) ?? null;
  }

  /** Alias of caption(): the name the caption strategies look for. */
  captionFor(key: string): Promise<string | null> {
    return this.caption(key);
  }

  async *list(options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const idx = await this.index();
    const keep = extensionFilter(options.extensions);
    // URLs without an extension pass the filter: their type is only known from the download's content type.
    const urls = [...idx.entries.keys()].filter((u) => {
      const ext = urlExtension(u);
      return !ext || keep(`x.${ext}`);
    });
    for (let i = 0; i < urls.length; i += 64) {
      options.signal?.throwIfAborted();
      const chunk = urls.slice(i, i + 64);
      const stats = await Promise.all(chunk.map((u) => this.#cache.stat(idx.names.get(u)!).catch(() => null)));
      for (let j = 0; j < chunk.length; j++) {
        const st = stats[j];
        yield st
          ? { key: chunk[j], size: st.size, ...(st.mtimeMs !== undefined ? { mtimeMs: st.mtimeMs } : {}) }
          : { key: chunk[j], size: -1 };
      }
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<Buffer> {
    if (!isUrlKey(key)) return this.#cache.read(key);
    const name = await this.#nameFor(key);
    // Downloads of earlier runs under SimpleTuner's names are still used, with or without the shared cache.
    const cached = await this.#cache.read(name).catch(() => null);
    if (cached) return cached;
    return this.#shared ? this.#shared.read(key, signal) : this.#fetch(key, signal, name);
  }

  /** Download one URL (unless the failure record says it is dead); kept under `name` when given. */
  async #fetch(key: string, signal?: AbortSignal, name?: string): Promise<Buffer> {
    const blocked = await this.#failures.blocking(key);
    if (blocked) {
      metrics.emit('csv.download.skipped', { dataset: this.id, reason: blocked.reason });
      throw new DownloadError(
        `Not fetching ${key} again: it failed before (${blocked.reason}: ${blocked.message}); ` +
          `see ${this.#failures.path}`,
        blocked.reason,
        blocked.status ?? undefined,
        { dataset: this.id, file: key },
      );
    }
    return downloadToCache(this.#settings, {
      url: key,
      name: name ?? key,
      ...(name ? { cache: this.#cache } : {}),
      failures: this.#failures,
      ...(signal ? { signal } : {}),
    });
  }

  async readRange(key: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer> {
    if (!isUrlKey(key)) return this.#cache.readRange(key, start, end);
    return sliceRange(await this.read(key, signal), start, end);
  }

  async stat(key: string): Promise<ObjectInfo> {
    if (!isUrlKey(key)) return this.#cache.stat(key);
    const name = await this.#nameFor(key);
    const cached = await this.#cache.stat(name).catch(() => null);
    return cached
      ? { key, size: cached.size, ...(cached.mtimeMs !== undefined ? { mtimeMs: cached.mtimeMs } : {}) }
      : { key, size: -1 };
  }

  async exists(key: string): Promise<boolean> {
    if (!isUrlKey(key)) return this.#cache.exists(key);
    return (await this.index()).entries.has(key) && !(await this.#failures.blocking(key));
  }

  async write(key: string, data: Buffer | string): Promise<void> {
    if (isUrlKey(key)) throw new ReadOnlyError(`CSV originals are read-only: ${key}`, { dataset: this.id, file: key });
    await this.#cache.write(key, data);
  }

  /** A URL: drop it from this run's index and its cached download. A path: delete the cache file. */
  async delete(key: string): Promise<void> {
    if (!isUrlKey(key)) return this.#cache.delete(key);
    const idx = await this.index();
    const name = idx.names.get(key);
    idx.entries.delete(key);
    if (name) await this.#cache.delete(name);
  }

  externalPath(key: string): string {
    return isUrlKey(key) ? checkedUrl(key, this.id) : this.#cache.externalPath(key);
  }

  keyFromExternal(p: string): string {
    return isUrlKey(p) ? checkedUrl(p, this.id) : this.#cache.keyFromExternal(p);
  }

  /** Rows the index skipped and the failure record, for reports. */
  async problems(): Promise<{
    skipped: CsvIndex['skipped'];
    duplicates: number;
    failures: Awaited<ReturnType<FailureRecord['all']>>;
  }> {
    const idx = await this.index();
    return { skipped: idx.skipped, duplicates: idx.duplicates, failures: await this.#failures.all() };
  }

  describe(): BackendDescription {
    return { ...this.#desc };
  }

  async close(): Promise<void> {
    this.#settings.agents.http.destroy();
    this.#settings.agents.https.destroy();
  }

  async #nameFor(url: string): Promise<string> {
    checkedUrl(url, this.id);
    const idx = await this.index();
    return idx.names.get(url) ?? simpletunerCacheName(url);
  }

  #finish(idx: CsvIndex): Loaded {
    const log = logger('storage/csv');
    const names = new Map<string, string>();
    const owners = new Map<string, string>();
    for (const url of idx.entries.keys()) {
      let name = simpletunerCacheName(url);
      // Two URLs, same stem: SimpleTuner would serve one file for both.
      if (owners.has(name)) name = uniqueCacheName(url);
      owners.set(name, url);
      names.set(url, name);
    }
    for (const p of idx.skipped.slice(0, 20))
      log.warn(
        { dataset: this.id, file: this.#desc.csvFile, row: p.row, column: p.column },
        `skipped CSV row: ${p.reason}`,
      );
    metrics.emit('csv.index', {
      dataset: this.id,
      rows: idx.rows,
      urls: idx.entries.size,
      duplicates: idx.duplicates,
      skipped: idx.skipped.length,
    });
    return { ...idx, names };
  }
}

function checkedUrl(url: string, dataset: string): string {
  const problem = urlProblem(url);
  if (problem)
    throw new PathEscapeError(`Refused key ${JSON.stringify(url.slice(0, 200))}: ${problem}`, { dataset, file: url });
  return url;
}
