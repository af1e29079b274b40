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
  const perPosition = Math.max(2, Math.ceil(budget / 3));
  const out: string[] = [];
  const top = Math.min(d, last.length - 1);
  for (let j = top; j >= 0 && out.length < budget; j--) {
    const stem = base + last.slice(0, j).join('');
    const eligible = alphabet
      .filter((c) => compareKeys(c, last[j]) > 0)
      .map((c) => stem + c)
      .filter((k) => hi === undefined || compareKeys(k, hi) < 0);
    // Raising the varying position itself mostly finds the key right after the page (numbered names end in 9s).
    out.push(...spread(eligible, Math.min(j === top ? 1 : perPosition, budget - out.length)));
  }
  return out;
}

/** `n` items spread evenly over `list`, its first item included (the nearest split keeps the next range short). */
function spread<T>(list: readonly T[], n: number): T[] {
  if (list.length <= n) return [...list];
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

/** Probes each candidate (at most `limit` at once) and returns the distinct keys found strictly inside (last, hi). */
export async function findBoundaries(
  candidates: readonly string[],
  last: string,
  hi: string | undefined,
  probe: Probe,
  limit: number,
): Promise<SplitResult> {
  const found = new Set<string>();
  let ignored = false;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < candidates.length && !ignored) {
      const c = candidates[next++];
      const k = await probe(c);
      if (k === undefined) continue;
      // A server that honours StartAfter never answers with a key at or before it.
      if (compareKeys(k, c) <= 0) ignored = true;
      else if (compareKeys(k, last) > 0 && (hi === undefined || compareKeys(k, hi) < 0)) found.add(k);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, candidates.length)) }, lane));
  return ignored ? 'ignored' : [...found].sort(compareKeys);
}
