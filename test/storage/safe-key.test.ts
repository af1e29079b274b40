// resolveUnder's fast join below a normal POSIX root gives exactly path.resolve's answer, and escapes stay refused.
import t from 'tap';
import path from 'node:path';
import { PathEscapeError } from '../../lib/errors.js';
import { isInside, resolveUnder, safeKey } from '../../lib/storage/safe-key.js';

const KEYS = ['a.png', 'sub/b.jpg', './c/./d.pt', 'e//f', 'g/', 'back\\slash', 'ü/é.pt', '.hidden/x', 'x..y/z'];
const BAD = ['', '../x', 'a/../../x', '/etc/passwd', 'a\0b', 'http://h/x', 'a/..', '.', './'];

t.test('resolveUnder equals path.resolve of the clean key, for normal and non-normal roots', async (t) => {
  for (const root of ['/', '/data', '/data/sets/ds1', '/data/', '/data/./sets/../sets', '/data//x']) {
    for (const key of KEYS) {
      const expected = path.resolve(root, ...safeKey(key).split('/'));
      t.equal(resolveUnder(root, key), expected, `${root} + ${key}`);
      t.ok(isInside(path.resolve(root), expected), `${root} + ${key} stays inside`);
    }
  }
});

t.test('keys that could escape are refused whatever the root looks like', async (t) => {
  for (const root of ['/', '/data', '/data/']) {
    for (const key of BAD)
      t.throws(() => resolveUnder(root, key, { dataset: 'ds' }), PathEscapeError, `${root} ${key}`);
  }
});
