// createLoader(): the batch pipeline (in a prefetch thread by default, or in-process) behind one object-mode Readable.
import type { Duplex } from 'node:stream';
import type { LoadedConfig } from '../config/types.js';
import { logger } from '../log.js';
import { metrics as defaultMetrics, type MetricsBus } from '../metrics/events.js';
import type { DecodePool } from '../pool/decode-pool.js';
import { resolveWorld, type World } from '../sampling/partition.js';
import type { ResumeState } from '../sampling/state.js';
import { BatchFetcher, type FetcherStats } from './batch-fetcher.js';
import { buildPipeline, loaderSeed, weightingOf } from './build-pipeline.js';
import { toWireDataset, type ThreadInit, type WireOptions } from './thread-protocol.js';
import { insertModulePath, type InsertSpec } from './insert-stage.js';
import { ThreadSource } from './thread-source.js';
import type { LoaderDatasetInput, LoaderOptions } from './types.js';
import { resolveInputs, type RuntimeArgs } from './wire.js';
import { validateLoaderOptions } from './loader-options.js';
import { serveDashboard, type DashboardHandle } from '../dashboard/server.js';

const log = logger('pipeline/loader');

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
  /** True when the pipeline runs in the prefetch thread. */
  readonly threaded: boolean;
  /** Stop everything and release workers (and the prefetch thread). */
  close(): Promise<void>;
  /** The dashboard started by the `dashboard` option (closed with the loader). */
  readonly dashboard?: DashboardHandle;
}

/** Build the loader from a config path, a loaded config, or (with `options.datasets`) pre-built inputs. */
export async function createLoader(source: string | LoadedConfig, options: LoaderOptions = {}): Promise<Loader> {
  validateLoaderOptions(options);
  // Started first, so the page sees the config, factory and loader events from the beginning.
  const dashboard =
    options.dashboard === undefined
      ? undefined
      : await serveDashboard(options.metrics ?? defaultMetrics, options.dashboard);
  try {
    const inputs = await resolveInputs(source, options);
    try {
      const loader = await buildLoader(inputs.datasets, inputs.args, options, inputs.close);
      return dashboard ? withDashboard(loader, dashboard) : loader;
    } catch (err) {
      await inputs.close();
      throw err;
    }
  } catch (err) {
    await dashboard?.close();
    throw err;
  }
}

const isInsertSpec = (x: Duplex | InsertSpec): x is InsertSpec => 'name' in x && 'module' in x;
/** The loader's dashboard closes with it. */
function withDashboard(loader: Loader, dashboard: DashboardHandle): Loader {
  const close = loader.close.bind(loader);
  return Object.assign(loader, {
    dashboard,
    close: async () => {
      await close();
      await dashboard.close();
    },
  });
}

const BUILTIN_WEIGHTING = new Set(['uniform', 'auto-weighting']);

/**
 * The thread unless turned off (option, or TUNEFEED_PREFETCH_THREAD=0 for the CLI), or the sampler needs a function
 * that lives only on this thread.
 */
function threadFor(options: LoaderOptions, args: RuntimeArgs, insert: Duplex | InsertSpec | undefined): boolean {
  if (!(options.thread ?? process.env.TUNEFEED_PREFETCH_THREAD !== '0')) return false;
  if (insert && !isInsertSpec(insert)) return false;
  const w = options.weighting ?? args.data_backend_sampling;
  if (typeof w === 'function' || !BUILTIN_WEIGHTING.has(w)) {
    log.info(
      { weighting: typeof w === 'function' ? 'function' : w },
      'custom weighting strategies run on the main thread: prefetch thread not used',
    );
    return false;
  }
  return true;
}

/**
 * Internal (not exported from lib/index): build from resolved inputs. `insert`, a diagnostic seam used by the
 * backpressure test, is placed between the sampler and the decode stages: a Duplex (in-process only) or a module
 * export the prefetch thread instantiates. Not reachable from createLoader; a spec must name an existing file: URL
 * (checked here, and again in the thread before its import).
 */
export async function buildLoader(
  inputs: LoaderDatasetInput[],
  args: RuntimeArgs,
  options: LoaderOptions,
  release: () => Promise<void>,
  insert?: Duplex | InsertSpec,
): Promise<Loader> {
  const world = resolveWorld(options, options.env ?? process.env);
  const metrics = options.metrics ?? defaultMetrics;
  weightingOf(options, args); // unknown names fail here, on the caller's thread
  if (insert && isInsertSpec(insert)) insertModulePath(insert);
  metrics.emit('loader.datasets', {
    datasets: inputs.map((d) => ({ id: d.config.id, probability: d.config.probability })),
  });
  if (threadFor(options, args, insert))
    return threadLoader(inputs, args, options, { world, metrics, release, insert: insert as InsertSpec | undefined });
  const p = await buildPipeline(inputs, args, options, world, metrics, insert as Duplex | undefined);
  const fetcher = new BatchFetcher(p.body, {
    qlen: options.prefetch ?? args.dataloader_prefetch_qlen,
    metrics,
    initial: p.initial,
    endError: () => p.merge.error,
  });
  p.onError((err) => fetcher.fail(err));
  return decorate(fetcher, {
    world,
    threaded: false,
    skips: () => p.skips,
    planned: () => p.merge.produced,
    stop: async () => {
      p.merge.destroy();
      p.body.destroy();
      await closePool(p.pool);
    },
    release,
  });
}

async function closePool(pool: DecodePool | null): Promise<void> {
  await pool?.close();
}

function wireOptions(o: LoaderOptions): WireOptions {
  const {
    env: _e,
    metrics: _m,
    datasets: _d,
    loaded: _l,
    weighting,
    rank: _r,
    worldSize: _w,
    dashboard: _db,
    ...rest
  } = o;
  return { ...rest, ...(typeof weighting === 'string' ? { weighting } : {}) };
}

async function threadLoader(
  inputs: LoaderDatasetInput[],
  args: RuntimeArgs,
  options: LoaderOptions,
  ctx: { world: World; metrics: MetricsBus; release: () => Promise<void>; insert: InsertSpec | undefined },
): Promise<Loader> {
  const qlen = options.prefetch ?? args.dataloader_prefetch_qlen;
  const seed = loaderSeed(options, args);
  const init: ThreadInit = {
    datasets: inputs.map(toWireDataset),
    args,
    options: { ...wireOptions(options), seed },
    world: ctx.world,
    credits: qlen,
    ...(ctx.insert ? { insert: ctx.insert } : {}),
  };
  const captions = new Map(inputs.flatMap((d) => (d.captions ? [[d.config.id, d.captions] as const] : [])));
  const source = new ThreadSource(init, ctx.metrics, captions);
  let initial: ResumeState;
  try {
    initial = await source.ready;
  } catch (err) {
    await source.close();
    throw err;
  }
  const fetcher = new BatchFetcher(source, {
    qlen,
    metrics: ctx.metrics,
    initial,
    endError: () => source.endError,
    onDelivered: () => source.credit(),
    turnPerBatch: false,
    poll: () => source.poll(),
  });
  return decorate(fetcher, {
    world: ctx.world,
    threaded: true,
    skips: () => source.skips,
    planned: () => source.planned,
    stop: () => source.close(),
    release: ctx.release,
  });
}

interface LoaderParts {
  world: World;
  threaded: boolean;
  skips: () => Map<string, number>;
  planned: () => number;
  /** Stops the pipeline and releases its workers. */
  stop: () => Promise<void>;
  release: () => Promise<void>;
}

function decorate(fetcher: BatchFetcher, parts: LoaderParts): Loader {
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (!fetcher.destroyed) fetcher.destroy();
      await parts.stop();
      await parts.release();
    })();
    return closing;
  };
  fetcher.once('close', () => {
    void close();
  });
  Object.defineProperty(fetcher, 'planned', { get: parts.planned });
  return Object.assign(fetcher, {
    world: parts.world,
    threaded: parts.threaded,
    skips: () => Object.fromEntries(parts.skips()),
    close,
  }) as Loader;
}
