// Where Hugging Face parquet shards come from: the local hub cache layout or the Hub over HTTP (tree API + resolve).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AsyncBuffer } from 'hyparquet';
import { NotFoundError, StorageError } from '../errors.js';
import type { Logger } from '../log.js';
import { fetchLimited, FetchFailure, fetchRetryReason, type FetchLimits } from './http-fetch.js';
import { LocalStorage } from './local.js';
import { networkReason, withRetries, type RetryPolicy } from './retry.js';
import { safeKey } from './safe-key.js';

/** One parquet shard. */
export interface ShardFile {
  path: string;
  size: number;
}

/** A set of shards at one revision. */
export interface ShardSource {
  readonly label: string;
  /** Parquet files of the repository at the revision, sorted by path. */
  files(): Promise<ShardFile[]>;
  /** Random access to one shard (ranged reads). */
  open(file: ShardFile): AsyncBuffer;
}

/** The snapshot directory of a dataset in a hub cache, or null when it is not cached. */
export async function localSnapshot(
  hubCache: string,
  datasetName: string,
  revision: string | null,
): Promise<string | null> {
  const repo = path.join(hubCache, `datasets--${datasetName.split('/').join('--')}`);
  const rev = revision ?? 'main';
  let hash = rev;
  if (!/^[0-9a-f]{40}$/.test(rev)) {
    const ref = await readFile(
      path.join(repo, 'refs', ...safeKey(rev, { field: 'revision' }).split('/')),
      'utf8',
    ).catch(() => null);
    if (ref === null) return null;
    hash = ref.trim();
  }
  const snap = path.join(repo, 'snapshots', hash);
  return (await stat(snap).catch(() => null))?.isDirectory() ? snap : null;
}

/** Shards from a hub-cache snapshot folder (files there are symlinks into blobs/). */
export class LocalShardSource implements ShardSource {
  readonly label: string;
  readonly #dir: LocalStorage;

  constructor(snapshot: string, dataset: string) {
    this.label = snapshot;
    this.#dir = new LocalStorage({ id: dataset, root: snapshot });
  }

  async files(): Promise<ShardFile[]> {
    const out: ShardFile[] = [];
    for await (const o of this.#dir.list({ extensions: ['parquet'] })) out.push({ path: o.key, size: o.size });
    return out;
  }

  open(file: ShardFile): AsyncBuffer {
    return {
      byteLength: file.size,
      slice: async (start: number, end?: number) =>
        toArrayBuffer(await this.#dir.readRange(file.path, start, end ?? file.size)),
    };
  }
}

/** Settings for Hub access. */
export interface HubAccess {
  endpoint: string;
  datasetName: string;
  revision: string | null;
  token?: string;
  dataset: string;
  policy: RetryPolicy;
  log: Logger;
}

/**
 * Shards served by the Hub (or anything with its URL layout): `api/datasets/NAME/tree/REV` and
 * `datasets/NAME/resolve/REV/PATH`.
 */
export class HttpShardSource implements ShardSource {
  readonly label: string;
  readonly #a: HubAccess;
  readonly #limits: FetchLimits;

  constructor(access: HubAccess) {
    this.#a = access;
    this.label = `${access.endpoint}/datasets/${access.datasetName}@${access.revision ?? 'main'}`;
    // The endpoint is configuration, not data: loopback and private mirrors are allowed.
    this.#limits = {
      maxBytes: 2 ** 31,
      connectTimeoutMs: 15_000,
      idleTimeoutMs: 30_000,
      allowPrivate: true,
      headers: access.token ? { authorization: `Bearer ${access.token}` } : {},
    };
  }

  async files(): Promise<ShardFile[]> {
    const rev = encodeURIComponent(this.#a.revision ?? 'main');
    let url: string | null = `${this.#a.endpoint}/api/datasets/${this.#a.datasetName}/tree/${rev}?recursive=true`;
    const out: ShardFile[] = [];
    while (url) {
      const res = await this.#get(url, undefined, 'list');
      const entries = JSON.parse(res.body.toString('utf8')) as { type: string; path: string; size: number }[];
      for (const e of entries)
        if (e.type === 'file' && e.path.endsWith('.parquet'))
          out.push({ path: safeKey(e.path, { dataset: this.#a.dataset, file: url }), size: e.size });
      url = nextLink(res.headers.link, url);
    }
    return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }

  open(file: ShardFile): AsyncBuffer {
    const url = this.resolveUrl(file.path);
    return {
      byteLength: file.size,
      slice: async (start: number, end?: number) => {
        const last = (end ?? file.size) - 1;
        const res = await this.#get(url, `bytes=${start}-${last}`, 'readRange');
        // A server that ignores Range answers 200 with the whole file: take the slice from it.
        return toArrayBuffer(res.status === 200 ? res.body.subarray(start, last + 1) : res.body);
      },
    };
  }

  resolveUrl(file: string): string {
    const rev = encodeURIComponent(this.#a.revision ?? 'main');
    const path = file.split('/').map(encodeURIComponent).join('/');
    return `${this.#a.endpoint}/datasets/${this.#a.datasetName}/resolve/${rev}/${path}`;
  }

  async #get(url: string, range: string | undefined, op: string): Promise<Awaited<ReturnType<typeof fetchLimited>>> {
    const ctx = { log: this.#a.log, op, dataset: this.#a.dataset, key: url };
    try {
      return await withRetries(this.#a.policy, ctx, fetchRetryReason, (signal) =>
        fetchLimited(url, { ...this.#limits, ...(range ? { range } : {}) }, signal),
      );
    } catch (err) {
      if (err instanceof FetchFailure && err.status === 404)
        throw new NotFoundError(`Not on the Hub: ${url}`, { dataset: this.#a.dataset, file: url, cause: err });
      throw new StorageError(
        `Hub request failed (${err instanceof FetchFailure ? err.reason : (networkReason(err) ?? 'error')}): ${url}`,
        { dataset: this.#a.dataset, file: url, cause: err },
      );
    }
  }
}

function nextLink(link: string | string[] | undefined, base: string): string | null {
  const text = Array.isArray(link) ? link.join(',') : link;
  const m = text ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(text) : null;
  return m ? new URL(m[1], base).toString() : null;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Shards of one split: a folder named after it, or a file name starting with `split-`, `split_` or `split.`. */
export function selectSplit(files: ShardFile[], split: string): ShardFile[] {
  const s = split.toLowerCase();
  return files.filter((f) => {
    const parts = f.path.toLowerCase().split('/');
    const base = parts.pop()!;
    return (
      parts.includes(s) ||
      parts.includes(`partial-${s}`) ||
      base.startsWith(`${s}-`) ||
      base.startsWith(`${s}_`) ||
      base.startsWith(`${s}.`)
    );
  });
}
