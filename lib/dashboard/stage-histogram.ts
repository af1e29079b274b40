// tunefeed_stage_seconds as fixed arrays: four observations per batch without prom-client's per-call label hashing.
import type { Metric } from 'prom-client';

export const STAGES = ['read', 'decode', 'caption', 'assemble'] as const;
export type Stage = (typeof STAGES)[number];

const NAME = 'tunefeed_stage_seconds';
const INDEX: Record<Stage, number> = { read: 0, decode: 1, caption: 2, assemble: 3 };
/** Upper bounds of the buckets, seconds (+Inf is implied). */
export const STAGE_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One exposition sample, in the shape prom-client's registry formats. */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram with one `stage` label whose values are known up front. prom-client's Histogram hashes the label set on
 * every observe (0.23 µs measured, ×4 per batch: the largest cost of a dashboard on a metadata-only stream); here a
 * stage is an index into fixed arrays. The registry exports it like its own metrics through `get()`.
 */
export class StageHistogram {
  readonly name = NAME;
  readonly help = 'Per-sample time of read, decode and caption (mean over each batch), and per-batch assemble time.';
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  /** Per stage: non-cumulative counts per bound, then one for +Inf. */
  readonly #counts = STAGES.map(() => new Float64Array(STAGE_BOUNDS.length + 1));
  readonly #sums = new Float64Array(STAGES.length);

  observe(stage: Stage, seconds: number): void {
    const s = INDEX[stage];
    let i = 0;
    while (i < STAGE_BOUNDS.length && seconds > STAGE_BOUNDS[i]) i++;
    this.#counts[s][i]++;
    this.#sums[s] += seconds;
  }

  /** The exposition values: cumulative buckets, sum and count for every stage observed at least once. */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] } {
    const values: Sample[] = [];
    STAGES.forEach((stage, s) => {
      const counts = this.#counts[s];
      const total = counts.reduce((a, b) => a + b, 0);
      if (total === 0) return;
      let acc = 0;
      STAGE_BOUNDS.forEach((le, i) => {
        acc += counts[i];
        values.push({ metricName: `${NAME}_bucket`, labels: { le, stage }, value: acc });
      });
      values.push({ metricName: `${NAME}_bucket`, labels: { le: '+Inf', stage }, value: total });
      values.push({ metricName: `${NAME}_sum`, labels: { stage }, value: this.#sums[s] });
      values.push({ metricName: `${NAME}_count`, labels: { stage }, value: total });
    });
    return { name: NAME, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const c of this.#counts) c.fill(0);
    this.#sums.fill(0);
  }

  /**
   * For Registry.registerMetric, which reads name, help, type and get() (and reset() on resetMetrics); its type
   * lists only prom-client's own classes.
   */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}
