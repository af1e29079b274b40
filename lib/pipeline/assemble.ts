// Batch assembly: gathers a plan's outcomes (they arrive contiguous and in order) and refills failed samples from the
// bucket.
import { none } from 'stream-chain/defs.js';
import type { MetricsBus } from '../metrics/events.js';
import { permutation } from '../sampling/shuffle.js';
import type { ResumeState } from '../sampling/state.js';
import type { RuntimeDataset } from './runtime-dataset.js';
import type { SampleOutcome } from './sample-jobs.js';
import type { SampleJob, StepPlan } from './step-plan.js';
import type { Batch, BatchSample, SkippedSample } from './types.js';
import type { KnownBad } from './known-bad.js';

/** A batch with the resume state after it (the fetcher keeps the state for `loader.state()`). */
export interface Envelope {
  batch: Batch;
  state: ResumeState;
}

/** What assembly needs. */
export interface AssembleContext {
  datasets: ReadonlyMap<string, RuntimeDataset>;
  run: (job: SampleJob) => Promise<SampleOutcome>;
  seed: number;
  metrics: MetricsBus;
  /** Replacement candidates tried per failed sample. @default 8 */
  refillTries?: number;
  /** Counts skipped files by reason (shared with the loader): a file skipped twice for one reason counts once. */
  skips: Map<string, number>;
  /** Samples found bad this epoch (shared with the runner, which then does not read them again). */
  known: KnownBad;
}

/** A stream-chain stage: returns `none` until the plan's last outcome, then the assembled batch. */
export function makeAssembler(ctx: AssembleContext): (o: SampleOutcome) => Promise<Envelope | typeof none> {
  let current: SampleOutcome[] = [];
  return async (o) => {
    current.push(o);
    if (current.length < o.job.plan.keys.length) return none;
    const outcomes = current;
    current = [];
    const t0 = performance.now();
    const plan = o.job.plan;
    const skipped: SkippedSample[] = [];
    const samples: BatchSample[] = [];
    for (const x of outcomes) {
      if (x.sample) samples.push(x.sample);
      else if (x.skip) skipped.push(x.skip);
    }
    for (const s of skipped) count(ctx, plan, s);
    if (skipped.length) samples.push(...(await refill(ctx, plan, skipped.length, samples, skipped)));
    emitBatch(ctx, plan, outcomes, samples.length, performance.now() - t0);
    const batch: Batch = {
      step: plan.step,
      epoch: plan.epoch,
      dataset: plan.dataset,
      bucket: plan.bucket,
      rank: plan.rank,
      worldSize: plan.worldSize,
      samples,
      skipped,
    };
    return { batch, state: plan.state };
  };
}

/** Every skip is an event (and in `batch.skipped`); `skips` counts each file once per reason. */
function count(ctx: AssembleContext, plan: StepPlan, s: SkippedSample): void {
  if (ctx.known.mark(plan.epoch, s)) ctx.skips.set(s.reason, (ctx.skips.get(s.reason) ?? 0) + 1);
  ctx.metrics.emit('loader.skip', { dataset: s.dataset, key: s.key, reason: s.reason, message: s.message });
}

/**
 * Deterministic replacements: the bucket in a (seed, epoch, step, rank)-keyed order, minus samples present or known bad
 * this epoch.
 */
async function refill(
  ctx: AssembleContext,
  plan: StepPlan,
  need: number,
  have: BatchSample[],
  skipped: SkippedSample[],
): Promise<BatchSample[]> {
  const keys = ctx.datasets.get(plan.dataset)!.bucketKeys.get(plan.bucket)!;
  const order = permutation(keys.length, [
    'refill',
    ctx.seed,
    plan.epoch,
    plan.dataset,
    plan.bucket,
    plan.step,
    plan.rank,
  ]);
  const used = new Set(have.map((s) => s.key));
  const out: BatchSample[] = [];
  let tries = 0;
  for (let i = 0; i < order.length && out.length < need && tries < need * (ctx.refillTries ?? 8); i++) {
    const key = keys[order[i]];
    if (used.has(key) || ctx.known.get(plan.epoch, plan.dataset, key)) continue;
    tries++;
    const r = await ctx.run({ plan, slot: -1, key });
    if (r.sample) {
      out.push({ ...r.sample, refill: true });
      used.add(key);
      continue;
    }
    if (r.skip) {
      skipped.push(r.skip);
      count(ctx, plan, r.skip);
    }
  }
  return out;
}

function emitBatch(
  ctx: AssembleContext,
  plan: StepPlan,
  outcomes: SampleOutcome[],
  n: number,
  assembleMs: number,
): void {
  let readMs = 0,
    decodeMs = 0,
    captionMs = 0;
  for (const o of outcomes) {
    readMs += o.readMs;
    decodeMs += o.decodeMs;
    captionMs += o.captionMs;
  }
  ctx.metrics.emit('loader.batch', {
    dataset: plan.dataset,
    step: plan.step,
    epoch: plan.epoch,
    bucket: plan.bucket,
    samples: n,
    read_ms: readMs,
    decode_ms: decodeMs,
    caption_ms: captionMs,
    assemble_ms: assembleMs,
  });
}
