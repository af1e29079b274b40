// Deterministic per-sample random streams: the same (seed, dataset, key) always draws the same numbers.
import { createHash } from 'node:crypto';

/** sfc32 seeded from sha256(parts): uniform floats in [0, 1), independent of scan order or sharding. */
export function sampleRng(...parts: (string | number)[]): () => number {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
}

/** A stable 32-bit hash of a string (shard partitioning, max_num_samples selection). */
export function stableHash32(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0);
}
