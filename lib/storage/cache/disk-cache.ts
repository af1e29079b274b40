// The disk level: a folder bounded in bytes shared by processes; atomic entries, verified reads, LRU eviction.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  futimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writevSync,
} from 'node:fs';
import { mkdir, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { logger } from '../../log.js';
import { metrics } from '../../metrics/events.js';
import { cacheDirs, evictTo, removeOrphanTemps, scanEntries } from './disk-scan.js';
import { decodeEntry, encodeEntry, type EntryHeader, type ObjectIdentity } from './entry-format.js';

/** A verified entry read from disk. */
export interface DiskHit {
  header: EntryHeader;
  body: Buffer;
  /** When the entry was fetched or last checked against the remote (the file's mtime). */
  validatedAt: number;
  file: string;
}

/** Write errors that mean "this folder cannot take writes": the level turns off, reads go remote. */
const FATAL_WRITE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EFBIG']);
const log = logger('storage/cache');
/**
 * Other threads and processes write between this one's scans, unseen. Each writer scans after every 5% of the bound it
 * writes and keeps the folder at most 85% full after a scan, so two writers stay under the bound and each further
 * writer may add 5% (docs/cache.md). Eviction goes down to 75% so that scans are not needed on every write.
 */
const HIGH_WATER = 0.85;
const LOW_WATER = 0.75;
const RESCAN_SHARE = 0.05;

/** One cache folder as seen by this thread. Use `diskCacheFor` so a thread shares one per folder. */
export class DiskCache {
  readonly root: string;
  readonly maxBytes: number;
  readonly dirs: ReturnType<typeof cacheDirs>;
  #disabled: string | null = null;
  #ready: Promise<boolean> | null = null;
  #usage: number | null = null;
  #sinceScan = 0;
  /** Every byte ever reserved here: a scan adds what was reserved while it listed, which its listing may miss. */
  #reserved = 0;
  #room: Promise<unknown> = Promise.resolve();
  readonly #subdirs = new Set<string>();

  constructor(root: string, maxBytes: number) {
    this.root = root;
    this.maxBytes = maxBytes;
    this.dirs = cacheDirs(root);
    if (maxBytes <= 0) this.#disabled = 'max bytes is 0';
  }

  /** Why the level is off, or null while it works. */
  get disabled(): string | null {
    return this.#disabled;
  }

  /** Create the folders once; a folder that cannot be created turns the level off. */
  ready(): Promise<boolean> {
    this.#ready ??= (async () => {
      if (this.#disabled) return false;
      try {
        for (const d of Object.values(this.dirs)) await mkdir(d, { recursive: true });
        return true;
      } catch (err) {
        this.disable(await realMkdirError(this.root, err));
        return false;
      }
    })();
    return this.#ready;
  }

  /** Turn the level off for the life of this thread, with one warning. */
  disable(err: unknown): void {
    if (this.#disabled) return;
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    this.#disabled = `${code}: ${(err as Error).message}`;
    log.warn({ dir: this.root, code }, `disk cache turned off, reads go to the remote: ${(err as Error).message}`);
    metrics.emit('cache.disabled', { level: 'disk', dir: this.root, code });
  }

  /** Make the folders again after someone removed them (`tunefeed cache clear` while this process runs). */
  async recreate(): Promise<void> {
    this.#subdirs.clear();
    for (const d of Object.values(this.dirs)) await mkdir(d, { recursive: true });
  }

  /** Path of the entry for `hash`. */
  entryPath(hash: string): string {
    return path.join(this.dirs.entries, hash.slice(0, 2), hash);
  }

  /**
   * Read and verify; a refused file (truncated, corrupt, foreign key) is removed and reported as null. The small
   * file operations here are synchronous on purpose: each async one waits for a libuv pool thread, and on a loaded
   * machine that wait (measured 5–20 ms per call here) costs more than the read itself (this runs in worker threads).
   */
  async get(hash: string, ns: string, key: string): Promise<DiskHit | null> {
    if (this.#disabled) return null;
    const file = this.entryPath(hash);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return null;
    }
    try {
      const st = fstatSync(fd);
      const r = decodeEntry(readFileSync(fd), ns, key);
      if ('problem' in r) {
        await this.#drop(file, st.ino);
        metrics.emit('cache.corrupt', { level: 'disk', key, problem: r.problem });
        log.warn({ file, key, problem: r.problem }, 'refused a broken cache entry; fetching it again');
        return null;
      }
      const now = Date.now();
      // Last use lives in atime, set explicitly (mount options such as noatime do not matter).
      if (now - st.atimeMs > 1000) futimesSync(fd, now / 1000, st.mtimeMs / 1000);
      return { header: r.header, body: r.body, validatedAt: st.mtimeMs, file };
    } catch {
      return null;
    } finally {
      closeSync(fd);
    }
  }

  /** True when an entry file exists (not verified: read-ahead only needs to know it need not download). */
  async has(hash: string): Promise<boolean> {
    if (this.#disabled) return false;
    return Promise.resolve(existsSync(this.entryPath(hash))); // synchronous, as get(): no pool-thread hop
  }

  /** Record that the entry still matches the remote (mtime = last check). */
  async markValidated(file: string): Promise<void> {
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
  }

  /** Remove an entry whose remote object changed. */
  async remove(hash: string): Promise<void> {
    await unlink(this.entryPath(hash)).catch(() => undefined);
  }

  /** Store atomically (temp + rename) after making room; false when the level is off or the object is too big. */
  async put(hash: string, ns: string, key: string, id: ObjectIdentity, body: Buffer): Promise<boolean> {
    if (!(await this.ready())) return false;
    if (body.length > this.maxBytes * RESCAN_SHARE) return false; // one object may not flush a twentieth of the rest
    const parts = encodeEntry(ns, key, id, body);
    const bytes = parts.reduce((a, b) => a + b.length, 0);
    try {
      await this.#makeRoom(bytes);
      await this.#write(hash, parts).catch(async (err: unknown) => {
        // The folder was cleared under us (`tunefeed cache clear`, rm -rf): make it again once.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await this.recreate();
        await this.#write(hash, parts);
      });
      return true;
    } catch (err) {
      if (this.#usage !== null) this.#usage -= bytes;
      if (FATAL_WRITE.has((err as NodeJS.ErrnoException).code ?? '')) this.disable(err);
      else log.warn({ dir: this.root, key, err: (err as Error).message }, 'could not write a cache entry');
      return false;
    }
  }

  async #write(hash: string, parts: Buffer[]): Promise<void> {
    const rand = randomBytes(4).toString('hex');
    const tmp = path.join(this.dirs.tmp, `${hash.slice(0, 16)}.${process.pid}.${threadId}.${rand}.tmp`);
    const target = this.entryPath(hash);
    const sub = path.dirname(target);
    try {
      const fd = openSync(tmp, 'wx');
      try {
        writevSync(fd, parts);
      } finally {
        closeSync(fd);
      }
      if (!this.#subdirs.has(sub)) {
        mkdirSync(sub, { recursive: true }); // synchronous as the rest of the write (see get())
        this.#subdirs.add(sub);
      }
      renameSync(tmp, target);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created, or already gone
      }
      throw err;
    }
  }

  /**
   * Reserve `bytes`. A write that would pass the high-water mark (or the first one, usage unknown) waits for a scan
   * of the folder (every process's entries) and LRU eviction. The periodic rescan after every RESCAN_SHARE of the
   * bound written only refreshes the estimate, so it runs behind the write: awaited, its async stats queue behind
   * sharp's decodes on the libuv pool, and every download waiting on its entry (and each decode joining it) stalled.
   */
  #makeRoom(bytes: number): Promise<void> {
    this.#sinceScan += bytes;
    this.#reserved += bytes;
    if (this.#fits(bytes)) {
      this.#usage! += bytes;
      // A failed background scan changes nothing: the next write that does not fit scans again.
      if (this.#sinceScan > this.maxBytes * RESCAN_SHARE)
        void this.#queueScan(() => this.#scanAndEvict(0)).catch(() => undefined);
      return Promise.resolve();
    }
    return this.#queueScan(async () => {
      if (!this.#fits(bytes)) await this.#scanAndEvict(bytes); // an earlier write's scan may have made room
      this.#usage! += bytes;
    });
  }

  #fits(bytes: number): boolean {
    return this.#usage !== null && this.#usage + bytes <= this.maxBytes * HIGH_WATER;
  }

  /** Scans run one at a time, in order. */
  #queueScan(job: () => Promise<void>): Promise<void> {
    this.#sinceScan = 0;
    const run = this.#room.then(job);
    this.#room = run.catch(() => undefined);
    return run;
  }

  async #scanAndEvict(incoming: number): Promise<void> {
    const reservedBefore = this.#reserved;
    const entries = await scanEntries(this.root);
    await removeOrphanTemps(this.root);
    const target = Math.max(0, Math.floor(this.maxBytes * LOW_WATER) - incoming);
    const used = entries.reduce((a, e) => a + e.size, 0);
    const over = used + incoming > this.maxBytes * HIGH_WATER;
    const removed = over ? await evictTo(entries, target) : { count: 0, bytes: 0 };
    // Writes that fit went ahead while this scan ran (it runs behind them): counting them again when the listing
    // already saw their files over-estimates, which is safe; dropping them let the folder pass its bound.
    this.#usage = used - removed.bytes + (this.#reserved - reservedBefore);
    this.#sinceScan = 0;
    if (removed.count) metrics.emit('cache.evict', { level: 'disk', count: removed.count, bytes: removed.bytes });
  }

  async #drop(file: string, ino: number): Promise<void> {
    // Only the file we read: another process may already have renamed a good entry into its place.
    const now = await stat(file).catch(() => null);
    if (now?.ino === ino) await unlink(file).catch(() => undefined);
  }
}

/**
 * Recursive mkdir says ENOENT on a read-only filesystem; one plain mkdir below the deepest existing folder says why.
 */
async function realMkdirError(dir: string, err: unknown): Promise<unknown> {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err;
  let d = dir;
  while (path.dirname(d) !== d && !(await stat(path.dirname(d)).catch(() => null))) d = path.dirname(d);
  return mkdir(d).then(
    () => err,
    (real: unknown) => real,
  );
}

const shared = new Map<string, DiskCache>();

/** The one DiskCache of this thread for a folder and bound. */
export function diskCacheFor(root: string, maxBytes: number): DiskCache {
  const k = `${root}\0${maxBytes}`;
  let c = shared.get(k);
  if (!c) {
    c = new DiskCache(root, maxBytes);
    shared.set(k, c);
  }
  return c;
}
