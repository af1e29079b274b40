// Security: token required, wrong Host refused, loopback unless a host is named, secrets redacted, bad flags fail.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDashboardAddress } from '../../lib/dashboard/address.js';
import { serveDashboard } from '../../lib/dashboard/server.js';
import { DashboardError, UsageError } from '../../lib/errors.js';
import { MetricsBus } from '../../lib/metrics/events.js';
import { registerSecret } from '../../lib/redact.js';
import { sseClient } from '../helpers/sse-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** GET with any Host header (fetch would not let a test forge one). */
function get(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

/** A request written by hand (HTTP/1.0 allows leaving Host out, which no client library does). */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (out += c));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

/** The local address of the listening TCP socket on `port`, from /proc (0100007F = 127.0.0.1, 00000000 = any). */
function boundAddress(port: number): string | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') return cols[1].split(':')[0];
  }
  return undefined;
}

t.test('[HOST:]PORT parsing: loopback by default, other hosts only when named, clear errors', async (t) => {
  t.same(parseDashboardAddress('0'), { host: '127.0.0.1', port: 0 });
  t.same(parseDashboardAddress(8080), { host: '127.0.0.1', port: 8080 });
  t.same(parseDashboardAddress('0.0.0.0:9000'), { host: '0.0.0.0', port: 9000 });
  t.same(parseDashboardAddress('[::1]:9000'), { host: '::1', port: 9000 });
  t.same(parseDashboardAddress('gpu-box.local:80'), { host: 'gpu-box.local', port: 80 });
  for (const bad of ['', 'abc', '70000', ':80', 'host:', 'a/b:80', '-1'])
    t.throws(() => parseDashboardAddress(bad), UsageError, `rejects "${bad}"`);
  t.throws(() => parseDashboardAddress('x'), { message: /Expected `--dashboard` to be \[HOST:\]PORT/ });
});

t.test('requests need the token: query, bearer header, or the cookie the page gets', async (t) => {
  const d = await serveDashboard(new MetricsBus(), { announce: null });
  t.teardown(() => d.close());
  t.match(
    d.url,
    new RegExp(`^http://127\\.0\\.0\\.1:${d.port}/\\?token=[\\w-]{22}$`),
    'URL names loopback and a token',
  );
  for (const path of ['/', '/app.js', '/uplot.js', '/events', '/api/snapshot', '/metrics'])
    t.equal((await get(d.port, path)).status, 401, `${path} without a token: 401`);
  const wrong = 'x'.repeat(d.token.length);
  t.equal((await get(d.port, `/api/snapshot?token=${wrong}`)).status, 401, 'a wrong token of the right length: 401');
  t.equal((await get(d.port, '/metrics', { authorization: `Bearer ${wrong}` })).status, 401, 'a wrong bearer: 401');
  t.equal((await get(d.port, '/metrics', { authorization: `Bearer ${d.token}` })).status, 200, 'bearer token: 200');
  const page = await get(d.port, `/?token=${d.token}`);
  t.equal(page.status, 200, 'the page with ?token=: 200');
  t.match(page.headers['content-security-policy'], /default-src 'self'/, 'no third-party scripts allowed');
  t.equal(page.headers['referrer-policy'], 'no-referrer', 'the token never leaks as a referrer');
  const cookie = String(page.headers['set-cookie']).split(';')[0];
  t.match(String(page.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  t.equal((await get(d.port, '/api/snapshot', { cookie })).status, 200, 'the cookie alone opens the API');
  const otherPort = cookie.replace(`_${d.port}=`, `_${d.port + 1}=`);
  t.equal((await get(d.port, '/api/snapshot', { cookie: otherPort })).status, 401, "another port's cookie: 401");
  t.equal((await get(d.port, `/nope?token=${d.token}`)).status, 404, 'unknown paths: 404');
});

t.test('a Host header that is not the bound address is refused (DNS rebinding), even with the token', async (t) => {
  const d = await serveDashboard(new MetricsBus(), { announce: null });
  t.teardown(() => d.close());
  const q = `/api/snapshot?token=${d.token}`;
  t.equal((await get(d.port, q, { host: `evil.example:${d.port}` })).status, 403, 'attacker name: 403');
  t.equal((await get(d.port, q, { host: `127.0.0.1:${d.port + 1}` })).status, 403, 'another port: 403');
  t.match(await rawRequest(d.port, `GET ${q} HTTP/1.0\r\n\r\n`), /^HTTP\/1\.1 403 /, 'no Host header at all: 403');
  t.equal((await get(d.port, q, { host: `localhost:${d.port}` })).status, 200, 'localhost on a loopback bind: 200');
  t.equal((await get(d.port, q)).status, 200, 'the bound address: 200');
});

t.test(
  'loopback unless the host is named; a named wildcard bind accepts any Host but still needs the token',
  async (t) => {
    const local = await serveDashboard(new MetricsBus(), { announce: null });
    t.teardown(() => local.close());
    t.equal(boundAddress(local.port), '0100007F', 'default: bound to 127.0.0.1 only');
    const any = await serveDashboard(new MetricsBus(), { announce: null, host: '0.0.0.0' });
    t.teardown(() => any.close());
    t.equal(boundAddress(any.port), '00000000', 'named 0.0.0.0: bound to every interface');
    const q = `/api/snapshot?token=${any.token}`;
    t.equal((await get(any.port, q, { host: `gpu-box:${any.port}` })).status, 200, 'any Host with the token');
    t.equal((await get(any.port, '/api/snapshot', { host: `gpu-box:${any.port}` })).status, 401, 'no token: 401');
  },
);

t.test('a port in use fails with TF_DASHBOARD naming the address', async (t) => {
  const first = await serveDashboard(new MetricsBus(), { announce: null });
  t.teardown(() => first.close());
  await t.rejects(serveDashboard(new MetricsBus(), { announce: null, port: first.port }), {
    constructor: DashboardError,
    code: 'TF_DASHBOARD',
    message: new RegExp(`127\\.0\\.0\\.1:${first.port}: EADDRINUSE`),
  });
});

t.test('registered secrets and credential fields never reach the snapshot, the events or /metrics', async (t) => {
  const secret = 'AKIA-dashboard-test-9f3e1c';
  registerSecret(secret);
  const bus = new MetricsBus();
  const d = await serveDashboard(bus, { announce: null });
  const c = sseClient(`http://127.0.0.1:${d.port}/events?token=${d.token}`);
  t.teardown(async () => {
    c.close();
    await d.close();
  });
  await c.status;
  bus.emit('loader.skip', {
    dataset: 'private',
    key: `https://bucket.example/a.jpg?sig=${secret}`,
    reason: `read_error`,
    message: `GET failed with key ${secret}`,
    aws_secret_access_key: 'plain-field-value-123',
  });
  await c.waitFor(() => c.frames.some((f) => f.event === 'metric'));
  const bodies = [
    JSON.stringify(c.frames),
    (await get(d.port, `/api/snapshot?token=${d.token}`)).body,
    (await get(d.port, `/metrics?token=${d.token}`)).body,
  ];
  t.ok(bodies[1].includes('[REDACTED]'), 'the snapshot shows where a secret was');
  for (const [i, b] of bodies.entries()) {
    t.notOk(b.includes(secret), `body ${i}: no registered secret`);
    t.notOk(b.includes('plain-field-value-123'), `body ${i}: no credential field value`);
  }
});

function cli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'lib/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = new Promise<number | null>((r) => child.on('exit', r));
  return { child, code, stderr: () => stderr };
}

t.test('CLI: --dashboard 0 prints a loopback URL with a token; a bad value fails before any work', async (t) => {
  const dir = await mkdtemp(join(os.tmpdir(), 'tf-dash-cli-'));
  const cfg = join(dir, 'mdb.json');
  await writeFile(
    cfg,
    JSON.stringify([
      { id: 'empty', type: 'local', instance_data_dir: dir, resolution: 64, resolution_type: 'pixel' },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: join(dir, 'te') },
    ]),
  );
  const ok = cli(['scan', cfg, '--workers', '0', '--dashboard', '0']);
  await ok.code;
  t.match(ok.stderr(), /^tunefeed dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{22}$/m, 'URL on stderr');
  const bad = cli(['scan', cfg, '--dashboard', 'nowhere']);
  t.not(await bad.code, 0, 'nonzero exit');
  t.match(bad.stderr(), /Expected `--dashboard` to be \[HOST:\]PORT/, 'says what was expected');
  t.notMatch(bad.stderr(), /\n\s+at /, 'no stack trace');
  t.notMatch(bad.stderr(), /tunefeed dashboard:/, 'nothing started');
});
