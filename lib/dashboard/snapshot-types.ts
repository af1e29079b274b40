// The shape of /api/snapshot (and of the page's `snapshot` events): current totals, rates and recent skips.

/** One dataset's scan as it stands. */
export interface ScanView {
  listed: number;
  probed: number;
  reused: number;
  bytesRead: number;
  /** True once every file is listed: from then on `progress` and `etaSeconds` are known. */
  listingDone: boolean;
  done: boolean;
  /** Files per second (probed + reused) over the last few progress events. */
  filesPerSecond: number;
  /** Files an earlier scan of this dataset knew (the ETA's total until the listing is complete), else null. */
  expectedFiles: number | null;
  /** 0..1 once the listing is complete (or an earlier scan gave the total), else null. */
  progress: number | null;
  etaSeconds: number | null;
  skipped: Record<string, number>;
  poolUtilization: number | null;
}

/** One dataset's share of what the loader delivered, against its configured probability. */
export interface SampledView {
  batches: number;
  samples: number;
  /** This dataset's share of all samples delivered (0..1). */
  share: number;
  /** `probability` from the config, or null before the loader announced it. */
  probability: number | null;
  /** The probability normalised over the loader's datasets (0..1). */
  expectedShare: number | null;
}

/** The stream as it stands. */
export interface LoaderView {
  batches: number;
  samples: number;
  waitMs: number;
  /** Share of wall time the consumer waited for a batch, over the last throughput interval (0..1). */
  waitShare: number;
  queueDepth: number;
  queueMax: number;
  batchesPerSecond: number;
  samplesPerSecond: number;
  /** Mean milliseconds per sample of the last batch (assemble: per batch). */
  stageMs: { read: number; decode: number; caption: number; assemble: number };
  datasets: Record<string, SampledView>;
}

/** One skipped file, as shown on the page (already redacted). */
export interface SkipExample {
  ts: number;
  phase: 'scan' | 'stream';
  dataset: string;
  file: string;
  reason: string;
  message: string;
}

/** Everything the page shows, in one JSON object. */
export interface DashboardSnapshot {
  /** Bumped on every metric event applied; equal seq means equal totals. */
  seq: number;
  ts: number;
  uptimeSeconds: number;
  scan: Record<string, ScanView>;
  loader: LoaderView | null;
  skips: { byReason: Record<string, number>; recent: SkipExample[] };
  pool: { decode: { utilization: number; threads: number; queued: number } | null };
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number };
}
