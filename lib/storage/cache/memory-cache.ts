// The memory level: an LRU bounded in bytes (lru-cache), for small hot objects; one per thread and cache folder.
import { LRUCache } from 'lru-cache';

/** A remembered object and when it was last known to match the remote. */
export interface MemoryEntry {
  body: Buffer;
  validatedAt: number;
}

/** Objects larger than this share of the bound skip memory, so one video cannot flush every caption and header. */
const LARGEST_SHARE = 8;

const shared = new Map<string, LRUCache<string, MemoryEntry>>();

/** This thread's memory LRU for `name` (the cache folder), or null when `maxBytes` is 0. */
export function memoryCacheFor(name: string, maxBytes: number): LRUCache<string, MemoryEntry> | null {
  if (maxBytes <= 0) return null;
  const k = `${name}\0${maxBytes}`;
  let c = shared.get(k);
  if (!c) {
    c = new LRUCache<string, MemoryEntry>({
      maxSize: maxBytes,
      maxEntrySize: Math.max(1, Math.floor(maxBytes / LARGEST_SHARE)),
      sizeCalculation: (e) => Math.max(1, e.body.length),
    });
    shared.set(k, c);
  }
  return c;
}
