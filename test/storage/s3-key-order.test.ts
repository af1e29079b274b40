// S3 key order (UTF-8 bytes) and split candidates: pure functions checked against Buffer.compare and their bounds.
import t from 'tap';
import { compareKeys, orderedPage } from '../../lib/storage/s3-key-order.js';
import { findBoundaries, splitCandidates } from '../../lib/storage/s3-split.js';
import { AROUND_SLASH } from '../helpers/s3-list-layouts.js';

const tricky = [...AROUND_SLASH, 'a', 'ab', '', '\uFF61x', '\u{1F3B5}x', '\uE000', '\uD7FF', 'é', 'e\u0301', 'Z', 'z'];

t.test('compareKeys orders every pair as UTF-8 bytes do (astral vs U+E000-U+FFFF included)', async (t) => {
  let pairs = 0;
  for (const a of tricky)
    for (const b of tricky) {
      pairs++;
      const want = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      if (Math.sign(compareKeys(a, b)) !== want) t.fail(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  t.equal(pairs, tricky.length ** 2);
  t.ok(compareKeys('\u{1F3B5}', '\uFF61') > 0, 'an emoji sorts after U+FF61, unlike JS <');
  t.ok('\u{1F3B5}' < '\uFF61', 'which JS string comparison gets the other way round');
});

t.test(
  'orderedPage sorts a final page, refuses a truncated out-of-order one and a key not after StartAfter',
  async (t) => {
    const origin = { dataset: 'd', where: 's3://b/p/' };
    const objs = (keys: string[]) => keys.map((Key) => ({ Key }));
    t.same(
      orderedPage(origin, objs(['a/b', 'a b', 'a0']), undefined, false).map((o) => o.Key),
      ['a b', 'a/b', 'a0'],
    );
    t.throws(() => orderedPage(origin, objs(['a/b', 'a b']), undefined, true), { code: 'TF_STORAGE' });
    t.throws(() => orderedPage(origin, objs(['a', 'b']), 'a', false), { code: 'TF_STORAGE', message: /came after/ });
  },
);

t.test(
  'split candidates lie strictly between the page and the range end; boundaries are real keys inside',
  async (t) => {
    const page = Array.from({ length: 1000 }, (_, i) => `p/img-${String(i).padStart(6, '0')}.png`);
    const hi = 'p/img-030000.png';
    const c = splitCandidates('p/', page, hi, 16);
    t.ok(c.length > 0 && c.length <= 16, `${c.length} candidates`);
    t.ok(
      c.every((k) => compareKeys(k, page[999]) > 0 && compareKeys(k, hi) < 0 && k.startsWith('p/')),
      'all in range',
    );
    const all = Array.from({ length: 40_000 }, (_, i) => `p/img-${String(i).padStart(6, '0')}.png`);
    const probe = async (after: string) => all.find((k) => compareKeys(k, after) > 0);
    const found = await findBoundaries(c, page[999], hi, probe, 4);
    t.ok(Array.isArray(found) && found.length > 3, `boundaries ${JSON.stringify(found)}`);
    t.ok(Array.isArray(found) && found.every((k) => all.includes(k) && compareKeys(k, hi) < 0), 'real keys before hi');
    t.equal(await findBoundaries(c, page[999], hi, async () => all[0], 4), 'ignored', 'StartAfter ignored is detected');
  },
);
