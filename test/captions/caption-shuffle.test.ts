// caption_shuffle and the Mersenne Twister port reproduce CPython's own output (vectors from make-fixtures.py).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expandWithShuffles, pyStrip } from '../../lib/captions/caption-shuffle.js';
import { PyRandom } from '../../lib/captions/py-random.js';

const dir = fileURLToPath(new URL('../fixtures/embeds/', import.meta.url));
const v = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as {
  mt_random: { seed: number; getrandbits32: number[] };
  shuffles: {
    caption: string;
    seed: number;
    count: number;
    split_on: 'comma' | 'space' | 'period';
    position_start: number;
    include_original: boolean;
    variants: string[];
  }[];
};

t.test('MT19937 seeded like random.Random(int)', async (t) => {
  const r = new PyRandom(v.mt_random.seed);
  t.same(
    v.mt_random.getrandbits32.map(() => r.getrandbits(32)),
    v.mt_random.getrandbits32,
  );
  const neg = new PyRandom(-v.mt_random.seed);
  t.equal(neg.getrandbits(32), v.mt_random.getrandbits32[0], 'the sign of the seed is ignored, as in CPython');
});

t.test('shuffle variants equal CPython CaptionShuffler output', async (t) => {
  for (const c of v.shuffles) {
    const got = expandWithShuffles(c.caption, {
      count: c.count,
      seed: c.seed,
      split_on: c.split_on,
      position_start: c.position_start,
      include_original: c.include_original,
    });
    t.same(got, c.variants, `${c.caption} (seed ${c.seed})`);
  }
});

t.test('invariants: fixed head, same multiset of tags, no duplicates', async (t) => {
  const caption = 'masterpiece, best quality, a, b, c, d, e';
  for (let seed = 0; seed < 50; seed++) {
    const out = expandWithShuffles(caption, {
      count: 4,
      seed,
      split_on: 'comma',
      position_start: 2,
      include_original: false,
    });
    t.equal(new Set(out).size, out.length);
    for (const s of out) {
      const tags = s.split(', ');
      t.same(tags.slice(0, 2), ['masterpiece', 'best quality']);
      t.same([...tags].sort(), caption.split(', ').sort());
    }
  }
  t.same(
    expandWithShuffles('   ', { count: 3, seed: 1, split_on: 'comma', position_start: 0, include_original: false }),
    ['   '],
  );
});

t.test('pyStrip follows str.strip (BOM is not whitespace)', async (t) => {
  t.equal(pyStrip('\u3000 a b\t\n'), 'a b');
  t.equal(pyStrip('\ufeffa'), '\ufeffa');
});
