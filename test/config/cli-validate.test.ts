// `tunefeed validate` as a real process: exit codes, human output, the --json shape, no stack traces.
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { childOutput, type ChildOutput } from '../helpers/child-output.js';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'configs');

function cli(args: string[], env: Record<string, string> = {}): Promise<ChildOutput> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'validate', ...args], {
    cwd: root,
    env: { ...process.env, TUNEFEED_DEBUG: '', ...env },
  });
  return childOutput(child);
}

const noStack = (t: Test, r: ChildOutput): void => {
  t.notMatch(r.out + r.err, /\n\s+at .+\(.*:\d+:\d+\)/, 'no stack trace');
};

t.test('valid config: exit 0, datasets in dependency order', async (t) => {
  const r = await cli([
    join(fixtures, 'multi_backend_dependencies.json'),
    '--no-check-paths',
    '--set',
    'model_family=flux',
  ]);
  t.equal(r.code, 0, r.err);
  const order = [
    'text_embeds_primary',
    'text_embeds_secondary',
    'main_dataset',
    'conditioning_dataset',
    'secondary_dataset',
  ];
  const at = order.map((id) => r.out.indexOf(`] ${id}  (`));
  t.ok(
    at.every((i, k) => i > 0 && (k === 0 || i > at[k - 1])),
    'printed in order',
  );
  t.match(r.out, 'valid, 5 dataset(s)');
  t.match(r.out, 'cache_dir_vae: simpletuner-results/cache/vae/flux/main_dataset');
  noStack(t, r);
});

t.test('invalid config: exit 1, every error printed', async (t) => {
  const r = await cli([join(fixtures, 'many_errors.json'), '--no-check-paths']);
  t.equal(r.code, 1);
  for (const f of [
    '[a] crop_aspect_buckets',
    '[a] train_batch_size',
    '[text] type',
    '[a] end_epoch',
    '[a] id',
    'error id:',
  ])
    t.match(r.out, f);
  t.match(r.out, '(id=a) train_batch_size must be a positive integer.');
  noStack(t, r);
});

t.test('--json prints exactly one object of the documented shape, credentials redacted', async (t) => {
  const r = await cli([join(fixtures, 'aws.json'), '--json', '--no-check-paths']);
  t.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as Record<string, unknown>;
  t.same(Object.keys(out).sort(), ['datasets', 'errors', 'ok', 'warnings']);
  t.equal(out.ok, true);
  const ds = out.datasets as { id: string; dataset_type: string; config: Record<string, unknown> }[];
  t.same(
    ds.map((d) => [d.id, d.dataset_type]),
    [
      ['text', 'text_embeds'],
      ['bucket_images', 'image'],
    ],
  );
  t.same(Object.keys(ds[1]).sort(), ['config', 'dataset_type', 'id']);
  t.match(ds[1].config, {
    aws_checksum_mode: undefined,
    aws: { aws_secret_access_key: '[REDACTED]', aws_access_key_id: '[REDACTED]' },
  });
  t.notOk(r.out.includes('fixture-secret-do-not-print'));
  t.notOk(r.err.includes('fixture-secret-do-not-print'));
});

t.test('--json on errors: ok false, issues with id/field/message', async (t) => {
  const r = await cli([join(fixtures, 'error_missing_aws_fields.json'), '--json']);
  t.equal(r.code, 1);
  const out = JSON.parse(r.out) as {
    ok: boolean;
    datasets: unknown[];
    errors: Record<string, unknown>[];
    warnings: Record<string, unknown>[];
  };
  t.equal(out.ok, false);
  t.same(out.datasets, []);
  t.ok(out.errors.length > 0 && out.errors.every((e) => Object.keys(e).sort().join() === 'field,id,message'));
  t.ok(out.warnings.every((e) => Object.keys(e).sort().join() === 'field,id,message'));
});

t.test('file problems: missing file and bad JSON, with line and column', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-cli-'));
  const missing = await cli([join(dir, 'nope.json')]);
  t.equal(missing.code, 1);
  t.match(missing.out, 'not found');
  const bad = join(dir, 'bad.json');
  await writeFile(bad, '[\n  {"id": "x",\n   "crop": tru}\n]\n');
  const r = await cli([bad, '--json']);
  t.equal(r.code, 1);
  const out = JSON.parse(r.out) as { errors: { message: string }[] };
  t.match(out.errors[0]?.message, `${bad}:3:`);
  noStack(t, missing);
  noStack(t, r);
});

t.test('--training-config and path checks', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-cli-'));
  await mkdir(join(dir, 'imgs'));
  const cfg = join(dir, 'multidatabackend.json');
  await writeFile(
    cfg,
    JSON.stringify([
      { id: 'text', dataset_type: 'text_embeds' },
      { id: 'imgs', instance_data_dir: join(dir, 'imgs') },
      { id: 'gone', instance_data_dir: join(dir, 'gone') },
    ]),
  );
  const tc = join(dir, 'config.json');
  await writeFile(tc, JSON.stringify({ '--resolution': 512, '--resolution_type': 'pixel', '--train_batch_size': '4' }));
  const r = await cli([cfg, '--training-config', tc, '--json']);
  t.equal(r.code, 1);
  const out = JSON.parse(r.out) as { errors: { id: string; field: string }[] };
  t.same(
    out.errors.map((e) => `${e.id}:${e.field}`),
    ['gone:instance_data_dir'],
  );
  await writeFile(
    tc,
    JSON.stringify({
      '--resolution': 512,
      '--resolution_type': 'pixel',
      '--train_batch_size': '4',
      '--data_backend_config': cfg,
    }),
  );
  const ok = await cli(['--training-config', tc, '--no-check-paths', '--json']);
  t.equal(ok.code, 0, 'CONFIG taken from data_backend_config');
  const parsed = JSON.parse(ok.out) as { datasets: { config: Record<string, unknown> }[] };
  t.match(parsed.datasets[1]?.config, { resolution: 512, resolution_type: 'pixel', train_batch_size: 4 });
});

t.test('usage errors exit 2 without a stack', async (t) => {
  const r = await cli([]);
  t.equal(r.code, 2);
  noStack(t, r);
});
