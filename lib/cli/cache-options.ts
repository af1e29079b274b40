// The cache flags shared by commands (--cache-dir, --cache-max-bytes, --memory-cache-max-bytes), defined once.
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import type { CacheOptions } from '../storage/cache/cache-spec.js';

/** Values commander collects for the cache flags. */
export interface CacheCliValues {
  cacheDir?: string;
  cacheMaxBytes?: string;
  memoryCacheMaxBytes?: string;
}

/** Add the cache flags to a command; returns it for chaining. */
export function withCacheOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--cache-dir <dir>', 'read cache folder for S3/HF/CSV datasets (turns the cache on)'))
    .addOption(new Option('--cache-max-bytes <n>', 'disk cache bound, e.g. 20GiB (turns the cache on; default 10GiB)'))
    .addOption(new Option('--memory-cache-max-bytes <n>', 'memory cache bound per thread, e.g. 64MiB (default 64MiB)'));
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "20GiB", "500MB", "1048576" → bytes; throws UsageError naming the flag. */
export function parseBytes(flag: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new UsageError(`Expected \`--${flag}\` to be a byte count such as 1048576, 500MB or 20GiB, got \`${value}\``);
  return Math.floor(Number(m[1]) * unit);
}

/** The loader/factory `cache` option from the flags; undefined when no flag was given (config decides). */
export function cacheFromCli(o: CacheCliValues): CacheOptions | undefined {
  const c: CacheOptions = {};
  if (o.cacheDir) c.dir = o.cacheDir;
  if (o.cacheMaxBytes !== undefined) c.maxBytes = parseBytes('cache-max-bytes', o.cacheMaxBytes);
  if (o.memoryCacheMaxBytes !== undefined)
    c.memoryMaxBytes = parseBytes('memory-cache-max-bytes', o.memoryCacheMaxBytes);
  return Object.keys(c).length ? c : undefined;
}

/** `{ cache }` for createLoader/createFactory options, or `{}`. */
export function cacheOption(o: CacheCliValues): { cache?: CacheOptions } {
  const c = cacheFromCli(o);
  return c ? { cache: c } : {};
}
