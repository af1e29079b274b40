// S3 listing: prefix applied, paginated, streamed in S3 key order; parallel by StartAfter key ranges, never delimiters.
import type { _Object } from '@aws-sdk/client-s3';
import type { Logger } from '../log.js';
import { PathEscapeError } from '../errors.js';
import { extensionFilter, inJunkDir } from './list-filter.js';
import { RangeLister, type RangeContext } from './s3-ranges.js';
import { safeKey } from './safe-key.js';
import type { ListOptions, ObjectInfo } from './types.js';

export type { ListParams } from './s3-ranges.js';

/** What the lister needs from the backend: one retried ListObjectsV2 call and the naming rules. */
export interface S3ListContext extends RangeContext {
  /** Root prefix ("" or ending in "/"). */
  root: string;
  log: Logger;
}

/** Stream every object under the root (and `options.prefix`), in S3 key order. */
export function listS3(ctx: S3ListContext, options: ListOptions = {}): AsyncGenerator<ObjectInfo> {
  const base =
    ctx.root + (options.prefix ? `${safeKey(options.prefix, { dataset: ctx.dataset, field: 'prefix' })}/` : '');
  const keep = extensionFilter(options.extensions);
  const toInfo = (o: _Object): ObjectInfo | null => objectInfo(ctx, o, keep);
  return new RangeLister(ctx, base, toInfo, options.signal).objects();
}

/** ObjectInfo for a listed object, or null for folder markers, junk, filtered extensions and unsafe keys. */
function objectInfo(ctx: S3ListContext, o: _Object, keep: (k: string) => boolean): ObjectInfo | null {
  const full = o.Key ?? '';
  if (!full.startsWith(ctx.root) || full.endsWith('/')) return null;
  const key = full.slice(ctx.root.length);
  try {
    if (safeKey(key, { dataset: ctx.dataset, file: full }) !== key)
      throw new PathEscapeError(`non-canonical key ${JSON.stringify(key)} cannot be addressed`, {
        dataset: ctx.dataset,
        file: full,
      });
  } catch (err) {
    ctx.log.warn({ dataset: ctx.dataset, key: full, reason: (err as Error).message }, 'skipping unsafe S3 key');
    return null;
  }
  if (inJunkDir(key) || !keep(key)) return null;
  return {
    key,
    size: o.Size ?? 0,
    ...(o.LastModified ? { mtimeMs: o.LastModified.getTime() } : {}),
    ...(o.ETag ? { etag: o.ETag.replace(/"/g, '') } : {}),
  };
}
