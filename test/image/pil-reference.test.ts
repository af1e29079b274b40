// Every delivered sample equals Python PIL's own pipeline on the same file (exif_transpose → convert("RGB") →
// LANCZOS to intermediary_size → crop at crop_coordinates), for real images of every format tunefeed decodes:
// JPEG (RGB, EXIF-rotated, grayscale, CMYK), PNG (RGB, RGBA, LA, palette with tRNS, gray, 16-bit RGB and gray),
// WebP (lossy RGB, lossless RGBA), GIF (opaque, with a transparent index), BMP, TIFF (RGB, RGBA). Read from a real
// `tunefeed stream --format binary` process by test/helpers/pil-compare.py through docs/read_batches.py.
//
// Tolerance: per channel at most 8 levels (of 255) at any pixel and at most 0.5 on average per sample. Both libraries
// resample with Lanczos-3 but quantise the weights and round differently, and libjpeg-turbo (PIL) and mozjpeg
// (sharp) round the inverse DCT differently; measured here: mean ≤ 0.32 everywhere, max 1–2 for the 1.5× resize,
// up to 6 at the hard edge of the red disc when the whole image is squeezed to 128×64. A real defect is far
// outside: sharp's premultiplied resize of translucent pixels was up to 235 levels off, CMYK through an ICC profile
// 111, 16-bit gray clipped by PIL 253, WebP fast shrink-on-load 32, a GIF's transparent index
// read as black (libvips) instead of its palette colour (PIL) far more.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childOutput } from '../helpers/child-output.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, '../..');
const PYTHON = '/usr/bin/python3';
const MAX_LEVELS = 8;
const MAX_MEAN = 0.5;

interface Compared {
  path: string;
  shape: number[];
  ref_shape: number[];
  max: number | null;
  mean: number | null;
}

/** Stream every sample of the config once and compare it in Python; resolves with one record per sample. */
async function streamAndCompare(cfg: string): Promise<{ code: number | null; rows: Compared[]; err: string }> {
  const cli = path.join(ROOT, 'lib/cli/main.ts');
  const tf = spawn(process.execPath, ['--import', 'tsx', cli, 'stream', cfg, '--epochs', '1', '--format', 'binary'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'warn' },
  });
  const py = spawn(PYTHON, [path.join(ROOT, 'test/helpers/pil-compare.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  tf.stdout.pipe(py.stdin);
  const { code, out, err } = await childOutput(py, tf);
  const rows = out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Compared);
  return { code: code || tf.exitCode, rows, err };
}

t.test('every delivered sample of every format matches PIL within 8 levels (mean ≤ 0.5)', async (t) => {
  const dir = t.testdir({ img: {} });
  const img = path.join(dir, 'img');
  const gen = spawnSync(PYTHON, [path.join(ROOT, 'test/helpers/pil-images.py'), img], { encoding: 'utf8' });
  t.equal(gen.status, 0, gen.stderr);
  const files = readdirSync(img).sort();
  t.equal(files.length, 18, `18 images written: ${files.join(' ')}`);
  const common = {
    type: 'local',
    instance_data_dir: img,
    resolution_type: 'pixel',
    caption_strategy: 'filename',
    train_batch_size: 1,
  };
  const cfg = path.join(dir, 'mdb.json');
  await writeFile(
    cfg,
    JSON.stringify([
      // Resize to 96×64 (or 64×96) and a random square crop: every crop offset is exercised.
      { ...common, id: 'crop', resolution: 64, crop: true, crop_style: 'random', crop_aspect: 'square' },
      // No crop: the whole image resized to an 80-pixel short edge (aligned), as a non-square bucket.
      { ...common, id: 'whole', resolution: 80, crop: false, cache_dir_vae: path.join(dir, 'vae-whole') },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: path.join(dir, 'te') },
    ]),
  );
  const r = await streamAndCompare(cfg);
  t.equal(r.code, 0, r.err);
  for (const f of files) {
    const seen = r.rows.filter((x) => path.basename(x.path) === f);
    t.equal(seen.length, 2, `${f}: delivered once per dataset`);
    for (const s of seen) {
      t.same(s.shape, s.ref_shape, `${f}: shape ${s.shape.join('×')} as PIL's`);
      const where = `${f} ${s.shape.join('×')}`;
      t.ok(s.max !== null && s.max <= MAX_LEVELS, `${where}: max difference ${s.max} ≤ ${MAX_LEVELS}`);
      t.ok(s.mean !== null && s.mean <= MAX_MEAN, `${f}: mean difference ${s.mean?.toFixed(3)} ≤ ${MAX_MEAN}`);
    }
  }
});
