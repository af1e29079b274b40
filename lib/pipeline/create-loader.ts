// createLoader(): sampler → weighted merge → ordered decode window → batch assembly → prefetch, as one object-mode Readable.
import { pipeline } from 'node:stream';
import chain, { asStream } from 'stream-chain';
import type { Duplex } from 'node:stream';
import type { LoadedConfig } from '../config/types.js';
import { metrics as defaultMetrics } from '../metrics/events.js';
import { DecodePool } from '../pool/decode-pool.js';
import { resolveWorld, type World } from '../sampling/partition.js';
import { createPlan } from '../sampling/plan.js';
import type { ResumeState } from '../sampling/state.js';
import { getWeighting } from '../sampling/weights.js';
import { makeAssembler, type Envelope } from './assemble.js';
import { BatchFetcher, type FetcherStats } from './batch-fetcher.js';
import { orderedWindow } from './ordered-window.js';
import { attachLatents, linkConditioning, planOf, toRuntime, type RuntimeDataset } from './runtime-dataset.js';
import { makeRunner } from './sample-jobs.js';
import type { SampleJob, StepPlan } from './step-plan.js';
import type { LoaderDatasetInput, LoaderOptions } from './types.js';
import { WeightedMerge } from './weighted-merge.js';
import { resolveInputs, type RuntimeArgs } from './wire.js';
import { validateLoaderOptions } from './loader-options.js';

/** An object-mode Readable of Batch (pipe, pipeline(), for await) that can say where it is. */
export interface Loader extends BatchFetcher {
  /** Resume state after the last batch the consumer received. */
  state(): ResumeState;
  /** Skipped samples by reason. */
  skips(): Record<string, number>;
  readonly stats: FetcherStats;
  readonly world: World;
  /** Batches the sampler has planned so far (≥ batches delivered; the gap is what is in flight or prefetched). */
  readonly planned: number;
  /** Stop everything and release workers. */
  close(): Promise<void>;
}

/** Build the loader from a config path, a loaded config, or (with `options.datasets`) pre-built inputs. */
export async function createLoader(source: string | LoadedConfig, options: LoaderOptions = {}): Promise<Loader> {
  validateLoaderOptions(options);
  const inputs = await resolveInputs(source, options);
  try {
    return await buildLoader(inputs.datasets, inputs.args, options, inputs.close);
  } catch (err) {
    await inputs.close();
    throw err;
  }
}

function selectDatasets(inputs: LoaderDatasetInput[], split: 'train' | 'eval', seed: number): RuntimeDataset[] {
  const wanted = split === 'eval' ? ['eval'] : ['image', 'video'];
  const out = inputs.filter((d) => wanted.includes(d.config.dataset_type)).map((d) => toRuntime(d, seed)).filter((d) => d.bucketKeys.size > 0);
  linkConditioning(out, inputs);
  return out;
}

/**
 * Internal (not exported from lib/index): build from resolved inputs. `insert`, a diagnostic seam used by the
 * backpressure test, is placed between the sampler and the decode stages.
 */
export async function buildLoader(
  inputs: LoaderDatasetInput[], args: RuntimeArgs, options: LoaderOptions, release: () => Promise<void>, insert?: Duplex,
): Promise<Loader> {
  const world = resolveWorld(options, options.env ?? process.env);
  const split = options.split ?? 'train';
  const seed = options.seed ?? options.resume?.seed ?? args.seed;
  const metrics = options.metrics ?? defaultMetrics;
  const runtime = selectDatasets(inputs, split, seed);
  const decode = options.decode ?? true;
  if (decode && options.latents !== false) for (const d of runtime) await attachLatents(d);
  const weighting = typeof options.weighting === 'function' ? options.weighting : getWeighting(options.weighting ?? args.data_backend_sampling);
  const { orders, sequence } = createPlan(runtime.map((d) => planOf(d, split === 'eval')), {
    seed, world, gradAccum: args.gradient_accumulation_steps, allowOversubscription: args.allow_dataset_oversubscription,
    weighting, ...(options.resume ? { resume: options.resume } : {}),
  });
  const initial = sequence.state();
  const datasets = new Map(runtime.map((d) => [d.id, d]));
  const merge = new WeightedMerge({
    sequence, orders, world, bucketKeys: new Map(runtime.map((d) => [d.id, d.bucketKeys])),
    ...(options.batches !== undefined ? { maxSteps: options.batches } : {}), ...(options.epochs !== undefined ? { maxEpochs: options.epochs } : {}),
  });
  const pool = decode ? new DecodePool({ threads: options.threads ?? 1, tasksPerThread: options.tasksPerThread ?? 4, metrics }) : null;
  const run = makeRunner({
    datasets, pool, seed, conditioning: options.conditioningSampling ?? args.conditioning_multidataset_sampling,
    ...(options.limitInputPixels ? { limitInputPixels: options.limitInputPixels } : {}),
  });
  const skips = new Map<string, number>();
  // Each stage buffers one item per side (object streams default to 16, i.e. 16 ready batches hidden before the fetcher).
  const one = { readableHighWaterMark: 1, writableHighWaterMark: 1 };
  const body = chain([
    asStream(function* fanOut(plan: StepPlan): Generator<SampleJob> { for (let slot = 0; slot < plan.keys.length; slot++) yield { plan, slot, key: plan.keys[slot]! }; }, one),
    orderedWindow(run, options.inFlight ?? 8),
    asStream(makeAssembler({ datasets, run, seed, metrics, skips }), one),
  ], one) as unknown as Duplex;
  const fetcher = new BatchFetcher(body as AsyncIterable<Envelope>, {
    qlen: options.prefetch ?? args.dataloader_prefetch_qlen, metrics, initial, endError: () => merge.error,
  });
  const onError = (err: Error | null | undefined): void => { if (err) fetcher.fail(err); };
  if (insert) pipeline(merge, insert, body, onError);
  else pipeline(merge, body, onError);
  return decorate(fetcher, { world, skips, merge, body, pool, release });
}

function decorate(fetcher: BatchFetcher, parts: { world: World; skips: Map<string, number>; merge: WeightedMerge; body: Duplex; pool: DecodePool | null; release: () => Promise<void> }): Loader {
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      parts.merge.destroy();
      parts.body.destroy();
      if (!fetcher.destroyed) fetcher.destroy();
      await parts.pool?.close();
      await parts.release();
    })();
    return closing;
  };
  fetcher.once('close', () => { void close(); });
  Object.defineProperty(fetcher, 'planned', { get: () => parts.merge.produced });
  return Object.assign(fetcher, {
    world: parts.world,
    skips: () => Object.fromEntries(parts.skips),
    close,
  }) as Loader;
}
