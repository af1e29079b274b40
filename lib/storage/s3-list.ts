// S3 listing: prefix applied, paginated, streamed; large buckets listed in parallel by top-level prefix, in key order.
import type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import type { Logger } from '../log.js';
import { PathEscapeError } from '../errors.js';
import { extensionFilter, inJunkDir } from './list-filter.js';
import { PageChannel } from './page-channel.js';
import { safeKey } from './safe-key.js';
import type { ListOptions, ObjectInfo } from './types.js';

/** What the lister needs from the backend: one retried ListObjectsV2 call and the naming rules. */
export interface S3ListContext {
  dataset: string;
  /** Root prefix ("" or ending in "/"). */
  root: string;
  pageSize: number;
  concurrency: number;
  log: Logger;
  listPage(
    params: { Prefix: string; Delimiter?: string; ContinuationToken?: string; MaxKeys: number },
    signal?: AbortSignal,
  ): Promise<ListObjectsV2CommandOutput>;
}

type Entry = { obj: ObjectInfo } | { dir: string; channel?: PageChannel<ObjectInfo> };

/** Stream every object under the root (and `options.prefix`), in S3 key order. */
export async function* listS3(ctx: S3ListContext, options: ListOptions = {}): AsyncGenerator<ObjectInfo> {
  const base =
    ctx.root + (options.prefix ? `${safeKey(options.prefix, { dataset: ctx.dataset, field: 'prefix' })}/` : '');
  const keep = extensionFilter(options.extensions);
  const toInfo = (o: { Key?: string; Size?: number; LastModified?: Date; ETag?: string }): ObjectInfo | null =>
    objectInfo(ctx, o, keep);
  if (ctx.concurrency <= 1) {
    yield* flat(ctx, base, toInfo, options.signal);
    return;
  }
  yield* parallel(ctx, base, toInfo, options.signal);
}

async function* pages(
  ctx: S3ListContext,
  prefix: string,
  delimiter: string | undefined,
  signal?: AbortSignal,
): AsyncGenerator<ListObjectsV2CommandOutput> {
  let token: string | undefined;
  do {
    const page = await ctx.listPage(
      {
        Prefix: prefix,
        MaxKeys: ctx.pageSize,
        ...(delimiter ? { Delimiter: delimiter } : {}),
        ...(token ? { ContinuationToken: token } : {}),
      },
      signal,
    );
    yield page;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

async function* flat(
  ctx: S3ListContext,
  prefix: string,
  toInfo: (o: object) => ObjectInfo | null,
  signal?: AbortSignal,
): AsyncGenerator<ObjectInfo> {
  for await (const page of pages(ctx, prefix, undefined, signal)) {
    for (const o of page.Contents ?? []) {
      const info = toInfo(o);
      if (info) yield info;
    }
  }
}

/** Top-level entries (objects and common prefixes) merged into key order, page by page. */
async function* entries(
  ctx: S3ListContext,
  base: string,
  toInfo: (o: object) => ObjectInfo | null,
  signal?: AbortSignal,
): AsyncGenerator<Entry> {
  for await (const page of pages(ctx, base, '/', signal)) {
    const objs = (page.Contents ?? []).map((o) => ({ key: o.Key ?? '', o }));
    const dirs = (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter(Boolean);
    let i = 0;
    let j = 0;
    while (i < objs.length || j < dirs.length) {
      if (j >= dirs.length || (i < objs.length && objs[i].key < dirs[j])) {
        const info = toInfo(objs[i++].o);
        if (info) yield { obj: info };
      } else {
        const dir = dirs[j++];
        if (!inJunkDir(dir.slice(ctx.root.length).replace(/\/$/, ''))) yield { dir };
      }
    }
  }
}

/** Keeps up to `concurrency` prefix listings running ahead of the consumer; output order equals a flat listing's. */
async function* parallel(
  ctx: S3ListContext,
  base: string,
  toInfo: (o: object) => ObjectInfo | null,
  signal?: AbortSignal,
): AsyncGenerator<ObjectInfo> {
  const stop = new AbortController();
  const inner = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const src = entries(ctx, base, toInfo, inner);
  const pending: Entry[] = [];
  let running = 0;
  let srcDone = false;
  const fill = async (): Promise<void> => {
    while (!srcDone && running < ctx.concurrency && pending.length < ctx.pageSize + ctx.concurrency) {
      const n = await src.next();
      if (n.done) {
        srcDone = true;
        break;
      }
      if ('dir' in n.value) {
        n.value.channel = startPrefix(ctx, n.value.dir, toInfo, inner);
        running++;
      }
      pending.push(n.value);
    }
  };
  try {
    for (;;) {
      await fill();
      const head = pending.shift();
      if (!head) return;
      if ('obj' in head) {
        yield head.obj;
        continue;
      }
      try {
        yield* head.channel!;
      } finally {
        running--;
      }
    }
  } finally {
    stop.abort();
    for (const e of pending) if ('dir' in e) e.channel?.cancel();
    await src.return(undefined).catch(() => undefined);
  }
}

function startPrefix(
  ctx: S3ListContext,
  prefix: string,
  toInfo: (o: object) => ObjectInfo | null,
  signal: AbortSignal,
): PageChannel<ObjectInfo> {
  const channel = new PageChannel<ObjectInfo>(4);
  void (async () => {
    for await (const page of pages(ctx, prefix, undefined, signal)) {
      const infos = (page.Contents ?? []).map(toInfo).filter((x): x is ObjectInfo => x !== null);
      if (!(await channel.push(infos))) return;
    }
  })().then(
    () => channel.end(),
    (err: unknown) => channel.end(err),
  );
  return channel;
}

/** ObjectInfo for a listed object, or null for folder markers, junk, filtered extensions and unsafe keys. */
function objectInfo(
  ctx: S3ListContext,
  o: { Key?: string; Size?: number; LastModified?: Date; ETag?: string },
  keep: (k: string) => boolean,
): ObjectInfo | null {
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
