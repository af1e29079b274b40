// S3 listing rate: the default parallel listing (StartAfter key ranges) vs one sequential flat listing, same keys.
// In-memory S3 server in its own process; optional list latency through a delaying proxy. One JSON line per case.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { benchScale, checksumOf } from './corpus.js';
import type { BenchLine } from './results.js';
import { S3Storage } from '../lib/storage/s3.js';
import { S3_DEFAULTS } from '../lib/storage/s3-client.js';
import { startMemS3Server, type MemS3Server } from '../test/helpers/mem-s3-server.js';
import { awsDescription } from '../test/helpers/s3-server.js';
import { startFaultProxy } from '../test/helpers/fault-proxy.js';

const KEYS = { tiny: 5000, small: 100_000, full: 100_000 };
/** Parallel and flat alternate this many times; the ratio of each pair gives the spread. */
const ROUNDS = 3;
/** Latency added to each list request in the latency cases: S3 takes roughly this long to return a 1000-key page. */
const LATENCY_MS = 100;

interface Layout {
  name: string;
  keys: (n: number) => string[];
}

const LAYOUTS: Layout[] = [
  { name: 'flat', keys: (n) => Array.from({ length: n }, (_, i) => `img-${String(i).padStart(6, '0')}.png`) },
  {
    name: '100 folders',
    keys: (n) =>
      Array.from({ length: n }, (_, i) => `d${String(i % 100).padStart(2, '0')}/img-${String(i).padStart(6, '0')}.jpg`),
  },
];

interface Round {
  s: number;
  /** Client process CPU (user + system), seconds: robust on a loaded machine where wall time is not. */
  cpu: number;
  requests: number;
  checksum: string;
  count: number;
}

/** One full listing; requests counted at the server. */
async function listOnce(srv: MemS3Server, endpoint: string, concurrency: number): Promise<Round> {
  const s3 = new S3Storage(awsDescription(srv, { prefix: 'bench', endpoint, listConcurrency: concurrency }));
  const before = (await srv.stats()).list ?? 0;
  const keys: string[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    for await (const o of s3.list()) keys.push(o.key);
  } finally {
    await s3.close();
  }
  const s = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  return {
    s,
    cpu: (used.user + used.system) / 1e6,
    requests: ((await srv.stats()).list ?? 0) - before,
    checksum: checksumOf(keys),
    count: keys.length,
  };
}

async function runCase(srv: MemS3Server, endpoint: string, n: number): Promise<{ par: Round[]; flat: Round[] }> {
  const par: Round[] = [];
  const flat: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    par.push(await listOnce(srv, endpoint, S3_DEFAULTS.listConcurrency));
    flat.push(await listOnce(srv, endpoint, 1));
    if (par[r].count !== n || flat[r].count !== n) throw new Error(`listed ${par[r].count}/${flat[r].count} of ${n}`);
  }
  return { par, flat };
}

function line(layout: string, n: number, latencyMs: number, par: Round[], flat: Round[]): BenchLine {
  const best = (rs: Round[]) => Math.min(...rs.map((x) => x.s));
  const pairs = par.map((p, i) => flat[i].s / p.s);
  const round = (x: number) => +x.toFixed(3);
  return {
    bench: 'list',
    case: `${n} keys, ${layout}, list latency ${latencyMs} ms`,
    figures: {
      parallel_keys_s: Math.round(n / best(par)),
      flat_keys_s: Math.round(n / best(flat)),
      parallel_cpu_us_per_key: Math.round((Math.min(...par.map((x) => x.cpu)) * 1e6) / n),
      flat_cpu_us_per_key: Math.round((Math.min(...flat.map((x) => x.cpu)) * 1e6) / n),
      parallel_list_requests: par[0].requests,
      flat_list_requests: flat[0].requests,
      ratio_spread_min: round(Math.min(...pairs)),
      ratio_spread_max: round(Math.max(...pairs)),
    },
    ratios: { parallel_vs_flat: round(best(flat) / best(par)) },
    checksum: {
      parallel: par[0].checksum,
      flat: flat[0].checksum,
      same: par.every((p, i) => p.checksum === flat[i].checksum && p.checksum === par[0].checksum),
    },
    params: { rounds: ROUNDS, list_concurrency: S3_DEFAULTS.listConcurrency, page_size: 1000 },
    caveat:
      `best of ${ROUNDS} alternating rounds per side, spread = min–max of the per-round ratios; both sides list ` +
      'the same keys through S3Storage (SDK ListObjectsV2) and the checksum hashes the keys in output order; ' +
      'the server runs in its own process on the same 2 shared cores; CPU = the client process, best round; ' +
      'the parallel side spends more of it (one-key probes, and the last page of each range reaches past its end)' +
      (latencyMs ? `; a proxy in the bench process holds each list request ${latencyMs} ms (S3's page latency)` : ''),
  };
}

async function main(): Promise<void> {
  const n = KEYS[benchScale()];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tf-bench-list-'));
  const teardown: (() => unknown)[] = [];
  const host = { teardown: (fn: () => unknown) => void teardown.push(fn) };
  try {
    const file = path.join(tmp, 'tiny.bin');
    await writeFile(file, 'x');
    const cases: [Layout, number][] = [
      [LAYOUTS[0], 0],
      [LAYOUTS[0], LATENCY_MS],
      [LAYOUTS[1], LATENCY_MS],
    ];
    for (const [layout, latencyMs] of cases) {
      const srv = await startMemS3Server(host, { child: true });
      await srv.load(layout.keys(n).map((k) => [`bench/${k}`, file]));
      const proxy = latencyMs
        ? await startFaultProxy(host, srv.endpoint, () => ({ kind: 'delay', ms: latencyMs }))
        : undefined;
      process.stderr.write(`bench/list: ${n} keys, ${layout.name}, latency ${latencyMs} ms\n`);
      const { par, flat } = await runCase(srv, proxy?.url ?? srv.endpoint, n);
      console.log(JSON.stringify(line(layout.name, n, latencyMs, par, flat)));
      await srv.close();
    }
  } finally {
    for (const fn of teardown.reverse()) await fn();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
