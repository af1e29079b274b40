// Soak: 1M cached-latent samples through a slow consumer for --minutes; RSS over time, fds/sockets, exactly-once vs the
// sampler.
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createLoader } from '../lib/pipeline/create-loader.js';
import { createPlan, resolveItem, type PlanDataset } from '../lib/sampling/plan.js';
import { getWeighting } from '../lib/sampling/weights.js';
import { checksumOf, streamFixture, type FixtureSpec } from './corpus.js';
import type { BenchLine } from './results.js';

/** Minimal view of a batch (lib/pipeline/types.ts Batch). */
interface BatchView {
  step: number;
  epoch: number;
  dataset: string;
  bucket: string;
  samples: { key: string }[];
  skipped: unknown[];
}

interface Probe {
  t: number;
  rss: number;
  heap: number;
  fds: number;
  sockets: number;
  samples: number;
  running: boolean;
}

const SEED = 11;
const WEIGHTING = 'auto-weighting';

async function openFds(): Promise<{ fds: number; sockets: number }> {
  const names = await readdir('/proc/self/fd');
  let sockets = 0;
  for (const n of names) {
    const target = await readlink(`/proc/self/fd/${n}`).catch(() => '');
    if (target.startsWith('socket:')) sockets++;
  }
  return { fds: names.length, sockets };
}

/** The order the sampler (lib/sampling) says the loader must deliver, computed independently of the pipeline. */
export function expectedOrder(
  specs: FixtureSpec[],
  keys: Map<string, string[]>,
  batchSize: number,
): () => { step: number; epoch: number; dataset: string; keys: string[] } {
  const plans: PlanDataset[] = specs.map((s) => ({
    id: s.id,
    bucketSizes: { '1.0': keys.get(s.id)!.length },
    batchSize,
    repeats: s.repeats,
    probability: s.probability,
    disableAfterEpochStep: null,
  }));
  const world = { rank: 0, worldSize: 1 };
  const { orders, sequence } = createPlan(plans, {
    seed: SEED,
    world,
    gradAccum: 1,
    allowOversubscription: false,
    weighting: getWeighting(WEIGHTING),
  });
  return () => {
    const item = sequence.next();
    const r = resolveItem(item, orders.get(item.dataset)!, world);
    const bucket = keys.get(item.dataset)!;
    return { step: item.step, epoch: item.epoch, dataset: item.dataset, keys: r.mine.map((i) => bucket[i]) };
  };
}

/** Per dataset and epoch, how many times each key was delivered; checked when the epoch rolls over. */
export class EpochLedger {
  readonly #seen = new Map<string, Map<string, number>>();
  readonly #epoch = new Map<string, number>();
  violations = 0;
  epochsChecked = 0;
  constructor(
    private readonly keys: Map<string, string[]>,
    private readonly repeats: Map<string, number>,
  ) {}

  add(dataset: string, epoch: number, sampleKeys: string[]): void {
    if (this.#epoch.get(dataset) !== epoch) {
      if (this.#epoch.has(dataset)) this.#close(dataset);
      this.#epoch.set(dataset, epoch);
      this.#seen.set(dataset, new Map());
    }
    const m = this.#seen.get(dataset)!;
    for (const k of sampleKeys) m.set(k, (m.get(k) ?? 0) + 1);
  }

  /** Check every dataset's current epoch as if it had just ended (tests; a soak only checks completed epochs). */
  closeAll(): void {
    for (const d of this.#epoch.keys()) this.#close(d);
  }

  #close(dataset: string): void {
    const m = this.#seen.get(dataset)!;
    const want = this.repeats.get(dataset)! + 1;
    const all = this.keys.get(dataset)!;
    const bad = all.filter((k) => m.get(k) !== want).length + (m.size > all.length ? m.size - all.length : 0);
    this.violations += bad;
    this.epochsChecked++;
  }
}

interface Options {
  minutes: number;
  samples: number;
  index: number;
  batchSize: number;
  stepMs: number | null;
}

function options(): Options {
  const { values } = parseArgs({
    strict: false,
    options: {
      minutes: { type: 'string', default: '10' },
      samples: { type: 'string', default: '1000000' },
      index: { type: 'string', default: '20000' },
      'batch-size': { type: 'string', default: '32' },
      'step-ms': { type: 'string' },
    },
  });
  return {
    minutes: Number(values.minutes),
    samples: Number(values.samples),
    index: Number(values.index),
    batchSize: Number(values['batch-size']),
    stepMs: values['step-ms'] === undefined ? null : Number(values['step-ms']),
  };
}

async function main(): Promise<void> {
  const o = options();
  // Two weighted datasets so the weighted merge is part of what is checked; sizes are multiples of the batch.
  const half = Math.floor(o.index / 2 / o.batchSize) * o.batchSize;
  const specs: FixtureSpec[] = [
    { id: 'soak-a', count: half, probability: 1, repeats: 0 },
    { id: 'soak-b', count: half, probability: 0.5, repeats: 1 },
  ];
  const fx = await streamFixture(specs, o.batchSize, SEED);
  const keys = new Map(fx.latents.map((l) => [l.id, l.keys]));
  const next = expectedOrder(specs, keys, o.batchSize);
  const ledger = new EpochLedger(keys, new Map(specs.map((s) => [s.id, s.repeats])));
  // A consumer slow enough that `samples` take `minutes`: the loader sits at full prefetch, the steady state of
  // training.
  const stepMs = o.stepMs ?? (o.minutes * 60_000 * o.batchSize) / o.samples;
  const batches = Math.ceil(o.samples / o.batchSize);
  const loader = await createLoader(fx.loaded, {
    datasets: fx.inputs,
    batches,
    seed: SEED,
    weighting: WEIGHTING,
    threads: 1,
  });
  const r = await drive(loader, next, ledger, stepMs, Math.min(10_000, Math.max(1000, (o.minutes * 60_000) / 60)));
  console.log(JSON.stringify(summarise(o, stepMs, r.probes, { ...r, ledger, batches })));
  process.exit(0);
}

type LoaderLike = AsyncIterable<unknown> & { destroy(): unknown; close?(): Promise<void> };
type Expected = ReturnType<typeof expectedOrder>;

/** Consume every batch at `stepMs` per batch, checking each against the sampler, probing memory and fds as it goes. */
async function drive(loader: LoaderLike, next: Expected, ledger: EpochLedger, stepMs: number, probeMs: number) {
  const probes: Probe[] = [];
  const st = { delivered: 0, mismatches: 0, skipped: 0, digest: [] as number[] };
  const started = performance.now();
  let running = true;
  const probe = async (): Promise<void> => {
    const m = process.memoryUsage();
    const p: Probe = {
      t: (performance.now() - started) / 1000,
      rss: m.rss / 2 ** 20,
      heap: m.heapUsed / 2 ** 20,
      ...(await openFds()),
      samples: st.delivered,
      running,
    };
    probes.push(p);
    process.stderr.write(
      `soak ${p.t.toFixed(0)}s: ${st.delivered} samples, rss ${p.rss.toFixed(0)} MB, heap ${p.heap.toFixed(0)} MB, ` +
        `fds ${p.fds}, sockets ${p.sockets}, mismatches ${st.mismatches}\n`,
    );
  };
  const timer = setInterval(() => void probe(), probeMs);
  for await (const raw of loader) {
    const b = raw as BatchView;
    const want = next();
    const got = b.samples.map((s) => s.key);
    if (
      b.step !== want.step ||
      b.epoch !== want.epoch ||
      b.dataset !== want.dataset ||
      got.join('\n') !== want.keys.join('\n')
    )
      st.mismatches++;
    ledger.add(b.dataset, b.epoch, got);
    st.delivered += got.length;
    st.skipped += b.skipped.length;
    if (b.step % 1000 === 0) st.digest.push(b.step, got.length);
    await sleep(stepMs);
  }
  clearInterval(timer);
  // Growth is judged on the probes taken while batches flowed; these two show the end of the stream and after close.
  running = false;
  await probe();
  await (loader.close ? loader.close() : Promise.resolve(loader.destroy()));
  await probe(); // after close: every fd and socket it opened must be gone
  return { ...st, probes };
}

function summarise(
  o: Options,
  stepMs: number,
  probes: Probe[],
  r: { delivered: number; mismatches: number; skipped: number; ledger: EpochLedger; digest: number[]; batches: number },
): BenchLine {
  // Growth is measured from the first probe after warm-up (10 % of the run) to the end, so start-up allocation is
  // excluded.
  // A run shorter than one probe interval has no live probe: fall back to the end-of-stream one.
  const running = probes.filter((p) => p.running);
  const live = running.length ? running : [probes[0]];
  const warm = live.find((p) => p.t >= live[live.length - 1].t * 0.1) ?? live[0];
  const last = live[live.length - 1];
  const closed = probes[probes.length - 1];
  const every = Math.max(1, Math.floor(probes.length / 12));
  const series = probes
    .filter((_, i) => i % every === 0 || i === probes.length - 1)
    .map((p) => `${p.t.toFixed(0)}s:${p.rss.toFixed(0)}`)
    .join(' ');
  return {
    bench: 'soak',
    case:
      `${r.delivered.toLocaleString('en')} latent samples, ` +
      `consumer ${stepMs.toFixed(2)} ms/batch of ${o.batchSize}`,
    figures: {
      seconds: last.t,
      samples: r.delivered,
      samples_s: r.delivered / last.t,
      batches: r.batches,
      rss_warm_mb: warm.rss,
      rss_end_mb: last.rss,
      rss_max_mb: Math.max(...probes.map((p) => p.rss)),
      heap_warm_mb: warm.heap,
      heap_end_mb: last.heap,
      fds_warm: warm.fds,
      fds_end: last.fds,
      fds_max: Math.max(...probes.map((p) => p.fds)),
      fds_after_close: closed.fds,
      sockets_max: Math.max(...probes.map((p) => p.sockets)),
      sockets_after_close: closed.sockets,
      order_mismatches: r.mismatches,
      epochs_checked: r.ledger.epochsChecked,
      exactly_once_violations: r.ledger.violations,
      skipped: r.skipped,
      rss_over_time_mb: series,
    },
    ratios: { rss_end_vs_warm: last.rss / warm.rss },
    checksum: checksumOf(r.digest),
    params: {
      minutes: o.minutes,
      index: o.index,
      batch_size: o.batchSize,
      datasets: 'soak-a p=1 r=0, soak-b p=0.5 r=1',
      seed: SEED,
      weighting: WEIGHTING,
    },
    caveat:
      'Latents are tiny (float16 [4, 6, 5]); the run checks what the loader retains and leaks, not I/O throughput. ' +
      "order_mismatches compares every batch with lib/sampling's plan computed independently; " +
      'exactly_once_violations counts keys ' +
      'not delivered (repeats + 1) times in each completed epoch.',
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench/soak: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
