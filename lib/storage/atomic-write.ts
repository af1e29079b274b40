// Atomic file writes: temp file in the same directory, then rename, so readers see old or new bytes, never a part.
import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from '../errors.js';

/** Options for atomicWrite. */
export interface AtomicWriteOptions {
  /**
   * fsync the file before the rename. Only matters for power loss; a killed process never leaves a part file either
   * way.
   * @default false
   */
  fsync?: boolean;
  /** Dataset id for error messages. */
  dataset?: string;
}

/** Write `data` to `target` atomically, creating parent directories; the temp file is removed on failure. */
export async function atomicWrite(
  target: string,
  data: Buffer | string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true }).catch((e: unknown) => whyMkdirFailed(dir, e));
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      if (options.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new StorageError(`Could not write ${target} (${code}): ${(err as Error).message}`, {
      dataset: options.dataset,
      file: target,
      cause: err,
    });
  }
}

/**
 * Recursive mkdir reports ENOENT when a parent is on a read-only or unwritable filesystem; find the nearest existing
 * ancestor and throw its real error (EROFS, EACCES) so the message says why.
 */
async function whyMkdirFailed(dir: string, err: unknown): Promise<never> {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    if (
      !(await access(d).then(
        () => true,
        () => false,
      ))
    )
      continue;
    await access(d, constants.W_OK);
    break;
  }
  throw err;
}

/** True for names atomicWrite uses for its temp files (listings skip them). */
export function isAtomicTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp') && /\.\d+\.[0-9a-f]{12}\.tmp$/.test(name);
}
