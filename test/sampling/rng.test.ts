// The seeded generator and permutations: determinism, key separation, uniformity, true permutations.
import t from 'tap';
import { hashKey, Rng, rngFor } from '../../lib/sampling/rng.js';
import { permutation } from '../../lib/sampling/shuffle.js';

t.test('same key, same stream; different keys, different streams', async (t) => {
  const a = rngFor('x', 1, 'ds');
  const b = rngFor('x', 1, 'ds');
  const c = rngFor('x', 2, 'ds');
  const sa = Array.from({ length: 8 }, () => a.nextU32());
  t.same(
    Array.from({ length: 8 }, () => b.nextU32()),
    sa,
  );
  t.not(Array.from({ length: 8 }, () => c.nextU32()).join(), sa.join());
});

t.test('keys with separators inside parts do not collide', async (t) => {
  t.not(hashKey(['a:b', 'c']).join(), hashKey(['a', 'b:c']).join());
  t.not(hashKey([1, 23]).join(), hashKey([12, 3]).join());
  t.not(hashKey(['1']).join(), hashKey([1]).join());
});

t.test('all-zero seed does not stick at zero', async (t) => {
  const r = new Rng([0, 0, 0, 0]);
  t.ok(Array.from({ length: 4 }, () => r.nextU32()).some((x) => x !== 0));
});

t.test('floats are in [0,1) and roughly uniform (chi-square over 20 bins)', async (t) => {
  const r = rngFor('uniformity');
  const bins = new Array<number>(20).fill(0);
  const n = 100_000;
  let outside = 0;
  for (let i = 0; i < n; i++) {
    const f = r.nextFloat();
    if (!(f >= 0 && f < 1)) outside++;
    else bins[Math.floor(f * 20)]++;
  }
  t.equal(outside, 0, 'every draw in [0,1)');
  const e = n / 20;
  const chi = bins.reduce((s, o) => s + (o - e) ** 2 / e, 0);
  t.ok(chi < 45, `chi-square ${chi.toFixed(1)} (19 dof, p≈0.001 at 43.8)`);
});

t.test('permutation is a permutation for many sizes and keys', async (t) => {
  for (let n = 0; n < 60; n++) {
    for (let s = 0; s < 5; s++) {
      const p = permutation(n, ['perm', s, n]);
      const sorted = Array.from(p).sort((a, b) => a - b);
      if (sorted.some((v, i) => v !== i)) t.fail(`n=${n} s=${s} not a permutation`);
    }
  }
  t.pass('0..59 × 5 keys');
  t.not(Array.from(permutation(50, ['a'])).join(), Array.from(permutation(50, ['b'])).join());
});

t.test('position of element 0 is uniform over shuffles', async (t) => {
  const counts = new Array<number>(5).fill(0);
  for (let s = 0; s < 5000; s++) counts[permutation(5, ['pos', s]).indexOf(0)]++;
  for (const c of counts) t.ok(c > 850 && c < 1150, `count ${c} ≈ 1000`);
});
