// Local-disk backend: streamed recursive listing (symlink-cycle safe), partial-fd ranged reads, atomic writes.
import { open, opendir, readFile, rm, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { NotFoundError, PathEscapeError, StorageError } from '../errors.js';
import { atomicWrite, isAtomicTempName } from './atomic-write.js';
import { JUNK_DIRS, extensionFilter } from './list-filter.js';
import { keyUnder, resolveUnder, safeKey } from './safe-key.js';
import type { BackendDescription, ListOptions, ObjectInfo, StorageBackend } from './types.js';

/** Options for LocalStorage. */
export interface LocalStorageOptions {
  /** Dataset id, used in error messages. */
  id: string;
  /** Dataset root directory (made absolute). */
  root: string;
  /**
   * How many stat calls a listing keeps in flight per directory.
   * @default 32
   */
  statConcurrency?: number;
}

/** A dataset directory on local disk. */
export class LocalStorage implements StorageBackend {
  readonly kind = 'local' as const;
  readonly writable = true;
  readonly id: string;
  readonly root: string;
  readonly #statConcurrency: number;

  constructor(options: LocalStorageOptions) {
    this.id = options.id;
    this.root = path.resolve(options.root);
    this.#statConcurrency = Math.max(1, options.statConcurrency ?? 32);
  }

  async *list(options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const keep = extensionFilter(options.extensions);
    const start = options.prefix ? this.#path(options.prefix) : this.root;
    const base = options.prefix ? safeKey(options.prefix, { dataset: this.id }) : '';
    const seen = new Set<string>();
    const first = await statOrNull(start);
    if (!first?.isDirectory()) return;
    seen.add(`${first.dev}:${first.ino}`);
    yield* this.#walk(start, base, seen, keep, options.signal);
  }

  async *#walk(
    dir: string,
    keyBase: string,
    seen: Set<string>,
    keep: (k: string) => boolean,
    signal?: AbortSignal,
  ): AsyncGenerator<ObjectInfo> {
    const names = await this.#readNames(dir);
    for (let i = 0; i < names.length; i += this.#statConcurrency) {
      signal?.throwIfAborted();
      const chunk = names.slice(i, i + this.#statConcurrency);
      const stats = await Promise.all(chunk.map((n) => statOrNull(path.join(dir, n))));
      for (let j = 0; j < chunk.length; j++) {
        const st = stats[j];
        if (!st) continue; // dangling symlink or a file that vanished mid-listing
        const key = keyBase ? `${keyBase}/${chunk[j]}` : chunk[j];
        if (st.isFile()) {
          if (keep(key)) yield { key, size: st.size, mtimeMs: st.mtimeMs };
        } else if (st.isDirectory() && !seen.has(`${st.dev}:${st.ino}`)) {
          // dev:ino of every visited directory: a symlink loop or a second link to the same tree is walked once.
          seen.add(`${st.dev}:${st.ino}`);
          yield* this.#walk(path.join(dir, chunk[j]), key, seen, keep, signal);
        }
      }
    }
  }

  /** Sorted entry names of one directory (sorted so listings are deterministic), junk and temp files dropped. */
  async #readNames(dir: string): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const ent of await opendir(dir, { bufferSize: 256 })) {
        if (JUNK_DIRS.has(ent.name) || isAtomicTempName(ent.name)) continue;
        names.push(ent.name);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw this.#fail('list', dir, err);
    }
    return names.sort(compareCodeUnits);
  }

  async read(key: string): Promise<Buffer> {
    const full = this.#path(key);
    try {
      return await readFile(full);
    } catch (err) {
      throw this.#fail('read', key, err);
    }
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    const full = this.#path(key);
    const want = Math.max(0, end - start);
    let fh;
    try {
      fh = await open(full, 'r');
      const buf = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, want - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === want ? buf : buf.subarray(0, got);
    } catch (err) {
      throw this.#fail('read', key, err);
    } finally {
      await fh?.close();
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const clean = safeKey(key, { dataset: this.id });
    const st = await statOrNull(this.#path(clean));
    if (!st?.isFile()) throw new NotFoundError(`No such file: ${clean}`, { dataset: this.id, file: this.#path(clean) });
    return { key: clean, size: st.size, mtimeMs: st.mtimeMs };
  }

  async exists(key: string): Promise<boolean> {
    return (await statOrNull(this.#path(key)))?.isFile() ?? false;
  }

  async write(key: string, data: Buffer | string): Promise<void> {
    await atomicWrite(this.#path(key), data, { dataset: this.id });
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(this.#path(key), { force: true });
    } catch (err) {
      throw this.#fail('delete', key, err);
    }
  }

  externalPath(key: string): string {
    return this.#path(key);
  }

  keyFromExternal(p: string): string {
    return keyUnder(this.root, p, { dataset: this.id });
  }

  describe(): BackendDescription {
    return { kind: 'local', id: this.id, root: this.root };
  }

  async close(): Promise<void> {}

  #path(key: string): string {
    return resolveUnder(this.root, key, { dataset: this.id });
  }

  #fail(op: string, key: string, err: unknown): Error {
    if (err instanceof PathEscapeError) return err;
    const code = (err as NodeJS.ErrnoException).code;
    const file = path.isAbsolute(key) ? key : path.join(this.root, key);
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR')
      return new NotFoundError(`No such file: ${key}`, { dataset: this.id, file, cause: err });
    return new StorageError(`Could not ${op} ${key} (${code ?? 'error'}): ${(err as Error).message}`, {
      dataset: this.id,
      file,
      cause: err,
    });
  }
}

async function statOrNull(p: string): Promise<Stats | null> {
  try {
    return await stat(p);
  } catch {
    return null;
  }
}

/** Byte-order-ish comparison (code units), matching how S3 orders keys and independent of locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
