// tunefeed's scan manifest: raw probe facts per key (size, mtime/etag, dimensions or skip reason), so rescans are
// incremental and geometry can be recomputed without touching images. Stored next to SimpleTuner's cache files.
import type { ObjectInfo, StorageBackend } from '../storage/types.js';
import { CacheFileError } from '../errors.js';
import type { SkipReason } from './types.js';
import type { ScanItemResult } from './scan-task.js';

/** One key's probe facts. Short field names: manifests hold millions of entries. */
export interface ManifestEntry {
  /** Size in bytes; -1 when adopted from a SimpleTuner cache (unknown until the next listing). */
  s: number;
  m?: number;
  e?: string;
  w?: number;
  h?: number;
  f?: string;
  o?: number;
  n?: number;
  r?: number;
  d?: number;
  /** Aspect ratio given by a metadata table's aspect_ratio_column (overrides the bucket aspect). */
  a?: number;
  /** Skip reason, when the file could not be used. */
  x?: SkipReason;
  msg?: string;
}

export interface ScanManifest {
  tunefeed_scan_manifest: 1;
  dataset: string;
  entries: Record<string, ManifestEntry>;
}

export function manifestKey(suffix: string): string {
  return `tunefeed_scan_manifest_${suffix}.json`;
}

/** True when a listed object still matches what was probed (size plus mtime or ETag). */
export function entryIsFresh(e: ManifestEntry, info: ObjectInfo): boolean {
  if (e.s === -1) return true;
  if (e.s !== info.size) return false;
  if (info.etag !== undefined && e.e !== undefined) return e.e === info.etag;
  if (info.mtimeMs !== undefined && e.m !== undefined) return e.m === info.mtimeMs;
  return true;
}

/** Builds an entry from a worker result and the listing facts. */
export function entryFrom(r: ScanItemResult, info: ObjectInfo): ManifestEntry {
  const base: ManifestEntry = { s: info.size };
  if (info.mtimeMs !== undefined) base.m = info.mtimeMs;
  if (info.etag !== undefined) base.e = info.etag;
  if (!r.ok) return { ...base, x: r.reason, msg: r.message.slice(0, 300) };
  Object.assign(base, { w: r.width, h: r.height, f: r.format });
  if (r.orientation !== 1) base.o = r.orientation;
  if (r.frames !== undefined) base.n = r.frames;
  if (r.fps !== undefined) base.r = r.fps;
  if (r.duration !== undefined) base.d = r.duration;
  return base;
}

/** Reads a manifest-shaped JSON object (manifest or part file); null when absent. */
export async function readJsonObject(
  storage: StorageBackend,
  key: string,
  dataset: string,
): Promise<Record<string, unknown> | null> {
  if (!(await storage.exists(key))) return null;
  const text = (await storage.read(key)).toString('utf8');
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new CacheFileError(`Unreadable cache file: ${(err as Error).message}; delete it to rescan`, {
      dataset,
      file: storage.externalPath(key),
      cause: err,
    });
  }
}

/** Entries of a manifest or part file (validated shallowly: entries must be objects with a numeric size). */
export function entriesOf(obj: Record<string, unknown> | null): Map<string, ManifestEntry> {
  const out = new Map<string, ManifestEntry>();
  const entries = obj?.entries;
  if (!entries || typeof entries !== 'object') return out;
  for (const [k, v] of Object.entries(entries as Record<string, unknown>)) {
    if (v && typeof v === 'object' && typeof (v as ManifestEntry).s === 'number') out.set(k, v as ManifestEntry);
  }
  return out;
}

/** Serialises entries in sorted key order (byte-identical output for identical content). */
export function serialiseEntries(kind: Record<string, unknown>, entries: Map<string, ManifestEntry>): string {
  const sorted: Record<string, ManifestEntry> = {};
  for (const k of [...entries.keys()].sort()) sorted[k] = entries.get(k)!;
  return JSON.stringify({ ...kind, entries: sorted });
}
