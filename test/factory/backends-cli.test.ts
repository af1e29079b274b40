// `tunefeed backends`: a real CLI process builds local + S3 + CSV backends, lists and reads them, never prints secrets.
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { startS3Server } from '../helpers/s3-server.js';
import { startHttpServer } from '../helpers/http-server.js';
import { childOutput, type ChildOutput } from '../helpers/child-output.js';

const CLI = fileURLToPath(new URL('../../lib/cli/main.ts', import.meta.url));

function run(args: string[]): Promise<ChildOutput> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TUNEFEED_LOG_LEVEL: 'warn',
      TUNEFEED_LOG_FORMAT: 'json',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return childOutput(child);
}

t.test('tunefeed backends --json', async (t) => {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#0f0' } })
    .png()
    .toBuffer();
  const s3 = await startS3Server(t, { bucket: 'cli-bucket' });
  await s3.putMany([
    ['pre/a.png', png],
    ['pre/b/c.png', png],
  ]);
  const web = await startHttpServer(t, {
    routes: { '/x.png': { body: png, headers: { 'content-type': 'image/png' } } },
  });
  const dir = t.testdir({ photos: { 'p.png': png }, te: {}, 'u.csv': `url,caption\n${web.url}/x.png,green\n` });
  const secret = 'cliSecretValue-0123456789';
  const cfg = path.join(dir, 'multidatabackend.json');
  await writeFile(
    cfg,
    JSON.stringify([
      { id: 'photos', type: 'local', instance_data_dir: path.join(dir, 'photos'), caption_strategy: 'filename' },
      {
        id: 'bucket',
        type: 'aws',
        aws_bucket_name: 'cli-bucket',
        aws_endpoint_url: s3.endpoint,
        aws_access_key_id: s3.accessKeyId,
        aws_secret_access_key: secret,
        aws_data_prefix: 'pre',
        caption_strategy: 'filename',
      },
      {
        id: 'urls',
        type: 'csv',
        csv_file: path.join(dir, 'u.csv'),
        csv_cache_dir: path.join(dir, 'cc'),
        csv_caption_column: 'caption',
        caption_strategy: 'csv',
      },
      { id: 'te', type: 'local', dataset_type: 'text_embeds', cache_dir: path.join(dir, 'te'), default: true },
    ]),
  );
  const r = await run(['backends', cfg, '--json', '--allow-private-hosts', '--set', 'output_dir=']);
  t.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as {
    backends: { id: string; sample: string[]; read: { bytes: number } | null }[];
    metrics: { counts: unknown };
  };
  t.same(
    out.backends.map((b) => b.id),
    ['te', 'photos', 'bucket', 'urls'],
  );
  t.same(out.backends.find((b) => b.id === 'bucket')!.sample, ['a.png', 'b/c.png']);
  t.same(out.backends.find((b) => b.id === 'urls')!.read, { key: `${web.url}/x.png`, bytes: png.length });
  t.same(out.metrics.counts, { text_embeds: 1, image_embeds: 0, data_backends: 3 });
  t.notOk(r.out.includes(secret) || r.err.includes(secret), 'no secret in the output');

  const text = await run(['backends', cfg, '--no-read', '--limit', '1', '--set', 'output_dir=']);
  t.equal(text.code, 0, text.err);
  t.match(text.out, /bucket {2}\(data, aws\) {2}s3:\/\/cli-bucket\/pre\n {4}listed: 1 e\.g\. a\.png/);

  await writeFile(path.join(dir, 'u.csv'), 'link\nx\n');
  const bad = await run(['backends', cfg, '--set', 'output_dir=']);
  t.equal(bad.code, 1);
  t.match(bad.err, /tunefeed: TF_DATA_FILE: CSV header has no column "url".*dataset=urls/);
});
