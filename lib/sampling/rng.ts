// Seeded PRNG: xoshiro128** seeded from a 128-bit hash of a JSON key, so every order is a pure function of its key.

/** Mixes one 32-bit word (murmur3's fmix32 finaliser). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const LANE_MUL = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f] as const;

/**
 * 128-bit hash of `JSON.stringify(parts)`: four lanes start from the SHA-256 IV words, each UTF-16 code unit c
 * updates lane l as `h = imul(rotl(h ^ c, 13), LANE_MUL[l])`, then every lane is finalised as
 * `fmix32(h ^ length ^ next_lane_rotated)`. JSON keeps `["a:b"]` and `["a","b"]` apart.
 */
export function hashKey(parts: readonly (string | number)[]): [number, number, number, number] {
  const key = JSON.stringify(parts);
  let a = 0x6a09e667,
    b = 0xbb67ae85,
    c = 0x3c6ef372,
    d = 0xa54ff53a;
  for (let i = 0; i < key.length; i++) {
    const u = key.charCodeAt(i);
    a = Math.imul(rotl(a ^ u, 13), LANE_MUL[0]);
    b = Math.imul(rotl(b ^ u, 13), LANE_MUL[1]);
    c = Math.imul(rotl(c ^ u, 13), LANE_MUL[2]);
    d = Math.imul(rotl(d ^ u, 13), LANE_MUL[3]);
  }
  const n = key.length;
  return [
    fmix32(a ^ n ^ rotl(b, 7)),
    fmix32(b ^ n ^ rotl(c, 11)),
    fmix32(c ^ n ^ rotl(d, 17)),
    fmix32(d ^ n ^ rotl(a, 23)),
  ];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** xoshiro128** (Blackman & Vigna): 32-bit state words, period 2^128 − 1. */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: readonly [number, number, number, number]) {
    [this.#s0, this.#s1, this.#s2, this.#s3] = seed.map((x) => x >>> 0) as [number, number, number, number];
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1; // the all-zero state is a fixed point
  }

  /** Next uint32. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits (two draws: 27 high bits, 26 low bits). */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Integer in [0, n). floor(float53 × n): bias below n / 2^53, far under any observable level for n < 2^32. */
  below(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }
}

/** A generator for one named purpose: `rngFor('shuffle', seed, epoch, dataset, bucket, pass)`. */
export function rngFor(...parts: (string | number)[]): Rng {
  return new Rng(hashKey(parts));
}
