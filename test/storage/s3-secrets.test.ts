// Everything written during an S3 run (stdout, stderr logs, errors, cache files, stored objects) is free of the secret.
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { childOutput } from '../helpers/child-output.js';

const script = fileURLToPath(new URL('../fixtures/storage/s3-secret-run.ts', import.meta.url));

async function* files(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

t.test('the secret key never appears in anything written', async (t) => {
  const secret = `tfSecret${randomBytes(12).toString('hex')}`;
  const token = `tfToken${randomBytes(12).toString('hex')}`;
  const srv = await startS3Server(t, { bucket: 'secret-bucket' });
  await srv.putMany([
    ['a.png', 'aaaa'],
    ['b/c.png', 'cccc'],
    ['doomed.png', 'x'],
  ]);
  const proxy = await startFaultProxy(t, srv.endpoint, (r) =>
    r.url.includes('doomed')
      ? { kind: 'status', status: 403, code: 'AccessDenied' }
      : r.n % 3 === 0
        ? { kind: 'slowdown' }
        : { kind: 'pass' },
  );
  const cacheDir = t.testdir({});
  const desc = awsDescription(srv, { endpoint: proxy.url, secretAccessKey: secret, sessionToken: token });
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: {
      ...process.env,
      TF_DESC: JSON.stringify(desc),
      TF_CACHE_DIR: cacheDir,
      TUNEFEED_LOG_LEVEL: 'debug',
      TUNEFEED_LOG_FORMAT: 'json',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { code, out, err } = await childOutput(child);
  t.equal(code, 0, err.slice(-2000));
  t.match(out, /"done":true,"listed":3/, 'the run did real work');
  t.match(err, /retrying (list|read) after slow_down/, 'retries were logged');
  t.match(out, /TF_STORAGE.*AccessDenied/, 'the failure was reported');
  t.match(err, /\[REDACTED\]/, 'credentials were present and redacted');
  const written: [string, string][] = [
    ['stdout', out],
    ['stderr', err],
  ];
  for (const dir of [cacheDir, srv.dir])
    for await (const f of files(dir)) written.push([f, (await readFile(f)).toString('latin1')]);
  t.ok(
    written.some(([f]) => f.endsWith('listing.json')) &&
      written.some(([f]) => f.includes('aspect_ratio_bucket_indices')),
    'cache files were written',
  );
  for (const [name, text] of written) {
    const at = text.indexOf(secret);
    t.notOk(at >= 0, `no secret in ${name}`, { context: at >= 0 ? text.slice(Math.max(0, at - 300), at + 100) : '' });
    t.notOk(text.includes(token), `no session token in ${name}`);
  }
});
