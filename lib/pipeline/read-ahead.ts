// Read-ahead: the sampler's next plans are known, so their samples are downloaded into the cache before decode asks.
import { asStream } from 'stream-chain';
import type { Duplex } from 'node:stream';
import type { MetricsBus } from '../metrics/events.js';
import { canWarm } from '../storage/cache/cached-storage.js';
import type { StorageBackend } from '../storage/types.js';
import type { RuntimeDataset } from './runtime-dataset.js';
import type { StepPlan } from './step-plan.js';
import type { LoaderOptions } from './types.js';

/** How far ahead and how much at once. */
export interface ReadAheadOptions {
  /** Downloads running at once at most. */
  concurrency: number;
  /** Bytes in flight at most (estimated from the mean object size seen so far). */
  maxBytes: number;
  metrics: MetricsBus;
}

type Warmable = StorageBackend & { warm(key: string): Promise<number> };

/** Queues every key of each plan it sees and warms them in order, bounded in count and bytes. */
export class ReadAhead {
  readonly #storages = new Map<string, Warmable>();
  readonly #queue: { dataset: string; key: string }[] = [];
  readonly #o: ReadAheadOptions;
  #active = 0;
  #done = 0;
  #bytes = 0;
  #closed = false;

  constructor(datasets: ReadonlyMap<string, RuntimeDataset>, o: ReadAheadOptions) {
    this.#o = o;
    for (const [id, d] of datasets) {
      // Latent-cached and undecoded video samples never read the media file: nothing to warm.
      const reads = !d.latents && d.config.dataset_type !== 'video';
      if (reads && canWarm(d.storage)) this.#storages.set(id, d.storage);
    }
  }

  /** True when at least one dataset reads through a cache (otherwise there is nothing to warm). */
  get useful(): boolean {
    return this.#storages.size > 0;
  }

  /** Called with each plan as it leaves the sampler; returns it unchanged. */
  readonly add = (plan: StepPlan): StepPlan => {
    if (this.#storages.has(plan.dataset)) for (const key of plan.keys) this.#queue.push({ dataset: plan.dataset, key });
    this.#pump();
    return plan;
  };

  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
  }

  /**
   * Bytes in flight, from the mean downloaded object size. Before the first download ends the slots share the byte
   * bound evenly: starting with one slot cost a whole round trip per loader before read-ahead got ahead of decode.
   */
  #inFlightBytes(): number {
    const mean = this.#done > 0 ? this.#bytes / this.#done : this.#o.maxBytes / this.#o.concurrency;
    return this.#active * mean;
  }

  #pump(): void {
    while (
      !this.#closed &&
      this.#queue.length > 0 &&
      this.#active < this.#o.concurrency &&
      (this.#active === 0 || this.#inFlightBytes() < this.#o.maxBytes)
    ) {
      const job = this.#queue.shift()!;
      this.#active++;
      void this.#storages
        .get(job.dataset)!
        .warm(job.key)
        .then((bytes) => {
          if (bytes > 0) {
            this.#done++;
            this.#bytes += bytes;
            this.#o.metrics.emit('cache.readahead', { dataset: job.dataset, bytes });
          }
        })
        .finally(() => {
          this.#active--;
          this.#pump();
        });
    }
  }
}

/**
 * The pipeline stage in front of fan-out: it holds up to `readAhead` plans (its readable buffer), so the sampler runs
 * that many batches ahead and their keys are warmed while earlier batches decode. No stage when nothing is cached.
 */
export function readAheadStage(
  datasets: ReadonlyMap<string, RuntimeDataset>,
  options: LoaderOptions,
  metrics: MetricsBus,
  decode: boolean,
): { stages: Duplex[]; close: () => void } {
  const batches = options.readAhead ?? 4;
  const ra = new ReadAhead(datasets, {
    concurrency: 16,
    maxBytes: options.readAheadBytes ?? 256 * 1024 * 1024,
    metrics,
  });
  if (!decode || batches === 0 || !ra.useful) return { stages: [], close: () => {} };
  return {
    stages: [asStream(ra.add, { readableHighWaterMark: batches, writableHighWaterMark: 1 })],
    close: () => ra.close(),
  };
}
