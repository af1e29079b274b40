// Per-dataset scan telemetry (SimpleTuner's BucketReport idea): stages, bucket events, skips, and the
// "why is my dataset empty" message.

export interface ReportStage {
  name: string;
  count: number;
  details?: Record<string, unknown>;
}
export interface BucketEvent {
  bucket: string;
  reason: string;
  removed: number;
}

/** Plain JSON form, also the `report` of a ScanResult. */
export interface BucketReportData {
  dataset: string;
  datasetType: string;
  root: string;
  constraints: Record<string, unknown>;
  stages: ReportStage[];
  bucketEvents: BucketEvent[];
  skipped: Record<string, number>;
  /** A few example files per skip reason, with the message. */
  examples: Record<string, { file: string; message: string }[]>;
  buckets: Record<string, number>;
  warnings: string[];
}

/** Collects a scan's report. */
export class BucketReport {
  readonly data: BucketReportData;

  constructor(dataset: string, datasetType: string, root: string, constraints: Record<string, unknown>) {
    this.data = {
      dataset,
      datasetType,
      root,
      constraints,
      stages: [],
      bucketEvents: [],
      skipped: {},
      examples: {},
      buckets: {},
      warnings: [],
    };
  }

  stage(name: string, count: number, details?: Record<string, unknown>): void {
    this.data.stages.push(details ? { name, count, details } : { name, count });
  }

  bucketEvent(bucket: string, reason: string, removed: number): void {
    this.data.bucketEvents.push({ bucket, reason, removed });
  }

  skip(reason: string, file: string, message: string): void {
    this.data.skipped[reason] = (this.data.skipped[reason] ?? 0) + 1;
    const ex = (this.data.examples[reason] ??= []);
    if (ex.length < 5) ex.push({ file, message });
  }

  warn(message: string): void {
    if (!this.data.warnings.includes(message)) this.data.warnings.push(message);
  }

  /** Multi-line explanation of an empty dataset, one line per stage. */
  emptyMessage(): string {
    const d = this.data;
    const lines = [
      `Dataset '${d.dataset}' produced no usable samples.`,
      `dataset_type: ${d.datasetType}`,
      `instance_data_dir: ${d.root}`,
      `constraints: ${Object.entries(d.constraints)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ')}`,
      ...d.stages.map((s) => `stage ${s.name}: ${s.count}${s.details ? ` ${JSON.stringify(s.details)}` : ''}`),
    ];
    if (d.bucketEvents.length) {
      lines.push(...d.bucketEvents.slice(0, 20).map((e) => `bucket ${e.bucket}: removed ${e.removed} (${e.reason})`));
    }
    const skipped = Object.entries(d.skipped);
    lines.push(`skipped files: ${skipped.length ? skipped.map(([k, v]) => `${k}=${v}`).join(', ') : 'none'}`);
    return lines.join('\n');
  }
}
