// Shared set-up for cache tests: an in-memory S3 server with counted requests and cached storages on it.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import type { CacheSpec } from '../../../lib/storage/cache/cache-spec.js';
import { createStorage } from '../../../lib/storage/from-description.js';
import type { StorageBackend } from '../../../lib/storage/types.js';
import { startMemS3Server, type MemS3Server } from '../../helpers/mem-s3-server.js';
import { awsDescription } from '../../helpers/s3-server.js';

/** A cache spec in a fresh temp folder (or `dir`), revalidation off unless asked. */
export async function tempSpec(over: Partial<CacheSpec> = {}): Promise<CacheSpec> {
  const dir = over.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'tf-cache-')));
  return { dir, maxBytes: 64 * 1024 * 1024, memoryMaxBytes: 0, revalidateAfterMs: 3_600_000, ...over };
}

/** `n` distinct objects of `size` bytes each under `prefix`. */
export function objects(n: number, size: number, prefix = 'img'): [string, Buffer][] {
  return Array.from({ length: n }, (_, i) => [`${prefix}/${i}.bin`, Buffer.alloc(size, (i * 7 + 1) % 251)]);
}

/** A server holding `objs`, closed at teardown. */
export async function serverWith(t: Test, objs: [string, Buffer][]): Promise<MemS3Server> {
  const srv = await startMemS3Server(t);
  await srv.putMany(objs, 8);
  return srv;
}

/** A cached S3 storage on `srv`, closed at teardown. */
export function cachedS3(t: Test, srv: MemS3Server, spec: CacheSpec, id = 'cached'): StorageBackend {
  const s = createStorage({ ...awsDescription(srv, { id }), cache: spec });
  t.teardown(() => s.close());
  return s;
}

/** GET and HEAD counts the server saw. */
export async function requests(srv: MemS3Server): Promise<{ get: number; head: number }> {
  const s = await srv.stats();
  return { get: s.get ?? 0, head: s.head ?? 0 };
}
