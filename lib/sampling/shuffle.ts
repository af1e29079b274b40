// Pure permutations: Fisher–Yates over 0..n-1 driven by a keyed xoshiro128** stream.
import { rngFor } from './rng.js';

/** A permutation of 0..n-1 that depends only on `key` (same key, same order, on every rank and every run). */
export function permutation(n: number, key: readonly (string | number)[]): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  shuffleInPlace(out, key);
  return out;
}

/** Fisher–Yates from the top: for i = n−1 … 1 swap a[i] with a[below(i + 1)]. */
export function shuffleInPlace(a: Uint32Array, key: readonly (string | number)[]): Uint32Array {
  const rng = rngFor(...key);
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = a[i];
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
