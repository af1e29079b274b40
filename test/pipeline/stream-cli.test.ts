// The stream command's output in real processes: binary frames read by docs/read_batches.py (numpy only), ndjson,
// a clean exit when the reader closes stdout early.
import t from 'tap';
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch } from '../../lib/pipeline/types.js';
import { makeDataset } from '../helpers/runtime-dataset.js';
import { childOutput, type ChildOutput } from '../helpers/child-output.js';
import { writeStreamConfig } from '../helpers/stream-config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, '../helpers/stream-child.ts');
const READER = path.join(here, '../../docs/read_batches.py');

/** An array summary as docs/read_batches.py prints it. */
interface PyArray {
  shape: number[];
  sum: number;
}

/** One sample of a frame as docs/read_batches.py prints it. */
interface PySample {
  path: string;
  caption: string;
  pixels: PyArray;
  latents?: PyArray;
  conditioning?: PyArray[];
}

/** One frame as docs/read_batches.py prints it (one JSON line per frame). */
interface PyFrame {
  step: number;
  bucket: string;
  samples: PySample[];
}

/** One line of the CLI's ndjson output, as far as these tests read it. */
interface NdjsonLine {
  samples: object[];
}

/** Each CLI test runs with the prefetch thread (default) and without it (TUNEFEED_PREFETCH_THREAD=0). */
const THREADS = [true, false] as const;
const envFor = (thread: boolean) => ({
  ...process.env,
  TUNEFEED_LOG_LEVEL: 'warn',
  TUNEFEED_PREFETCH_THREAD: thread ? '1' : '0',
});

function child(thread: boolean, args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: envFor(thread),
  });
}

/** docs/read_batches.py, reading `source`'s stdout when given (else write to its stdin). */
function reader(source?: ChildProcess): ChildProcessByStdio<Writable, Readable, Readable> {
  const py = spawn('python3', [READER], { stdio: ['pipe', 'pipe', 'pipe'] });
  source?.stdout!.pipe(py.stdin);
  return py;
}

/** One JSON value per output line. */
const jsonLines = <T>(out: string): T[] =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);

/** The stream child's output, or (`throughReader`) the Python reader's output of it. */
function run(thread: boolean, args: string[], throughReader = false): Promise<ChildOutput> {
  const c = child(thread, args);
  return throughReader ? childOutput(reader(c), c) : childOutput(c);
}

let root: string;
t.before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tf-cli-'));
});

for (const thread of THREADS)
  t.test(`binary frames decode in Python to the same arrays the loader produced (thread: ${thread})`, async (t) => {
    const r = await run(thread, [root, 'binary', '6'], true);
    t.equal(r.code, 0, r.err);
    const py = jsonLines<PyFrame>(r.out);
    t.equal(py.length, 6);
    const ds = await makeDataset('cli', [5, 4], { root, broken: ['1_5_2.jpg'] });
    const mine: Batch[] = [];
    for await (const b of await createLoader('x', { thread, datasets: [ds], batches: 6, seed: 9 })) mine.push(b);
    for (let i = 0; i < 6; i++) {
      const b = mine[i];
      t.equal(py[i].step, b.step);
      t.equal(py[i].bucket, b.bucket);
      const want = b.samples.map((s) => ({
        path: s.path,
        caption: s.caption,
        pixels: { shape: [s.target_size[1], s.target_size[0], 3], sum: s.pixels!.reduce((a, x) => a + x, 0) },
      }));
      t.same(py[i].samples, want, `batch ${i}: paths, shapes and pixel sums`);
    }
  });

for (const thread of THREADS)
  t.test(`ndjson carries the documented fields; skipped samples are listed (thread: ${thread})`, async (t) => {
    const r = await run(thread, [root, 'ndjson', '8']);
    t.equal(r.code, 0, r.err);
    const lines = jsonLines<NdjsonLine>(r.out);
    t.equal(lines.length, 8);
    for (const l of lines) {
      t.hasProps(l, ['step', 'epoch', 'dataset', 'bucket', 'samples']);
      for (const s of l.samples)
        t.hasProps(s, [
          'path',
          'caption',
          'original_size',
          'intermediary_size',
          'target_size',
          'crop_coordinates',
          'aspect_ratio',
        ]);
    }
  });

for (const thread of THREADS)
  t.test(
    `a reader that closes stdout early stops the stream cleanly (exit 0, no stack) (thread: ${thread})`,
    async (t) => {
      const c = child(thread, [root, 'binary', '100000']);
      let err = '';
      c.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      await new Promise<void>((resolve) =>
        c.stdout.once('data', () => {
          c.stdout.destroy();
          resolve();
        }),
      );
      const code = await new Promise<number | null>((resolve) => c.on('close', resolve));
      t.equal(code, 0, err);
      t.match(err, /"readerClosed":true/);
      t.notMatch(err, /at .*\.ts:\d+/, 'no stack trace');
    },
  );

for (const thread of THREADS)
  t.test(
    'end to end: `tunefeed stream CONFIG` (config → factory → scan → loader) ' +
      `binary into the Python reader (thread: ${thread})`,
    async (t) => {
      const cfg = await writeStreamConfig(await mkdtemp(path.join(os.tmpdir(), 'tf-e2e-')), 'e2e', 8);
      const main = path.join(here, '../../lib/cli/main.ts');
      const args = [
        'stream',
        cfg,
        '--epochs',
        '1',
        '--format',
        'binary',
        '--rank',
        '1',
        '--world-size',
        '2',
        '--seed',
        '4',
      ];
      const c = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: envFor(thread),
      });
      const r = await childOutput(reader(c), c);
      t.equal(r.code, 0, r.err);
      const frames = jsonLines<PyFrame>(r.out);
      t.equal(frames.length, 2, '8 images, global batch 2×2 → 2 steps, one frame per step for rank 1');
      for (const f of frames) {
        t.equal(f.samples.length, 2);
        for (const s of f.samples) t.same(s.pixels.shape, [48, 48, 3]);
      }
    },
  );

t.test('conditioning and latent arrays round-trip through the Python reader', async (t) => {
  const { encodeFrame } = await import('../../lib/pipeline/binary-format.js');
  const px = (n: number) => new Uint8Array(2 * 3 * 3).fill(n);
  const latent = new Uint8Array(new Float32Array([1.5, -2, 0.25, 4]).buffer);
  const meta = {
    key: 'k',
    path: '/p/k.png',
    caption: 'c',
    original_size: [3, 2] as [number, number],
    intermediary_size: [3, 2] as [number, number],
    target_size: [3, 2] as [number, number],
    crop_coordinates: [0, 0] as [number, number],
    aspect_ratio: 1.5,
  };
  const batch: Batch = {
    step: 7,
    epoch: 2,
    dataset: 'd',
    bucket: '1.5',
    rank: 0,
    worldSize: 1,
    skipped: [],
    samples: [
      {
        ...meta,
        pixels: px(1),
        conditioning: [
          { dataset: 'c1', path: '/c1/k.png', pixels: px(2) },
          { dataset: 'c2', path: '/c2/k.png', pixels: px(3) },
        ],
      },
      { ...meta, latents: { dtype: 'float32', shape: [2, 2], data: latent } },
    ],
  };
  const py = reader();
  const done = childOutput(py);
  for (const chunk of [...encodeFrame(batch), ...encodeFrame({ ...batch, step: 8 })]) py.stdin.write(chunk);
  py.stdin.end();
  const r = await done;
  t.equal(r.code, 0, r.err);
  const [first, second] = jsonLines<PyFrame>(r.out);
  t.same(first.samples[0], {
    path: '/p/k.png',
    caption: batch.samples[0].caption,
    pixels: { shape: [2, 3, 3], sum: 18 },
    conditioning: [
      { shape: [2, 3, 3], sum: 36 },
      { shape: [2, 3, 3], sum: 54 },
    ],
  });
  t.same(first.samples[1].latents, { shape: [2, 2], sum: 3.75 });
  t.equal(second.step, 8);
});
