// At a scan's start, removes the temp files a killed writer left for this dataset's cache files (and nothing else).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImageDatasetConfig } from '../config/types.js';
import type { StorageBackend } from '../storage/types.js';
import { logger } from '../log.js';
import { cacheSuffix, indicesKey, metadataKey } from './cache-files.js';
import { stateDir } from './scan-files.js';

const log = logger('metadata/stale-temps');

/** Options for removeStaleTemps. */
export interface StaleTempOptions {
  /**
   * Remote temp objects (no owner to ask about) must be at least this old: no single write takes an hour.
   * @default 3600000
   */
  remoteMinAgeMs?: number;
}
/** A local temp whose writer's pid is alive is kept, unless it is this old (the pid has been reused). */
const LOCAL_MAX_AGE_MS = 3600_000;

/** atomicWrite's temp name for `target`: `.<target>.<pid>.<12 hex>.tmp`; returns the pid, or null when not one. */
export function tempOwner(name: string, targets: (base: string) => boolean): number | null {
  const m = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
  return m && targets(m[1]) ? Number(m[2]) : null;
}

/** The cache files a scan of this dataset writes, by directory (keys relative to the cache storage root). */
function targetsOf(config: ImageDatasetConfig): { dir: string; is: (base: string) => boolean }[] {
  const suffix = cacheSuffix(config);
  const root = new Set([indicesKey(suffix), metadataKey(suffix)]);
  return [
    { dir: '', is: (b) => root.has(b) },
    { dir: stateDir(config), is: (b) => b === 'manifest.json' || /^part-\d+-of-\d+\.(json|done)$/.test(b) },
  ];
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes orphaned temp files of this dataset's cache files; returns how many. Local: a temp is stale when its writer's
 * pid is not running here (a concurrent shard's live write is kept). Remote: only the scan-state folder is listed
 * (listing a bucket's root at every start would cost more than it saves; S3 PUTs leave no temp objects), and a
 * temp counts as stale after an hour. CSV and Hub backends keep no cache files of their own here. Failures to delete
 * are logged, never thrown: this is housekeeping.
 */
export async function removeStaleTemps(
  cache: StorageBackend,
  config: ImageDatasetConfig,
  options: StaleTempOptions = {},
): Promise<number> {
  let removed = 0;
  for (const t of targetsOf(config)) {
    const stale =
      cache.kind === 'local'
        ? await localStale(cache, t.dir, t.is)
        : cache.kind === 'aws'
          ? await remoteStale(cache, t.dir, t.is, options.remoteMinAgeMs ?? 3600_000)
          : [];
    for (const key of stale) {
      try {
        await cache.delete(key);
        removed++;
      } catch (err) {
        log.debug({ dataset: config.id, file: key, err: (err as Error).message }, 'could not remove a stale temp file');
      }
    }
  }
  if (removed) log.info({ dataset: config.id, removed }, 'removed temp files left by an interrupted write');
  return removed;
}

/** Local listings skip temp names, so the folder is read directly. */
async function localStale(cache: StorageBackend, dir: string, is: (b: string) => boolean): Promise<string[]> {
  const abs = path.dirname(cache.externalPath(dir ? `${dir}/x` : 'x'));
  const names = await readdir(abs).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    const pid = tempOwner(name, is);
    if (pid === null) continue;
    const age = await stat(path.join(abs, name)).then(
      (s) => Date.now() - s.mtimeMs,
      () => -1,
    );
    if (age < 0 || (alive(pid) && age < LOCAL_MAX_AGE_MS)) continue;
    out.push(dir ? `${dir}/${name}` : name);
  }
  return out;
}

async function remoteStale(
  cache: StorageBackend,
  dir: string,
  is: (b: string) => boolean,
  minAge: number,
): Promise<string[]> {
  if (!dir) return [];
  const out: string[] = [];
  try {
    for await (const o of cache.list({ prefix: dir })) {
      const name = o.key.slice(o.key.lastIndexOf('/') + 1);
      if (tempOwner(name, is) !== null && o.mtimeMs !== undefined && Date.now() - o.mtimeMs >= minAge) out.push(o.key);
    }
  } catch (err) {
    log.debug({ dir, err: (err as Error).message }, 'could not list the scan-state folder for stale temp files');
  }
  return out;
}
