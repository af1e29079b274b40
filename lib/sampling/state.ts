// The resume state: a handful of numbers, restored in O(1) (no seen-path sets, no replay of past steps).

/** Everything needed to continue the global batch sequence exactly. Identical on every rank at the same step. */
export interface ResumeState {
  version: 1;
  seed: number;
  /** Current epoch (1-based). */
  epoch: number;
  /** Global batches produced so far = index of the next global batch. */
  step: number;
  /** Per dataset: batches already taken in the current epoch. */
  cursors: Record<string, number>;
  /** Per dataset: samples per global batch (batch size × world size); must match on resume. */
  globalBatch: Record<string, number>;
  /** Per dataset: batches per epoch; a mismatch means the dataset changed since the state was saved. */
  batchesPerEpoch: Record<string, number>;
}
