// Every config-reading command (validate, backends, scan, merge, stream) honours --training-config and --set.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { childOutput, type ChildOutput } from '../helpers/child-output.js';

const root = join(import.meta.dirname, '..', '..');

function cli(args: string[]): Promise<ChildOutput> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, TUNEFEED_LOG_LEVEL: 'warn', TUNEFEED_DEBUG: '' },
  });
  return childOutput(child);
}

/** Four real 640×480 JPEGs, a dataloader config and SimpleTuner's config.json naming it (0/false values included). */
async function setup(): Promise<{ dir: string; data: string; stConfig: string; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-cli-args-'));
  const data = join(dir, 'photos');
  await mkdir(data);
  for (let i = 0; i < 4; i++) {
    const background = { r: 40 * i, g: 90, b: 200 - 30 * i };
    await sharp({ create: { width: 640, height: 480, channels: 3, background } })
      .jpeg()
      .toFile(join(data, `photo ${i}.jpg`));
  }
  const out = join(dir, 'out');
  const backend = join(dir, 'multidatabackend.json');
  await writeFile(
    backend,
    JSON.stringify([
      { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true, cache_dir: join(dir, 'text') },
      { id: 'photos', type: 'local', instance_data_dir: data, caption_strategy: 'filename', crop: false },
    ]),
  );
  const stConfig = join(dir, 'config.json');
  await writeFile(
    stConfig,
    JSON.stringify({
      '--data_backend_config': backend,
      '--model_family': 'sdxl',
      '--output_dir': out,
      '--resolution': 256,
      '--resolution_type': 'pixel',
      '--train_batch_size': 2,
      '--minimum_image_size': 0,
      '--skip_file_discovery': false,
      '--report_to': 'none',
    }),
  );
  return { dir, data, stConfig, out };
}

t.test('validate reads --training-config (CONFIG from data_backend_config) and --set wins over it', async (t) => {
  const s = await setup();
  const a = await cli(['validate', '--json', '--training-config', s.stConfig]);
  t.equal(a.code, 0, a.err);
  const photos = (JSON.parse(a.out) as { datasets: { id: string; config: Record<string, unknown> }[] }).datasets.find(
    (d) => d.id === 'photos',
  );
  t.match(photos?.config, { resolution: 256, resolution_type: 'pixel', train_batch_size: 2 });
  const b = await cli(['validate', '--json', '--training-config', s.stConfig, '--set', 'resolution=320']);
  const photosB = (JSON.parse(b.out) as { datasets: { id: string; config: Record<string, unknown> }[] }).datasets.find(
    (d) => d.id === 'photos',
  );
  t.equal(photosB?.config.resolution, 320);
});

t.test('backends takes its CONFIG from --training-config', async (t) => {
  const s = await setup();
  const r = await cli(['backends', '--json', '--training-config', s.stConfig]);
  t.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { backends: { id: string; listed: number }[] };
  t.equal(j.backends.find((b) => b.id === 'photos')?.listed, 4);
});

t.test('scan and merge bucket with the training config geometry, --set overriding it', async (t) => {
  const s = await setup();
  const shard = await cli(['scan', '--json', '--workers', '0', '--shard', '0/1', '--training-config', s.stConfig]);
  t.equal(shard.code, 0, shard.err);
  const merged = await cli(['merge', '--json', '--training-config', s.stConfig, '--set', 'resolution=320']);
  t.equal(merged.code, 0, merged.err);
  const m = JSON.parse(merged.out) as { datasets: { id: string; buckets: Record<string, number> }[] };
  t.same(m.datasets[0]?.buckets, { '1.4': 4 }, '448×320 targets');
  const meta = JSON.parse(await readFile(join(s.data, 'aspect_ratio_bucket_metadata_photos.json'), 'utf8')) as Record<
    string,
    { target_size: [number, number] }
  >;
  const sizes = Object.values(meta).map((v) => v.target_size);
  t.same(sizes, Array(4).fill([448, 320]), 'pixel 320 (from --set) on the shorter edge, 64-px aligned');
  const scan = await cli(['scan', '--json', '--workers', '0', '--ignore-cache', '--training-config', s.stConfig]);
  t.equal(scan.code, 0, scan.err);
  const sj = JSON.parse(scan.out) as { datasets: { id: string; buckets: Record<string, number> }[] };
  t.same(sj.datasets[0]?.buckets, { '1.25': 4 }, '320×256 targets');
  const meta2 = JSON.parse(await readFile(join(s.data, 'aspect_ratio_bucket_metadata_photos.json'), 'utf8')) as Record<
    string,
    { target_size: [number, number] }
  >;
  t.same(
    Object.values(meta2).map((v) => v.target_size),
    Array(4).fill([320, 256]),
    'pixel 256 from the training config',
  );
});

t.test('stream batches by the training config (train_batch_size, resolution) and --set overrides it', async (t) => {
  const s = await setup();
  const r = await cli(['stream', '--training-config', s.stConfig, '--batches', '1']);
  t.equal(r.code, 0, r.err);
  const batch = JSON.parse(r.out.trim().split('\n')[0] ?? '{}') as { samples: { target_size: number[] }[] };
  t.equal(batch.samples.length, 2, 'train_batch_size 2 from config.json');
  t.same(batch.samples[0]?.target_size, [320, 256]);
  const o = await cli(['stream', '--training-config', s.stConfig, '--set', 'train_batch_size=4', '--batches', '1']);
  t.equal(o.code, 0, o.err);
  const b2 = JSON.parse(o.out.trim().split('\n')[0] ?? '{}') as { samples: unknown[] };
  t.equal(b2.samples.length, 4, 'train_batch_size 4 from --set');
});

t.test('demo reads --training-config and --set over its own arguments', async (t) => {
  const s = await setup();
  const dir = join(s.dir, 'demo');
  const base = [
    'demo',
    '--dir',
    dir,
    '--images',
    '6',
    '--batch-size',
    '1',
    '--batches',
    '1',
    '--step-ms',
    '1',
    '--json',
  ];
  const a = await cli([...base, '--training-config', s.stConfig, '--set', 'model_family=cosmos3']);
  t.equal(a.code, 0, a.err);
  const notes = (JSON.parse(a.out) as { notes: string[] }).notes;
  t.ok(
    notes.some((n) => n.includes('model_family cosmos3 requires an alignment value of 16px')),
    notes.join('\n'),
  );
  const b = await cli([...base, '--training-config', s.stConfig]);
  t.equal(b.code, 0, b.err);
  const notesB = (JSON.parse(b.out) as { notes: string[] }).notes;
  t.notOk(
    notesB.some((n) => n.includes('requires an alignment value')),
    'sdxl from config.json keeps the 64-px alignment',
  );
});

t.test('--model_family (SimpleTuner spelling) wins over --set and the training config', async (t) => {
  const s = await setup();
  const args = ['validate', '--json', '--training-config', s.stConfig, '--set', 'model_family=sd3'];
  const vaeDir = async (extra: string[]): Promise<unknown> => {
    const r = await cli([...args, ...extra]);
    t.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { datasets: { id: string; config: Record<string, unknown> }[] };
    return j.datasets.find((d) => d.id === 'photos')?.config.cache_dir_vae;
  };
  t.equal(await vaeDir([]), join(s.out, 'cache/vae/sd3/photos'), '--set over the training config');
  t.equal(await vaeDir(['--model_family', 'flux']), join(s.out, 'cache/vae/flux/photos'), '--model_family over --set');
});
