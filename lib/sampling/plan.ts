// Builds the sampling plan for a set of datasets (shapes, feasibility, sequence) and resolves one rank's slice.
import { checkFeasibility } from './feasibility.js';
import { batchesPerEpoch, DatasetOrder, type DatasetShape, type PlannedBatch } from './dataset-order.js';
import { rankSlice, type World } from './partition.js';
import { makeSchedule } from './schedule.js';
import { GlobalSequence, type SequenceDataset, type SequenceItem } from './sequence.js';
import type { ResumeState } from './state.js';
import type { WeightingStrategy } from './weights.js';

/** Per-dataset numbers the planner needs (taken from the dataset config and its index). */
export interface PlanDataset {
  id: string;
  /** Samples per bucket key. */
  bucketSizes: Readonly<Record<string, number>>;
  batchSize: number;
  repeats: number;
  probability: number;
  start_epoch?: unknown;
  start_step?: unknown;
  end_epoch?: unknown;
  end_step?: unknown;
  disableAfterEpochStep: number | null;
  isEval?: boolean;
}

export interface PlanOptions {
  seed: number;
  world: World;
  gradAccum: number;
  allowOversubscription: boolean;
  weighting: WeightingStrategy;
  resume?: ResumeState;
}

/** One rank's view of one global batch. */
export interface RankBatch extends SequenceItem {
  bucket: string;
  /** The whole global batch (sample indices into the bucket's sorted keys). */
  global: PlannedBatch;
  /** This rank's contiguous share of `global.samples`. */
  mine: number[];
}

/** Shape of one dataset after the feasibility check (eval: batch size 1). */
export function shapeOf(
  d: PlanDataset,
  opts: Pick<PlanOptions, 'world' | 'gradAccum' | 'allowOversubscription'>,
): DatasetShape {
  const batchSize = d.isEval ? 1 : d.batchSize;
  const reps = checkFeasibility({
    id: d.id,
    bucketSizes: d.bucketSizes,
    repeats: d.repeats,
    batchSize,
    worldSize: opts.world.worldSize,
    gradAccum: opts.gradAccum,
    allowOversubscription: opts.allowOversubscription,
    isEval: d.isEval ?? false,
  });
  const buckets = Object.keys(d.bucketSizes)
    .filter((b) => d.bucketSizes[b] > 0)
    .sort();
  return {
    id: d.id,
    buckets,
    sizes: buckets.map((b) => d.bucketSizes[b]),
    repeats: buckets.map((b) => reps[b]),
    globalBatch: batchSize * opts.world.worldSize,
  };
}

/** Orders for every dataset plus the global sequence over them. Pure: no I/O. */
export function createPlan(
  datasets: readonly PlanDataset[],
  opts: PlanOptions,
): { orders: Map<string, DatasetOrder>; sequence: GlobalSequence } {
  const orders = new Map<string, DatasetOrder>();
  const seq: SequenceDataset[] = [];
  for (const d of datasets) {
    const shape = shapeOf(d, opts);
    orders.set(d.id, new DatasetOrder(shape, opts.seed));
    seq.push({
      id: d.id,
      probability: d.probability,
      batchesPerEpoch: batchesPerEpoch(shape),
      disableAfterEpochStep: d.disableAfterEpochStep,
      schedule: makeSchedule(d),
      globalBatch: shape.globalBatch,
    });
  }
  const sequence = new GlobalSequence({
    seed: opts.seed,
    datasets: seq,
    weighting: opts.weighting,
    gradAccum: opts.gradAccum,
    ...(opts.resume ? { resume: opts.resume } : {}),
  });
  return { orders, sequence };
}

/** Resolve a sequence decision into the batch and this rank's slice of it. */
export function resolveItem(item: SequenceItem, order: DatasetOrder, world: World): RankBatch {
  const global = order.batchAt(item.epoch, item.cursor);
  return { ...item, bucket: global.bucket, global, mine: rankSlice(global.samples, world) };
}
