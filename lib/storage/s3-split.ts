// Splits the unlisted rest of an S3 key range into smaller ranges, at real keys found by one-key StartAfter probes.
import { compareKeys } from './s3-key-order.js';

/** One probe: the first key after `startAfter` (under the listing's prefix), or undefined when there is none. */
export type Probe = (startAfter: string) => Promise<string | undefined>;

/** Real keys splitting (last, hi) in S3 order, or 'ignored' when a probe came back with a key ≤ its StartAfter. */
export type SplitResult = string[] | 'ignored';

/**
 * Candidate StartAfter keys beyond the page's last key: its prefixes with one character raised, finest position first.
 * The characters come from where the page's keys vary, so digit-numbered files are split on digits. Any candidate is
 * safe: it only places a boundary, and every range is listed flat up to the next one, so no key can fall between.
 */
export function splitCandidates(
  base: string,
  keys: readonly string[],
  hi: string | undefined,
  budget: number,
): string[] {
  if (keys.length === 0 || budget <= 0) return [];
  const rel = keys.map((k) => Array.from(k.slice(base.length)));
  const first = rel[0];
  const last = rel[rel.length - 1];
  let d = 0;
  while (d < first.length && d < last.length && first[d] === last[d]) d++;
  // Characters of the part that varies within the page: the shared part's letters rarely predict the next names.
  const alphabet = [...new Set(rel.flatMap((k) => k.slice(d)))].sort(compareKeys);
  // At the varying position itself only characters seen there: others mostly find the key right after the page.
  const atTop = new Set(rel.map((k) => k[d]));
  const out: string[] = [];
  const top = Math.min(d, last.length - 1);
  // Finest position first: only the ranges just ahead of the consumer run at once, so near boundaries matter most.
  for (let j = top; j >= 0 && out.length < budget; j--) {
    const stem = base + last.slice(0, j).join('');
    const eligible = alphabet
      .filter((c) => compareKeys(c, last[j]) > 0 && (j !== d || atTop.has(c)))
      .map((c) => stem + c)
      .filter((k) => hi === undefined || compareKeys(k, hi) < 0);
    out.push(...eligible.slice(0, budget - out.length));
  }
  return out;
}

/**
 * Probes each candidate (ascending; at most `limit` at once) and returns the distinct keys found strictly inside
 * (last, hi). Once a probe finds nothing, larger candidates would find nothing either and are skipped.
 */
export async function findBoundaries(
  candidates: readonly string[],
  last: string,
  hi: string | undefined,
  probe: Probe,
  limit: number,
): Promise<SplitResult> {
  const found = new Set<string>();
  let ignored = false;
  let empty = false;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < candidates.length && !ignored && !empty) {
      const c = candidates[next++];
      const k = await probe(c);
      if (k === undefined) {
        empty = true;
        continue;
      }
      // A server that honours StartAfter never answers with a key at or before it.
      if (compareKeys(k, c) <= 0) ignored = true;
      else if (compareKeys(k, last) > 0 && (hi === undefined || compareKeys(k, hi) < 0)) found.add(k);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, candidates.length)) }, lane));
  return ignored ? 'ignored' : [...found].sort(compareKeys);
}
