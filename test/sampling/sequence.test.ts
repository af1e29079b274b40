// Invariants of the global batch sequence over many seeds and world sizes: permutation per epoch, single-bucket
// batches, disjoint rank shares, resume == uninterrupted (also across world sizes), schedules and exhaustion.
import t from 'tap';
import { NoActiveDatasetError, ResumeStateError } from '../../lib/errors.js';
import { createPlan, resolveItem, type PlanDataset, type RankBatch } from '../../lib/sampling/plan.js';
import { chooseWeighted } from '../../lib/sampling/sequence.js';
import { getWeighting } from '../../lib/sampling/weights.js';
import type { ResumeState } from '../../lib/sampling/state.js';

const ds = (id: string, bucketSizes: Record<string, number>, over: Partial<PlanDataset> = {}): PlanDataset => ({
  id,
  bucketSizes,
  batchSize: 2,
  repeats: 0,
  probability: 1,
  disableAfterEpochStep: null,
  ...over,
});

function run(
  datasets: PlanDataset[],
  seed: number,
  rank: number,
  worldSize: number,
  steps: number,
  resume?: ResumeState,
) {
  const { orders, sequence } = createPlan(datasets, {
    seed,
    world: { rank, worldSize },
    gradAccum: 1,
    allowOversubscription: false,
    weighting: getWeighting('auto-weighting'),
    ...(resume ? { resume } : {}),
  });
  const out: RankBatch[] = [];
  for (let i = 0; i < steps; i++) {
    const item = sequence.next();
    out.push(resolveItem(item, orders.get(item.dataset)!, { rank, worldSize }));
  }
  return { out, state: sequence.state() };
}

const key = (b: RankBatch) => `${b.step}|${b.dataset}|${b.bucket}|${b.mine.join(',')}`;

t.test(
  'each epoch serves every sample (repeats+1) times, plus only bucket padding; batches are single-bucket',
  async (t) => {
    for (let seed = 0; seed < 25; seed++) {
      const datasets = [
        ds('a', { '1.0': 13, '0.75': 7 }, { repeats: seed % 3 }),
        ds('b', { '1.5': 9 }, { batchSize: 3 }),
      ];
      const { out } = run(datasets, seed, 0, 1, 200);
      const epoch1 = out.filter((b) => b.epoch === 1);
      for (const d of datasets) {
        for (const [bucket, n] of Object.entries(d.bucketSizes)) {
          const batches = epoch1.filter((b) => b.dataset === d.id && b.bucket === bucket);
          const counts = new Array<number>(n).fill(0);
          let padded = 0;
          for (const b of batches) {
            padded += b.global.padded;
            for (const i of b.global.samples) counts[i]++;
          }
          const reps = d.repeats + 1;
          const over = counts.reduce((s, c) => s + c - reps, 0);
          if (counts.some((c) => c < reps) || over !== padded || padded >= d.batchSize) {
            t.fail(`seed ${seed} ${d.id}/${bucket}: counts ${counts.join(',')} padded ${padded}`);
          }
        }
      }
      if (!out.some((b) => b.epoch === 2)) t.fail('epoch 2 reached');
      if (out.some((b) => b.global.samples.length !== (b.dataset === 'b' ? 3 : 2))) t.fail('batch size');
    }
    t.pass('25 seeds');
  },
);

t.test('rank shares are disjoint and together make the global batch, for world sizes 1..6', async (t) => {
  for (let seed = 0; seed < 10; seed++) {
    for (const w of [1, 2, 3, 4, 6]) {
      const datasets = [
        ds('a', { '1.0': 40, '0.5': 25 }, { batchSize: 2 }),
        ds('b', { '1.0': 31 }, { batchSize: 1, probability: 2 }),
      ];
      const ranks = Array.from({ length: w }, (_, r) => run(datasets, seed, r, w, 40).out);
      for (let s = 0; s < 40; s++) {
        const union = ranks.flatMap((o) => o[s].mine);
        const g = ranks[0][s].global;
        if (union.join() !== Array.from(g.samples).join()) t.fail(`seed ${seed} w ${w} step ${s}`);
        if (new Set(ranks.map((o) => `${o[s].dataset}|${o[s].bucket}|${o[s].epoch}`)).size !== 1)
          t.fail('ranks agree on dataset/bucket');
        if (g.padded === 0 && new Set(g.samples).size !== g.samples.length) t.fail('disjoint slots in unpadded batch');
      }
    }
  }
  t.pass('10 seeds × 5 world sizes');
});

t.test('resume == uninterrupted, at many cut points and seeds', async (t) => {
  const datasets = [ds('a', { '1.0': 11, '2.0': 6 }, { repeats: 1 }), ds('b', { '1.0': 5 }, { probability: 0.3 })];
  for (let seed = 0; seed < 15; seed++) {
    const whole = run(datasets, seed, 1, 2, 120).out.map(key);
    for (const cut of [0, 1, 7, 33, 60, 119]) {
      const first = run(datasets, seed, 1, 2, cut);
      const state = JSON.parse(JSON.stringify(first.state)) as ResumeState;
      const rest = run(datasets, seed, 1, 2, 120 - cut, state).out.map(key);
      if ([...first.out.map(key), ...rest].join('\n') !== whole.join('\n')) t.fail(`seed ${seed} cut ${cut}`);
    }
  }
  t.pass('15 seeds × 6 cuts');
});

t.test('resume on another world size with the same global batch continues the same global sequence', async (t) => {
  const mk = (bs: number) => [
    ds('a', { '1.0': 24, '0.5': 16 }, { batchSize: bs }),
    ds('b', { '1.0': 20 }, { batchSize: bs }),
  ];
  for (let seed = 0; seed < 8; seed++) {
    const globalOf = (outs: RankBatch[][], s: number) => outs.flatMap((o) => o[s].mine).join(',');
    const four = Array.from({ length: 4 }, (_, r) => run(mk(2), seed, r, 4, 50).out);
    const firstTwo = Array.from({ length: 2 }, (_, r) => run(mk(4), seed, r, 2, 20));
    const state = firstTwo[0].state;
    const resumed = Array.from({ length: 4 }, (_, r) => run(mk(2), seed, r, 4, 30, state).out);
    for (let s = 0; s < 20; s++) {
      if (
        globalOf(
          firstTwo.map((x) => x.out),
          s,
        ) !== globalOf(four, s)
      )
        t.fail(`seed ${seed} step ${s} (2 ranks)`);
    }
    for (let s = 0; s < 30; s++) {
      if (globalOf(resumed, s) !== globalOf(four, s + 20) || resumed[0][s].step !== s + 20)
        t.fail(`seed ${seed} step ${s + 20} (resumed)`);
    }
  }
  t.pass('8 seeds: 2×bs4 → 4×bs2');
  const state = run(mk(4), 1, 0, 2, 3).state;
  t.throws(() => run(mk(4), 1, 0, 4, 1, state), ResumeStateError, 'different global batch is refused');
  t.throws(() => run(mk(4), 2, 0, 2, 1, state), ResumeStateError, 'different seed is refused');
});

t.test('dataset choice per step depends only on (seed + step) and the weights', async (t) => {
  const picks = Array.from({ length: 200 }, (_, s) => chooseWeighted(7, s, [1, 3]));
  t.same(
    Array.from({ length: 200 }, (_, s) => chooseWeighted(7, s, [1, 3])),
    picks,
  );
  const share = picks.filter((p) => p === 1).length / 200;
  t.ok(share > 0.6 && share < 0.9, `share ${share} ≈ 0.75`);
  t.equal(chooseWeighted(7, 3, [0, 0, 5]), 2, 'zero weights are never picked');
});

t.test('schedules: a late dataset joins at its start_step; none active and none exhausted is an error', async (t) => {
  const datasets = [ds('early', { '1.0': 100 }), ds('late', { '1.0': 100 }, { start_step: 10 })];
  const { out } = run(datasets, 3, 0, 1, 30);
  t.ok(
    out.slice(0, 9).every((b) => b.dataset === 'early'),
    'first 9 steps only early',
  );
  t.ok(
    out.slice(9).some((b) => b.dataset === 'late'),
    'late joins from step 10',
  );
  const e = t.throws(() => run([ds('x', { '1.0': 10 }, { start_epoch: 2 })], 1, 0, 1, 1)) as Error;
  t.ok(e instanceof NoActiveDatasetError);
  t.match(e.message, 'No active datasets available for sampling at epoch 1, step 0.');
});

t.test('epoch ends when active datasets are exhausted; end_epoch drops a dataset', async (t) => {
  const datasets = [ds('a', { '1.0': 4 }), ds('b', { '1.0': 6 }, { end_epoch: 1 })];
  const { out } = run(datasets, 5, 0, 1, 12);
  t.same(
    out.slice(0, 5).map((b) => b.epoch),
    [1, 1, 1, 1, 1],
    '2 + 3 batches in epoch 1',
  );
  t.same(
    out.slice(5).map((b) => `${b.epoch}${b.dataset}`),
    ['2a', '2a', '3a', '3a', '4a', '4a', '5a'],
    'then only a, 2 batches per epoch',
  );
});
