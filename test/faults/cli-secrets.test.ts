// The real CLI (validate --json, scan --json, stream) over S3 through the fault proxy with debug logs on: the secret
// key and session token appear nowhere in stdout, stderr, cache/part/state files or stored objects.
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startS3Server } from '../helpers/s3-server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { plantCorpus } from '../helpers/make-images.js';
import { report } from '../helpers/fault-count.js';
import { childOutput, type ChildOutput } from '../helpers/child-output.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'lib/cli/main.ts');

function cli(args: string[]): Promise<ChildOutput> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      TUNEFEED_LOG_LEVEL: 'debug',
      TUNEFEED_LOG_FORMAT: 'json',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return childOutput(child);
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

t.test('no secret in anything the CLI writes during an S3 run with faults', async (t) => {
  const secret = `tfCliSecret${randomBytes(12).toString('hex')}`;
  const token = `tfCliToken${randomBytes(12).toString('hex')}`;
  const srv = await startS3Server(t, { bucket: 'cli-secret' });
  const dir = t.testdir({});
  const keys = await plantCorpus(path.join(dir, 'src'), 30, [
    [96, 64],
    [64, 96],
  ]);
  await srv.putMany(
    await Promise.all(
      keys.map(async (k) => [`data/${k}`, await readFile(path.join(dir, 'src', k))] as [string, Buffer]),
    ),
  );
  await srv.put('data/broken.jpg', 'not a jpeg');
  await srv.put('data/doomed.jpg', await readFile(path.join(dir, 'src', keys[0])));
  const proxy = await startFaultProxy(t, srv.endpoint, (r) =>
    r.url.includes('doomed')
      ? { kind: 'status', status: 403, code: 'AccessDenied' }
      : r.n % 4 === 0
        ? { kind: 'slowdown' }
        : { kind: 'pass' },
  );
  const cfg = path.join(dir, 'mdb.json');
  await writeFile(
    cfg,
    JSON.stringify([
      {
        id: 's3',
        type: 'aws',
        aws_bucket_name: srv.bucket,
        aws_region_name: srv.region,
        aws_endpoint_url: proxy.url,
        aws_access_key_id: srv.accessKeyId,
        aws_secret_access_key: secret,
        aws_session_token: token,
        aws_data_prefix: 'data/',
        aws_checksum_mode: 'WHEN_REQUIRED',
        aws_max_attempts: 8,
        resolution: 64,
        resolution_type: 'pixel',
        caption_strategy: 'filename',
        train_batch_size: 2,
        cache_dir_vae: path.join(dir, 'vae'),
      },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: path.join(dir, 'te') },
    ]),
  );
  const set = ['--set', `output_dir=${path.join(dir, 'out')}`];
  const runs = {
    validate: await cli(['validate', cfg, '--json', '--no-check-paths', ...set]),
    scan: await cli(['scan', cfg, '--json', '--workers', '1', '--flush-seconds', '0.05', ...set]),
    stream: await cli(['stream', cfg, '--batches', '6', '--save-state', path.join(dir, 'state.json')]),
    bad: await cli(['scan', cfg.replace('mdb', 'missing'), '--json', ...set]),
  };
  t.equal(runs.validate.code, 0, 'validate exits 0', { stderr: runs.validate.err.slice(-1500) });
  t.match(runs.validate.out, /\[REDACTED\]/, 'validate --json shows the secret fields redacted');
  t.equal(runs.scan.code, 0, 'scan exits 0', { stderr: runs.scan.err.slice(-1500) });
  const scanned = (JSON.parse(runs.scan.out) as { datasets: { files: number; skipped: object }[] }).datasets[0];
  t.equal(scanned.files, 32, 'the scan listed every object (30 + broken + doomed)');
  t.same(scanned.skipped, { unsupported: 1, read_error: 1 }, 'broken.jpg unsupported, doomed.jpg (403) a read error');
  t.equal(runs.stream.code, 0, 'stream exits 0', { stderr: runs.stream.err.slice(-1500) });
  t.equal(runs.stream.out.trim().split('\n').length, 6, 'six batches streamed');
  t.not(runs.bad.code, 0, 'a failing run exits non-zero');
  // The plan answers every 4th request (the doomed key aside) with SlowDown: the count follows from the request log.
  const planned = proxy.stats.log.filter((l, i) => (i + 1) % 4 === 0 && !l.url.includes('doomed')).length;
  t.ok(planned > 0, `${proxy.stats.requests} requests went through the proxy`);
  t.equal(proxy.stats.faults.slowdown ?? 0, planned, `SlowDown injected ${proxy.stats.faults.slowdown} times`);
  const written: [string, string][] = Object.entries(runs).flatMap(
    ([k, r]) =>
      [
        [`${k} stdout`, r.out],
        [`${k} stderr`, r.err],
      ] as [string, string][],
  );
  for (const f of [...(await files(dir)), ...(await files(srv.dir))])
    if (f !== cfg) written.push([f, (await readFile(f)).toString('latin1')]);
  t.ok(
    written.some(([f]) => f.includes('aspect_ratio_bucket_indices')) && written.some(([f]) => f.endsWith('state.json')),
    'cache and state files were written',
  );
  // 4 runs × stdout and stderr, plus at least the state file and the two cache files.
  t.ok(written.length >= 8 + 3, `${written.length} outputs and files to grep (at least 11)`);
  let found = 0;
  for (const [name, text] of written) {
    const at = Math.max(text.indexOf(secret), text.indexOf(token));
    if (at >= 0) {
      found++;
      t.fail(`secret in ${name}`, { context: text.slice(Math.max(0, at - 200), at + 60) });
    }
  }
  t.equal(found, 0, `secret occurrences in ${written.length} outputs and files: ${found}`);
  report(t, 'cli-secrets', {
    outputs_and_files_grepped: written.length,
    bytes_grepped: written.reduce((a, [, s]) => a + s.length, 0),
    slowdowns: proxy.stats.faults.slowdown,
    secret_occurrences: found,
  });
});
