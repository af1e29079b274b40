// Real child processes: kill -9 mid-scan then rerun gives caches identical to an uninterrupted scan; N shard
// processes + merge give the single-process caches (local and against the S3 test server).
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { plantCorpus } from '../helpers/make-images.js';
import { startS3Server } from '../helpers/s3-server.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { mergeShards } from '../../lib/metadata/merge.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'lib/cli/main.ts');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `watch` is armed at spawn and may SIGKILL it. */
function cli(
  args: string[],
  watch?: (child: ReturnType<typeof spawn>) => void,
  env: Record<string, string> = {},
): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      TUNEFEED_LOG_LEVEL: 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  watch?.(child);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

async function writeConfig(dir: string, entry: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'mdb.json');
  await writeFile(
    file,
    JSON.stringify([
      {
        caption_strategy: 'filename',
        resolution: 512,
        resolution_type: 'pixel',
        crop: true,
        crop_style: 'random',
        ...entry,
      },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: join(dir, 'te') },
    ]),
  );
  return file;
}

const CACHES = ['aspect_ratio_bucket_indices_c.json', 'aspect_ratio_bucket_metadata_c.json'];
const readCaches = (data: string) => Promise.all(CACHES.map((f) => readFile(join(data, f), 'utf8')));
const clearState = (data: string) =>
  Promise.all([
    ...CACHES.map((f) => rm(join(data, f), { force: true })),
    rm(join(data, 'tunefeed_scan'), { recursive: true, force: true }),
  ]);

t.test('kill -9 at random points, rerun: caches identical to an uninterrupted scan', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'data');
  await plantCorpus(data, 1500);
  const cfg = await writeConfig(dir, { id: 'c', type: 'local', instance_data_dir: data });
  const args = ['scan', cfg, '--json', '--workers', '1', '--flush-seconds', '0.02', '--set', 'output_dir='];
  const ref = await cli(args);
  t.equal(ref.code, 0, ref.stderr);
  t.equal(JSON.parse(ref.stdout).datasets[0].files, 1500);
  const reference = await readCaches(data);
  const manifest = join(data, 'tunefeed_scan/c/manifest.json');
  // The child holds still after writing a checkpoint at a chosen number of probed files (a test hook) and says so on
  // stderr; it is killed then. A fast scan cannot finish before the kill lands, whatever the machine's speed.
  const killAtHold = (c: ReturnType<typeof spawn>) => {
    let err = '';
    c.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('tunefeed-test-hold')) c.kill('SIGKILL');
    });
  };
  const shares = [0, 0.2 + Math.random() * 0.3, 0.55 + Math.random() * 0.3];
  const trials = shares.map((share) => ({
    name: `at checkpoint share ${share.toFixed(2)}`,
    holdAt: Math.max(1, Math.floor(share * 1500)),
  }));
  for (const trial of trials) {
    await clearState(data);
    const killed = await cli(args, killAtHold, { TUNEFEED_TEST_HOLD_AT_PROBED: String(trial.holdAt) });
    const checkpoint = existsSync(manifest)
      ? Object.keys(JSON.parse(await readFile(manifest, 'utf8')).entries).length
      : 0;
    t.comment(`${trial.name}: signal=${killed.signal} checkpoint entries=${checkpoint}`);
    t.equal(killed.signal, 'SIGKILL', `killed ${trial.name}`);
    t.ok(
      checkpoint >= trial.holdAt && checkpoint < 1500,
      `killed before the scan finished (${checkpoint} of 1500 in the checkpoint)`,
    );
    const rerun = await cli(args);
    t.equal(rerun.code, 0, `rerun after kill ${trial.name}`);
    t.same(await readCaches(data), reference, `caches identical after kill ${trial.name}`);
  }
});

t.test('3 shard processes + merge equal one process (local)', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'data');
  await plantCorpus(data, 600);
  const cfg = await writeConfig(dir, { id: 'c', type: 'local', instance_data_dir: data });
  const base = ['--json', '--workers', '1', '--set', 'output_dir='];
  t.equal((await cli(['scan', cfg, ...base])).code, 0);
  const single = await readCaches(data);
  await clearState(data);
  const parts = await Promise.all([0, 1, 2].map((i) => cli(['scan', cfg, '--shard', `${i}/3`, ...base])));
  t.same(
    parts.map((p) => p.code),
    [0, 0, 0],
  );
  const files = parts.map((p) => JSON.parse(p.stdout).datasets[0].files as number);
  t.equal(
    files.reduce((a, b) => a + b, 0),
    600,
    'shards partition the keys',
  );
  t.ok(
    files.every((n) => n > 100),
    `balanced: ${files.join(', ')}`,
  );
  const again = await cli(['scan', cfg, '--shard', '1/3', ...base]);
  t.equal(JSON.parse(again.stdout).datasets[0].scanned, 0, 're-running a finished shard is a no-op');
  const merged = await cli(['merge', cfg, '--json', '--set', 'output_dir=']);
  t.equal(merged.code, 0, merged.stderr);
  t.same(await readCaches(data), single, 'merged caches are byte-identical');
  await rm(join(data, 'tunefeed_scan/c/part-2-of-3.done'));
  const { config, args } = await datasetConfig({
    id: 'c',
    instance_data_dir: data,
    resolution: 512,
    resolution_type: 'pixel',
  });
  const storage = new LocalStorage({ id: 'c', root: data });
  await t.rejects(mergeShards({ id: 'c', config, storage, args }), /shard\(s\) 2\/3 of 3 have not completed/);
});

t.test('S3: shards + merge equal one process; counts match the planted objects', async (t) => {
  const s3 = await startS3Server(t);
  const dir = t.testdir({});
  const local = join(dir, 'src');
  const keys = await plantCorpus(local, 150);
  await s3.putMany(
    await Promise.all(keys.map(async (k) => [`data/${k}`, await readFile(join(local, k))] as [string, Buffer])),
    16,
  );
  await s3.put('data/broken.jpg', 'not a jpeg');
  const cfg = await writeConfig(dir, {
    id: 'c',
    type: 'aws',
    aws_bucket_name: s3.bucket,
    aws_region_name: s3.region,
    aws_endpoint_url: s3.endpoint,
    aws_access_key_id: s3.accessKeyId,
    aws_secret_access_key: s3.secretAccessKey,
    aws_data_prefix: 'data/',
    aws_checksum_mode: 'WHEN_REQUIRED',
  });
  const base = ['--json', '--workers', '2', '--set', 'output_dir='];
  const getText = async (key: string) =>
    (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();
  const one = await cli(['scan', cfg, ...base]);
  t.equal(one.code, 0, one.stderr);
  const d = JSON.parse(one.stdout).datasets[0];
  t.same([d.files, d.skipped], [151, { unsupported: 1 }], 'counts match the planted objects');
  const single = await Promise.all(CACHES.map((f) => getText(`data/${f}`)));
  t.notMatch(single.join(''), new RegExp(s3.secretAccessKey), 'no credential in the cache files');
  await cli(['scan', cfg, '--ignore-cache', '--shard', '0/2', ...base]);
  await cli(['scan', cfg, '--ignore-cache', '--shard', '1/2', ...base]);
  const merged = await cli(['merge', cfg, '--json', '--set', 'output_dir=']);
  t.equal(merged.code, 0, merged.stderr);
  t.same(await Promise.all(CACHES.map((f) => getText(`data/${f}`))), single, 'merged S3 caches equal the single scan');
});
