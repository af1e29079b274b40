// Round statistics shared by the benches: the median of per-round values and their min–max spread.

/** The middle value; with an even count, the mean of the two middle ones (so 2 rounds do not report the better). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** [min, max] of per-round values: the spread RESULTS.md prints next to a ratio and judges the target against. */
export function spread(xs: readonly number[]): [number, number] {
  return [Math.min(...xs), Math.max(...xs)];
}

/** The round whose value is the median one (the lower middle with an even count), to report that round's figures. */
export function medianIndex(xs: readonly number[]): number {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  return order[Math.floor((order.length - 1) / 2)][1];
}
