// Known-bad samples: counted once per file and reason, not read again in the same epoch, tried again in the next.
import t from 'tap';
import { KnownBad, skipKnownBad } from '../../lib/pipeline/known-bad.js';
import type { SampleOutcome } from '../../lib/pipeline/sample-jobs.js';
import type { SampleJob, StepPlan } from '../../lib/pipeline/step-plan.js';

const plan = (epoch: number): StepPlan => ({
  step: 0,
  epoch,
  dataset: 'd',
  bucket: '1.0',
  cursor: 0,
  rank: 0,
  worldSize: 1,
  keys: ['a', 'b'],
  padded: 0,
  state: {} as StepPlan['state'],
});
const skip = (key: string, reason = 'corrupt') => ({ dataset: 'd', key, reason, message: `${key} is bad` });

t.test('mark: true only for the first skip of a file for a reason', async (t) => {
  const k = new KnownBad();
  t.equal(k.mark(1, skip('a')), true);
  t.equal(k.mark(1, skip('a')), false, 'same file, same reason');
  t.equal(k.mark(2, skip('a')), false, 'same file and reason in a later epoch');
  t.equal(k.mark(2, skip('a', 'read_error')), true, 'a new reason for the file');
  t.equal(k.mark(1, { ...skip('a'), dataset: 'other' }), true, 'same key in another dataset');
  t.equal(k.get(2, 'd', 'a')?.reason, 'read_error');
  t.equal(k.get(3, 'd', 'a'), undefined, 'forgotten in the next epoch');
  t.equal(k.get(2, 'd', 'b'), undefined);
});

t.test('skipKnownBad: no read for a sample known bad in this epoch; the next epoch reads it again', async (t) => {
  const k = new KnownBad();
  const reads: string[] = [];
  const run = skipKnownBad(async (job: SampleJob): Promise<SampleOutcome> => {
    reads.push(`${job.plan.epoch}:${job.key}`);
    return { job, sample: null, skip: skip(job.key), readMs: 1, decodeMs: 1, captionMs: 0 };
  }, k);
  const first = await run({ plan: plan(1), slot: -1, key: 'a' });
  k.mark(1, first.skip!);
  const again = await run({ plan: plan(1), slot: 0, key: 'a' });
  t.same(again.skip, skip('a'), 'skipped again with the same reason and message (the event is kept)');
  t.equal(again.readMs, 0);
  await run({ plan: plan(2), slot: 0, key: 'a' });
  t.same(reads, ['1:a', '2:a'], 'read once per epoch');
});
