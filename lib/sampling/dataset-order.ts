// One dataset's batch order per epoch: per-bucket shuffled passes cut into single-bucket global batches, interleaved.
import { permutation, shuffleInPlace } from './shuffle.js';

/** The sizes a dataset order is computed from (no paths: numbers in, orders out). */
export interface DatasetShape {
  id: string;
  /** Bucket keys, sorted; `sizes[i]` samples in bucket i. */
  buckets: readonly string[];
  sizes: readonly number[];
  /** Effective repeats per bucket (0 = once per epoch). */
  repeats: readonly number[];
  /** Samples per global batch: per-rank batch size × world size. */
  globalBatch: number;
}

/** One global batch: its bucket and the sample indices (into the bucket's sorted key list) in slot order. */
export interface PlannedBatch {
  bucketIndex: number;
  bucket: string;
  /** Index of this batch among the bucket's batches this epoch. */
  batchInBucket: number;
  samples: Uint32Array;
  /** Slots past the bucket's last pass, refilled from its first (SimpleTuner fills short batches too). */
  padded: number;
}

/** Batches bucket i yields per epoch: ceil(size × (repeats + 1) / globalBatch). */
export function bucketBatches(shape: DatasetShape, i: number): number {
  return Math.ceil((shape.sizes[i] * (shape.repeats[i] + 1)) / shape.globalBatch);
}

/** Batches the dataset yields per epoch (its sampler length). */
export function batchesPerEpoch(shape: DatasetShape): number {
  let m = 0;
  for (let i = 0; i < shape.buckets.length; i++) m += bucketBatches(shape, i);
  return m;
}

/**
 * Random access to one dataset's batches. The order of epoch e is a pure function of (seed, e, id, bucket): each
 * pass p over bucket b is `permutation(size, ['pass', seed, e, id, b, p])`; passes are concatenated and cut into
 * global batches; the dataset's batches are interleaved by `['interleave', seed, e, id]`.
 */
export class DatasetOrder {
  readonly shape: DatasetShape;
  readonly seed: number;
  readonly length: number;
  #epoch = -1;
  #bucketOf = new Uint32Array(0);
  #indexInBucket = new Uint32Array(0);
  #passCache = new Map<number, { pass: number; perm: Uint32Array }>();

  constructor(shape: DatasetShape, seed: number) {
    this.shape = shape;
    this.seed = seed;
    this.length = batchesPerEpoch(shape);
  }

  /** The `cursor`-th batch (0-based) of `epoch` (1-based). */
  batchAt(epoch: number, cursor: number): PlannedBatch {
    if (epoch !== this.#epoch) this.#buildEpoch(epoch);
    const b = this.#bucketOf[cursor];
    const k = this.#indexInBucket[cursor];
    const G = this.shape.globalBatch;
    const n = this.shape.sizes[b];
    const total = n * (this.shape.repeats[b] + 1);
    const samples = new Uint32Array(G);
    let padded = 0;
    for (let t = 0; t < G; t++) {
      let p = k * G + t;
      if (p >= total) {
        p %= total;
        padded++;
      }
      samples[t] = this.#pass(epoch, b, Math.floor(p / n))[p % n]!;
    }
    return { bucketIndex: b, bucket: this.shape.buckets[b], batchInBucket: k, samples, padded };
  }

  #buildEpoch(epoch: number): void {
    const bucketOf = new Uint32Array(this.length);
    let o = 0;
    for (let i = 0; i < this.shape.buckets.length; i++) {
      for (let j = bucketBatches(this.shape, i); j > 0; j--) bucketOf[o++] = i;
    }
    shuffleInPlace(bucketOf, ['interleave', this.seed, epoch, this.shape.id]);
    const seen = new Uint32Array(this.shape.buckets.length);
    const indexInBucket = new Uint32Array(this.length);
    for (let c = 0; c < this.length; c++) indexInBucket[c] = seen[bucketOf[c]]++;
    this.#bucketOf = bucketOf;
    this.#indexInBucket = indexInBucket;
    this.#passCache.clear();
    this.#epoch = epoch;
  }

  /** One cached pass per bucket: batches walk each bucket's passes forward, so one entry is enough. */
  #pass(epoch: number, b: number, pass: number): Uint32Array {
    const hit = this.#passCache.get(b);
    if (hit && hit.pass === pass) return hit.perm;
    const perm = permutation(this.shape.sizes[b], [
      'pass',
      this.seed,
      epoch,
      this.shape.id,
      this.shape.buckets[b],
      pass,
    ]);
    this.#passCache.set(b, { pass, perm });
    return perm;
  }
}
