// Merges the per-dataset sources into the one global sequence: each step's dataset is the sampler's weighted choice.
import { Readable } from 'node:stream';
import { TunefeedError } from '../errors.js';
import type { DatasetOrder } from '../sampling/dataset-order.js';
import type { World } from '../sampling/partition.js';
import type { GlobalSequence } from '../sampling/sequence.js';
import { DatasetSource, readOne, type SourceBatch } from './dataset-source.js';
import type { StepPlan } from './step-plan.js';

/** Inputs of the merge. */
export interface MergeOptions {
  sequence: GlobalSequence;
  orders: ReadonlyMap<string, DatasetOrder>;
  bucketKeys: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  world: World;
  /** Stop after this many steps. */
  maxSteps?: number;
  /** Stop before the first step of a later epoch. */
  maxEpochs?: number;
}

/**
 * Object-mode Readable of StepPlans. highWaterMark 1: plans are cheap to make, so none are made far ahead.
 * Emits `plan` (count so far) for each plan, so a prefetch thread can report progress without polling.
 */
export class WeightedMerge extends Readable {
  readonly #o: MergeOptions;
  readonly #sources = new Map<string, DatasetSource>();
  #produced = 0;
  #error: Error | null = null;

  constructor(o: MergeOptions) {
    super({ objectMode: true, highWaterMark: 1 });
    this.#o = o;
  }

  /** Plans produced so far (tests compare it with what the consumer has taken). */
  get produced(): number {
    return this.#produced;
  }
  /** Why the sequence stopped early (e.g. no active dataset), or null. */
  get error(): Error | null {
    return this.#error;
  }

  /** A sampling error ends the stream instead of destroying it, so batches already planned still reach the consumer. */
  override _read(): void {
    this.#next().then(
      (plan) => {
        if (plan) this.emit('plan', this.#produced);
        this.push(plan);
      },
      (err: unknown) => {
        this.#error = err as Error;
        this.push(null);
      },
    );
  }

  async #next(): Promise<StepPlan | null> {
    const o = this.#o;
    if (o.maxSteps !== undefined && this.#produced >= o.maxSteps) return null;
    const item = o.sequence.next();
    if (o.maxEpochs !== undefined && item.epoch > o.maxEpochs) return null;
    const src = this.#sourceFor(item.dataset, item.epoch, item.cursor);
    const b = await readOne<SourceBatch>(src);
    if (!b || b.cursor !== item.cursor)
      throw new TunefeedError(`internal: ${item.dataset} source at ${b?.cursor} but the sequence wants ${item.cursor}`);
    this.#produced++;
    return {
      step: item.step,
      epoch: item.epoch,
      dataset: item.dataset,
      bucket: b.bucket,
      cursor: item.cursor,
      rank: o.world.rank,
      worldSize: o.world.worldSize,
      keys: b.keys,
      padded: b.padded,
      state: o.sequence.state(),
    };
  }

  #sourceFor(id: string, epoch: number, cursor: number): DatasetSource {
    let src = this.#sources.get(id);
    if (!src || src.epoch !== epoch) {
      src?.destroy();
      src = new DatasetSource(this.#o.orders.get(id)!, this.#o.bucketKeys.get(id)!, this.#o.world, epoch, cursor);
      this.#sources.set(id, src);
    }
    return src;
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    for (const s of this.#sources.values()) s.destroy();
    cb(err);
  }
}
