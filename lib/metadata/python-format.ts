// Python numerics SimpleTuner's caches depend on: float repr for bucket keys, round-half-even, round(x, n).

/**
 * Python's `str(float)`: shortest round-trip digits, always with a fractional part ("1.0"),
 * scientific notation below 1e-4 and from 1e16 up ("1e-05", "1e+16").
 */
export function pyFloatKey(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    const abs = Math.abs(exp);
    return `${mant}e${sign}${abs < 10 ? `0${abs}` : abs}`;
  }
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

/** Python's `round(x)` for floats: nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5) return 2 * Math.round(x / 2);
  return r;
}

/**
 * Python's `round(x, nd)`: correctly rounded on the exact binary value (2.675 → 2.67, since 2.675 is stored
 * as 2.67499…), exact ties to even. `toFixed` rounds the exact value too but sends ties up, so ties are
 * detected on a longer exact expansion.
 */
export function pyRound(x: number, nd: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x;
  const rounded = Number(x.toFixed(nd));
  const long = Math.abs(x).toFixed(Math.min(100, nd + 40));
  const tail = long.slice(long.length - 40);
  if (tail !== `5${'0'.repeat(39)}`) return rounded;
  // Exact tie: choose the candidate whose last digit is even.
  const scale = 10 ** nd;
  const down = Math.trunc(Math.abs(x) * scale);
  const even = down % 2 === 0 ? down : down + 1;
  const v = Number((even / scale).toFixed(nd));
  return x < 0 ? -v : v;
}

/** Python's `int()` on a float: truncation toward zero. */
export function pyInt(x: number): number {
  return Math.trunc(x);
}
