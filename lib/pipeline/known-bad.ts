// Samples found bad in the current epoch (not read again until the next one) and distinct skipped files per reason.
import type { SampleOutcome } from './sample-jobs.js';
import type { SampleJob } from './step-plan.js';
import type { SkippedSample } from './types.js';

/** Bounded by the number of bad files: one entry per bad file, one per (reason, file) counted. */
export class KnownBad {
  readonly #bad = new Map<string, { epoch: number; skip: SkippedSample }>();
  readonly #counted = new Set<string>();

  /**
   * Records a skip; true when this file had not yet been counted for this reason (so `skips` counts files, not events).
   */
  mark(epoch: number, skip: SkippedSample): boolean {
    const file = `${skip.dataset}\u0000${skip.key}`;
    this.#bad.set(file, { epoch, skip });
    const counted = `${skip.reason}\u0000${file}`;
    if (this.#counted.has(counted)) return false;
    this.#counted.add(counted);
    return true;
  }

  /** The skip recorded for this file in this epoch; a later epoch tries again (read errors can be transient). */
  get(epoch: number, dataset: string, key: string): SkippedSample | undefined {
    const e = this.#bad.get(`${dataset}\u0000${key}`);
    return e && e.epoch === epoch ? e.skip : undefined;
  }
}

/**
 * Wraps a job runner: a sample already known bad in this epoch is skipped again with the same reason, without a read.
 */
export function skipKnownBad(
  run: (job: SampleJob) => Promise<SampleOutcome>,
  known: KnownBad,
): (job: SampleJob) => Promise<SampleOutcome> {
  return async (job) => {
    const skip = known.get(job.plan.epoch, job.plan.dataset, job.key);
    if (!skip) return run(job);
    return { job, sample: null, skip: { ...skip }, readMs: 0, decodeMs: 0, captionMs: 0 };
  };
}
