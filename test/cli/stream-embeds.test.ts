// The real `tunefeed stream` binary from a multidatabackend.json with a text_embeds backend: binary frames carry each
// caption's cached embeds to docs/read_batches.py (numpy), a missing one is named in the frame and counted on stderr,
// and --require-embeds stops with TF_TEXT_EMBED_MISSING naming the caption. model_family comes from the command line
// (`--model_family flux`, SimpleTuner's flag; `--set model_family=flux` for the metadata run), and the cache files
// carry it as SimpleTuner names them: `<md5(caption)>-flux.pt`.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '../../lib/cli/main.ts');
const READER = path.join(here, '../../docs/read_batches.py');
const FIXTURES = path.join(here, '../fixtures/embeds');
const EXPECTED = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as {
  files: Record<string, { dict: Record<string, { dtype: string; shape: number[]; values: number[] }> }>;
};
const WANT = EXPECTED.files['text-embeds.pt'].dict;
const FAMILY = ['--model_family', 'flux'];
/** SimpleTuner's TextEmbeddingCache.create_hash + ".pt", spelled out here rather than taken from cache-keys.ts. */
const simpleTunerName = (caption: string): string => `${createHash('md5').update(caption).digest('hex')}-flux.pt`;

/** Runs the CLI; with `reader`, pipes stdout into `/usr/bin/python3 reader` and returns the reader's stdout. */
function run(args: string[], reader?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'warn' };
    const c = spawn(process.execPath, ['--import', 'tsx', CLI, 'stream', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const sink = reader ? spawn('/usr/bin/python3', [reader], { stdio: ['pipe', 'pipe', 'pipe'] }) : null;
    if (sink) {
      c.stdout.pipe(sink.stdin);
      sink.stderr.on('data', (d: Buffer) => (err += d.toString()));
    }
    (sink ?? c).stdout.on('data', (d: Buffer) => (out += d.toString()));
    let exits = sink ? 2 : 1;
    let code: number | null = 0;
    const done = (x: number | null): void => {
      code = code || x;
      if (--exits === 0) resolve({ code, out, err });
    };
    c.on('close', done);
    sink?.on('close', done);
  });
}

const lines = (s: string): Record<string, unknown>[] =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

interface PySample {
  path: string;
  caption: string;
  text_embed_missing?: string;
  text_embeds?: Record<string, { shape: number[]; dtype: string; sum: number }>;
}

t.test('binary frames carry every cached text embed to numpy; the missing one is named and counted', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tf-embeds-cli-'));
  const img = path.join(root, 'img');
  const te = path.join(root, 'te');
  mkdirSync(img);
  mkdirSync(te);
  for (let i = 0; i < 6; i++) {
    const s = sharp({ create: { width: 64, height: 64, channels: 3, background: { r: i * 40, g: 60, b: 90 } } });
    await writeFile(path.join(img, `photo_${i}.jpg`), await s.jpeg().toBuffer());
  }
  const cfg = path.join(root, 'mdb.json');
  const image = { id: 'photos', type: 'local', instance_data_dir: img, resolution: 64, resolution_type: 'pixel' };
  await writeFile(
    cfg,
    JSON.stringify([
      { ...image, caption_strategy: 'filename', crop: true, train_batch_size: 2 },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: te },
    ]),
  );
  const meta = await run([cfg, '--format', 'ndjson', '--set', 'model_family=flux']);
  t.equal(meta.code, 0, meta.err);
  const captions = [...new Set(lines(meta.out).flatMap((b) => (b.samples as PySample[]).map((s) => s.caption)))];
  t.equal(captions.length, 6, `six captions: ${captions.join(' | ')}`);
  const missing = captions[0];
  for (const c of captions.slice(1))
    copyFileSync(path.join(FIXTURES, 'text-embeds.pt'), path.join(te, simpleTunerName(c)));

  const r = await run([cfg, '--format', 'binary', ...FAMILY], READER);
  t.equal(r.code, 0, r.err);
  const samples = lines(r.out).flatMap((b) => b.samples as PySample[]);
  t.equal(samples.length, 6, 'every sample read by read_batches.py');
  for (const s of samples) {
    if (s.caption === missing) {
      t.equal(s.text_embed_missing, simpleTunerName(missing), `${s.caption}: missing file named <md5>-flux.pt`);
      t.notOk(s.text_embeds, `${s.caption}: no arrays`);
      continue;
    }
    const got = s.text_embeds ?? {};
    t.same(Object.keys(got).sort(), Object.keys(WANT).sort(), `${s.caption}: every tensor of the file`);
    for (const [name, want] of Object.entries(WANT)) {
      const sum = want.values.reduce((a, v) => a + v, 0);
      t.same(got[name]?.shape, want.shape, `${s.caption} ${name}: shape`);
      t.ok(
        Math.abs((got[name]?.sum ?? NaN) - sum) < 1e-3,
        `${s.caption} ${name}: numpy sum ${got[name]?.sum} = ${sum}`,
      );
    }
  }
  t.match(r.err, /samples streamed without cached text embeds/, 'the stream warns on stderr');
  t.match(r.err, JSON.stringify(missing).slice(1, -1), 'naming the caption');
  t.match(r.err, /"count":1/, 'and counting the one sample');

  const req = await run([cfg, '--format', 'binary', '--require-embeds', ...FAMILY]);
  t.not(req.code, 0, 'exits non-zero');
  t.match(req.err, /TF_TEXT_EMBED_MISSING/, 'with the coded error');
  t.match(req.err, `No cached text embed for caption ${JSON.stringify(missing)}`, 'naming the caption');
  t.match(req.err, simpleTunerName(missing), 'and the <md5>-flux.pt file it looked for');
  t.notMatch(req.err, /\n\s+at /, 'no stack trace');
});
