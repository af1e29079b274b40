// The impossible-configuration check (SimpleTuner's message) and oversubscription auto-repeats, per bucket.
import { ImpossibleBatchError } from '../errors.js';

/** Inputs for one dataset. */
export interface FeasibilityInput {
  id: string;
  /** Samples per bucket key. */
  bucketSizes: Readonly<Record<string, number>>;
  /** Config repeats (0 = each sample once per epoch). */
  repeats: number;
  batchSize: number;
  worldSize: number;
  gradAccum: number;
  allowOversubscription: boolean;
  /** Eval datasets use an effective batch of 1 and are never rejected. */
  isEval?: boolean;
}

/** Effective repeats per bucket key (equal to `repeats` unless oversubscription padded a short bucket). */
export type BucketRepeats = Record<string, number>;

/**
 * Buckets with size × (repeats + 1) < batch × world × accumulation cannot form one batch. With
 * allow_dataset_oversubscription and no manual repeats they get `ceil(E / size) − 1` repeats; otherwise this throws.
 */
export function checkFeasibility(input: FeasibilityInput): BucketRepeats {
  const eff = input.isEval ? 1 : input.batchSize * input.worldSize * input.gradAccum;
  const out: BucketRepeats = {};
  const short: [string, number][] = [];
  for (const [bucket, n] of Object.entries(input.bucketSizes)) {
    out[bucket] = input.repeats;
    if (n > 0 && n * (input.repeats + 1) < eff) short.push([bucket, n]);
  }
  if (short.length === 0) return out;
  if (input.allowOversubscription && input.repeats === 0) {
    for (const [bucket, n] of short) out[bucket] = Math.ceil(eff / n) - 1;
    return out;
  }
  throw new ImpossibleBatchError(impossibleMessage(input, eff, short), { dataset: input.id, field: 'repeats' });
}

function impossibleMessage(input: FeasibilityInput, eff: number, short: [string, number][]): string {
  const r = input.repeats;
  const total = Object.values(input.bucketSizes).reduce((s, n) => s + n, 0);
  const lines = short.map(([b, n]) =>
    [
      `  - Bucket ${b}: ${n} samples × ${r + 1} (with repeats) = ${n * (r + 1)} samples`,
      `    Need at least ${eff} samples to form one batch`,
      `    Minimum repeats required: ${Math.ceil(eff / n) - 1}`,
    ].join('\n'),
  );
  const need = Math.max(...short.map(([, n]) => Math.ceil(eff / n) - 1));
  let msg =
    'Dataset configuration will produce zero usable batches.\n\nCurrent configuration:\n' +
    `  - Dataset ID: ${input.id}\n  - Total samples: ${total}\n  - Repeats: ${r}\n` +
    `  - Batch size: ${input.batchSize}\n` +
    `  - Number of GPUs: ${input.worldSize}\n  - Gradient accumulation steps: ${input.gradAccum}\n` +
    `  - Effective batch size: ${eff}\n\n` +
    `Problem: ${short.length} bucket(s) have insufficient samples:\n${lines.join('\n')}\n\n` +
    `Solutions:\n  1. Reduce batch_size (currently ${input.batchSize})\n` +
    `  2. Use fewer GPUs (currently ${input.worldSize})\n` +
    `  3. Reduce gradient_accumulation_steps (currently ${input.gradAccum})\n` +
    `  4. Increase repeats to at least ${need} (current: ${r})\n  5. Add more samples to the dataset\n` +
    '  6. Enable --allow_dataset_oversubscription to automatically adjust repeats\n';
  if (r > 0 && input.allowOversubscription) {
    msg +=
      `\nNote: You have manually set repeats=${r}. ` +
      '--allow_dataset_oversubscription will not override manual repeats settings.\n';
  }
  return msg;
}
