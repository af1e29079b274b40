// Says, in one warning line, which geometry fields differ from the bucket cache on disk before it is recomputed.
import type { StorageBackend } from '../storage/types.js';
import { logger } from '../log.js';
import { geometryHash, geometryParts } from './build-index.js';
import { cacheSuffix, indicesKey } from './cache-files.js';
import type { ScanDatasetOptions } from './scan-types.js';

const log = logger('metadata/geometry');

/** The fields whose values differ (compared as JSON), in a stable order. */
export function changedGeometryFields(before: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  return keys.filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(now[k] ?? null));
}

function show(v: unknown): string {
  return JSON.stringify(v ?? null);
}

/**
 * When the cache files on disk were made for another geometry, the warning message (also logged once), naming
 * each changed field with its old and new value; null when they match or there is no readable cache.
 */
export async function geometryChange(opts: ScanDatasetOptions, cache: StorageBackend): Promise<string | null> {
  const key = indicesKey(cacheSuffix(opts.config));
  let tf: { geometry_hash?: string; geometry?: Record<string, unknown> } | undefined;
  try {
    if (!(await cache.exists(key))) return null;
    tf = (JSON.parse((await cache.read(key)).toString('utf8')) as { tunefeed?: typeof tf }).tunefeed;
  } catch {
    return null; // an unreadable cache is reported where it is loaded; this is only a notice
  }
  const extra = { maxCanvasSize: opts.maxCanvasSize ?? null };
  if (!tf?.geometry_hash || tf.geometry_hash === geometryHash(opts.config, opts.args, extra)) return null;
  const now = geometryParts(opts.config, opts.args, extra);
  const fields = tf.geometry ? changedGeometryFields(tf.geometry, now) : [];
  const what = fields.length
    ? fields.map((f) => `${f} ${show(tf.geometry?.[f])} → ${show(now[f])}`).join(', ')
    : 'fields not recorded by the tunefeed that wrote it';
  const message = `bucket cache of ${opts.id} was made for another geometry (${what}); recomputing buckets`;
  log.warn({ dataset: opts.id, fields }, message);
  return message;
}
