// Where tunefeed keeps its own scan state next to SimpleTuner's caches, and how earlier facts are loaded.
import type { ImageDatasetConfig } from '../config/types.js';
import type { StorageBackend } from '../storage/types.js';
import { entriesOf, readJsonObject, type ManifestEntry } from './manifest.js';
import { cacheSuffix, metadataKey } from './cache-files.js';
import { stableHash32 } from './sample-rng.js';

/** A deterministic 1/count share of the keys. */
export interface Shard {
  index: number;
  count: number;
}

export const stateDir = (config: ImageDatasetConfig): string => `tunefeed_scan/${cacheSuffix(config)}`;
export const manifestPath = (config: ImageDatasetConfig): string => `${stateDir(config)}/manifest.json`;
export const partPath = (config: ImageDatasetConfig, s: Shard): string =>
  `${stateDir(config)}/part-${s.index}-of-${s.count}.json`;
export const markerPath = (config: ImageDatasetConfig, s: Shard): string =>
  `${stateDir(config)}/part-${s.index}-of-${s.count}.done`;

/** True when `key` belongs to shard `s` (hash partition: stable across machines and listing orders). */
export function inShard(key: string, s: Shard | undefined): boolean {
  return !s || s.count <= 1 || stableHash32('shard', key) % s.count === s.index;
}

/** Parses "I/N" (0-based I). */
export function parseShard(text: string): Shard | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index < count ? { index, count } : null;
}

/**
 * Facts known before listing: the manifest, this shard's part file, and (when tunefeed has no manifest yet)
 * original sizes adopted from SimpleTuner's metadata file, trusted like SimpleTuner trusts its cache.
 */
export async function loadPreviousFacts(
  cache: StorageBackend,
  storage: StorageBackend,
  config: ImageDatasetConfig,
  shard?: Shard,
): Promise<Map<string, ManifestEntry>> {
  const manifest = await readJsonObject(cache, manifestPath(config), config.id);
  const facts = manifest ? entriesOf(manifest) : await adoptSimpleTuner(cache, storage, config);
  if (shard)
    for (const [k, v] of entriesOf(await readJsonObject(cache, partPath(config, shard), config.id))) facts.set(k, v);
  return facts;
}

async function adoptSimpleTuner(
  cache: StorageBackend,
  storage: StorageBackend,
  config: ImageDatasetConfig,
): Promise<Map<string, ManifestEntry>> {
  const out = new Map<string, ManifestEntry>();
  const meta = await readJsonObject(cache, metadataKey(cacheSuffix(config)), config.id);
  for (const [path, m] of Object.entries(meta ?? {})) {
    const size = (m as { original_size?: unknown }).original_size;
    if (!Array.isArray(size) || size.length !== 2) continue;
    let key: string;
    try {
      key = storage.keyFromExternal(path);
    } catch {
      continue;
    }
    const [w, h] = size as [number, number];
    if (w > 0 && h > 0) out.set(key, { s: -1, w, h });
  }
  return out;
}
