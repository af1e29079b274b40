// Per-pool staging folders for remote clips: named by pid, so folders a killed process left behind can be removed.
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'tunefeed-video-';
let swept = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes staging folders whose process is gone (a SIGKILLed loader cannot clean up after itself). */
export function sweepStaleVideoTemps(root = tmpdir()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 0;
  }
  for (const n of names) {
    const m = new RegExp(`^${PREFIX}(\\d+)-[0-9a-f]+$`).exec(n);
    if (!m || alive(Number(m[1]))) continue;
    rmSync(join(root, n), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** A fresh folder name `tunefeed-video-<pid>-<hex>` in the OS temp dir (not created here); sweeps once a thread. */
export function videoTempDir(): string {
  if (!swept) {
    swept = true;
    sweepStaleVideoTemps();
  }
  return join(tmpdir(), `${PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
}
