// Dashboard on (server + one SSE client in another process) vs off: scan files/s and stream samples/s, same run.
// Rounds alternate on/off; the ratio is the median of per-round ratios with their min–max. One JSON line per case.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { loadConfig } from '../lib/config/load-config.js';
import type { ImageDatasetConfig } from '../lib/config/types.js';
import { serveDashboard, type DashboardHandle } from '../lib/dashboard/server.js';
import { scanDataset } from '../lib/metadata/scan.js';
import { MetricsBus } from '../lib/metrics/events.js';
import { createLoader } from '../lib/pipeline/create-loader.js';
import type { LoaderDatasetInput } from '../lib/pipeline/types.js';
import { LocalStorage } from '../lib/storage/local.js';
import { benchScale, checksumOf, generatedImages } from './corpus.js';
import type { BenchLine } from './results.js';
import { median, spread } from './stats.js';

const SIZES = {
  tiny: { files: 300, batches: 3000 },
  small: { files: 600, batches: 4000 },
  full: { files: 3000, batches: 20000 },
};
const ROUNDS = 9;

/** A reader of /events in its own process, like a browser tab: counts bytes, prints "open" once connected. */
const CLIENT = `
const http = require('node:http');
let bytes = 0;
http.get(process.argv[1], (res) => {
  res.on('data', (d) => { if (bytes === 0) process.stdout.write('open\\n'); bytes += d.length; });
});
process.on('SIGTERM', () => { process.stderr.write(String(bytes)); process.exit(0); });
`;

async function withClient(d: DashboardHandle): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', CLIENT, `http://127.0.0.1:${d.port}/events?token=${d.token}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await once(child.stdout, 'data');
  return child;
}

async function stopClient(child: ChildProcess): Promise<number> {
  let out = '';
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  child.kill('SIGTERM');
  await once(child, 'exit');
  return Number(out) || 0;
}

async function datasetConfig(
  root: string,
): Promise<{ config: ImageDatasetConfig; args: Parameters<typeof scanDataset>[0]['args'] }> {
  const loaded = await loadConfig(
    [
      {
        id: 'bench',
        type: 'local',
        instance_data_dir: root,
        resolution: 256,
        resolution_type: 'pixel',
        crop: true,
        caption_strategy: 'filename',
        train_batch_size: 4,
      },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: path.join(root, '.te') },
    ],
    { args: { output_dir: '' }, checkPaths: false },
  );
  return { config: loaded.datasets[0] as ImageDatasetConfig, args: loaded.args };
}

/** One timed scan (every file probed again); with `on`, a dashboard and its client watch the same bus. */
async function scanOnce(
  root: string,
  on: boolean,
): Promise<{ s: number; files: number; sseBytes: number; index: LoaderDatasetInput }> {
  const { config, args } = await datasetConfig(root);
  const bus = new MetricsBus();
  const d = on ? await serveDashboard(bus, { announce: null }) : null;
  const client = d ? await withClient(d) : null;
  const storage = new LocalStorage({ id: 'bench', root });
  const t0 = performance.now();
  const r = await scanDataset({ id: 'bench', config, storage, args, metrics: bus, ignoreCache: true });
  const s = (performance.now() - t0) / 1000;
  const sseBytes = client ? await stopClient(client) : 0;
  await d?.close();
  return { s, files: r.files, sseBytes, index: { config, storage, index: r.index } };
}

/** Stream `batches` metadata-only batches (the most events per second, so the worst case for the dashboard). */
async function streamOnce(
  input: LoaderDatasetInput,
  batches: number,
  on: boolean,
): Promise<{ s: number; samples: number; check: string; sseBytes: number }> {
  const bus = new MetricsBus();
  const loader = await createLoader('unused', {
    datasets: [input],
    batches,
    seed: 1,
    decode: false,
    metrics: bus,
    ...(on ? { dashboard: { announce: null } } : {}),
  });
  const client = loader.dashboard ? await withClient(loader.dashboard) : null;
  const keys: string[] = [];
  const t0 = performance.now();
  let samples = 0;
  for await (const b of loader) {
    samples += b.samples.length;
    keys.push(b.samples[0].key);
  }
  const s = (performance.now() - t0) / 1000;
  const sseBytes = client ? await stopClient(client) : 0;
  await loader.close();
  return { s, samples, check: checksumOf(keys), sseBytes };
}

interface Measured {
  best: { scanOn: number; scanOff: number; streamOn: number; streamOff: number };
  /** Off time / on time of each round (both sides ran in it, order alternating). */
  perRound: { scan: number[]; stream: number[] };
  scanned: number;
  samples: number;
  sse: { scan: number; stream: number };
  checks: Set<string>;
}

/** ROUNDS rounds, each running off and on (order alternating): per-round ratios, and each side's fastest time. */
async function measure(root: string, batches: number): Promise<Measured> {
  const m: Measured = {
    best: { scanOn: Infinity, scanOff: Infinity, streamOn: Infinity, streamOff: Infinity },
    perRound: { scan: [], stream: [] },
    scanned: 0,
    samples: 0,
    sse: { scan: 0, stream: 0 },
    checks: new Set(),
  };
  let input: LoaderDatasetInput | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    const t = { scanOn: 0, scanOff: 0, streamOn: 0, streamOff: 0 };
    for (const on of round % 2 ? [true, false] : [false, true]) {
      const sc = await scanOnce(root, on);
      t[on ? 'scanOn' : 'scanOff'] = sc.s;
      m.best[on ? 'scanOn' : 'scanOff'] = Math.min(m.best[on ? 'scanOn' : 'scanOff'], sc.s);
      m.scanned = sc.files;
      input ??= sc.index;
      if (on) m.sse.scan = Math.max(m.sse.scan, sc.sseBytes);
      const st = await streamOnce(input, batches, on);
      t[on ? 'streamOn' : 'streamOff'] = st.s;
      m.best[on ? 'streamOn' : 'streamOff'] = Math.min(m.best[on ? 'streamOn' : 'streamOff'], st.s);
      m.samples = st.samples;
      m.checks.add(st.check);
      if (on) m.sse.stream = Math.max(m.sse.stream, st.sseBytes);
    }
    m.perRound.scan.push(t.scanOff / t.scanOn);
    m.perRound.stream.push(t.streamOff / t.streamOn);
  }
  return m;
}

async function main(): Promise<void> {
  const scale = benchScale();
  const size = SIZES[scale];
  const files = await generatedImages({ count: size.files, edge: [256, 640], seed: 12 });
  const { best, perRound, scanned, samples, sse, checks } = await measure(path.dirname(files[0]), size.batches);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const judged = (xs: number[]) => ({ ratio: r3(median(xs)), spread: spread(xs).map(r3) as [number, number] });
  const scanR = judged(perRound.scan);
  const streamR = judged(perRound.stream);
  const caveat =
    `median of ${ROUNDS} per-round ratios, on and off alternating first, spread = min–max; ` +
    `figures are each side's best round; the SSE client is another process`;
  const scan: BenchLine = {
    bench: 'dashboard',
    case: `scan ${scanned} files, header probe, in-thread`,
    figures: { on_files_s: r3(scanned / best.scanOn), off_files_s: r3(scanned / best.scanOff), sse_bytes: sse.scan },
    ratios: { scan_on_vs_off: scanR.ratio },
    spread: { scan_on_vs_off: scanR.spread },
    params: { files: scanned, rounds: ROUNDS, scale },
    caveat,
  };
  const stream: BenchLine = {
    bench: 'dashboard',
    case: `stream ${size.batches} metadata-only batches`,
    figures: {
      on_samples_s: r3(samples / best.streamOn),
      off_samples_s: r3(samples / best.streamOff),
      sse_bytes: sse.stream,
    },
    ratios: { stream_on_vs_off: streamR.ratio },
    spread: { stream_on_vs_off: streamR.spread },
    checksum: { batches_first_keys: [...checks].join(','), same: checks.size === 1 },
    params: { batches: size.batches, samples, rounds: ROUNDS, scale },
    caveat: `${caveat}; metadata only (no decode) is the most events per second, the worst case for the dashboard`,
  };
  console.log(JSON.stringify(scan));
  console.log(JSON.stringify(stream));
}

await main();
