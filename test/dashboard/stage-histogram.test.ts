// StageHistogram exports exactly what prom-client's own Histogram exports for the same observations.
import t from 'tap';
import { Histogram, Registry } from 'prom-client';
import { STAGE_BOUNDS, STAGES, StageHistogram, type Stage } from '../../lib/dashboard/stage-histogram.js';

async function exposition(observe: (stage: Stage, v: number) => void, registry: Registry): Promise<string> {
  // Values on, between and beyond the bounds, zero included, for three of the four stages.
  const values = [0, 0.0005, 0.0007, 0.003, 0.01, 0.3, 2.5, 2.6, 40];
  values.forEach((v, i) => observe(STAGES[i % 3], v));
  observe('read', 0.02);
  return registry.metrics();
}

t.test("the exposition text equals prom-client's Histogram for the same observations", async (t) => {
  const ours = new Registry();
  const h = new StageHistogram();
  ours.registerMetric(h.asMetric());
  const theirs = new Registry();
  const ref = new Histogram({
    name: 'tunefeed_stage_seconds',
    help: h.help,
    labelNames: ['stage'],
    buckets: STAGE_BOUNDS,
    registers: [theirs],
  });
  const got = await exposition((s, v) => h.observe(s, v), ours);
  const want = await exposition((stage, v) => ref.observe({ stage }, v), theirs);
  const lines = (x: string) => x.trim().split('\n').sort();
  t.same(lines(got), lines(want));
  t.notOk(got.includes('stage="assemble"'), 'a stage never observed has no series yet, like prom-client');
  t.match(got, /tunefeed_stage_seconds_count\{stage="read"\} 4\n/);
});

t.test('reset empties every stage', async (t) => {
  const r = new Registry();
  const h = new StageHistogram();
  r.registerMetric(h.asMetric());
  h.observe('assemble', 0.1);
  t.match(await r.metrics(), /stage="assemble"/);
  r.resetMetrics();
  t.notMatch(await r.metrics(), /tunefeed_stage_seconds_count/);
});
