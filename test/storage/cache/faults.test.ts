// Cache faults: full or read-only folder, corrupt and truncated entries, kill -9 mid-write, hostile keys, stale claims.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, truncate, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { metrics, type MetricEvent } from '../../../lib/metrics/events.js';
import type { CachedStorage } from '../../../lib/storage/cache/cached-storage.js';
import { tryClaim } from '../../../lib/storage/cache/claim.js';
import { DiskCache } from '../../../lib/storage/cache/disk-cache.js';
import { removeOrphanTemps } from '../../../lib/storage/cache/disk-scan.js';
import { decodeEntry, entryHash } from '../../../lib/storage/cache/entry-format.js';
import { tmpfs } from '../../helpers/tmpfs.js';
import { cachedS3, objects, requests, serverWith, tempSpec } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function events(t: Test, type: string): MetricEvent[] {
  const out: MetricEvent[] = [];
  t.teardown(metrics.subscribe((e) => e.type === type && out.push(e)));
  return out;
}

async function entryFiles(dir: string): Promise<string[]> {
  const root = path.join(dir, 'entries');
  const out: string[] = [];
  for (const sub of await readdir(root).catch(() => []))
    for (const f of await readdir(path.join(root, sub))) out.push(path.join(root, sub, f));
  return out;
}

t.test('disk full: the disk level turns off with one warning and every read still returns its bytes', async (t) => {
  const dir = tmpfs(t, 'size=64k');
  if (!dir) return t.plan(0, 'cannot mount a tmpfs here (needs root)');
  const objs = objects(20, 10_000);
  const srv = await serverWith(t, objs);
  const off = events(t, 'cache.disabled');
  const s = cachedS3(t, srv, await tempSpec({ dir }));
  for (const [k, b] of objs) t.same(await s.read(k), b);
  for (const [k, b] of objs) t.same(await s.read(k), b, 'second pass too');
  t.equal(off.length, 1, 'one cache.disabled event');
  t.match(off[0], { level: 'disk', code: 'ENOSPC' });
  t.match((s as unknown as CachedStorage).diskDisabled, /^ENOSPC/);
  t.same(readdirSync(path.join(dir, 'tmp')), [], 'no temp file left behind');
  for (const f of await entryFiles(dir)) t.notMatch(decodeEntry(await readFile(f), '', ''), { problem: 'truncated' });
});

t.test('read-only cache folder: the disk level turns off, reads go to the remote', async (t) => {
  const dir = tmpfs(t, 'size=64k,ro');
  if (!dir) return t.plan(0, 'cannot mount a tmpfs here (needs root)');
  const objs = objects(3, 1000);
  const srv = await serverWith(t, objs);
  const off = events(t, 'cache.disabled');
  const s = cachedS3(t, srv, await tempSpec({ dir: path.join(dir, 'cache') }));
  for (const [k, b] of objs) t.same(await s.read(k), b);
  for (const [k, b] of objs) t.same(await s.read(k), b);
  t.equal(off.length, 1);
  t.match(off[0], { code: 'EROFS' });
  t.equal((await requests(srv)).get, 6, 'every read went to the remote');
});

t.test('a corrupt or truncated entry is refused, removed and fetched again', async (t) => {
  const objs = objects(2, 5000);
  const srv = await serverWith(t, objs);
  const spec = await tempSpec();
  for (const [k] of objs) await cachedS3(t, srv, spec, 'fill').read(k);
  const [a, b] = objs;
  const fileOf = (key: string) => path.join(spec.dir, 'entries', hashOf(key).slice(0, 2), hashOf(key));
  const hashOf = (key: string) => entryHash(`s3|${srv.endpoint}|${srv.bucket}|`, key);
  const fh = await open(fileOf(a[0]), 'r+');
  await fh.write(Buffer.from([0x55]), 0, 1, (await fh.stat()).size - 10); // one flipped byte in the body
  await fh.close();
  await truncate(fileOf(b[0]), 3000); // a half-written file, as a crashed copy tool would leave
  const bad = events(t, 'cache.corrupt');
  const before = await requests(srv);
  const s = cachedS3(t, srv, spec, 'read');
  t.same(await s.read(a[0]), a[1], 'flipped byte: right bytes');
  t.same(await s.read(b[0]), b[1], 'truncated: right bytes');
  t.equal((await requests(srv)).get - before.get, 2, 'both fetched again');
  t.same(
    bad.map((e) => e.problem),
    ['checksum', 'truncated'],
  );
  const fixed = decodeEntry(await readFile(fileOf(a[0])), `s3|${srv.endpoint}|${srv.bucket}|`, a[0]);
  t.same('body' in fixed ? fixed.body : null, a[1], 'the entry was rewritten whole');
});

t.test('kill -9 during cache writes leaves no entry that is later served', async (t) => {
  const spec = await tempSpec();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/write-forever.ts'), spec.dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let written = 0;
  child.stdout.on('data', (d: Buffer) => (written += d.toString().split('\n').length - 1));
  const tmp = path.join(spec.dir, 'tmp');
  // Kill while a temp file exists: the write in progress is cut mid-way.
  while (written < 2 || !(existsSync(tmp) && readdirSync(tmp).length > 0)) await sleep(1);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok(readdirSync(tmp).length > 0, 'the killed write left its temp file');
  const cache = new DiskCache(spec.dir, 1 << 30);
  let served = 0;
  for (let i = 0; i < written + 2; i++) {
    const hit = await cache.get(entryHash('ns', `k${i}`), 'ns', `k${i}`);
    if (!hit) continue;
    served++;
    t.ok(hit.body.length === 4 << 20 && hit.body.every((x) => x === i % 251), `k${i} served whole`);
  }
  t.ok(served >= 2, `${served} complete entries served`);
  const orphans = readdirSync(tmp).length;
  t.equal(await removeOrphanTemps(spec.dir), orphans, 'the orphan temp of the dead writer is removed');
  t.same(readdirSync(tmp), []);
});

t.test('keys cannot escape the cache folder; a foreign entry under the same name is refused', async (t) => {
  const spec = await tempSpec();
  const cache = new DiskCache(spec.dir, 1 << 20);
  const hostile = ['../../../../tmp/escaped', '/etc/passwd', 'a\0b', `${'x/'.repeat(3000)}y`, 'C:\\win', '..'];
  for (const k of hostile) t.ok(await cache.put(entryHash('ns', k), 'ns', k, { size: 1 }, Buffer.from('z')), k);
  const files = await entryFiles(spec.dir);
  t.equal(files.length, hostile.length);
  for (const f of files) {
    t.ok(f.startsWith(path.join(spec.dir, 'entries') + path.sep), 'inside the folder');
    t.match(path.basename(f), /^[0-9a-f]{64}$/, 'named by hash only');
  }
  // A file planted under another key's name (a hash collision, a copied folder) is not served for that key.
  const victim = cache.entryPath(entryHash('ns', 'victim'));
  await mkdir(path.dirname(victim), { recursive: true });
  await copyFile(files[0], victim);
  t.equal(await cache.get(entryHash('ns', 'victim'), 'ns', 'victim'), null);
  t.notOk(existsSync(victim), 'and removed');
});

t.test('claims: a dead process or a silent claim is taken over; a live one is waited for', async (t) => {
  const objs = objects(3, 2000);
  const srv = await serverWith(t, objs);
  const spec = await tempSpec();
  const s = cachedS3(t, srv, spec);
  const ns = `s3|${srv.endpoint}|${srv.bucket}|`;
  const claims = path.join(spec.dir, 'claims');
  await s.read('absent-warmup').catch(() => undefined); // creates the folders
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => dead.once('exit', r));
  await writeFile(path.join(claims, `${entryHash(ns, objs[0][0])}.claim`), `${dead.pid} 0 ${Date.now()}\n`);
  t.same(await s.read(objs[0][0]), objs[0][1], 'dead pid: taken over');
  const silent = path.join(claims, `${entryHash(ns, objs[1][0])}.claim`);
  await writeFile(silent, `${process.pid} 99 ${Date.now()}\n`);
  const old = new Date(Date.now() - 60_000);
  await utimes(silent, old, old);
  t.same(await s.read(objs[1][0]), objs[1][1], 'no heartbeat for a minute: taken over');
  const waits = events(t, 'cache.wait');
  const h = entryHash(ns, objs[2][0]);
  const held = await tryClaim(claims, h);
  t.not(held, 'busy');
  const getsBefore = (await requests(srv)).get;
  const reading = s.read(objs[2][0]);
  await sleep(50);
  await new DiskCache(spec.dir, spec.maxBytes).put(h, ns, objs[2][0], { size: 2000 }, objs[2][1]);
  if (held !== 'busy') await held.release();
  t.same(await reading, objs[2][1]);
  t.equal(waits.length, 1, 'the reader waited for the live claim');
  t.equal((await requests(srv)).get, getsBefore, 'and did not download what the claim holder stored');
});
