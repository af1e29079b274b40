// Read-through over memory, disk, remote: revalidation by age, one download per object across threads and processes.
import type { LRUCache } from 'lru-cache';
import type { ObjectInfo, StorageBackend } from '../types.js';
import type { CacheCounter } from './cache-counters.js';
import type { CacheSpec } from './cache-spec.js';
import { tryClaim, waitForClaim } from './claim.js';
import type { DiskCache } from './disk-cache.js';
import { entryHash, sameObject, type ObjectIdentity } from './entry-format.js';
import type { MemoryEntry } from './memory-cache.js';

/** How long a reader waits for another process's download before fetching the object itself. */
const CLAIM_WAIT_MS = 120_000;

/** Everything one cached storage reads through. */
export interface Levels {
  /** The remote: any backend, or just a download function with a stat (the CSV backend's URL fetcher). */
  inner: Pick<StorageBackend, 'read' | 'stat' | 'readWithInfo'>;
  spec: CacheSpec;
  /** Backend namespace mixed into every entry's hash. */
  ns: string;
  /** Check aged entries against `inner.stat` (false for immutable sources such as a pinned HF revision). */
  validate: boolean;
  memory: LRUCache<string, MemoryEntry> | null;
  disk: DiskCache;
  counter: CacheCounter;
}

/**
 * Downloads running in this thread, per cache folder. Shared by every ReadThrough on the folder (entry hashes include
 * the namespace), so a decode read of an object the read-ahead is fetching through another storage instance joins
 * that download instead of waiting on its claim file.
 */
const running = new Map<string, Map<string, Promise<Buffer>>>();

function inflightFor(dir: string): Map<string, Promise<Buffer>> {
  let m = running.get(dir);
  if (!m) running.set(dir, (m = new Map<string, Promise<Buffer>>()));
  return m;
}

/** The read path; `inflight` dedupes concurrent reads of one object in this thread. */
export class ReadThrough {
  readonly #inflight: Map<string, Promise<Buffer>>;

  constructor(readonly l: Levels) {
    this.#inflight = inflightFor(l.spec.dir);
  }

  hash(key: string): string {
    return entryHash(this.l.ns, key);
  }

  #fresh(validatedAt: number): boolean {
    return !this.l.validate || Date.now() - validatedAt < this.l.spec.revalidateAfterMs;
  }

  /** Whole object through every level. */
  async read(key: string, signal?: AbortSignal): Promise<Buffer> {
    const h = this.hash(key);
    const m = this.l.memory?.get(h);
    if (m && this.#fresh(m.validatedAt)) {
      this.l.counter.hit('memory', m.body.length);
      return m.body;
    }
    const running = this.#inflight.get(h);
    if (running) return running;
    const p = this.#load(h, key, signal).finally(() => this.#inflight.delete(h));
    this.#inflight.set(h, p);
    return p;
  }

  /** Make sure the object is on disk (read-ahead); bytes downloaded, 0 on a hit. Never rejects. */
  async warm(key: string): Promise<number> {
    const h = this.hash(key);
    if (this.l.disk.disabled || this.#inflight.has(h) || this.l.memory?.has(h)) return 0;
    if (await this.l.disk.has(h)) return 0;
    const before = this.l.counter.counts.downloadedBytes;
    await this.read(key).catch(() => undefined);
    return this.l.counter.counts.downloadedBytes - before;
  }

  /** A cached, still valid copy or null (no download): memory, then disk. */
  async cached(key: string): Promise<Buffer | null> {
    const h = this.hash(key);
    const m = this.l.memory?.get(h);
    if (m && this.#fresh(m.validatedAt)) return m.body;
    return this.#fromDisk(h, key);
  }

  /** Forget an object (it was written or deleted through this storage). */
  async forget(key: string): Promise<void> {
    const h = this.hash(key);
    this.l.memory?.delete(h);
    await this.l.disk.remove(h);
  }

  async #load(h: string, key: string, signal?: AbortSignal): Promise<Buffer> {
    const d = await this.#fromDisk(h, key);
    if (d) return this.#remember(h, d, 'disk');
    return this.#miss(h, key, signal);
  }

  #remember(h: string, body: Buffer, level: 'disk' | null): Buffer {
    this.l.memory?.set(h, { body, validatedAt: Date.now() });
    if (level) this.l.counter.hit(level, body.length);
    return body;
  }

  /** A verified disk entry, revalidated against the remote stat when older than revalidateAfterMs. */
  async #fromDisk(h: string, key: string): Promise<Buffer | null> {
    const hit = await this.l.disk.get(h, this.l.ns, key);
    if (!hit) return null;
    if (this.#fresh(hit.validatedAt)) return hit.body;
    const remote = await this.l.inner.stat(key);
    const changed = !sameObject(hit.header, remote);
    this.l.counter.revalidated(changed, key);
    if (!changed) {
      await this.l.disk.markValidated(hit.file);
      return hit.body;
    }
    await this.l.disk.remove(h);
    return null;
  }

  /** Not cached: claim the download (or wait for whoever holds it), fetch, store. */
  async #miss(h: string, key: string, signal?: AbortSignal): Promise<Buffer> {
    const disk = this.l.disk;
    if (!(await disk.ready())) return (await this.#download(key, signal)).body;
    for (let round = 0; round < 3; round++) {
      let claim;
      try {
        claim = await tryClaim(disk.dirs.claims, h).catch(async (err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          await disk.recreate(); // the folder was cleared while in use
          return tryClaim(disk.dirs.claims, h);
        });
      } catch (err) {
        disk.disable(err);
        return (await this.#download(key, signal)).body;
      }
      if (claim !== 'busy') {
        try {
          // Another process may have finished between our lookup and our claim.
          const done = await disk.get(h, this.l.ns, key);
          if (done) return this.#remember(h, done.body, 'disk');
          const got = await this.#download(key, signal);
          if (got.id) await disk.put(h, this.l.ns, key, got.id, got.body);
          return this.#remember(h, got.body, null);
        } finally {
          await claim.release();
        }
      }
      this.l.counter.waited();
      const r = await waitForClaim(disk.dirs.claims, h, CLAIM_WAIT_MS);
      const done = await disk.get(h, this.l.ns, key);
      if (done) return this.#remember(h, done.body, 'disk');
      if (r === 'timeout') break;
    }
    return (await this.#download(key, signal)).body;
  }

  /**
   * The body and the identity of that very version: from the GET's own response when the backend gives it (one
   * request), else stat first, then read (an object changed in between is stored with the old identity and refused
   * at its next check, never served stale).
   */
  async #download(key: string, signal?: AbortSignal): Promise<{ body: Buffer; id: ObjectIdentity | null }> {
    if (this.l.validate && this.l.inner.readWithInfo) {
      const { body, info } = await this.l.inner.readWithInfo(key, signal);
      this.l.counter.miss(body.length);
      return { body, id: identityOf(body.length, info) };
    }
    const info = this.l.validate ? await this.l.inner.stat(key) : null;
    const body = await this.l.inner.read(key, signal);
    this.l.counter.miss(body.length);
    if (info && info.size >= 0 && info.size !== body.length) return { body, id: null };
    return { body, id: identityOf(body.length, info) };
  }
}

/** The identity stored with a body: its length, and the ETag and Last-Modified the remote reported, when known. */
function identityOf(size: number, info: ObjectInfo | null): ObjectIdentity {
  const id: ObjectIdentity = { size };
  if (info?.etag !== undefined) id.etag = info.etag;
  if (info?.mtimeMs !== undefined) id.mtimeMs = info.mtimeMs;
  return id;
}
