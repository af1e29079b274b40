// Folds metric events into the current totals the page and /api/snapshot show (one object, updated in place).
import type { MetricEvent } from '../metrics/events.js';
import type { DashboardSnapshot, LoaderView, SampledView, ScanView, SkipExample } from './snapshot-types.js';

const RECENT_SKIPS = 20;
const RATE_WINDOW = 12; // progress events (about 3 s at the scan's 250 ms pace)

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function emptyScan(): ScanView {
  return {
    listed: 0,
    probed: 0,
    reused: 0,
    bytesRead: 0,
    listingDone: false,
    done: false,
    filesPerSecond: 0,
    expectedFiles: null,
    progress: null,
    etaSeconds: null,
    skipped: {},
    poolUtilization: null,
  };
}

function emptyLoader(): LoaderView {
  return {
    batches: 0,
    samples: 0,
    waitMs: 0,
    waitShare: 0,
    queueDepth: 0,
    queueMax: 0,
    batchesPerSecond: 0,
    samplesPerSecond: 0,
    stageMs: { read: 0, decode: 0, caption: 0, assemble: 0 },
    datasets: {},
  };
}

/** Keeps the totals; `apply` is called once per (redacted) event, `get` builds the JSON view. */
export class SnapshotAggregator {
  readonly #start = Date.now();
  readonly #scan = new Map<string, ScanView>();
  readonly #rates = new Map<string, { t: number; n: number }[]>();
  #loader: LoaderView | null = null;
  #lastThroughput: { ts: number; waitMs: number } | null = null;
  readonly #byReason: Record<string, number> = {};
  readonly #recent: SkipExample[] = [];
  #decodePool: DashboardSnapshot['pool']['decode'] = null;
  #seq = 0;
  readonly #handlers: Record<string, (e: MetricEvent) => void> = {
    'scan.progress': (e) => this.#progress(e),
    'scan.listed': (e) => this.#listed(e),
    'scan.done': (e) => this.#scanDone(e),
    'loader.datasets': (e) => this.#datasets(e),
    'loader.batch': (e) => this.#batch(e),
    'loader.queue': (e) => this.#queue(e),
    'loader.wait': (e) => {
      this.#loaderView().waitMs += num(e.ms);
    },
    'loader.throughput': (e) => this.#throughput(e),
    'loader.skip': (e) => this.#skip('stream', str(e.dataset), str(e.key), str(e.reason), str(e.message), e.ts),
    'pool.utilization': (e) => {
      this.#decodePool = { utilization: num(e.utilization), threads: num(e.threads), queued: num(e.queued) };
    },
  };

  /** Fold one event in; unknown types only bump `seq`. */
  apply(e: MetricEvent): void {
    this.#seq++;
    this.#handlers[e.type]?.(e);
  }

  /** The current totals (memory is read now). */
  get(): DashboardSnapshot {
    const m = process.memoryUsage();
    return structuredClone({
      seq: this.#seq,
      ts: Date.now(),
      uptimeSeconds: (Date.now() - this.#start) / 1000,
      scan: Object.fromEntries(this.#scan),
      loader: this.#loader,
      skips: { byReason: this.#byReason, recent: this.#recent },
      pool: { decode: this.#decodePool },
      memory: { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal },
    });
  }

  #scanView(dataset: string): ScanView {
    let v = this.#scan.get(dataset);
    if (!v) this.#scan.set(dataset, (v = emptyScan()));
    return v;
  }

  #loaderView(): LoaderView {
    return (this.#loader ??= emptyLoader());
  }

  #progress(e: MetricEvent): void {
    const v = this.#scanView(str(e.dataset));
    v.listed = num(e.listed);
    v.probed = num(e.probed);
    v.reused = num(e.reused);
    v.bytesRead = num(e.bytesRead);
    if (typeof e.poolUtilization === 'number') v.poolUtilization = e.poolUtilization;
    if (typeof e.expected === 'number') v.expectedFiles = e.expected;
    const hist = this.#rates.get(str(e.dataset)) ?? [];
    hist.push({ t: e.ts, n: v.probed + v.reused });
    if (hist.length > RATE_WINDOW) hist.shift();
    this.#rates.set(str(e.dataset), hist);
    const first = hist[0];
    const span = (e.ts - first.t) / 1000;
    if (span > 0) v.filesPerSecond = (v.probed + v.reused - first.n) / span;
    this.#eta(v);
  }

  #eta(v: ScanView): void {
    const total = v.listingDone ? v.listed : Math.max(v.listed, v.expectedFiles ?? 0);
    if (total === 0 || (!v.listingDone && v.expectedFiles === null)) return;
    const left = Math.max(0, total - v.probed - v.reused);
    v.progress = v.done ? 1 : (total - left) / total;
    v.etaSeconds = v.done || left === 0 ? 0 : v.filesPerSecond > 0 ? left / v.filesPerSecond : null;
  }

  #listed(e: MetricEvent): void {
    const v = this.#scanView(str(e.dataset));
    v.listingDone = true;
    v.listed = Math.max(v.listed, num(e.files));
    this.#eta(v);
  }

  #scanDone(e: MetricEvent): void {
    const dataset = str(e.dataset);
    const v = this.#scanView(dataset);
    v.done = true;
    v.listingDone = true;
    // From here the table shows the whole scan's average rate; the chart leaves finished scans out.
    const first = this.#rates.get(dataset)?.[0];
    const seconds = first ? (e.ts - first.t) / 1000 : 0;
    v.filesPerSecond = seconds > 0 ? (v.probed + v.reused - first!.n) / seconds : v.filesPerSecond;
    v.skipped = { ...(e.skipped as Record<string, number> | undefined) };
    for (const [reason, n] of Object.entries(v.skipped)) this.#byReason[reason] = (this.#byReason[reason] ?? 0) + n;
    const examples = (e.examples ?? {}) as Record<string, { file: string; message: string }[]>;
    for (const [reason, list] of Object.entries(examples))
      for (const x of list)
        this.#remember({ ts: e.ts, phase: 'scan', dataset, file: x.file, reason, message: x.message });
    this.#eta(v);
  }

  #skip(phase: SkipExample['phase'], dataset: string, file: string, reason: string, message: string, ts: number): void {
    this.#byReason[reason] = (this.#byReason[reason] ?? 0) + 1;
    this.#remember({ ts, phase, dataset, file, reason, message });
  }

  #remember(x: SkipExample): void {
    this.#recent.unshift(x);
    if (this.#recent.length > RECENT_SKIPS) this.#recent.pop();
  }

  #sampled(dataset: string): SampledView {
    const ds = this.#loaderView().datasets;
    return (ds[dataset] ??= { batches: 0, samples: 0, share: 0, probability: null, expectedShare: null });
  }

  #datasets(e: MetricEvent): void {
    const list = (Array.isArray(e.datasets) ? e.datasets : []) as { id: string; probability: number }[];
    const sum = list.reduce((s, d) => s + num(d.probability), 0);
    for (const d of list) {
      const v = this.#sampled(d.id);
      v.probability = num(d.probability);
      v.expectedShare = sum > 0 ? v.probability / sum : null;
    }
  }

  #batch(e: MetricEvent): void {
    const l = this.#loaderView();
    const n = num(e.samples);
    l.batches++;
    l.samples += n;
    const per = Math.max(n, 1);
    l.stageMs = {
      read: num(e.read_ms) / per,
      decode: num(e.decode_ms) / per,
      caption: num(e.caption_ms) / per,
      assemble: num(e.assemble_ms),
    };
    const v = this.#sampled(str(e.dataset));
    v.batches++;
    v.samples += n;
    for (const d of Object.values(l.datasets)) d.share = l.samples > 0 ? d.samples / l.samples : 0;
  }

  #queue(e: MetricEvent): void {
    const l = this.#loaderView();
    l.queueDepth = num(e.depth);
    l.queueMax = num(e.max);
  }

  #throughput(e: MetricEvent): void {
    const l = this.#loaderView();
    if (e.final !== true) {
      l.batchesPerSecond = num(e.batches_s);
      l.samplesPerSecond = num(e.samples_s);
    }
    const waitMs = num(e.wait_ms_total);
    const prev = this.#lastThroughput;
    if (prev && e.ts > prev.ts) l.waitShare = Math.min(1, Math.max(0, (waitMs - prev.waitMs) / (e.ts - prev.ts)));
    this.#lastThroughput = { ts: e.ts, waitMs };
  }
}
