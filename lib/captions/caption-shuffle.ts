// caption_shuffle: one caption → [original?, shuffled variants], with SimpleTuner's seeds and CPython's RNG.
import { createHash } from 'node:crypto';
import { PyRandom } from './py-random.js';

/** Resolved caption_shuffle settings. */
export interface CaptionShuffleOptions {
  /** Shuffled variants to make. @default 1 */
  count: number;
  /** Base seed; null/0 both mean 0, as in SimpleTuner's `(seed or 0)`. @default args.seed */
  seed: number | null;
  /** Tag separator. @default 'comma' */
  split_on: 'comma' | 'space' | 'period';
  /** Leading tags kept in place. @default 0 */
  position_start: number;
  /** Keep the unshuffled caption as the first variant. @default true */
  include_original: boolean;
}

const SPLIT = { comma: ',', space: ' ', period: '.' } as const;
const JOIN = { comma: ', ', space: ' ', period: '. ' } as const;

// str.isspace() characters; unlike JS \s this excludes U+FEFF, which Python keeps.
const PY_SPACE =
  '[\\t\\n\\v\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');

/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

/**
 * Expand a caption into its variants: split on the separator (parts stripped, empties dropped), keep the first
 * `position_start` tags, shuffle the rest with `random.Random((seed or 0) + (md5(caption) & 0xFFFFFFFF) + i)`,
 * and drop duplicates. Captions with ≤ 1 shufflable tag come back alone, unchanged.
 */
export function expandWithShuffles(caption: string, options: CaptionShuffleOptions): string[] {
  if (!pyStrip(caption)) return [caption];
  const parts = caption
    .split(SPLIT[options.split_on])
    .map(pyStrip)
    .filter((p) => p.length > 0);
  const fixed = parts.slice(0, options.position_start);
  const shufflable = parts.slice(options.position_start);
  if (shufflable.length <= 1) return [caption];
  const out = options.include_original ? [caption] : [];
  const hash = BigInt(`0x${createHash('md5').update(caption, 'utf8').digest('hex').slice(-8)}`);
  const base = BigInt(Math.trunc(options.seed ?? 0)) + hash;
  for (let i = 0; i < options.count; i++) {
    const shuffled = [...shufflable];
    new PyRandom(base + BigInt(i)).shuffle(shuffled);
    const variant = [...fixed, ...shuffled].join(JOIN[options.split_on]);
    if (!out.includes(variant)) out.push(variant);
  }
  return out.length ? out : [caption];
}
