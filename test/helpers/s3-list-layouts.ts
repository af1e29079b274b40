// Key layouts for S3 listing tests (deep folders, a flat bucket, odd characters), s3rver's on-disk seeding, helpers.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareKeys } from '../../lib/storage/s3-key-order.js';
import { S3Storage } from '../../lib/storage/s3.js';
import type { ObjectInfo } from '../../lib/storage/types.js';
import { awsDescription, type S3Endpoint, type TeardownHost } from './s3-server.js';

/**
 * Folders that hold only folders, 4 to 7 levels deep, beside a few files at each level. No folder shares its stem
 * with a sibling file: s3rver lists such a folder before the file (see `AROUND_SLASH`), which only one page can hide.
 */
export function nestedKeys(root: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < 12; i++) keys.push(`${root}/only/folders/here/l4/l5/l6/leaf${String(i).padStart(2, '0')}.png`);
  for (const a of ['a0', 'a1', 'a2'])
    for (const b of ['b0', 'b1', 'b2'])
      for (const c of ['c0', 'c1']) for (let i = 0; i < 6; i++) keys.push(`${root}/set/${a}/${b}/${c}/img${i}.jpg`);
  keys.push(`${root}/top.png`, `${root}/set/readme.txt`, `${root}/zz/y/x/w/v/last.webp`);
  return keys.sort(compareKeys);
}

/** `n` keys in one folder, no subfolders (a flat bucket). */
export function flatKeys(root: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${root}/img_${String(i).padStart(6, '0')}.png`);
}

/**
 * Spaces, `+`, `%`, unicode (2-, 3- and 4-byte UTF-8) and names that sort around '/': S3 orders by UTF-8 bytes, so
 * `a b` < `a%…` < `a+b` < `a-b/` < `a.b/` < `a/` < `a0/`
 * (space 0x20, % 0x25, + 0x2B, - 0x2D, . 0x2E, / 0x2F, 0 0x30).
 */
export const AROUND_SLASH = [
  'a b.png',
  'a%20b.png',
  'a%2Fb.png',
  'a+b.png',
  'a-b/c.png',
  'a.b/c.png',
  'a/b.png',
  'a/b/c/d.png',
  'a0/c.png',
  'é/ü ö.png',
  '日本/画像 1.png',
  '🎵/x+y%z.png',
];

/**
 * Writes objects straight into s3rver 3.7.1's FilesystemStore layout (`<bucket>/<key>._S3rver_object`; it computes
 * the ETag on first read). 10 000 PUTs through the SDK take over a minute on a loaded 2-core machine; the listing,
 * which is what these tests measure, reads the same files either way.
 */
export async function seedS3rver(dir: string, bucket: string, keys: readonly string[]): Promise<void> {
  const made = new Set<string>();
  for (const key of keys) {
    const file = path.join(dir, bucket, ...key.split('/'));
    const folder = path.dirname(file);
    if (!made.has(folder)) {
      await mkdir(folder, { recursive: true });
      made.add(folder);
    }
    await writeFile(`${file}._S3rver_object`, key.slice(-7));
  }
}

/** The keys of a listing, in the order listed. */
export async function listedKeys(it: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of it) out.push(o.key);
  return out;
}

/** `keys` below `root/`, relative to it, in S3 key order: what a storage with prefix `root` lists. */
export const relativeKeys = (keys: readonly string[], root: string): string[] =>
  keys.map((k) => k.slice(root.length + 1)).sort(compareKeys);

/** An S3Storage on a test server, closed at teardown. */
export function listingStorage(t: TeardownHost, srv: S3Endpoint, o: Parameters<typeof awsDescription>[1]): S3Storage {
  const s3 = new S3Storage(awsDescription(srv, o));
  t.teardown(() => s3.close());
  return s3;
}
