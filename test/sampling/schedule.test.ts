// SimpleTuner's schedule normalisers and activity vectors (test_dataset_schedule.py).
import t from 'tap';
import {
  isActive,
  makeSchedule,
  normalizeEnd,
  normalizeStartEpoch,
  normalizeStartStep,
} from '../../lib/sampling/schedule.js';

t.test('normalize_start_epoch', async (t) => {
  const cases: [unknown, number][] = [
    [3, 3],
    ['3', 3],
    [0, 1],
    [-2, 1],
    [null, 1],
    [undefined, 1],
    ['abc', 1],
    [2.7, 2],
  ];
  for (const [i, o] of cases) t.equal(normalizeStartEpoch(i), o, `${String(i)} → ${o}`);
});

t.test('normalize_start_step', async (t) => {
  const cases: [unknown, number][] = [
    [0, 0],
    [-5, 0],
    [null, 0],
    ['x', 0],
    [150, 150],
  ];
  for (const [i, o] of cases) t.equal(normalizeStartStep(i), o, `${String(i)} → ${o}`);
});

t.test('normalize_end_*', async (t) => {
  const cases: [unknown, number | null][] = [
    [null, null],
    ['', null],
    [0, null],
    [-3, null],
    ['abc', null],
    [2.9, 2],
    [300, 300],
  ];
  for (const [i, o] of cases) t.equal(normalizeEnd(i), o, `${String(i)} → ${o}`);
});

t.test('activity', async (t) => {
  t.notOk(isActive(makeSchedule({ start_epoch: 3 }), 1, 1), 'start_epoch 3 inactive in epoch 1');
  t.ok(isActive(makeSchedule({ start_epoch: 3 }), 3, 1), 'active in epoch 3');
  t.notOk(isActive(makeSchedule({ start_step: 100 }), 1, 50), 'start_step 100 inactive at 50');
  t.ok(isActive(makeSchedule({ start_step: 100 }), 1, 100), 'active at 100');
  t.ok(isActive(makeSchedule({ end_epoch: 3 }), 3, 1), 'end_epoch 3 active in 3');
  t.notOk(isActive(makeSchedule({ end_epoch: 3 }), 4, 1), 'inactive in 4');
  t.ok(isActive(makeSchedule({ end_step: 300 }), 1, 300), 'end_step 300 active at 300');
  t.notOk(isActive(makeSchedule({ end_step: 300 }), 1, 301), 'inactive at 301');
  const low = makeSchedule({ end_step: 300 });
  const high = makeSchedule({ start_step: 300 });
  t.same(
    [299, 300, 301].map((s) => [isActive(low, 1, s), isActive(high, 1, s)]),
    [
      [true, false],
      [true, true],
      [false, true],
    ],
    'curriculum handoff',
  );
  const stages = [
    makeSchedule({ end_epoch: 1 }),
    makeSchedule({ start_epoch: 2, end_epoch: 2 }),
    makeSchedule({ start_epoch: 3 }),
  ];
  t.same(
    [1, 2, 3].map((e) => stages.map((s) => isActive(s, e, 1))),
    [
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ],
    'three epoch stages',
  );
});
