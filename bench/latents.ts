// Cached-latent batches: tunefeed's readLatents (read + unzip + unpickle) vs a raw fs.readFile loop over the same
// files.
// Latent files are written once by Debian's torch (/usr/bin/python3) with SimpleTuner's names, and cached in the
// corpus.
import { spawnSync } from 'node:child_process';
import { readFile, stat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { asFloat32 } from '../lib/embeds/tensor.js';
import { readLatents } from '../lib/embeds/latents.js';
import { vaeCacheKey } from '../lib/embeds/cache-keys.js';
import { LocalStorage } from '../lib/storage/local.js';
import { benchScale, CORPUS_DIR } from './corpus.js';
import type { BenchLine } from './results.js';

const PYTHON = '/usr/bin/python3';
const BATCH = 8;
const ROUNDS = 5;

interface Spec {
  count: number;
  shape: [number, number, number];
  compress: boolean;
}

const SCALES: Record<'tiny' | 'small' | 'full', { count: number; shape: [number, number, number] }> = {
  tiny: { count: 32, shape: [4, 32, 32] },
  small: { count: 512, shape: [4, 128, 128] }, // SDXL at 1024 px: 128 KiB of bf16 per file
  full: { count: 1024, shape: [16, 128, 128] }, // Flux at 1024 px: 512 KiB per file
};

// One python process writes every file: bf16 latents as SimpleTuner's VAECache stores them (torch.save, optional gzip).
const WRITER = `
import gzip, io, os, sys, torch
out, compress = sys.argv[1], sys.argv[6] == "1"
count, c, h, w = (int(a) for a in sys.argv[2:6])
g = torch.Generator().manual_seed(7)
for line in sys.stdin:
    name = line.strip()
    buf = io.BytesIO()
    torch.save(torch.randn(c, h, w, generator=g).bfloat16(), buf)
    data = gzip.compress(buf.getvalue(), mtime=0) if compress else buf.getvalue()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
`;

async function ensureFiles(spec: Spec): Promise<{ dir: string; keys: string[] } | null> {
  const dir = path.join(CORPUS_DIR, `latents-bench-${spec.count}-${spec.shape.join('x')}${spec.compress ? '-gz' : ''}`);
  const keys = Array.from({ length: spec.count }, (_, i) => vaeCacheKey('', `img-${String(i).padStart(6, '0')}.png`));
  const have = await readdir(dir).then(
    (f) => f.length,
    () => 0,
  );
  if (have >= spec.count) return { dir, keys };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const r = spawnSync(
    PYTHON,
    ['-c', WRITER, dir, String(spec.count), ...spec.shape.map(String), spec.compress ? '1' : '0'],
    { input: keys.join('\n'), stdio: ['pipe', 'ignore', 'pipe'] },
  );
  if (r.status !== 0) {
    process.stderr.write(
      `bench/latents: torch writer failed (apt-get install -y python3-torch): ${r.stderr?.toString().slice(-300)}\n`,
    );
    return null;
  }
  return { dir, keys };
}

function batches(keys: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < keys.length; i += BATCH) out.push(keys.slice(i, i + BATCH));
  return out;
}

/** Raw baseline: the same batches, the same number of reads in flight, bytes only. */
async function rawPass(dir: string, all: string[][]): Promise<number> {
  let bytes = 0;
  for (const b of all) {
    const bufs = await Promise.all(b.map((k) => readFile(path.join(dir, k))));
    for (const x of bufs) bytes += x.byteLength;
  }
  return bytes;
}

/** The storage layer alone (LocalStorage.read, no parsing): attributes tunefeed's overhead between I/O and decode. */
async function storagePass(storage: LocalStorage, all: string[][]): Promise<number> {
  let bytes = 0;
  for (const b of all) for (const x of await Promise.all(b.map((k) => storage.read(k)))) bytes += x.byteLength;
  return bytes;
}

async function tunefeedPass(storage: LocalStorage, all: string[][], toFloat: boolean): Promise<number> {
  let elements = 0;
  for (const b of all) {
    const tensors = await readLatents(storage, b, { concurrency: BATCH });
    for (const x of tensors) elements += toFloat ? asFloat32(x).length : x.data.byteLength / 2;
  }
  return elements;
}

async function timed(fn: () => Promise<number>): Promise<{ seconds: number; result: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { seconds: (performance.now() - t0) / 1000, result };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function runCase(spec: Spec): Promise<BenchLine> {
  const gzip = spec.compress ? ' gzip (compress_cache)' : '';
  const label = `bf16 ${JSON.stringify(spec.shape)} ×${spec.count}${gzip}, batch ${BATCH}`;
  const files = await ensureFiles(spec);
  if (!files)
    return {
      bench: 'latents',
      case: label,
      figures: {},
      ratios: { vs_raw_read: null },
      caveat: 'python3-torch missing: no latent files',
    };
  const all = batches(files.keys);
  const storage = new LocalStorage({ id: 'bench-vae', root: files.dir });
  let fileBytes = 0;
  for (const k of files.keys) fileBytes += (await stat(path.join(files.dir, k))).size;
  await rawPass(files.dir, all); // warm the page cache for both sides
  await tunefeedPass(storage, all, false);
  const raw: number[] = [];
  const tf: number[] = [];
  const tf32: number[] = [];
  const st: number[] = [];
  let elements = 0;
  for (let r = 0; r < ROUNDS; r++) {
    raw.push((await timed(() => rawPass(files.dir, all))).seconds);
    st.push((await timed(() => storagePass(storage, all))).seconds);
    const t = await timed(() => tunefeedPass(storage, all, false));
    tf.push(t.seconds);
    elements = t.result;
    tf32.push((await timed(() => tunefeedPass(storage, all, true))).seconds);
  }
  const [rawS, tfS, tf32S, stS] = [median(raw), median(tf), median(tf32), median(st)];
  const mb = fileBytes / 2 ** 20;
  const expectedElements = spec.count * spec.shape.reduce((a, b) => a * b, 1);
  return {
    bench: 'latents',
    case: label,
    figures: {
      tunefeed_batches_s: round(all.length / tfS),
      raw_batches_s: round(all.length / rawS),
      tunefeed_mb_s: round(mb / tfS),
      raw_mb_s: round(mb / rawS),
      tunefeed_f32_batches_s: round(all.length / tf32S),
      storage_only_batches_s: round(all.length / stS),
    },
    ratios: {
      vs_raw_read: round(rawS / tfS, 3),
      f32_vs_raw_read: round(rawS / tf32S, 3),
      parse_vs_storage_only: round(stS / tfS, 3),
    },
    checksum: {
      files: spec.count,
      file_mb: round(mb),
      tensor_elements: elements,
      expected_elements: expectedElements,
      same: elements === expectedElements,
    },
    params: { batch: BATCH, reads_in_flight: BATCH, rounds: ROUNDS, statistic: 'median' },
    caveat:
      'Page cache warm for both sides; raw reads bytes only, tunefeed also unzips and unpickles ' +
      '(f32 adds bf16→float32).' +
      (spec.compress ? ' gzip files must be inflated; the raw loop does not inflate.' : ''),
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main(): Promise<void> {
  const base = SCALES[benchScale()];
  for (const compress of [false, true]) {
    const line = await runCase({ ...base, compress });
    console.log(JSON.stringify(line));
  }
}

await main();
