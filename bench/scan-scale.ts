// The scan benchmark's scale case: 100 k objects on the in-memory S3 server, the header scan in its own process.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedImages } from './corpus.js';
import type { BenchLine } from './results.js';
import {
  type COUNTS,
  THREADS,
  REMOTE,
  awsDesc,
  cpuFigures,
  dataset,
  fullDecode,
  headerScan,
  leanReader,
  line,
  rawLoop,
  withCpu,
} from './scan-parts.js';
import type { AwsDescription } from '../lib/storage/s3-client.js';
import { createStorage } from '../lib/storage/from-description.js';
import { ScanPool } from '../lib/pool/scan-pool.js';
import { startMemS3Server } from '../test/helpers/mem-s3-server.js';

/**
 * 100 k small objects: header scan in its own process (peak RSS is the scan's alone), raw loop over all keys, full
 * decode on a subset.
 */
export async function scaleCase(n: (typeof COUNTS)['small']): Promise<BenchLine> {
  const teardown: (() => unknown)[] = [];
  try {
    const distinct = await generatedImages({ count: n.scaleDistinct, edge: [320, 1024], seed: 7 });
    const s3 = await startMemS3Server({ teardown: (fn) => teardown.push(fn) }, { child: true });
    const keys = Array.from(
      { length: n.scale },
      (_, i) =>
        `d${String(i % 100).padStart(2, '0')}/img-${String(i).padStart(6, '0')}` +
        path.extname(distinct[i % distinct.length]),
    );
    await s3.load(keys.map((k, i) => [`scale/${k}`, distinct[i % distinct.length]]));
    const desc = awsDesc(s3, 'scale/');
    const step = Math.floor(n.scale / n.scaleDecode);
    const subset = keys
      .filter((_, i) => i % step === 0)
      .slice(0, n.scaleDecode)
      .sort();
    const child = await scanInChild(desc, path.dirname(distinct[0]), subset);
    const lean = leanReader(desc);
    teardown.push(lean.close);
    const raw = await withCpu(() => rawLoop(keys, REMOTE.inflight, lean.head));
    const part = await fullDecode(subset, lean.full);
    const full = { s: (part.s / subset.length) * n.scale, checksum: part.checksum };
    const h = { s: child.s, checksum: child.checksum };
    const l = line(
      `S3 at scale: ${n.scale} objects on the in-memory S3 server ` +
        `(${distinct.length} distinct small images 0.1–1 MP; ` +
        `full decode timed on ${subset.length} keys, extrapolated)`,
      n.scale,
      h,
      raw,
      full,
      {
        figures: {
          peak_rss_mb: child.rss_mb,
          full_decode_subset_files: subset.length,
          ...cpuFigures(n.scale, child, raw),
        },
        params: { raw_inflight: REMOTE.inflight, head_bytes: REMOTE.head, folders: 100, rounds: 1 },
        fullChecksum: child.subset,
        caveat:
          `full-decode scan measured on ${subset.length} evenly spaced keys and extrapolated per file to ${n.scale} ` +
          `(checksum compared on that subset); header scan run once in its own process ` +
          `(peak RSS = that process: main thread + ${THREADS} scan workers); ` +
          `objects bulk-loaded into the server, not PUT one by one`,
      },
    );
    const us = (cpu: number) => ((cpu * 1e6) / n.scale).toFixed(0);
    l.bottleneck =
      `the full-decode scan of small images runs at ${(subset.length / part.s).toFixed(0)} files/s ` +
      `(decode and EXIF rotate, never upscaled); the header scan used ${us(child.cpu)} us of CPU per file ` +
      `in its process (listing 100 folders, 2 scan workers, geometry, buckets, cache files for ${n.scale} samples) ` +
      `against ${us(raw.cpu)} us for the raw loop, ` +
      `on 2 cores shared with the server process`;
    return l;
  } finally {
    for (const fn of teardown.reverse()) await fn();
  }
}

/** Runs bench/scan.ts with --scale-child: the header scan alone in a fresh process. */
async function scanInChild(
  desc: AwsDescription,
  root: string,
  subset: string[],
): Promise<{ s: number; cpu: number; rss_mb: number; checksum: string; subset: string; files: number }> {
  const self = fileURLToPath(new URL('./scan.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--scale-child'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TF_BENCH_SCAN_JOB: JSON.stringify({ desc, root, subset }) },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`scale scan child failed (${code}): ${out.slice(-500)}`);
  return JSON.parse(last) as Awaited<ReturnType<typeof scanInChild>>;
}

export async function scaleChild(): Promise<void> {
  const job = JSON.parse(process.env.TF_BENCH_SCAN_JOB ?? '{}') as {
    desc: AwsDescription;
    root: string;
    subset: string[];
  };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tf-bench-scale-'));
  const storage = createStorage(job.desc);
  const pool = new ScanPool({ threads: THREADS });
  try {
    const cfg = await dataset(job.root);
    const h = await withCpu(() => headerScan(storage, cfg, pool, tmp, job.subset));
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(
      JSON.stringify({
        s: h.s,
        cpu: h.cpu,
        files: h.files,
        rss_mb: +rss.toFixed(0),
        checksum: h.checksum,
        subset: h.subset,
      }),
    );
  } finally {
    await pool.close();
    await storage.close();
    await rm(tmp, { recursive: true, force: true });
  }
}
