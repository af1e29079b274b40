// Cross-process download claims: an O_EXCL marker per object, kept fresh by a heartbeat; dead or silent claims are
// taken over.
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { readFile, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { pidAlive } from './disk-scan.js';

/** A claim not refreshed for this long belongs to a dead thread or process (the holder touches it every second). */
export const CLAIM_STALE_MS = 5_000;
const HEARTBEAT_MS = 1_000;

/** A held claim: release it when the entry is written (or the download failed). */
export interface Claim {
  release(): Promise<void>;
}

/**
 * Take the claim on `hash`, or 'busy' when another live thread or process holds it. fs errors other than EEXIST throw.
 */
export async function tryClaim(claims: string, hash: string): Promise<Claim | 'busy'> {
  const file = path.join(claims, `${hash}.claim`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // Synchronous: a pool-thread hop per call costs more than the call on a loaded machine (see disk-cache.ts).
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, `${process.pid} ${threadId} ${Date.now()}\n`);
      } finally {
        closeSync(fd);
      }
      return held(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!(await isStale(file))) return 'busy';
    // Two waiters may both take over a stale claim; the worst case is one extra download (writes are atomic).
    await unlink(file).catch(() => undefined);
  }
  return 'busy';
}

function held(file: string): Claim {
  const beat = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  beat.unref();
  return {
    release: () => {
      clearInterval(beat);
      try {
        unlinkSync(file);
      } catch {
        // taken over as stale, or the folder was cleared
      }
      return Promise.resolve();
    },
  };
}

/** Stale: its holder's pid is gone, or it has not been refreshed for CLAIM_STALE_MS (a killed thread, another host). */
async function isStale(file: string): Promise<boolean> {
  const s = await stat(file).catch(() => null);
  if (!s) return true;
  if (Date.now() - s.mtimeMs > CLAIM_STALE_MS) return true;
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).split(' ')[0]);
  return Number.isInteger(pid) && pid > 0 && !pidAlive(pid);
}

/** Wait until the claim on `hash` is released or goes stale, or `timeoutMs` passes. */
export async function waitForClaim(claims: string, hash: string, timeoutMs: number): Promise<'released' | 'timeout'> {
  const file = path.join(claims, `${hash}.claim`);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
    if (await isStale(file)) return 'released';
    await sleep(delay);
  }
  return 'timeout';
}
