// `tunefeed scan CONFIG` (and `tunefeed merge CONFIG`): header-only scans into SimpleTuner's cache files, shardable.
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { isImageDataset, type ImageDatasetConfig } from '../config/types.js';
import { UsageError, isTunefeedError } from '../errors.js';
import { metrics } from '../metrics/events.js';
import { ScanPool, type ScanRunner } from '../pool/scan-pool.js';
import { scanDataset, type ScanResult } from '../metadata/scan.js';
import { mergeShards } from '../metadata/merge.js';
import { parseShard, type Shard } from '../metadata/scan-files.js';
import { createProgress } from '../terminal/progress.js';
import { scanStorages } from './scan-storage.js';
import { configPathFrom, loadOptionsFrom, withTrainingArgs, type TrainingCliOptions } from './training-options.js';
import { dashboardOption } from './dashboard-option.js';

interface ScanCliOptions extends TrainingCliOptions {
  only: string[];
  dataset?: string[];
  workers?: string;
  shard?: string;
  shardCount?: string;
  merge: boolean;
  json: boolean;
  ignoreCache: boolean;
  flushSeconds?: string;
  verifyTail?: boolean;
}

interface DatasetLine {
  id: string;
  files: number;
  scanned: number;
  buckets: Record<string, number>;
  skipped: Record<string, number>;
  seconds: number;
  error?: { code: string; message: string };
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/**
 * --shard I/N, else JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX with --shard-
 * count/TUNEFEED_SHARD_COUNT.
 */
export function shardFrom(
  o: Pick<ScanCliOptions, 'shard' | 'shardCount'>,
  env: NodeJS.ProcessEnv = process.env,
): Shard | undefined {
  if (o.shard) {
    const s = parseShard(o.shard);
    if (!s) throw new UsageError(`Expected \`--shard\` as I/N with 0 ≤ I < N, got \`${o.shard}\``);
    return s;
  }
  const index = env.JOB_COMPLETION_INDEX ?? env.AWS_BATCH_JOB_ARRAY_INDEX;
  const count = o.shardCount ?? env.TUNEFEED_SHARD_COUNT;
  if (index === undefined || count === undefined) return undefined;
  const s = parseShard(`${index}/${count}`);
  if (!s) throw new UsageError(`Invalid shard from the environment: index ${index} of ${count}`);
  return s;
}

function selectDatasets(all: ImageDatasetConfig[], only: string[]): ImageDatasetConfig[] {
  const unknown = only.filter((id) => !all.some((d) => d.id === id));
  if (unknown.length)
    throw new UsageError(
      `Unknown dataset id(s) ${unknown.join(', ')}; image/video datasets are: ${all.map((d) => d.id).join(', ')}`,
    );
  return only.length ? all.filter((d) => only.includes(d.id)) : all;
}

function line(id: string, r: ScanResult): DatasetLine {
  return {
    id,
    files: r.files,
    scanned: r.probed,
    buckets: r.report.buckets,
    skipped: r.report.skipped,
    seconds: Math.round(r.seconds * 1000) / 1000,
  };
}

function human(l: DatasetLine, r?: ScanResult): string {
  if (l.error) return `${l.id}: FAILED ${l.error.code}\n${l.error.message}\n`;
  const usable = Object.values(l.buckets).reduce((a, b) => a + b, 0);
  const buckets = Object.entries(l.buckets)
    .sort(([a], [b]) => Number.parseFloat(a) - Number.parseFloat(b))
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
  const nBuckets = Object.keys(l.buckets).length;
  let out = `${l.id}: ${l.files} files, ${l.scanned} probed, ${usable} usable in ${nBuckets} buckets (${l.seconds}s)\n`;
  out += `  buckets: ${buckets}\n`;
  const skipped = Object.entries(l.skipped);
  if (skipped.length) out += `  skipped: ${skipped.map(([k, n]) => `${k}=${n}`).join(', ')}\n`;
  for (const [reason, ex] of Object.entries(r?.report.examples ?? {}))
    for (const e of ex) out += `    ${reason}: ${e.file}: ${e.message}\n`;
  for (const w of r?.report.warnings ?? []) out += `  warning: ${w}\n`;
  return out;
}

async function runOne(
  d: ImageDatasetConfig,
  o: ScanCliOptions,
  ctx: {
    storage: ReturnType<Awaited<ReturnType<typeof scanStorages>>['get']>;
    args: Parameters<typeof scanDataset>[0]['args'];
    pool: ScanRunner | undefined;
    shard: Shard | undefined;
  },
): Promise<ScanResult> {
  const progress = createProgress({ label: d.id, unit: 'files' });
  const off = metrics.subscribe((e) => {
    if (e.type === 'scan.progress' && e.dataset === d.id)
      progress.update(Number(e.listed), { note: `probed ${String(e.probed)}, cached ${String(e.reused)}` });
  });
  try {
    const base = {
      id: d.id,
      config: d,
      storage: ctx.storage,
      args: ctx.args,
      ...(o.flushSeconds ? { flushIntervalMs: Number(o.flushSeconds) * 1000 } : {}),
    };
    if (o.merge) return await mergeShards(base);
    return await scanDataset({
      ...base,
      ...(ctx.pool ? { pool: ctx.pool } : {}),
      ...(ctx.shard ? { shard: ctx.shard } : {}),
      ignoreCache: o.ignoreCache,
      ...(o.verifyTail ? { probe: { verifyTail: true } } : {}),
    });
  } finally {
    off();
    progress.finish();
  }
}

async function action(given: string | undefined, o: ScanCliOptions): Promise<void> {
  const shard = o.merge ? undefined : shardFrom(o);
  const loaded = await loadConfig(await configPathFrom(given, o), loadOptionsFrom(o));
  const datasets = selectDatasets(loaded.datasets.filter(isImageDataset), [...o.only, ...(o.dataset ?? [])]);
  const workers = o.workers === undefined ? undefined : Number(o.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
    throw new UsageError(`Expected \`--workers\` to be an integer from 0 and up, got \`${o.workers}\``);
  const storages = await scanStorages(loaded);
  const pool = workers === 0 || o.merge ? undefined : new ScanPool(workers ? { threads: workers } : {});
  const lines: DatasetLine[] = [];
  try {
    for (const d of datasets) {
      try {
        const r = await runOne(d, o, { storage: storages.get(d.id), args: loaded.args, pool, shard });
        lines.push(line(d.id, r));
        if (!o.json) process.stdout.write(human(lines.at(-1)!, r));
      } catch (err) {
        if (!isTunefeedError(err)) throw err;
        lines.push({
          id: d.id,
          files: 0,
          scanned: 0,
          buckets: {},
          skipped: {},
          seconds: 0,
          error: { code: err.code, message: err.message },
        });
        if (!o.json) process.stdout.write(human(lines.at(-1)!));
        process.exitCode = 1;
      }
    }
  } finally {
    await pool?.close();
    await storages.close();
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ datasets: lines })}\n`);
}

function options(cmd: Command): Command {
  return withTrainingArgs(cmd)
    .argument('[config]', 'path of the multidatabackend.json (default: data_backend_config of --training-config)')
    .option('--only <id>', 'scan only this dataset (repeatable)', collect, [])
    .option('--dataset <id>', 'alias of --only (repeatable)', collect, [])
    .option('--json', 'print one JSON object {"datasets": [...]} on stdout', false)
    .option('--flush-seconds <n>', 'seconds between progress checkpoints (default 30)');
}

/** Registers `tunefeed scan` and `tunefeed merge`. */
export function register(program: Command): void {
  options(program.command('scan').description('Scan image/video datasets by header into SimpleTuner bucket caches'))
    .option('--workers <n>', 'worker threads (0 = scan on the main thread)')
    .option('--shard <i/n>', 'scan the deterministic share I of N (0-based) and write a part file')
    .option('--shard-count <n>', 'N for JOB_COMPLETION_INDEX / AWS_BATCH_JOB_ARRAY_INDEX sharding')
    .option('--merge', 'combine completed shard parts into the cache files', false)
    .option('--ignore-cache', 'probe every file again', false)
    .option('--verify-tail', 'check end markers for truncation on remote storage too (one more request per large file)')
    .addOption(dashboardOption())
    .action(async (file: string | undefined, o: ScanCliOptions) => action(file, o));
  options(
    program.command('merge').description('Combine the part files of a sharded scan into SimpleTuner bucket caches'),
  ).action(async (file: string | undefined, o: ScanCliOptions) =>
    action(file, { ...o, merge: true, ignoreCache: false }),
  );
}
