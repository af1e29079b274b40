// The capstone: a Python trainer reading the real `tunefeed stream --format binary` process fed from a real s3rver
// gets, for every sample, what SimpleTuner's loader would give it: the caption of `name.txt`, PIL's pixels, the text
// embeds and the latents of the cache files SimpleTuner names (`<md5(caption)>-flux.pt`, `<sub>/<sha256(stem)>.pt`),
// element for element; the bucket with missing latents is decoded and stderr names exactly the missing samples.
//
// The .pt files are written without torch by test/helpers/write-caches.py (CPython's pickle in torch.save's zip
// layout): torch is installed by bench/setup-bench-tools, not by .ci/setup-test-tools, so CI may lack it, and a
// fixed fixture could not give every caption and image its own values (a mix-up would go unseen). Where torch is
// installed the reader also checks each file with the real torch.load, and this test then requires it did.
// Pixel tolerance is test/image/pil-reference.test.ts's: at most 8 levels at any pixel, at most 0.5 on average.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, '../..');
const PYTHON = '/usr/bin/python3';
const HELPERS = path.join(ROOT, 'test/helpers');
const MAX_LEVELS = 8;
const MAX_MEAN = 0.5;
const FAMILY = 'flux';
const PREFIX = 'photos/';
const VAE_DIR = `cache/vae/${FAMILY}/photos`;
const TEXT_DIR = `cache/text/${FAMILY}`;

/**
 * Bucket key → [source image of the portrait (P, 100×150) or landscape (L, 150×100) set, caption file text].
 * Portrait images are under photos/portrait/; photos/la.png sits right under aws_data_prefix, where SimpleTuner's
 * str.replace leaves "photos" in its latent's path (<cache_dir_vae>/photos/<sha256>.pt).
 */
const IMAGES: Record<string, [string, string]> = {
  'photos/portrait/alpha/rgba.png': ['P/rgba.png', 'a translucent ramp over a red disc'],
  'photos/portrait/alpha/palette-trns.png': ['P/palette-trns.png', 'a palette with a transparent index\n'],
  'photos/portrait/print/cmyk.jpg': ['P/cmyk.jpg', '  a CMYK print, spaces kept  '],
  'photos/portrait/deep/rgb16.png': ['P/rgb16.png', 'sixteen bits per channel\n\nrgb16, second caption\n'],
  'photos/portrait/deep/gray16.png': ['P/gray16.png', 'gray, 16-bit, ünïcode'],
  'photos/portrait/camera/rgb-exif6.jpg': ['P/rgb-exif6.jpg', 'turned upright by its EXIF orientation'],
  'photos/landscape/rgb.jpg': ['L/rgb.jpg', 'a landscape jpeg'],
  'photos/landscape/web/rgb.webp': ['L/rgb.webp', 'a landscape webp with the same stem'],
  'photos/landscape/web/rgba.webp': ['L/rgba.webp', 'a lossless webp with alpha\n'],
  'photos/la.png': ['L/la.png', 'gray with alpha, right under the prefix'],
};
/** Images whose latent is left out of the cache: their bucket (portrait) falls back to decoding. */
const NO_LATENT = ['photos/portrait/alpha/rgba.png', 'photos/portrait/print/cmyk.jpg'];
const LATENT_DTYPES = ['bfloat16', 'float16', 'float32'];

interface TensorCheck {
  dtype: string;
  shape: number[];
  equal: boolean;
  torch_equal: boolean | null;
}
interface SampleCheck {
  key: string;
  bucket: string;
  caption: string;
  caption_lines: string[];
  caption_ok: boolean;
  text_file: string;
  text_embeds: Record<string, TensorCheck> | null;
  text_embeds_extra: string[];
  latent?: { file: string; dtype: string; shape: number[]; found: boolean } & Partial<TensorCheck>;
  pixels?: { shape: number[]; ref_shape: number[]; max: number | null; mean: number | null };
  latent_file_present?: boolean;
}

const torchInstalled = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

function python(args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

/** Stage images, captions and caches in a folder that mirrors the bucket, then upload every file. */
async function seedBucket(srv: S3Server, dir: string): Promise<void> {
  const stage = path.join(dir, 'stage');
  for (const [set, w, h] of [
    ['P', 100, 150],
    ['L', 150, 100],
  ] as const) {
    mkdirSync(path.join(dir, set));
    python([path.join(HELPERS, 'pil-images.py'), path.join(dir, set), String(w), String(h)]);
  }
  for (const [key, [src, caption]] of Object.entries(IMAGES)) {
    mkdirSync(path.dirname(path.join(stage, key)), { recursive: true });
    copyFileSync(path.join(dir, src), path.join(stage, key));
    writeFileSync(path.join(stage, key.replace(/\.[^.]+$/, '.txt')), caption);
  }
  const withLatent = Object.keys(IMAGES).filter((k) => !NO_LATENT.includes(k));
  const spec = {
    out: stage,
    family: FAMILY,
    instance_data_dir: PREFIX,
    vae_dir: VAE_DIR,
    text_dir: TEXT_DIR,
    images: Object.keys(IMAGES),
    latents: withLatent.map((key, i) => ({ key, dtype: LATENT_DTYPES[i % 3], compress: i % 4 === 3 })),
  };
  writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  python([path.join(HELPERS, 'write-caches.py'), path.join(dir, 'spec.json')]);
  await srv.putMany(walk(stage).map((f) => [path.relative(stage, f), readFileSync(f)]));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function writeConfig(srv: S3Server, dir: string): string {
  const aws = {
    type: 'aws',
    aws_bucket_name: srv.bucket,
    aws_region_name: srv.region,
    aws_endpoint_url: srv.endpoint,
    aws_access_key_id: srv.accessKeyId,
    aws_secret_access_key: srv.secretAccessKey,
  };
  const cfg = path.join(dir, 'mdb.json');
  const photos = {
    ...aws,
    id: 'photos',
    aws_data_prefix: PREFIX,
    caption_strategy: 'textfile',
    cache_dir_vae: 'cache/vae/{model_family}/{id}',
    resolution: 64,
    resolution_type: 'pixel',
    crop: true,
    crop_style: 'random',
    crop_aspect: 'preserve',
    train_batch_size: 2,
  };
  const text = { ...aws, id: 'text', dataset_type: 'text_embeds', default: true, aws_data_prefix: TEXT_DIR };
  writeFileSync(cfg, JSON.stringify([photos, text]));
  return cfg;
}

/** The CLI's environment: warn-level logs; without the SDK's warning switch (.ci/test sets it), as users run it. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'warn' };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  return env;
}

/** `tunefeed stream … --format binary | python3 trainer-reader.py …`; resolves with both exit codes and outputs. */
function streamToTrainer(cfg: string, srv: S3Server): Promise<{ codes: (number | null)[]; out: string; err: string }> {
  return new Promise((resolve) => {
    const args = ['stream', cfg, '--format', 'binary', '--epochs', '1', '--seed', '3', '--model_family', FAMILY];
    const tf = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'lib/cli/main.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cliEnv(),
    });
    const reader = [srv.endpoint, srv.bucket, PREFIX, VAE_DIR, TEXT_DIR, FAMILY];
    const py = spawn(PYTHON, [path.join(HELPERS, 'trainer-reader.py'), ...reader], { stdio: ['pipe', 'pipe', 'pipe'] });
    tf.stdout.pipe(py.stdin);
    let out = '';
    let err = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    py.stderr.on('data', (d: Buffer) => (err += `[reader] ${d.toString()}`));
    tf.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const codes: (number | null)[] = [];
    const done = (code: number | null): void => {
      codes.push(code);
      if (codes.length === 2) resolve({ codes, out, err });
    };
    tf.on('close', done);
    py.on('close', done);
  });
}

/** The pino lines of the stream's stderr (the rest is what must not be there: warnings, stacks). */
function logLines(err: string): Record<string, unknown>[] {
  return err
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

t.test(
  "a Python trainer reading the binary stream from S3 gets SimpleTuner's captions, pixels, text embeds and " +
    'latents; the bucket missing latents decodes and stderr names exactly the missing samples',
  async (t) => {
    const srv = await startS3Server(t, { bucket: 'train' });
    const dir = t.testdir({});
    await seedBucket(srv, dir);
    const r = await streamToTrainer(writeConfig(srv, dir), srv);
    t.same(r.codes, [0, 0], `tunefeed and the reader exit 0\n${r.err}`);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SampleCheck & { done?: boolean; torch?: boolean });
    const end = rows.pop();
    t.same(end, { done: true, torch: torchInstalled }, `reader finished (torch.load checks: ${torchInstalled})`);
    const samples = rows as SampleCheck[];
    t.same(samples.map((s) => s.key).sort(), Object.keys(IMAGES).sort(), 'one epoch: every image exactly once');
    for (const s of samples) checkSample(t, s);
    const portrait = new Set(samples.filter((s) => s.key.includes('/portrait/')).map((s) => s.bucket));
    const landscape = new Set(samples.filter((s) => !s.key.includes('/portrait/')).map((s) => s.bucket));
    t.equal(portrait.size, 1, `portrait images share one bucket (${[...portrait].join()})`);
    t.equal(landscape.size, 1, `landscape images share one bucket (${[...landscape].join()})`);
    t.not([...portrait][0], [...landscape][0], 'and the two buckets differ');

    const relative = (keys: string[]): string[] => keys.map((k) => k.slice(PREFIX.length)).sort();
    const vae = logLines(r.err).filter((l) => l.module === 'pipeline/vae-cache');
    t.equal(vae.length, 1, 'one VAE-cache report on stderr');
    t.same(vae[0]?.missing, relative(NO_LATENT), 'it names exactly the samples whose latent is missing');
    const bucket = Object.keys(IMAGES).filter((k) => k.includes('/portrait/'));
    t.same(vae[0]?.fallback, relative(bucket), 'and, as falling back to decoding, exactly their bucket');
    t.same(vae[0]?.buckets_decoded, [...portrait], 'by the bucket name the frames carry');
    t.notMatch(r.err, /Warning/, 'no process warnings (MaxListenersExceededWarning, SDK notices) on stderr');
    t.notMatch(r.err, /\[reader\]/, 'the reader wrote nothing on stderr');
    t.notMatch(r.err, /without cached text embeds/, 'every caption had its text embeds');
  },
);

function checkSample(t: Test, s: SampleCheck): void {
  const name = s.key.slice(PREFIX.length);
  t.ok(s.caption_ok, `${name}: caption ${JSON.stringify(s.caption)} is a line of its .txt`);
  const embeds = Object.entries(s.text_embeds ?? {});
  t.same(
    embeds.map(([k]) => k).sort(),
    ['attention_masks', 'pooled_prompt_embeds', 'prompt_embeds', 'time_ids'],
    `${name}: every tensor of ${s.text_file}`,
  );
  t.same(s.text_embeds_extra, [], `${name}: no tensor the file does not hold`);
  for (const [k, e] of embeds) {
    t.ok(e.equal, `${name} ${k}: ${e.dtype} ${e.shape.join('×')} equal element for element`);
    if (torchInstalled) t.ok(e.torch_equal, `${name} ${k}: equal to torch.load's`);
  }
  if (!s.key.includes('/portrait/')) {
    t.notOk(s.pixels, `${name}: latents only (its bucket is fully cached)`);
    t.ok(s.latent?.found && s.latent.equal, `${name}: latent ${s.latent?.dtype} equals ${s.latent?.file}`);
    if (torchInstalled) t.ok(s.latent?.torch_equal, `${name}: latent equal to torch.load's`);
    return;
  }
  t.notOk(s.latent, `${name}: no latents (its bucket decodes)`);
  t.equal(s.latent_file_present, !NO_LATENT.includes(s.key), `${name}: latent file present on S3 as seeded`);
  const p = s.pixels;
  t.same(p?.shape, p?.ref_shape, `${name}: pixels shaped as PIL's ${p?.ref_shape.join('×')}`);
  t.ok(p && p.max !== null && p.max <= MAX_LEVELS, `${name}: max difference ${p?.max} ≤ ${MAX_LEVELS}`);
  t.ok(p && p.mean !== null && p.mean <= MAX_MEAN, `${name}: mean difference ${p?.mean?.toFixed(3)} ≤ ${MAX_MEAN}`);
}
