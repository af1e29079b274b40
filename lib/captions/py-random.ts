// CPython's random.Random for integer seeds (MT19937, init_by_array seeding, getrandbits-based shuffle), so
// caption_shuffle variants are the very strings SimpleTuner embedded into its text cache.

const N = 624;
const M = 397;

/** The subset of random.Random that CaptionShuffler needs, bit-exact with CPython 3.x. */
export class PyRandom {
  readonly #mt = new Uint32Array(N);
  #index = N + 1;

  /** Same as `random.Random(seed)` for an int seed (the sign is dropped, as CPython does). */
  constructor(seed: number | bigint) {
    this.#seedArray(seedWords(typeof seed === 'bigint' ? seed : BigInt(Math.trunc(seed))));
  }

  #seedScalar(s: number): void {
    const mt = this.#mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.#index = N;
  }

  #seedArray(key: Uint32Array): void {
    const mt = this.#mt;
    this.#seedScalar(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  #twist(): void {
    const mt = this.#mt;
    for (let kk = 0; kk < N; kk++) {
      const y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % N] & 0x7fffffff);
      mt[kk] = mt[(kk + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.#index = 0;
  }

  /** genrand_uint32: the next tempered 32-bit output. */
  nextUint32(): number {
    if (this.#index >= N) this.#twist();
    let y = this.#mt[this.#index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random.getrandbits(k) for 0 ≤ k ≤ 32. */
  getrandbits(k: number): number {
    if (k <= 0) return 0;
    return this.nextUint32() >>> (32 - k);
  }

  /** Random._randbelow_with_getrandbits: rejection sampling on bit_length(n) bits. */
  randbelow(n: number): number {
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** random.shuffle(x) in place (CPython ≥ 3.11 algorithm; identical for integer-seeded generators before). */
  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const tmp = x[i];
      x[i] = x[j]!;
      x[j] = tmp;
    }
  }
}

/** abs(seed) as little-endian 32-bit words; zero is the single word [0]. */
function seedWords(seed: bigint): Uint32Array {
  let n = seed < 0n ? -seed : seed;
  const words: number[] = [];
  do {
    words.push(Number(n & 0xffffffffn));
    n >>= 32n;
  } while (n > 0n);
  return Uint32Array.from(words);
}
