// A per-dataset Readable of planned batches for one epoch, starting at a cursor (the merge opens one per epoch).
import { Readable } from 'node:stream';
import { rankSlice, type World } from '../sampling/partition.js';
import type { DatasetOrder, PlannedBatch } from '../sampling/dataset-order.js';

/** One dataset's batch in epoch order, resolved to this rank's sample keys. */
export interface SourceBatch {
  epoch: number;
  cursor: number;
  bucket: string;
  keys: string[];
  padded: number;
  global: PlannedBatch;
}

/**
 * Emits batches `cursor` to `length-1` of `epoch`, then ends. highWaterMark 1: computing ahead costs memory, not time.
 */
export class DatasetSource extends Readable {
  readonly #order: DatasetOrder;
  readonly #bucketKeys: ReadonlyMap<string, readonly string[]>;
  readonly #world: World;
  readonly epoch: number;
  #cursor: number;

  constructor(
    order: DatasetOrder,
    bucketKeys: ReadonlyMap<string, readonly string[]>,
    world: World,
    epoch: number,
    cursor: number,
  ) {
    super({ objectMode: true, highWaterMark: 1 });
    this.#order = order;
    this.#bucketKeys = bucketKeys;
    this.#world = world;
    this.epoch = epoch;
    this.#cursor = cursor;
  }

  override _read(): void {
    if (this.#cursor >= this.#order.length) {
      this.push(null);
      return;
    }
    const global = this.#order.batchAt(this.epoch, this.#cursor);
    const keys = this.#bucketKeys.get(global.bucket)!;
    const mine = rankSlice(global.samples, this.#world).map((i) => keys[i]);
    this.push({
      epoch: this.epoch,
      cursor: this.#cursor++,
      bucket: global.bucket,
      keys: mine,
      padded: global.padded,
      global,
    } satisfies SourceBatch);
  }
}

/** Next item of an object-mode Readable, or null at its end (waits only if the source is asynchronous). */
export function readOne<T>(src: Readable): Promise<T | null> {
  const v = src.read() as T | null;
  if (v !== null) return Promise.resolve(v);
  if (src.readableEnded) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const done = (): void => {
      src.off('readable', onReadable);
      src.off('end', onEnd);
      src.off('error', onError);
    };
    const onReadable = (): void => {
      const x = src.read() as T | null;
      if (x !== null) {
        done();
        resolve(x);
      }
    };
    const onEnd = (): void => {
      done();
      resolve(null);
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    src.on('readable', onReadable);
    src.on('end', onEnd);
    src.on('error', onError);
  });
}
