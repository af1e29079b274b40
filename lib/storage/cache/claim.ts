// Cross-process download claims: an O_EXCL marker per object, kept fresh by a heartbeat; dead or silent claims are
// taken over.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { unlink, utimes } from 'node:fs/promises';
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
    if (!isStale(file)) return 'busy';
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

/**
 * Stale: its holder's pid is gone, or it has not been refreshed for CLAIM_STALE_MS (a killed thread, another host).
 * Synchronous, as the claim itself: a waiter polls it, and a pool-thread hop per poll would add to every wait.
 */
function isStale(file: string): boolean {
  let mtimeMs: number;
  let text: string;
  try {
    mtimeMs = statSync(file).mtimeMs;
    if (Date.now() - mtimeMs > CLAIM_STALE_MS) return true;
    text = readFileSync(file, 'utf8');
  } catch {
    return true; // released (or taken over and released) between the two calls
  }
  const pid = Number(text.split(' ')[0]);
  return Number.isInteger(pid) && pid > 0 && !pidAlive(pid);
}

/**
 * Wait until the claim on `hash` is released or goes stale, or `timeoutMs` passes. Polls at most every 10 ms: a
 * waiter is a decode read of an object another thread is downloading (a read-ahead in the prefetch thread while the
 * decode worker asks), and a longer poll would be added to a read that is only a round trip away.
 */
export async function waitForClaim(claims: string, hash: string, timeoutMs: number): Promise<'released' | 'timeout'> {
  const file = path.join(claims, `${hash}.claim`);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; Date.now() < deadline; delay = Math.min(delay * 2, 10)) {
    if (isStale(file)) return 'released';
    await sleep(delay);
  }
  return 'timeout';
}
