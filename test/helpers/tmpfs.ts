// Mounts a small tmpfs for disk-fault tests (root only); unmounted at test teardown.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';

/** Mount a tmpfs with `options` (e.g. "size=64k", "ro"); null when this machine does not allow it. */
export function tmpfs(t: Test, options: string): string | null {
  const dir = path.join(os.tmpdir(), `tf-tmpfs-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  t.teardown(() => {
    execFileSync('umount', [dir], { stdio: 'pipe' });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
