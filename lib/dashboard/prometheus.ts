// Prometheus metrics (prom-client, a private registry): the bus's events as counters, gauges and histograms.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricEvent } from '../metrics/events.js';
import { StageHistogram } from './stage-histogram.js';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Every series this module defines (tests check each one is exported). */
export const SERIES = [
  'tunefeed_scan_files_total',
  'tunefeed_scan_bytes_read_total',
  'tunefeed_batches_total',
  'tunefeed_samples_total',
  'tunefeed_consumer_wait_seconds_total',
  'tunefeed_stage_seconds',
  'tunefeed_skips_total',
  'tunefeed_prefetch_queue_depth',
  'tunefeed_pool_utilization',
] as const;

function scanMetrics(r: Registry[]) {
  return {
    files: new Counter({
      name: 'tunefeed_scan_files_total',
      help: 'Files a scan finished, by result (probed: header read now; reused: taken from an earlier scan).',
      labelNames: ['dataset', 'result'],
      registers: r,
    }),
    bytes: new Counter({
      name: 'tunefeed_scan_bytes_read_total',
      help: 'Bytes read by header probes.',
      labelNames: ['dataset'],
      registers: r,
    }),
    skips: new Counter({
      name: 'tunefeed_skips_total',
      help: 'Files skipped, by phase (scan or stream) and reason.',
      labelNames: ['phase', 'reason'],
      registers: r,
    }),
    pool: new Gauge({
      name: 'tunefeed_pool_utilization',
      help: 'Worker pool utilisation (0..1), by pool.',
      labelNames: ['pool'],
      registers: r,
    }),
  };
}

function streamMetrics(r: Registry[]) {
  return {
    batches: new Counter({ name: 'tunefeed_batches_total', help: 'Batches assembled.', registers: r }),
    samples: new Counter({
      name: 'tunefeed_samples_total',
      help: 'Samples in assembled batches, by dataset (the sampled share).',
      labelNames: ['dataset'],
      registers: r,
    }),
    wait: new Counter({
      name: 'tunefeed_consumer_wait_seconds_total',
      help: 'Time the consumer asked for a batch and none was ready.',
      registers: r,
    }),
    queue: new Gauge({ name: 'tunefeed_prefetch_queue_depth', help: 'Ready batches in the queue.', registers: r }),
  };
}

function metricsOf(register: Registry) {
  return { ...scanMetrics([register]), ...streamMetrics([register]) };
}

/** A registry fed by metric events; `text()` is the exposition-format body of /metrics. */
export class PrometheusMetrics {
  readonly registry = new Registry();
  readonly #m = metricsOf(this.registry);
  readonly #stage = new StageHistogram();
  /** Last cumulative scan counts per dataset: scan.progress carries totals, counters take increments. */
  readonly #scanSeen = new Map<string, { probed: number; reused: number; bytes: number }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.registry.registerMetric(this.#stage.asMetric());
    this.#m.batches.inc(0);
    this.#m.wait.inc(0);
  }

  /** Fold one event into the counters. */
  apply(e: MetricEvent): void {
    if (e.type === 'scan.progress') this.#progress(e);
    else if (e.type === 'scan.done') this.#scanDone(e);
    else if (e.type === 'loader.batch') this.#batch(e);
    else if (e.type === 'loader.wait') this.#m.wait.inc(num(e.ms) / 1000);
    else if (e.type === 'loader.queue') this.#m.queue.set(num(e.depth));
    else if (e.type === 'loader.skip') this.#m.skips.inc({ phase: 'stream', reason: str(e.reason) });
    else if (e.type === 'pool.utilization') this.#m.pool.set({ pool: str(e.pool) || 'decode' }, num(e.utilization));
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #progress(e: MetricEvent): void {
    const dataset = str(e.dataset);
    const prev = this.#scanSeen.get(dataset) ?? { probed: 0, reused: 0, bytes: 0 };
    const now = { probed: num(e.probed), reused: num(e.reused), bytes: num(e.bytesRead) };
    // A second scan of the same dataset in this process starts again from zero: count it from there.
    const base = now.probed < prev.probed || now.reused < prev.reused ? { probed: 0, reused: 0, bytes: 0 } : prev;
    this.#m.files.inc({ dataset, result: 'probed' }, now.probed - base.probed);
    this.#m.files.inc({ dataset, result: 'reused' }, now.reused - base.reused);
    this.#m.bytes.inc({ dataset }, Math.max(0, now.bytes - base.bytes));
    this.#scanSeen.set(dataset, now);
    if (typeof e.poolUtilization === 'number') this.#m.pool.set({ pool: 'scan' }, e.poolUtilization);
  }

  #scanDone(e: MetricEvent): void {
    this.#scanSeen.delete(str(e.dataset));
    for (const [reason, n] of Object.entries((e.skipped ?? {}) as Record<string, number>))
      this.#m.skips.inc({ phase: 'scan', reason }, num(n));
  }

  #batch(e: MetricEvent): void {
    const n = Math.max(1, num(e.samples));
    this.#m.batches.inc();
    this.#m.samples.inc({ dataset: str(e.dataset) }, num(e.samples));
    this.#stage.observe('read', num(e.read_ms) / n / 1000);
    this.#stage.observe('decode', num(e.decode_ms) / n / 1000);
    this.#stage.observe('caption', num(e.caption_ms) / n / 1000);
    this.#stage.observe('assemble', num(e.assemble_ms) / 1000);
  }
}
