// A dataset whose `type` is served by a --plugin builder validates, scans and streams through the real CLI.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';

const root = join(import.meta.dirname, '..', '..');
const PLUGIN = './test/fixtures/factory/tunefeed-builder-memory';
const COLOURS = Array.from({ length: 6 }, (_, i) => ({ r: 40 * i, g: 90, b: 200 - 30 * i }));

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, TUNEFEED_LOG_LEVEL: 'warn', TUNEFEED_DEBUG: '', ...env },
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

/** Six solid-colour PNGs (four 640×480, two 480×640) and their captions, base64 in the plug-in's `objects` field. */
async function setup(extra: Record<string, unknown> = {}): Promise<{ dir: string; config: string; log: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-plugin-cli-'));
  const objects: Record<string, string> = {};
  for (const [i, background] of COLOURS.entries()) {
    const [width, height] = i < 4 ? [640, 480] : [480, 640];
    const png = await sharp({ create: { width, height, channels: 3, background } })
      .png()
      .toBuffer();
    objects[`p${i}.png`] = png.toString('base64');
    objects[`p${i}.txt`] = Buffer.from(`photo ${i}`).toString('base64');
  }
  const mem = { id: 'mem', type: 'tunefeed-fixture-mem', caption_strategy: 'textfile', resolution: 256 };
  const config = join(dir, 'multidatabackend.json');
  await writeFile(
    config,
    JSON.stringify([
      { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true, cache_dir: join(dir, 'text') },
      { ...mem, resolution_type: 'pixel', crop: false, encoding: 'base64', objects, ...extra },
    ]),
  );
  return { dir, config, log: join(dir, 'rebuilds.log') };
}

/** Thread ids (other than the main thread's 0) that rebuilt the plug-in storage from its description. */
async function workerRebuilds(log: string): Promise<number[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[0]))
    .filter((id) => id !== 0);
}

interface Validated {
  ok: boolean;
  datasets: { id: string; config: Record<string, unknown> }[];
  errors: { id: string | null; field: string; message: string }[];
  warnings: { field: string }[];
}

t.test('validate: the plug-in type validates with --plugin or the plugins argument, its fields kept', async (t) => {
  const s = await setup();
  const a = await cli(['validate', '--json', '--plugin', PLUGIN, '--set', `output_dir=${s.dir}`, s.config]);
  t.equal(a.code, 0, a.stderr);
  const j = JSON.parse(a.stdout.toString()) as Validated;
  t.equal(j.ok, true, JSON.stringify(j.errors));
  const mem = j.datasets.find((d) => d.id === 'mem')?.config;
  t.match(mem, { type: 'tunefeed-fixture-mem', encoding: 'base64' });
  t.equal(Object.keys((mem?.objects as object) ?? {}).length, 12, 'the plug-in field `objects` kept');
  t.same(j.warnings, [], 'fields the plug-in schema declares are not unknown keys');
  const b = await cli(['validate', '--json', '--set', `plugins=${PLUGIN}`, s.config]);
  t.equal((JSON.parse(b.stdout.toString()) as Validated).ok, true, 'the `plugins` training argument loads it too');
});

t.test('validate: an unknown type lists the built-in and the registered types', async (t) => {
  const s = await setup();
  const without = JSON.parse((await cli(['validate', '--json', s.config])).stdout.toString()) as Validated;
  t.match(without.errors, [{ id: 'mem', field: 'type', message: /Unknown backend type: tunefeed-fixture-mem/ }]);
  const typo = await setup({ type: 'tunefeed-fixture-memo' });
  const j = JSON.parse(
    (await cli(['validate', '--json', '--plugin', PLUGIN, typo.config])).stdout.toString(),
  ) as Validated;
  const err = j.errors.find((e) => e.field === 'type');
  t.match(err?.message, /Supported types: .*'huggingface', 'tunefeed-fixture-mem'/);
});

t.test('validate: a plug-in schema error names the dataset and the field', async (t) => {
  const s = await setup({ encoding: 'rot13' });
  const r = await cli(['validate', '--plugin', PLUGIN, s.config]);
  t.not(r.code, 0);
  t.match(
    r.stdout.toString() + r.stderr,
    /error \[mem\] encoding: \(id=mem\) tunefeed-fixture-mem plug-in: `encoding`/,
  );
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const m = await setup({ objects: { 'a.png': 7 } });
  const j = JSON.parse(
    (await cli(['validate', '--json', '--plugin', PLUGIN, m.config])).stdout.toString(),
  ) as Validated;
  t.match(j.errors, [{ id: 'mem', field: 'objects.a.png' }]);
});

t.test('scan: the pool worker threads rebuild the plug-in storage and bucket every image', async (t) => {
  const s = await setup();
  const env = { TUNEFEED_FIXTURE_MEM_LOG: s.log };
  // Batch size 2: SimpleTuner's default of 4 would prune the 2-image bucket this test counts.
  const set = ['--set', `output_dir=${s.dir}`, '--set', 'train_batch_size=2'];
  const args = ['scan', '--json', '--workers', '1', '--plugin', PLUGIN, ...set, s.config];
  const r = await cli(args, env);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.toString()) as { datasets: { id: string; buckets: Record<string, number> }[] };
  t.same(j.datasets.find((d) => d.id === 'mem')?.buckets, { '1.25': 4, '0.8': 2 });
  t.ok((await workerRebuilds(s.log)).length >= 1, 'a worker thread rebuilt the storage from its description');
});

t.test('stream --format ndjson: every image of the plug-in dataset, with its caption', async (t) => {
  const s = await setup();
  const args = ['stream', '--plugin', PLUGIN, '--set', `output_dir=${s.dir}`, '--set', 'train_batch_size=2', s.config];
  const r = await cli([...args, '--format', 'ndjson'], { TUNEFEED_FIXTURE_MEM_LOG: s.log });
  t.equal(r.code, 0, r.stderr);
  const batches = r.stdout
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { dataset: string; samples: { path: string; caption: string }[] });
  t.equal(batches.length, 3, '6 images, batches of 2, one epoch');
  const samples = batches.flatMap((b) => b.samples).sort((a, b) => (a.path < b.path ? -1 : 1));
  t.same(
    samples.map((x) => [x.path, x.caption]),
    COLOURS.map((_, i) => [`mem://mem/p${i}.png`, `photo ${i}`]),
  );
  t.ok((await workerRebuilds(s.log)).length >= 1, 'the prefetch thread rebuilt the storage from its description');
});

interface Frame {
  header: { arrays: { name: string; shape: number[]; offset: number }[] };
  payload: Buffer;
}

/** Frames of `tunefeed stream --format binary`: header JSON and payload (docs/binary-format.md). */
function frames(buf: Buffer): Frame[] {
  const out: Frame[] = [];
  for (let at = 0; at < buf.length;) {
    const headerLen = buf.readUInt32LE(at + 4);
    const payloadLen = Number(buf.readBigUInt64LE(at + 8));
    const header = JSON.parse(buf.subarray(at + 16, at + 16 + headerLen).toString()) as Frame['header'];
    const start = at + 16 + headerLen;
    out.push({ header, payload: buf.subarray(start, start + payloadLen) });
    at = start + payloadLen;
  }
  return out;
}

t.test('stream --format binary: pixels decoded from the plug-in storage are the images colours', async (t) => {
  const s = await setup();
  const args = ['stream', '--plugin', PLUGIN, '--set', `output_dir=${s.dir}`, '--set', 'train_batch_size=2', s.config];
  const r = await cli([...args, '--format', 'binary']);
  t.equal(r.code, 0, r.stderr);
  const got = frames(r.stdout);
  t.equal(got.length, 3);
  const colours = got.flatMap((f) =>
    f.header.arrays
      .filter((a) => a.name === 'pixels')
      .map((a) => {
        const [h, w] = a.shape;
        const px = a.offset + ((h >> 1) * w + (w >> 1)) * 3;
        return [...f.payload.subarray(px, px + 3)].join(',');
      }),
  );
  t.same(colours.sort(), COLOURS.map((c) => `${c.r},${c.g},${c.b}`).sort(), 'centre pixel of each sample');
});
