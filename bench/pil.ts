// tunefeed's decode path vs SimpleTuner's PIL TrainingSample pipeline (bench/pil-pipeline.py) at equal parallelism.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { computeGeometry } from '../lib/metadata/geometry.js';
import { DecodePool } from '../lib/pool/decode-pool.js';
import { benchScale, checksumOf, CORPUS_DIR, generatedImages, lomiriPhotos } from './corpus.js';
import type { BenchLine } from './results.js';
import { median, medianIndex, spread } from './stats.js';
import { comparePixels } from './pil-pixels.js';
import { benchGeometry } from './square-bucket.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

/** One image's work order, identical for both pipelines. */
interface Job {
  path: string;
  intermediary: [number, number];
  crop: [number, number];
  target: [number, number];
}

const GEOMETRY = benchGeometry(512, 'preserve');

/** Install python3-pil with apt-get when it is missing (allowed by the issue); false when that is impossible. */
function ensurePil(): boolean {
  const probe = (): boolean => spawnSync(PYTHON, ['-c', 'import PIL'], { stdio: 'ignore' }).status === 0;
  if (probe()) return true;
  // Tests set TUNEFEED_BENCH_NO_INSTALL: they must not reach the network.
  if (process.getuid?.() !== 0 || process.env.TUNEFEED_BENCH_NO_INSTALL) return false;
  process.stderr.write('bench/pil: installing python3-pil with apt-get\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['install', '-y', '-q', 'python3-pil'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return probe();
}

async function jobsFor(files: string[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const file of files) {
    const m = await sharp(file).metadata();
    const w = m.autoOrient?.width ?? m.width ?? 0;
    const h = m.autoOrient?.height ?? m.height ?? 0;
    const g = computeGeometry([w, h], GEOMETRY, () => 0.5);
    jobs.push({ path: file, intermediary: g.intermediary_size, crop: g.crop_coordinates, target: g.target_size });
  }
  return jobs;
}

/**
 * tunefeed's per-sample transform, done the way tunefeed does it: sharp on the libuv pool with `parallelism` images in
 * flight (EXIF auto-orient, Lanczos3 to the intermediary, crop, RGB), returning raw pixels like the PIL side.
 */
async function sharpPipeline(jobs: Job[], parallelism: number): Promise<{ seconds: number; shapes: number[] }> {
  const shapes = new Array<number>(jobs.length * 3);
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const j = jobs[i];
      const { data, info } = await sharp(j.path)
        .autoOrient()
        .resize(j.intermediary[0], j.intermediary[1], { fit: 'fill', kernel: 'lanczos3' })
        .extract({ left: j.crop[1], top: j.crop[0], width: j.target[0], height: j.target[1] })
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      shapes[i * 3] = info.width;
      shapes[i * 3 + 1] = info.height;
      shapes[i * 3 + 2] = data.length;
    }
  };
  await Promise.all(Array.from({ length: parallelism }, lane));
  return { seconds: (performance.now() - started) / 1000, shapes };
}

/**
 * tunefeed's decode path as the loader runs it: lib/pool's DecodePool (one worker thread, `parallelism` tasks in
 * flight,
 * each reading the file through LocalStorage and decoding with lib/image's decodeToTarget), pixels moved back.
 */
async function poolPipeline(
  jobs: Job[],
  parallelism: number,
): Promise<{ seconds: number; shapes: number[]; failed: number }> {
  const pool = new DecodePool({ threads: 1, tasksPerThread: parallelism });
  const storage = { kind: 'local' as const, id: 'bench', root: CORPUS_DIR };
  const task = (j: Job) => ({
    storage,
    key: path.relative(CORPUS_DIR, j.path),
    geometry: { intermediary_size: j.intermediary, target_size: j.target, crop_coordinates: j.crop },
  });
  try {
    await Promise.all(jobs.slice(0, parallelism).map((j) => pool.run(task(j)))); // warm-up: worker start, codecs
    const shapes = new Array<number>(jobs.length * 3);
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      jobs.map(async (j, i) => {
        const r = await pool.run(task(j));
        if (!r.ok || r.kind !== 'pixels') {
          failed++;
          return;
        }
        shapes[i * 3] = r.width;
        shapes[i * 3 + 1] = r.height;
        shapes[i * 3 + 2] = r.pixels.byteLength;
      }),
    );
    return { seconds: (performance.now() - started) / 1000, shapes, failed };
  } finally {
    await pool.close();
  }
}

interface PilResult {
  images: number;
  seconds: number;
  images_s: number;
  checksum: string;
  pil_version: string;
  python: string;
}

async function pilPipeline(jobs: Job[], processes: number): Promise<PilResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-pil-'));
  try {
    const jobFile = path.join(dir, 'jobs.json');
    await writeFile(jobFile, JSON.stringify(jobs));
    const out = execFileSync(PYTHON, [path.join(here, 'pil-pipeline.py'), jobFile, String(processes)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as PilResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function rounds(): number {
  return { tiny: 2, small: 4, full: 5 }[benchScale()];
}

/**
 * Every round runs the three pipelines once each; the ratio is the median of the per-round ratios, with their
 * min–max as its spread, and each pipeline's figures come from its median round.
 */
async function measureRounds(jobs: Job[], parallelism: number, pilOk: boolean) {
  const tfs: Awaited<ReturnType<typeof poolPipeline>>[] = [];
  const inprocs: Awaited<ReturnType<typeof sharpPipeline>>[] = [];
  const pils: PilResult[] = [];
  for (let r = 0; r < rounds(); r++) {
    tfs.push(await poolPipeline(jobs, parallelism));
    inprocs.push(await sharpPipeline(jobs, parallelism));
    if (pilOk) pils.push(await pilPipeline(jobs, parallelism));
  }
  const mid = <T extends { seconds: number }>(xs: T[]): T => xs[medianIndex(xs.map((x) => x.seconds))];
  return {
    tf: mid(tfs),
    inproc: mid(inprocs),
    pil: pils.length ? mid(pils) : null,
    perRound: pils.map((p, i) => p.seconds / tfs[i].seconds),
  };
}

async function runCase(name: string, files: string[], parallelism: number, pilOk: boolean): Promise<BenchLine> {
  if (!files.every((f) => f.startsWith(CORPUS_DIR))) throw new Error(`corpus files must live under ${CORPUS_DIR}`);
  const jobs = await jobsFor(files);
  await sharpPipeline(jobs.slice(0, parallelism), parallelism); // warm-up for the in-process reference
  const { tf, inproc, pil, perRound } = await measureRounds(jobs, parallelism, pilOk);
  const tfRate = jobs.length / tf.seconds;
  const tfSum = checksumOf(tf.shapes);
  // Untimed: tunefeed's pixels against PIL's on every image (max/mean abs diff), shrink-on-load on and off.
  const pixels = pilOk ? await comparePixels(jobs, PYTHON) : null;
  return {
    bench: 'pil',
    case: `${name} ×${parallelism}`,
    figures: {
      images: jobs.length,
      tunefeed_img_s: tfRate,
      pil_img_s: pil?.images_s ?? null,
      inprocess_sharp_img_s: jobs.length / inproc.seconds,
      tunefeed_s: tf.seconds,
      pil_s: pil?.seconds ?? null,
      tunefeed_failed: tf.failed,
      ...(pixels ?? {}),
    },
    ratios: { vs_pil: pil ? median(perRound) : null },
    ...(pil ? { spread: { vs_pil: spread(perRound) } } : {}),
    checksum: {
      tunefeed: tfSum,
      pil: pil?.checksum ?? 'not run',
      inprocess_sharp: checksumOf(inproc.shapes),
      same_shapes: pil ? pil.checksum === tfSum : false,
    },
    params: {
      parallelism,
      rounds: rounds(),
      statistic:
        'median of per-round ratios (all pipelines once per round); figures from the median round; spread = min–max',
      resolution: 512,
      resolution_type: 'pixel',
      crop: 'preserve/center',
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    },
    caveat:
      'tunefeed = lib/pool DecodePool (1 worker thread, N decodes in flight; read via LocalStorage, EXIF rotate, ' +
      'RGB, lanczos3 resize to the intermediary, crop, pixels moved back); inprocess_sharp = the same sharp calls on ' +
      'the main thread, for reference. PIL = N forked processes doing open/exif_transpose/convert RGB/LANCZOS/crop ' +
      '(pool started before timing). Both get the same geometry per image; sharp may use JPEG shrink-on-load, which ' +
      "is part of why it is faster. pixel_*: absolute difference of tunefeed's delivered pixels from PIL's on every " +
      'image (0–255 per channel value; max, mean, worst per-image mean), with JPEG shrink-on-load (the default) ' +
      'and without (_no_shrink); decode_img_s_*: decodeToTarget one image at a time on this thread with each setting.' +
      (pil ? '' : ' python3-pil could not be installed, so the PIL side did not run.'),
    ...(pil ? { versions: { python: pil.python, 'python3-pil': pil.pil_version } } : {}),
  };
}

async function main(): Promise<void> {
  const scale = benchScale();
  const pilOk = ensurePil();
  const photos = scale === 'tiny' ? [] : await lomiriPhotos();
  const generated = await generatedImages({
    count: scale === 'tiny' ? 4 : scale === 'full' ? 96 : 24,
    edge: scale === 'tiny' ? [256, 400] : [768, 1600],
  });
  const cases: [string, string[]][] = [
    [`generated (JPEG/WebP/PNG, long edge ${scale === 'tiny' ? '256–400' : '768–1600'} px)`, generated],
  ];
  if (photos.length) cases.unshift(['lomiri photos (real, 1.4–16 MP)', photos]);
  for (const [name, files] of cases) {
    for (const parallelism of scale === 'full' ? [1, 2] : [2]) {
      console.log(JSON.stringify(await runCase(name, files, parallelism, pilOk)));
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/pil: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
