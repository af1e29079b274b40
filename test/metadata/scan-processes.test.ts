// Real child processes: kill -9 mid-scan then rerun gives caches identical to an uninterrupted scan; N shard
// processes + merge give the single-process caches (local and against the S3 test server).
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { plantCorpus } from '../helpers/make-images.js';
import { killDelays, killedRun, runCli } from '../helpers/kill-runs.js';
import { startS3Server } from '../helpers/s3-server.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { mergeShards } from '../../lib/metadata/merge.js';

interface DatasetLine {
  files: number;
  scanned: number;
  skipped: Record<string, number>;
}
/** The first dataset line of `tunefeed scan --json`. */
const firstLine = (stdout: string) => (JSON.parse(stdout) as { datasets: DatasetLine[] }).datasets[0];

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

t.test('kill -9 at seeded random times, rerun: resumes from the checkpoint, caches equal a clean scan', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'data');
  await plantCorpus(data, 1500);
  const cfg = await writeConfig(dir, { id: 'c', type: 'local', instance_data_dir: data });
  const args = ['scan', cfg, '--json', '--workers', '1', '--flush-seconds', '0.02', '--set', 'output_dir='];
  const manifest = join(data, 'tunefeed_scan/c/manifest.json');
  const ref = await runCli(args, { clockFrom: manifest });
  t.equal(ref.code, 0, ref.stderr);
  t.equal(firstLine(ref.stdout).files, 1500);
  const reference = await readCaches(data);
  // No hook in the scan: the clock starts at the first checkpoint, and the delays span the clean run's remaining time.
  const delays = killDelays(7, 3, 0, 0.9 * (ref.ranMs ?? 0));
  for (const [i, delay] of delays.entries()) {
    const { run: killed } = await killedRun(args, { killAfterMs: delay, clockFrom: manifest }, () => clearState(data));
    t.ok(killed.killed, `kill ${i}: the kill ended the scan`);
    const checkpoint = existsSync(manifest)
      ? Object.keys((JSON.parse(await readFile(manifest, 'utf8')) as { entries: object }).entries).length
      : 0;
    t.comment(
      `kill ${i} about ${delay} ms after the first checkpoint: killed=${killed.killed}, checkpoint=${checkpoint}`,
    );
    const rerun = await runCli(args);
    t.equal(rerun.code, 0, `rerun after kill ${i}`);
    const line = firstLine(rerun.stdout);
    t.equal(line.files, 1500, `kill ${i}: the rerun lists every file`);
    t.equal(
      line.scanned,
      1500 - checkpoint,
      `kill ${i}: the rerun probes only the ${1500 - checkpoint} files the checkpoint lacks`,
    );
    t.same(await readCaches(data), reference, `caches identical after kill ${i}`);
  }
});

t.test('3 shard processes + merge equal one process (local)', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'data');
  await plantCorpus(data, 600);
  const cfg = await writeConfig(dir, { id: 'c', type: 'local', instance_data_dir: data });
  const base = ['--json', '--workers', '1', '--set', 'output_dir='];
  t.equal((await runCli(['scan', cfg, ...base])).code, 0);
  const single = await readCaches(data);
  await clearState(data);
  const parts = await Promise.all([0, 1, 2].map((i) => runCli(['scan', cfg, '--shard', `${i}/3`, ...base])));
  t.same(
    parts.map((p) => p.code),
    [0, 0, 0],
  );
  const files = parts.map((p) => firstLine(p.stdout).files);
  t.equal(
    files.reduce((a, b) => a + b, 0),
    600,
    'shards partition the keys',
  );
  t.ok(
    files.every((n) => n > 100),
    `balanced: ${files.join(', ')}`,
  );
  const again = await runCli(['scan', cfg, '--shard', '1/3', ...base]);
  t.equal(firstLine(again.stdout).scanned, 0, 're-running a finished shard is a no-op');
  const merged = await runCli(['merge', cfg, '--json', '--set', 'output_dir=']);
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
  const one = await runCli(['scan', cfg, ...base]);
  t.equal(one.code, 0, one.stderr);
  const d = firstLine(one.stdout);
  t.same([d.files, d.skipped], [151, { unsupported: 1 }], 'counts match the planted objects');
  const single = await Promise.all(CACHES.map((f) => getText(`data/${f}`)));
  t.notMatch(single.join(''), new RegExp(s3.secretAccessKey), 'no credential in the cache files');
  await runCli(['scan', cfg, '--ignore-cache', '--shard', '0/2', ...base]);
  await runCli(['scan', cfg, '--ignore-cache', '--shard', '1/2', ...base]);
  const merged = await runCli(['merge', cfg, '--json', '--set', 'output_dir=']);
  t.equal(merged.code, 0, merged.stderr);
  t.same(await Promise.all(CACHES.map((f) => getText(`data/${f}`))), single, 'merged S3 caches equal the single scan');
});
