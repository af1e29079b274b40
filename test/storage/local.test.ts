// LocalStorage against a real directory tree: listing, junk folders, symlink loops, ranges, atomic writes, escapes.
import t, { type Test } from 'tap';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { LocalStorage } from '../../lib/storage/local.js';
import { createStorage } from '../../lib/storage/from-description.js';
import { NotFoundError, PathEscapeError } from '../../lib/errors.js';
import type { BackendDescription, ObjectInfo } from '../../lib/storage/types.js';

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of it) out.push(o);
  return out;
}

async function tree(t: Test): Promise<{ root: string; png: Buffer }> {
  const root = t.testdir({
    'a.PNG': '',
    'b.jpg': 'jpeg?',
    'notes.txt': 'caption',
    sub: { 'c.webp': 'w', deeper: { 'd.Jpeg': 'dd' } },
    '.Spotlight-V100': { 'x.png': 'junk' },
    '.ipynb_checkpoints': { 'y.png': 'junk' },
    '.Trashes': { 'z.png': 'junk' },
  });
  const png = await sharp({ create: { width: 8, height: 4, channels: 3, background: '#f00' } })
    .png()
    .toBuffer();
  await writeFile(path.join(root, 'a.PNG'), png);
  return { root, png };
}

t.test('lists recursively, sorted, skipping junk, case-insensitive extensions', async (t) => {
  const { root, png } = await tree(t);
  const s = new LocalStorage({ id: 'ds', root });
  const all = await collect(s.list());
  t.same(
    all.map((o) => o.key),
    ['a.PNG', 'b.jpg', 'notes.txt', 'sub/c.webp', 'sub/deeper/d.Jpeg'],
  );
  t.equal(all[0].size, png.length);
  t.ok(all[0].mtimeMs! > 0);
  const imgs = await collect(s.list({ extensions: ['png', 'JPEG', '.webp'] }));
  t.same(
    imgs.map((o) => o.key),
    ['a.PNG', 'sub/c.webp', 'sub/deeper/d.Jpeg'],
  );
  const sub = await collect(s.list({ prefix: 'sub' }));
  t.same(
    sub.map((o) => o.key),
    ['sub/c.webp', 'sub/deeper/d.Jpeg'],
  );
  t.same(await collect(s.list({ prefix: 'missing' })), []);
});

t.test('symlink cycles are walked once', async (t) => {
  const { root } = await tree(t);
  await symlink(root, path.join(root, 'sub', 'loop'));
  await symlink(path.join(root, 'sub'), path.join(root, 'sub2'));
  await symlink(path.join(root, 'nowhere'), path.join(root, 'dangling.png'));
  const s = new LocalStorage({ id: 'ds', root });
  const keys = (await collect(s.list())).map((o) => o.key);
  t.equal(new Set(keys).size, keys.length, 'no duplicates');
  t.same(keys, ['a.PNG', 'b.jpg', 'notes.txt', 'sub/c.webp', 'sub/deeper/d.Jpeg']);
});

t.test('read, readRange, stat, exists', async (t) => {
  const { root, png } = await tree(t);
  const s = new LocalStorage({ id: 'ds', root });
  t.same(await s.read('a.PNG'), png);
  t.same(await s.readRange('a.PNG', 0, 8), png.subarray(0, 8));
  t.same(await s.readRange('a.PNG', 16, 24), png.subarray(16, 24));
  t.same(
    await s.readRange('a.PNG', png.length - 3, png.length + 100),
    png.subarray(png.length - 3),
    'short at the end',
  );
  t.equal((await s.readRange('a.PNG', png.length + 5, png.length + 10)).length, 0);
  t.match(await s.stat('sub/./c.webp'), { key: 'sub/c.webp', size: 1 });
  t.equal(await s.exists('b.jpg'), true);
  t.equal(await s.exists('sub'), false, 'a directory is not an object');
  t.equal(await s.exists('nope.png'), false);
  await t.rejects(s.read('nope.png'), NotFoundError);
  await t.rejects(s.stat('sub'), NotFoundError);
  await t.rejects(s.readRange('nope.png', 0, 4), { code: 'TF_STORAGE_NOT_FOUND', message: /dataset=ds/ });
});

t.test('atomic writes create parents and leave no temp files; delete is idempotent', async (t) => {
  const root = t.testdir({});
  const s = new LocalStorage({ id: 'ds', root });
  await s.write('x/y/z.json', '{"a":1}');
  await s.write('x/y/z.json', Buffer.from('{"a":2}'));
  t.same((await s.read('x/y/z.json')).toString(), '{"a":2}');
  t.same(await readdir(path.join(root, 'x/y')), ['z.json']);
  await s.delete('x/y/z.json');
  await s.delete('x/y/z.json');
  t.equal(await s.exists('x/y/z.json'), false);
});

t.test('keys that escape the root are refused everywhere', async (t) => {
  const { root } = await tree(t);
  await mkdir(path.join(root, '..', 'outside'), { recursive: true });
  const s = new LocalStorage({ id: 'ds', root });
  for (const bad of [
    'file:///etc/passwd',
    'https://evil.example/x.png',
    '../outside/x',
    'sub/../../x',
    '/etc/passwd',
    'C:\\windows',
    '..',
    '',
    'a\0b',
    '\\\\server\\share',
  ]) {
    await t.rejects(s.read(bad), PathEscapeError, `read ${JSON.stringify(bad)}`);
    await t.rejects(s.write(bad, 'x'), PathEscapeError, `write ${JSON.stringify(bad)}`);
    await t.rejects(s.delete(bad), PathEscapeError, `delete ${JSON.stringify(bad)}`);
  }
  await t.rejects(s.exists('../x'), { code: 'TF_STORAGE_PATH_ESCAPE', message: /dataset=ds/ });
  t.throws(() => s.keyFromExternal('/etc/passwd'), PathEscapeError);
  t.throws(() => s.keyFromExternal(path.join(root, '..', 'outside', 'x')), PathEscapeError);
  t.equal(s.keyFromExternal(path.join(root, 'sub', 'c.webp')), 'sub/c.webp');
  t.equal(s.externalPath('sub/c.webp'), path.join(root, 'sub', 'c.webp'));
});

t.test('createStorage rebuilds an equivalent client from describe()', async (t) => {
  const { root } = await tree(t);
  const s = new LocalStorage({ id: 'ds', root: path.relative(process.cwd(), root) });
  const desc = s.describe();
  t.same(desc, { kind: 'local', id: 'ds', root });
  const copy = createStorage(JSON.parse(JSON.stringify(desc)) as BackendDescription);
  t.same(await collect(copy.list()), await collect(s.list()));
  t.throws(() => createStorage({ kind: 'nope', id: 'x' } as never), {
    code: 'TF_REGISTRY_UNKNOWN',
    message: /known kinds: local, aws, csv, huggingface/,
  });
});
