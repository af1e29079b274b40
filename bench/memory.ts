// Peak RSS streaming 10k / 100k / 1M cached-latent samples through createLoader (a child per size) vs a raw loop.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { vaeCacheKey } from '../lib/embeds/cache-keys.js';
import { latentFrom, readEmbedFile } from '../lib/embeds/latents.js';
import { createLoader } from '../lib/pipeline/create-loader.js';
import { benchScale, checksumOf, streamFixture } from './corpus.js';
import { growthNote } from './memory-notes.js';
import type { BenchLine } from './results.js';

const self = fileURLToPath(import.meta.url);
const run = promisify(execFile);
const BATCH = 32;

/** What one child measured. */
interface ChildReport {
  mode: string;
  samples: number;
  seconds: number;
  peak_rss_mb: number;
  end_rss_mb: number;
  heap_mb: number;
  checksum: string;
  skipped: number;
}

/** Minimal view of a batch (lib/pipeline/types.ts Batch). */
interface BatchView {
  samples: { key: string; latents?: { data: Uint8Array } }[];
  skipped: unknown[];
}

function mb(bytes: number): number {
  return bytes / 2 ** 20;
}

/** Child: stream `samples` samples from an index of `index` latents through the loader and report peak RSS. */
async function childLoader(index: number, samples: number): Promise<ChildReport> {
  const fx = await streamFixture([{ id: 'mem', count: index, probability: 1, repeats: 0 }], BATCH, 7);
  const started = performance.now();
  const loader = await createLoader(fx.loaded, {
    datasets: fx.inputs,
    batches: Math.ceil(samples / BATCH),
    threads: 1,
  });
  let n = 0;
  let bytes = 0;
  let skipped = 0;
  for await (const raw of loader) {
    const b = raw as BatchView;
    n += b.samples.length;
    skipped += b.skipped.length;
    for (const s of b.samples) bytes += s.latents?.data.byteLength ?? 0;
  }
  return report('tunefeed', n, started, checksumOf([n, bytes]), skipped);
}

/** Child: the raw baseline — read and parse the same files in a plain loop, keeping nothing but a byte count. */
async function childRaw(index: number, samples: number): Promise<ChildReport> {
  const fx = await streamFixture([{ id: 'mem', count: index, probability: 1, repeats: 0 }], BATCH, 7);
  const l = fx.latents[0];
  const files = l.keys.map((k) => path.join(l.vaeDir, vaeCacheKey('', k)));
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < samples; i++)
    bytes += latentFrom(readEmbedFile(await readFile(files[i % files.length]))).data.byteLength;
  return report('raw', samples, started, checksumOf([samples, bytes]), 0);
}

function report(mode: string, samples: number, started: number, checksum: string, skipped: number): ChildReport {
  const seconds = (performance.now() - started) / 1000;
  // A full GC first, so the heap figure is what is still reachable, not garbage awaiting collection. (Not via
  // `node --expose-gc`: the loader's workers inherit execArgv, and worker threads reject that flag.)
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  const mem = process.memoryUsage();
  return {
    mode,
    samples,
    seconds,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    end_rss_mb: mb(mem.rss),
    heap_mb: mb(mem.heapUsed),
    checksum,
    skipped,
  };
}

async function measure(mode: 'tunefeed' | 'raw', index: number, samples: number): Promise<ChildReport> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', self, '--child', mode, '--index', String(index), '--samples', String(samples)],
    {
      maxBuffer: 1 << 20,
      env: { ...process.env, TUNEFEED_LOG_LEVEL: 'warn' },
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport;
}

function line(index: number, t: ChildReport, r: ChildReport): BenchLine {
  return {
    bench: 'memory',
    case: `${t.samples.toLocaleString('en')} samples streamed (index ${index.toLocaleString('en')})`,
    figures: {
      tunefeed_peak_rss_mb: t.peak_rss_mb,
      raw_peak_rss_mb: r.peak_rss_mb,
      tunefeed_end_heap_mb: t.heap_mb,
      tunefeed_samples_s: t.samples / t.seconds,
      raw_samples_s: r.samples / r.seconds,
      skipped: t.skipped,
    },
    ratios: { rss_vs_raw: t.peak_rss_mb / r.peak_rss_mb },
    // Same files read and parsed: equal checksums when both handled the same number of samples.
    checksum:
      t.samples === r.samples
        ? { tunefeed: t.checksum, raw: r.checksum, same: t.checksum === r.checksum }
        : { tunefeed: t.checksum, raw: `measured at ${r.samples} samples` },
    params: { batch_size: BATCH, index, threads: 1 },
  };
}

async function main(): Promise<void> {
  const scale = benchScale();
  const index = scale === 'tiny' ? 256 : scale === 'full' ? 100_000 : 10_000;
  const sizes = scale === 'tiny' ? [1_024, 4_096, 16_384] : [10_000, 100_000, 1_000_000];
  // The raw loop holds nothing between reads, so its RSS does not depend on the count: measure it once, at the middle
  // size.
  process.stderr.write(`bench/memory: raw read loop, ${sizes[1]} samples...\n`);
  const raw = await measure('raw', index, sizes[1]);
  const runs: ChildReport[] = [];
  for (const samples of sizes) {
    process.stderr.write(`bench/memory: loader, ${samples} samples...\n`);
    const t = await measure('tunefeed', index, samples);
    runs.push(t);
    console.log(JSON.stringify(line(index, t, raw)));
  }
  console.log(JSON.stringify(flatness(sizes, runs)));
}

/** The line the ±10 % target is judged on, with a note on where any growth sits (JS heap or native memory). */
function flatness(sizes: number[], runs: ChildReport[]): BenchLine {
  const [small, mid, big] = runs as [ChildReport, ChildReport, ChildReport];
  const ratio = big.peak_rss_mb / mid.peak_rss_mb;
  const heapGrowth = big.heap_mb - mid.heap_mb;
  const rssGrowth = big.peak_rss_mb - mid.peak_rss_mb;
  const where = growthNote(rssGrowth, heapGrowth);
  return {
    bench: 'memory',
    case: `flatness ${sizes[1].toLocaleString('en')} → ${sizes[2].toLocaleString('en')} samples`,
    figures: {
      peak_rss_mb_small: small.peak_rss_mb,
      peak_rss_mb_mid: mid.peak_rss_mb,
      peak_rss_mb_big: big.peak_rss_mb,
      heap_mb_mid: mid.heap_mb,
      heap_mb_big: big.heap_mb,
    },
    ratios: { rss_1m_vs_100k: ratio },
    caveat:
      'Peak RSS (getrusage maxRSS) of a fresh child process per size, Node + tsx runtime included. Latents are tiny ' +
      '(float16 [4, 6, 5]) so the figure isolates what the loader itself retains; ' +
      'the index is fixed, so samples beyond it are later epochs.',
    bottleneck:
      `peak RSS ${mid.peak_rss_mb.toFixed(0)} → ${big.peak_rss_mb.toFixed(0)} MB ` +
      `(×${ratio.toFixed(3)}); ${where}.`,
  };
}

async function child(): Promise<void> {
  const { values } = parseArgs({
    options: { child: { type: 'string' }, index: { type: 'string' }, samples: { type: 'string' } },
  });
  const index = Number(values.index);
  const samples = Number(values.samples);
  const r = values.child === 'raw' ? await childRaw(index, samples) : await childLoader(index, samples);
  console.log(JSON.stringify(r));
  process.exit(0); // do not wait for idle worker threads; stdout to a pipe is synchronous on Linux
}

(process.argv.includes('--child') ? child() : main()).catch((err: unknown) => {
  process.stderr.write(`bench/memory: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
