// Factory performance tracking: stage timings, memory now and peak, backend counts, plus registered custom metrics.
import { performance } from 'node:perf_hooks';

/** A user metric: called when the metrics object is assembled; its value appears under `custom`. */
export type CustomMetric = () => unknown;

/** The metrics object the factory logs and returns. */
export interface FactoryMetrics {
  /** Milliseconds per stage, in the order they ran. */
  stages: Record<string, number>;
  /** Per backend: type, build milliseconds, probe facts. */
  backends: Record<string, { type: string; group: string; ms: number; probe: Record<string, unknown> | null }>;
  memory: { rssMb: number; heapUsedMb: number; peakRssMb: number; peakHeapUsedMb: number };
  counts: { text_embeds: number; image_embeds: number; data_backends: number };
  totalMs: number;
  custom: Record<string, unknown>;
}

const MB = 1024 * 1024;

/** Collects timings; one per factory build. */
export class PerfTracker {
  readonly #start = performance.now();
  readonly #custom = new Map<string, CustomMetric>();
  readonly metrics: FactoryMetrics = {
    stages: {},
    backends: {},
    memory: { rssMb: 0, heapUsedMb: 0, peakRssMb: 0, peakHeapUsedMb: 0 },
    counts: { text_embeds: 0, image_embeds: 0, data_backends: 0 },
    totalMs: 0,
    custom: {},
  };

  constructor(custom: Iterable<[string, CustomMetric]> = []) {
    for (const [k, f] of custom) this.#custom.set(k, f);
    this.sample();
  }

  /** Time an async stage under `name`. */
  async stage<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.metrics.stages[name] = round(performance.now() - t0);
      this.sample();
    }
  }

  /** Record a stage timed elsewhere (e.g. config load before the factory existed). */
  external(name: string, ms: number): void {
    this.metrics.stages[name] = round(ms);
  }

  /** Memory now; peaks from the OS high-water mark (RSS) and from samples (heap). */
  sample(): void {
    const m = process.memoryUsage();
    const mem = this.metrics.memory;
    mem.rssMb = round(m.rss / MB);
    mem.heapUsedMb = round(m.heapUsed / MB);
    mem.peakRssMb = round(Math.max(mem.peakRssMb, process.resourceUsage().maxRSS / 1024, m.rss / MB));
    mem.peakHeapUsedMb = round(Math.max(mem.peakHeapUsedMb, m.heapUsed / MB));
  }

  /** Final object: totals, custom metrics (a throwing metric reports its error instead of failing the build). */
  finish(): FactoryMetrics {
    this.sample();
    this.metrics.totalMs = round(performance.now() - this.#start);
    for (const [k, f] of this.#custom) {
      try {
        this.metrics.custom[k] = f();
      } catch (err) {
        this.metrics.custom[k] = { error: (err as Error).message };
      }
    }
    return this.metrics;
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
