// What flows through the pipeline between the sampler and batch assembly.
import type { ResumeState } from '../sampling/state.js';

/** One rank's planned batch: sample keys only (no bytes yet), plus the resume state after it. */
export interface StepPlan {
  step: number;
  epoch: number;
  dataset: string;
  bucket: string;
  cursor: number;
  rank: number;
  worldSize: number;
  keys: string[];
  /** Global batch slots that repeat samples to fill the bucket's last batch. */
  padded: number;
  state: ResumeState;
}

/** One sample of a plan, as handed to the ordered window. */
export interface SampleJob {
  plan: StepPlan;
  slot: number;
  key: string;
}
