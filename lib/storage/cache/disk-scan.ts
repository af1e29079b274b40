// Walks a cache folder: entry sizes and last-use times (for eviction and `tunefeed cache stats`), orphan temp cleanup.
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** One entry file as the eviction sees it. */
export interface ScannedEntry {
  path: string;
  size: number;
  /** Last use: set explicitly on every hit (so noatime/relatime mounts do not matter). */
  atimeMs: number;
}

/** Sub-folders of a cache folder. */
export function cacheDirs(root: string): { entries: string; tmp: string; claims: string } {
  return { entries: path.join(root, 'entries'), tmp: path.join(root, 'tmp'), claims: path.join(root, 'claims') };
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Every entry under `root/entries` (files vanishing mid-walk, evicted by another process, are left out). */
export async function scanEntries(root: string): Promise<ScannedEntry[]> {
  const { entries } = cacheDirs(root);
  const out: ScannedEntry[] = [];
  for (const sub of await list(entries)) {
    const dir = path.join(entries, sub);
    const names = await list(dir);
    for (let i = 0; i < names.length; i += 256) {
      const stats = await Promise.all(
        names.slice(i, i + 256).map(async (n) => {
          const p = path.join(dir, n);
          const s = await stat(p).catch(() => null);
          return s?.isFile() ? { path: p, size: s.size, atimeMs: s.atimeMs } : null;
        }),
      );
      for (const s of stats) if (s) out.push(s);
    }
  }
  return out;
}

/** Delete least-recently-used entries until the total is at most `target` bytes; returns what was removed. */
export async function evictTo(entries: ScannedEntry[], target: number): Promise<{ count: number; bytes: number }> {
  let total = entries.reduce((a, e) => a + e.size, 0);
  const removed = { count: 0, bytes: 0 };
  if (total <= target) return removed;
  const oldestFirst = [...entries].sort((a, b) => a.atimeMs - b.atimeMs);
  for (const e of oldestFirst) {
    if (total <= target) break;
    // Unlinking a file another process has open is safe: its read keeps the inode until it closes.
    await unlink(e.path).catch(() => undefined);
    total -= e.size;
    removed.count++;
    removed.bytes += e.size;
  }
  return removed;
}

/** True when `pid` runs on this machine (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temp files of writers that died mid-write (kill -9): their pid is gone, or they are over an hour old. */
export async function removeOrphanTemps(root: string, now = Date.now()): Promise<number> {
  const { tmp } = cacheDirs(root);
  let n = 0;
  for (const name of await list(tmp)) {
    const pid = Number(name.split('.')[1]);
    const p = path.join(tmp, name);
    const s = await stat(p).catch(() => null);
    if (!s) continue;
    if ((Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) || now - s.mtimeMs > 3_600_000) {
      await unlink(p).catch(() => undefined);
      n++;
    }
  }
  return n;
}
