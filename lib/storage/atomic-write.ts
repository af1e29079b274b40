// Atomic file writes: temp file in the same directory, then rename, so readers see old or new bytes, never a part.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from '../errors.js';

/** Options for atomicWrite. */
export interface AtomicWriteOptions {
  /**
   * fsync the file before the rename. Only matters for power loss; a killed process never leaves a part file either way.
   * @default false
   */
  fsync?: boolean;
  /** Dataset id for error messages. */
  dataset?: string;
}

/** Write `data` to `target` atomically, creating parent directories; the temp file is removed on failure. */
export async function atomicWrite(target: string, data: Buffer | string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
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
    throw new StorageError(`Could not write ${target} (${code}): ${(err as Error).message}`, { dataset: options.dataset, file: target, cause: err });
  }
}

/** True for names atomicWrite uses for its temp files (listings skip them). */
export function isAtomicTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp') && /\.\d+\.[0-9a-f]{12}\.tmp$/.test(name);
}
