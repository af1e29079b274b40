// Read-cache settings: the user-facing options (zod at the edge), their defaults, and the serialisable spec.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigValidationError, UsageError } from '../../errors.js';

/** The cache settings carried inside a BackendDescription (serialisable: worker threads and processes rebuild it). */
export interface CacheSpec {
  /** Folder shared by every process on this machine that uses the same one. */
  dir: string;
  /** Disk level bound in bytes; 0 turns the disk level off. */
  maxBytes: number;
  /** Memory level bound in bytes, per thread; 0 turns the memory level off. */
  memoryMaxBytes: number;
  /** A cached object older than this (since it was fetched or last checked) is checked against the remote stat. */
  revalidateAfterMs: number;
}

/** Cache options as a user gives them (loader option, factory option, per dataset `tunefeed_cache`, CLI). */
export interface CacheOptions {
  /**
   * false turns the cache off for this scope even when a wider scope turns it on. @default true when any other field is
   * set
   */
  enabled?: boolean;
  /**
   * Cache folder. @default $TUNEFEED_CACHE_DIR, else $XDG_CACHE_HOME/tunefeed/read-cache, else ~/.cache/tunefeed/read-
   * cache
   */
  dir?: string;
  /** Disk bound in bytes. @default 10737418240 (10 GiB) */
  maxBytes?: number;
  /** Memory bound in bytes per thread (objects above 1/8 of it are not kept in memory). @default 67108864 (64 MiB) */
  memoryMaxBytes?: number;
  /** Milliseconds after which a cached object is checked against the remote's stat again. @default 600000 */
  revalidateAfterMs?: number;
}

export const CACHE_DEFAULTS = {
  maxBytes: 10 * 1024 ** 3,
  memoryMaxBytes: 64 * 1024 ** 2,
  revalidateAfterMs: 600_000,
} as const;

const size = z.number().int().min(0);
const optionsSchema = z
  .object({
    enabled: z.boolean().optional(),
    dir: z.string().min(1).optional(),
    maxBytes: size.optional(),
    memoryMaxBytes: size.optional(),
    revalidateAfterMs: size.optional(),
  })
  .strict();

/** Per-dataset form in multidatabackend.json: `"tunefeed_cache": {"dir": ..., "max_bytes": ...}` or `false`. */
const datasetSchema = z.union([
  z.boolean(),
  z
    .object({
      enabled: z.boolean().optional(),
      dir: z.string().min(1).optional(),
      max_bytes: size.optional(),
      memory_max_bytes: size.optional(),
      revalidate_after_ms: size.optional(),
    })
    .strict(),
]);

/** The default folder under the OS cache dir. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.TUNEFEED_CACHE_DIR) return path.resolve(env.TUNEFEED_CACHE_DIR);
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'tunefeed', 'read-cache');
}

/** Validate user options; throws UsageError naming the field (``Expected `maxBytes` ...``). */
export function parseCacheOptions(value: unknown, where = 'cache'): CacheOptions {
  const r = optionsSchema.safeParse(value);
  if (r.success) return stripUndefined(r.data);
  const i = r.error.issues[0];
  const field = `${where}.${i.path.join('.')}`;
  throw new UsageError(`Expected \`${field}\` to be valid: ${i.message}, got \`${JSON.stringify(value)}\``, { field });
}

/** Read a dataset's `tunefeed_cache` value; null when absent. Throws ConfigValidationError naming dataset and field. */
export function datasetCacheOptions(dataset: string, raw: unknown): CacheOptions | null {
  if (raw === undefined || raw === null) return null;
  const r = datasetSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const field = ['tunefeed_cache', ...i.path.map(String)].join('.');
    const message = `${i.message}, got ${JSON.stringify(raw)}`;
    throw new ConfigValidationError([{ id: dataset, field, message }], { dataset, field });
  }
  const v = r.data;
  if (typeof v === 'boolean') return { enabled: v };
  return stripUndefined({
    enabled: v.enabled,
    dir: v.dir,
    maxBytes: v.max_bytes,
    memoryMaxBytes: v.memory_max_bytes,
    revalidateAfterMs: v.revalidate_after_ms,
  });
}

/**
 * The spec for one dataset: dataset options override global ones field by field. The cache is on when either scope
 * sets any field (or `enabled: true`) and neither says `enabled: false`; null = off.
 */
export function resolveCacheSpec(
  global: CacheOptions | undefined,
  dataset: CacheOptions | null,
  env: Record<string, string | undefined> = process.env,
): CacheSpec | null {
  const merged: CacheOptions = { ...global, ...dataset };
  const asked = Object.keys(merged).length > 0;
  if (!asked || merged.enabled === false) return null;
  return {
    dir: path.resolve(merged.dir ?? defaultCacheDir(env)),
    maxBytes: merged.maxBytes ?? CACHE_DEFAULTS.maxBytes,
    memoryMaxBytes: merged.memoryMaxBytes ?? CACHE_DEFAULTS.memoryMaxBytes,
    revalidateAfterMs: merged.revalidateAfterMs ?? CACHE_DEFAULTS.revalidateAfterMs,
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
