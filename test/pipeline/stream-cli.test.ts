// The stream command's output in real processes: binary frames read by docs/read_batches.py (numpy only), ndjson,
// --save-state/--resume continuity, and a clean exit when the reader closes stdout early.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch } from '../../lib/pipeline/types.js';
import { makeDataset } from '../helpers/runtime-dataset.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, '../helpers/stream-child.ts');
const READER = path.join(here, '../../docs/read_batches.py');

function child(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TUNEFEED_LOG_LEVEL: 'warn' } });
}

function run(args: string[], into?: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = child(args);
    let out = '', err = '';
    if (into) {
      const py = spawn('python3', into, { stdio: ['pipe', 'pipe', 'pipe'] });
      c.stdout.pipe(py.stdin);
      py.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      py.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      py.on('close', (code) => resolve({ code, out, err }));
      return;
    }
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

let root: string;
t.before(async () => { root = await mkdtemp(path.join(os.tmpdir(), 'tf-cli-')); });

t.test('binary frames decode in Python to the same arrays the loader produced', async (t) => {
  const r = await run([root, 'binary', '6'], [READER]);
  t.equal(r.code, 0, r.err);
  const py = r.out.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(py.length, 6);
  const ds = await makeDataset('cli', [5, 4], { root, broken: ['1_5_2.jpg'] });
  const mine: Batch[] = [];
  for await (const b of await createLoader('x', { datasets: [ds], batches: 6, seed: 9 })) mine.push(b as Batch);
  for (let i = 0; i < 6; i++) {
    const b = mine[i]!;
    t.equal(py[i].step, b.step);
    t.equal(py[i].bucket, b.bucket);
    const want = b.samples.map((s) => ({ path: s.path, pixels: { shape: [s.target_size[1], s.target_size[0], 3], sum: s.pixels!.reduce((a, x) => a + x, 0) } }));
    t.same(py[i].samples, want, `batch ${i}: paths, shapes and pixel sums`);
  }
});

t.test('ndjson carries the documented fields; skipped samples are listed', async (t) => {
  const r = await run([root, 'ndjson', '8']);
  t.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, 8);
  for (const l of lines) {
    t.hasProps(l, ['step', 'epoch', 'dataset', 'bucket', 'samples']);
    for (const s of l.samples) t.hasProps(s, ['path', 'caption', 'original_size', 'intermediary_size', 'target_size', 'crop_coordinates', 'aspect_ratio']);
  }
});

t.test('--save-state then --resume continues exactly', async (t) => {
  const state = path.join(root, 'state.json');
  const whole = await run([root, 'ndjson', '7']);
  const a = await run([root, 'ndjson', '3', state]);
  const b = await run([root, 'ndjson', '4', path.join(root, 'state2.json'), state]);
  t.equal(a.code, 0, a.err);
  t.equal(b.code, 0, b.err);
  t.equal(a.out + b.out, whole.out);
});

t.test('a reader that closes stdout early stops the stream cleanly (exit 0, no stack)', async (t) => {
  const c = child([root, 'binary', '100000']);
  let err = '';
  c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  await new Promise<void>((resolve) => c.stdout.once('data', () => { c.stdout.destroy(); resolve(); }));
  const code = await new Promise<number | null>((resolve) => c.on('close', resolve));
  t.equal(code, 0, err);
  t.match(err, /"readerClosed":true/);
  t.notMatch(err, /at .*\.ts:\d+/, 'no stack trace');
});
