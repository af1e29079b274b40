// Mounts a small tmpfs for disk-fault tests (root only); unmounted at test teardown. Tests skip visibly without it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';

function mount(options: string): string {
  const dir = path.join(os.tmpdir(), `tf-tmpfs-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'pipe' });
  rmSync(dir, { recursive: true, force: true });
}

/** Why tmpfs tests cannot run here (for tap's `{ skip }`, printed as `# SKIP <reason>`), or false when they can. */
export const tmpfsSkip: string | false = (() => {
  try {
    unmount(mount('size=4k'));
    return false;
  } catch (err) {
    const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message)
      .trim()
      .split('\n')[0];
    return `cannot mount a tmpfs here (needs root, as in CI): ${why}`;
  }
})();

/** Mount a tmpfs with `options` (e.g. "size=64k", "ro"); use only in tests skipped with `tmpfsSkip`. */
export function tmpfs(t: Test, options: string): string {
  const dir = mount(options);
  t.teardown(() => unmount(dir));
  return dir;
}
