// The batch-producing pipeline (sampler, weighted merge, ordered decode window, assembly), shared by both modes.
import { pipeline } from 'node:stream';
import chain, { asStream } from 'stream-chain';
import type { Duplex } from 'node:stream';
import type { MetricsBus } from '../metrics/events.js';
import { DecodePool } from '../pool/decode-pool.js';
import type { World } from '../sampling/partition.js';
import { createPlan } from '../sampling/plan.js';
import type { ResumeState } from '../sampling/state.js';
import { getWeighting, type WeightingStrategy } from '../sampling/weights.js';
import { makeAssembler, type Envelope } from './assemble.js';
import { orderedWindow } from './ordered-window.js';
import { linkConditioning, planOf, toRuntime, type RuntimeDataset } from './runtime-dataset.js';
import { attachLatents } from './vae-cache.js';
import { makeRunner } from './sample-jobs.js';
import type { SampleJob, StepPlan } from './step-plan.js';
import type { LoaderDatasetInput, LoaderOptions } from './types.js';
import { WeightedMerge } from './weighted-merge.js';
import { KnownBad, skipKnownBad } from './known-bad.js';
import type { RuntimeArgs } from './wire.js';
import { readAheadStage } from './read-ahead.js';

/** The running pipeline: an async iterable of envelopes plus the parts the loader reports on and closes. */
export interface BuiltPipeline {
  body: Duplex & AsyncIterable<Envelope>;
  merge: WeightedMerge;
  pool: DecodePool | null;
  skips: Map<string, number>;
  /** Resume state before the first batch. */
  initial: ResumeState;
  /** Called with the first stream error (the sampler's own errors are `merge.error` at the end instead). */
  onError(listener: (err: Error) => void): void;
}

function selectDatasets(inputs: LoaderDatasetInput[], split: 'train' | 'eval', seed: number): RuntimeDataset[] {
  const wanted = split === 'eval' ? ['eval'] : ['image', 'video'];
  const out = inputs
    .filter((d) => wanted.includes(d.config.dataset_type))
    .map((d) => toRuntime(d, seed))
    .filter((d) => d.bucketKeys.size > 0);
  linkConditioning(out, inputs);
  return out;
}

/** The seed every order uses: the option, else the resume state's, else the training args'. */
export function loaderSeed(options: LoaderOptions, args: RuntimeArgs): number {
  return options.seed ?? options.resume?.seed ?? args.seed;
}

/** The weighting strategy: a function as given, else a registered name (unknown names throw TF_REGISTRY_UNKNOWN). */
export function weightingOf(options: LoaderOptions, args: RuntimeArgs): WeightingStrategy {
  return typeof options.weighting === 'function'
    ? options.weighting
    : getWeighting(options.weighting ?? args.data_backend_sampling);
}

/**
 * Build and start the pipeline. `insert`, a diagnostic seam used by the backpressure test, is placed between the
 * sampler and the decode stages.
 */
export async function buildPipeline(
  inputs: LoaderDatasetInput[],
  args: RuntimeArgs,
  options: LoaderOptions,
  world: World,
  metrics: MetricsBus,
  insert?: Duplex,
): Promise<BuiltPipeline> {
  const split = options.split ?? 'train';
  const seed = loaderSeed(options, args);
  const runtime = selectDatasets(inputs, split, seed);
  const decode = options.decode ?? true;
  if (decode && options.latents !== false) for (const d of runtime) await attachLatents(d, metrics);
  const { orders, sequence } = createPlan(
    runtime.map((d) => planOf(d, split === 'eval')),
    {
      seed,
      world,
      gradAccum: args.gradient_accumulation_steps,
      allowOversubscription: args.allow_dataset_oversubscription,
      weighting: weightingOf(options, args),
      ...(options.resume ? { resume: options.resume } : {}),
    },
  );
  const initial = sequence.state();
  const datasets = new Map(runtime.map((d) => [d.id, d]));
  const merge = new WeightedMerge({
    sequence,
    orders,
    world,
    bucketKeys: new Map(runtime.map((d) => [d.id, d.bucketKeys])),
    ...(options.batches !== undefined ? { maxSteps: options.batches } : {}),
    ...(options.epochs !== undefined ? { maxEpochs: options.epochs } : {}),
  });
  const pool = decode
    ? new DecodePool({ threads: options.threads ?? 1, tasksPerThread: options.tasksPerThread ?? 4, metrics })
    : null;
  const known = new KnownBad();
  const run = skipKnownBad(
    makeRunner({
      datasets,
      pool,
      seed,
      conditioning: options.conditioningSampling ?? args.conditioning_multidataset_sampling,
      ...(options.limitInputPixels ? { limitInputPixels: options.limitInputPixels } : {}),
      ...(options.requireEmbeds ? { requireEmbeds: true } : {}),
      ...(options.maxVideoPixels ? { maxVideoPixels: options.maxVideoPixels } : {}),
    }),
    known,
  );
  const skips = new Map<string, number>();
  // Each stage buffers one item per side (object streams default to 16, i.e. 16 ready batches hidden before the
  // fetcher).
  const one = { readableHighWaterMark: 1, writableHighWaterMark: 1 };
  const ahead = readAheadStage(datasets, options, metrics, decode);
  const body = chain(
    [
      ...ahead.stages,
      asStream(function* fanOut(plan: StepPlan): Generator<SampleJob> {
        for (let slot = 0; slot < plan.keys.length; slot++) yield { plan, slot, key: plan.keys[slot] };
      }, one),
      orderedWindow(run, options.inFlight ?? 16),
      asStream(makeAssembler({ datasets, run, seed, metrics, skips, known }), one),
    ],
    one,
  ) as unknown as BuiltPipeline['body'];
  let first: Error | null = null;
  const listeners: ((err: Error) => void)[] = [];
  const onError = (err: Error | null | undefined): void => {
    if (!err || first) return;
    first = err;
    for (const l of listeners) l(err);
  };
  body.once('close', ahead.close);
  if (insert) pipeline(merge, insert, body, onError);
  else pipeline(merge, body, onError);
  return {
    body,
    merge,
    pool,
    skips,
    initial,
    onError: (l) => {
      if (first) l(first);
      else listeners.push(l);
    },
  };
}
