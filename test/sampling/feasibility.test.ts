// The impossible-configuration check: SimpleTuner's vectors, its message, and oversubscription padding.
import t from 'tap';
import { ImpossibleBatchError } from '../../lib/errors.js';
import { checkFeasibility } from '../../lib/sampling/feasibility.js';

const base = { id: 'ds', repeats: 0, batchSize: 4, worldSize: 8, gradAccum: 1, allowOversubscription: false };

t.test('4 images, bs 4, 8 GPUs: effective 32, at least 7 repeats', async (t) => {
  const e = t.throws(() => checkFeasibility({ ...base, bucketSizes: { '1.0': 4 } })) as ImpossibleBatchError;
  t.ok(e instanceof ImpossibleBatchError);
  t.equal(e.code, 'TF_BATCH_IMPOSSIBLE');
  t.match(e.message, 'Dataset configuration will produce zero usable batches.');
  t.match(e.message, '  - Effective batch size: 32');
  t.match(e.message, '  - Bucket 1.0: 4 samples × 1 (with repeats) = 4 samples');
  t.match(e.message, 'Minimum repeats required: 7');
  t.match(e.message, 'Increase repeats to at least 7 (current: 0)');
  t.match(e.message, 'dataset=ds');
});

t.test('grad accumulation counts; the largest need is reported', async (t) => {
  const e = t.throws(() =>
    checkFeasibility({ ...base, worldSize: 2, gradAccum: 2, bucketSizes: { '1.0': 3, '0.75': 5, '1.5': 40 } }),
  ) as Error;
  t.match(e.message, 'Problem: 2 bucket(s)');
  t.match(e.message, 'Increase repeats to at least 5');
});

t.test('oversubscription pads only short buckets, and only without manual repeats', async (t) => {
  const r = checkFeasibility({ ...base, allowOversubscription: true, bucketSizes: { '1.0': 4, '0.5': 40, '2.0': 25 } });
  t.same(r, { '1.0': 7, '0.5': 0, '2.0': 1 });
  const e = t.throws(() =>
    checkFeasibility({ ...base, repeats: 2, allowOversubscription: true, bucketSizes: { '1.0': 4 } }),
  ) as Error;
  t.match(e.message, 'You have manually set repeats=2');
});

t.test('eval datasets need only one sample', async (t) => {
  t.same(checkFeasibility({ ...base, isEval: true, bucketSizes: { '1.0': 1 } }), { '1.0': 0 });
});
