// S3's key order (UTF-8 bytes, i.e. code points) and the check that a listing page keeps it.
import type { _Object } from '@aws-sdk/client-s3';
import { StorageError } from '../errors.js';

/** Orders keys as S3 does (UTF-8 byte order). JS `<` compares UTF-16 units, which differs for astral characters. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort below U+E000–U+FFFF in UTF-16 but above them in UTF-8.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy && (sx ? y : x) >= 0xe000) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Where a page came from, for the error naming it. */
export interface PageOrigin {
  dataset: string;
  /** `s3://bucket/prefix` */
  where: string;
}

/**
 * The page's objects in S3 key order, all after `after`. A final page that arrived out of order is sorted: it holds
 * every remaining key. A truncated one is refused: the server's next page starts after its last key, so a server that
 * does not list in key order may already have skipped keys (s3rver does, for a folder and a file sharing a stem).
 */
export function orderedPage(
  origin: PageOrigin,
  contents: readonly _Object[],
  after: string | undefined,
  truncated: boolean,
): _Object[] {
  const objs = contents.filter((o) => typeof o.Key === 'string');
  let sorted = true;
  for (let i = 1; i < objs.length && sorted; i++) sorted = compareKeys(objs[i - 1].Key!, objs[i].Key!) < 0;
  if (!sorted && truncated) throw outOfOrder(origin, 'a page of the listing is not in key order');
  const out = sorted ? objs : [...objs].sort((a, b) => compareKeys(a.Key!, b.Key!));
  if (after !== undefined && out.length && compareKeys(out[0].Key!, after) <= 0)
    throw outOfOrder(origin, `key ${JSON.stringify(out[0].Key)} came after ${JSON.stringify(after)}`);
  return out;
}

function outOfOrder(origin: PageOrigin, what: string): StorageError {
  return new StorageError(
    `S3 listing of ${origin.where} is not in S3 key order (${what}): this server's pages may skip keys, ` +
      'so the listing stops here instead of returning an incomplete dataset',
    { dataset: origin.dataset, file: origin.where },
  );
}
