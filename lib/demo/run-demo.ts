// The demo run: generate, validate the config, build backends, scan (progress, buckets, skips), stream, summarise.
import { ScanPool, type ScanRunner } from '../pool/scan-pool.js';
import { isImageDataset, type LoadedConfig, type ImageDatasetConfig } from '../config/types.js';
import { createProgress, type ProgressStream } from '../terminal/progress.js';
import { metrics } from '../metrics/events.js';
import type { SkipReason } from '../metadata/types.js';
import { consume, type ConsumerStats } from './consumer.js';
import { demoTrainingArgs } from './demo-config.js';
import { generateDemo } from './generate.js';
import type { DemoSizes } from './plan.js';
import type { DatasetIndex } from '../metadata/types.js';
import type { StorageBackend } from '../storage/types.js';
import { loadConfig } from '../config/load-config.js';
import { createFactory, type BuiltBackend } from '../factory/factory.js';
import { scanDataset } from '../metadata/scan.js';
import { createLoader } from '../pipeline/create-loader.js';

/** A scanned dataset handed to createLoader (lib/pipeline LoaderDatasetInput). */
interface LoaderInput {
  config: ImageDatasetConfig;
  storage: StorageBackend;
  index: DatasetIndex;
  captions?: (key: string, sampleSeed: number) => Promise<string | null>;
}

/** Options of `tunefeed demo`. */
export interface DemoOptions {
  /** @default './tunefeed-demo' */
  dir?: string;
  /** Batches to stream. @default 100 */
  batches?: number;
  /** @default 4 */
  batchSize?: number;
  /** Simulated training step per batch in ms. @default 25 */
  stepMs?: number;
  /** @default 1234 */
  seed?: number;
  /** @default { photos: 200, art: 100 } */
  sizes?: DemoSizes;
  /** Regenerate the dataset. @default false */
  force?: boolean;
  /** Progress output. @default process.stderr */
  progress?: ProgressStream;
  /** `key=value` training-argument overrides (`tunefeed demo --set`), applied over the demo's own. @default [] */
  set?: string[];
  /** SimpleTuner config.json read under the demo's own arguments (`tunefeed demo --training-config`). */
  trainingConfig?: string;
  /** Dataset builder plug-ins (`tunefeed demo --plugin`). @default [] */
  plugins?: string[];
}

/** One scanned dataset. */
export interface DatasetSummary {
  id: string;
  samples: number;
  processed: number;
  skipped: Partial<Record<SkipReason, number>>;
  buckets: Record<string, number>;
  reusedCache: boolean;
  seconds: number;
  report: Record<string, unknown>;
}

/** Everything the demo measured; `--json` prints exactly this. */
export interface DemoSummary {
  dir: string;
  configPath: string;
  generated: { created: boolean; images: number; brokenPlanted: number; seconds: number };
  stages: Record<'config' | 'factory' | 'scan' | 'stream', 'done' | 'skipped'>;
  datasets: DatasetSummary[];
  stream: ConsumerStats | null;
  peakRssMb: number;
  seconds: number;
  notes: string[];
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function scanOne(
  b: BuiltBackend,
  loaded: LoadedConfig,
  out: ProgressStream,
  pool: ScanRunner,
): Promise<{ summary: DatasetSummary; input: LoaderInput }> {
  const bus = metrics; // the process-wide bus, so `demo --dashboard` shows the scan
  const progress = createProgress({ label: `scan ${b.id}`, unit: 'files', stream: out });
  const unsubscribe = bus.subscribe((e) => {
    if (e.type !== 'scan.progress') return;
    // lib/metadata/scan emits {listed, probed, reused}: files known so far, header-probed, and taken from the cache.
    const done = Number(e.probed ?? 0) + Number(e.reused ?? 0);
    const listed = Number(e.listed ?? 0);
    progress.update(
      done,
      listed > 0 ? { total: listed, note: Number(e.reused) > 0 ? `${String(e.reused)} from cache` : '' } : {},
    );
  });
  const started = performance.now();
  try {
    const r = await scanDataset({
      id: b.id,
      config: b.config as ImageDatasetConfig,
      storage: b.storage,
      args: loaded.args,
      metrics: bus,
      pool,
    });
    const buckets = Object.fromEntries(Object.entries(r.index.buckets).map(([k, v]) => [k, v.length]));
    const samples = Object.values(buckets).reduce((s, n) => s + n, 0);
    progress.finish(r.reusedCache ? 'reused scan cache' : `${samples} usable`);
    const config = b.config as ImageDatasetConfig;
    const summary: DatasetSummary = {
      id: b.id,
      samples,
      processed: r.index.stats.total_processed,
      skipped: r.index.stats.skipped,
      buckets,
      reusedCache: r.reusedCache,
      seconds: (performance.now() - started) / 1000,
      report: { ...r.report },
    };
    // No caption function is passed: the loader builds lib/captions' resolver itself (inside its prefetch
    // thread), where a function handed in would have to be called back on the main thread for every sample.
    return { summary, input: { config, storage: b.storage, index: r.index } };
  } finally {
    unsubscribe();
  }
}

async function stream(
  loaded: LoadedConfig,
  inputs: LoaderInput[],
  o: DemoOptions,
  out: ProgressStream,
): Promise<ConsumerStats> {
  const batches = o.batches ?? 100;
  // The scanned datasets go straight to the loader, so nothing is listed or probed twice.
  const loader = await createLoader(loaded, { datasets: inputs, batches });
  const progress = createProgress({ label: 'stream', unit: 'batches', total: batches, stream: out });
  try {
    // The first few batches include worker start-up and the first decodes; the issue judges the wait after warm-up.
    const warmupBatches = Math.min(3, Math.max(1, Math.floor(batches / 10)));
    const stats = await consume(loader, {
      batches,
      stepMs: o.stepMs ?? 25,
      warmupBatches,
      onBatch: (i) => progress.update(i),
    });
    progress.finish(`${stats.samples} samples`);
    return stats;
  } finally {
    await loader.close();
  }
}

/** Run the whole demo and return its summary (the CLI prints it). */
export async function runDemo(o: DemoOptions = {}): Promise<DemoSummary> {
  const started = performance.now();
  const out = o.progress ?? process.stderr;
  let gen: ReturnType<typeof createProgress> | null = null;
  const onFile = (d: number, n: number): void => {
    gen ??= createProgress({ label: 'generate demo dataset', unit: 'files', total: n, stream: out });
    gen.update(d);
  };
  const g = await generateDemo({ dir: o.dir, seed: o.seed, sizes: o.sizes, force: o.force, onFile });
  if (gen) (gen as ReturnType<typeof createProgress>).finish(`written to ${g.layout.root}`);
  else out.write(`demo dataset: reusing ${g.layout.root} (delete it or pass --regenerate to rebuild)\n`);
  const summary: DemoSummary = {
    dir: g.layout.root,
    configPath: g.layout.configPath,
    generated: {
      created: g.created,
      images: g.plan.images.length,
      brokenPlanted: g.plan.broken.length,
      seconds: g.ms / 1000,
    },
    stages: { config: 'skipped', factory: 'skipped', scan: 'skipped', stream: 'skipped' },
    datasets: [],
    stream: null,
    peakRssMb: 0,
    seconds: 0,
    notes: [],
  };
  await runStages(summary, o, out, g.layout);
  summary.peakRssMb = peakRssMb();
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

async function runStages(
  s: DemoSummary,
  o: DemoOptions,
  out: ProgressStream,
  layout: Parameters<typeof demoTrainingArgs>[0],
): Promise<void> {
  const args = demoTrainingArgs(layout, o.batchSize ?? 4, o.seed ?? 1234);
  const loaded = await loadConfig(s.configPath, {
    args,
    ...(o.set?.length ? { set: o.set } : {}),
    ...(o.trainingConfig ? { trainingConfig: o.trainingConfig } : {}),
    ...(o.plugins?.length ? { plugins: o.plugins } : {}),
  });
  s.stages.config = 'done';
  for (const w of loaded.warnings) s.notes.push(`config warning${w.id ? ` (${w.id})` : ''}: ${w.field}: ${w.message}`);
  const built = await createFactory(loaded).build();
  s.stages.factory = 'done';
  try {
    const inputs: LoaderInput[] = [];
    // The same scan worker pool `tunefeed scan` and createLoader use.
    const pool = new ScanPool();
    try {
      for (const b of built.data.filter((x) => isImageDataset(x.config))) {
        const r = await scanOne(b, loaded, out, pool);
        s.datasets.push(r.summary);
        inputs.push(r.input);
      }
    } finally {
      await pool.close();
    }
    s.stages.scan = 'done';
    s.stream = await stream(loaded, inputs, o, out);
    s.stages.stream = 'done';
  } finally {
    await built.close();
  }
}
