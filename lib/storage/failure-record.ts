// Persistent record of URLs that failed to download (a JSON file written atomically), so dead URLs are not refetched.
import { readFile } from 'node:fs/promises';
import { CacheFileError } from '../errors.js';
import { atomicWrite } from './atomic-write.js';

/** One failed URL. */
export interface FailureEntry {
  /** HTTP status, when there was one. */
  status: number | null;
  /** Stable reason: http_404, too_large, content_type, redirect_loop, timeout, private_address, ... */
  reason: string;
  message: string;
  /** True when retrying cannot help (4xx, size, type, policy). */
  permanent: boolean;
  /** Runs in which the URL failed. */
  failures: number;
  /** ISO time of the last failure. */
  last: string;
}

/** File layout: `{ "version": 1, "failures": { "<url>": FailureEntry } }`. */
export interface FailureFile {
  version: 1;
  failures: Record<string, FailureEntry>;
}

/** Transient failures block a URL once they have happened in this many separate attempts. */
export const TRANSIENT_FAILURE_LIMIT = 3;

/** The record for one cache directory; writes are serialised and merged with what is on disk. */
export class FailureRecord {
  readonly path: string;
  readonly #dataset: string;
  #entries: Map<string, FailureEntry> | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string, dataset: string) {
    this.path = path;
    this.#dataset = dataset;
  }

  /** The entry that should stop a fetch, or undefined when the URL may be tried. */
  async blocking(url: string): Promise<FailureEntry | undefined> {
    const e = (await this.#load()).get(url);
    return e && (e.permanent || e.failures >= TRANSIENT_FAILURE_LIMIT) ? e : undefined;
  }

  async get(url: string): Promise<FailureEntry | undefined> {
    return (await this.#load()).get(url);
  }

  /** Record a failure (count incremented) and persist. */
  async add(
    url: string,
    f: { status: number | undefined; reason: string; message: string; permanent: boolean },
  ): Promise<FailureEntry> {
    const entries = await this.#load();
    const prev = entries.get(url);
    const entry: FailureEntry = {
      status: f.status ?? null,
      reason: f.reason,
      message: f.message,
      permanent: f.permanent,
      failures: (prev?.failures ?? 0) + 1,
      last: new Date().toISOString(),
    };
    entries.set(url, entry);
    await this.#persist((disk) => {
      disk[url] = entry;
    });
    return entry;
  }

  /** Forget a URL (it downloaded fine after all). */
  async clear(url: string): Promise<void> {
    const entries = await this.#load();
    if (!entries.delete(url)) return;
    await this.#persist((disk) => {
      delete disk[url];
    });
  }

  /** All entries, for reports. */
  async all(): Promise<Record<string, FailureEntry>> {
    return Object.fromEntries(await this.#load());
  }

  async #load(): Promise<Map<string, FailureEntry>> {
    this.#entries ??= new Map(Object.entries((await this.#readDisk()).failures));
    return this.#entries;
  }

  async #readDisk(): Promise<FailureFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, failures: {} };
      throw new CacheFileError(`Cannot read the download failure record: ${(err as Error).message}`, {
        dataset: this.#dataset,
        file: this.path,
        cause: err,
      });
    }
    try {
      const parsed = JSON.parse(text) as FailureFile;
      if (parsed?.version !== 1 || typeof parsed.failures !== 'object' || parsed.failures === null)
        throw new Error('unexpected layout');
      return parsed;
    } catch (err) {
      throw new CacheFileError(
        `The download failure record is corrupt (${(err as Error).message}); delete it to start over`,
        { dataset: this.#dataset, file: this.path, cause: err },
      );
    }
  }

  /** Re-read, apply the change, write atomically: another process's entries written meanwhile are kept. */
  #persist(change: (disk: Record<string, FailureEntry>) => void): Promise<void> {
    const next = this.#writing.then(async () => {
      const disk = await this.#readDisk().catch(() => ({ version: 1 as const, failures: {} }));
      change(disk.failures);
      await atomicWrite(this.path, `${JSON.stringify(disk, null, 1)}\n`, { dataset: this.#dataset });
    });
    this.#writing = next.catch(() => undefined);
    return next;
  }
}
