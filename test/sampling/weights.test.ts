// Weighting registry discipline and the built-in strategies' numbers.
import t from 'tap';
import { RegistryDuplicateError, RegistryLookupError } from '../../lib/errors.js';
import { getWeighting, registerWeighting, weightingNames, type WeightContext } from '../../lib/sampling/weights.js';

const ctx = (over: Partial<WeightContext> = {}): WeightContext => ({
  candidates: [
    { id: 'a', probability: 1, batchesPerEpoch: 30, disableAfterEpochStep: null },
    { id: 'b', probability: 0.5, batchesPerEpoch: 10, disableAfterEpochStep: 100 },
  ],
  step: 0,
  optimizerStep: 0,
  epoch: 1,
  ...over,
});

t.test('uniform returns probabilities', async (t) => {
  t.same(getWeighting('uniform')(ctx()), [1, 0.5]);
});

t.test('auto-weighting: probability × batch share, decayed by disable_after_epoch_step', async (t) => {
  const w = getWeighting('auto-weighting');
  t.same(w(ctx()), [30 / 40, (0.5 * 10) / 40]);
  const half = w(ctx({ optimizerStep: 50 }));
  t.equal(half[1], ((0.5 * 10) / 40) * 0.5);
  t.equal(w(ctx({ optimizerStep: 100 }))[1], 0, 'zero at the limit');
  t.equal(w(ctx({ optimizerStep: 150 }))[1], 0, 'zero after');
});

t.test('duplicates throw, unknown names list the known ones, custom strategies are found', async (t) => {
  t.throws(() => registerWeighting('uniform', () => []), RegistryDuplicateError);
  const err = t.throws(() => getWeighting('nope')) as Error;
  t.ok(err instanceof RegistryLookupError);
  t.match(err.message, /Unknown sampling weighting method: nope.*uniform, auto-weighting/);
  registerWeighting('first-only', (c) => c.candidates.map((_, i) => (i === 0 ? 1 : 0)));
  t.ok(weightingNames().includes('first-only'));
  t.same(getWeighting('first-only')(ctx()), [1, 0]);
});
