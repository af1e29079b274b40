// The one global sequence of batches: per step, a seeded weighted choice among active, unexhausted datasets.
import { NoActiveDatasetError, ResumeStateError } from '../errors.js';
import { rngFor } from './rng.js';
import { isActive, type Schedule } from './schedule.js';
import type { ResumeState } from './state.js';
import type { WeightCandidate, WeightingStrategy } from './weights.js';

/** What the sequence needs to know about one dataset (counts, not paths). */
export interface SequenceDataset extends WeightCandidate {
  schedule: Schedule;
  globalBatch: number;
}

/** One decision: global batch `step` is batch `cursor` of `dataset` in `epoch`. */
export interface SequenceItem {
  step: number;
  epoch: number;
  dataset: string;
  cursor: number;
}

export interface SequenceOptions {
  seed: number;
  datasets: readonly SequenceDataset[];
  weighting: WeightingStrategy;
  /** @default 1 */
  gradAccum?: number;
  /** Continue from a saved state instead of epoch 1, step 0. */
  resume?: ResumeState;
}

/**
 * Index chosen by one uniform draw from the generator keyed ['select', seed + step]: independent of everything else.
 */
export function chooseWeighted(seed: number, step: number, weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + (w > 0 ? w : 0), 0);
  const u = rngFor('select', seed + step).nextFloat() * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    if (!(weights[i] > 0)) continue;
    acc += weights[i];
    last = i;
    if (u < acc) return i;
  }
  return last;
}

/** Stateful walker over the pure sequence; `state()` is a small object, restore is O(datasets). */
export class GlobalSequence {
  readonly #seed: number;
  readonly #datasets: readonly SequenceDataset[];
  readonly #weighting: WeightingStrategy;
  readonly #gradAccum: number;
  #epoch = 1;
  #step = 0;
  readonly #cursors = new Map<string, number>();

  constructor(opts: SequenceOptions) {
    this.#seed = opts.seed;
    this.#datasets = [...opts.datasets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#weighting = opts.weighting;
    this.#gradAccum = opts.gradAccum ?? 1;
    for (const d of this.#datasets) this.#cursors.set(d.id, 0);
    if (opts.resume) this.#restore(opts.resume);
  }

  get epoch(): number {
    return this.#epoch;
  }
  get step(): number {
    return this.#step;
  }

  /** The next global batch decision (epochs roll over forever; the caller decides when to stop). */
  next(): SequenceItem {
    for (;;) {
      const optimizerStep = Math.floor(this.#step / this.#gradAccum);
      const open = this.#datasets.filter((d) => this.#cursors.get(d.id)! < d.batchesPerEpoch);
      const active = open.filter((d) => isActive(d.schedule, this.#epoch, optimizerStep + 1));
      const weights = active.length
        ? this.#weighting({ candidates: active, step: this.#step, optimizerStep, epoch: this.#epoch })
        : [];
      if (weights.some((w) => w > 0)) {
        const d = active[chooseWeighted(this.#seed, this.#step, weights)];
        const cursor = this.#cursors.get(d.id)!;
        this.#cursors.set(d.id, cursor + 1);
        return { step: this.#step++, epoch: this.#epoch, dataset: d.id, cursor };
      }
      if (open.length === this.#datasets.length) {
        throw new NoActiveDatasetError(
          `No active datasets available for sampling at epoch ${this.#epoch}, step ${optimizerStep}. ` +
            'Adjust start_epoch/start_step so at least one dataset is active.',
        );
      }
      this.#rollover();
    }
  }

  #rollover(): void {
    this.#epoch++;
    for (const d of this.#datasets) this.#cursors.set(d.id, 0);
  }

  /** A copy of the position after the last `next()`. */
  state(): ResumeState {
    const cursors: Record<string, number> = {};
    const globalBatch: Record<string, number> = {};
    const batches: Record<string, number> = {};
    for (const d of this.#datasets) {
      cursors[d.id] = this.#cursors.get(d.id)!;
      globalBatch[d.id] = d.globalBatch;
      batches[d.id] = d.batchesPerEpoch;
    }
    return {
      version: 1,
      seed: this.#seed,
      epoch: this.#epoch,
      step: this.#step,
      cursors,
      globalBatch,
      batchesPerEpoch: batches,
    };
  }

  #restore(s: ResumeState): void {
    if (s.seed !== this.#seed)
      throw new ResumeStateError(`Resume state seed ${s.seed} differs from the run's seed ${this.#seed}`, {
        field: 'seed',
      });
    for (const d of this.#datasets) {
      if (!(d.id in s.cursors))
        throw new ResumeStateError('Dataset is not in the resume state; resume with the same datasets', {
          dataset: d.id,
        });
      if (s.globalBatch[d.id] !== d.globalBatch) {
        throw new ResumeStateError(
          `Resume state has a global batch of ${s.globalBatch[d.id]} samples (train_batch_size × world_size) ` +
            `but this run has ${d.globalBatch}; ` +
            'resume with the same global batch (e.g. halve train_batch_size when doubling the world size)',
          { dataset: d.id, field: 'train_batch_size' },
        );
      }
      if (s.batchesPerEpoch[d.id] !== d.batchesPerEpoch) {
        throw new ResumeStateError(
          `Dataset changed since the state was saved: ${s.batchesPerEpoch[d.id]} batches per epoch then, ` +
            `${d.batchesPerEpoch} now`,
          { dataset: d.id },
        );
      }
      this.#cursors.set(d.id, s.cursors[d.id]);
    }
    this.#epoch = s.epoch;
    this.#step = s.step;
  }
}
