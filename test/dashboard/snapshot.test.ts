// The snapshot aggregator: scan progress, rate and ETA, sampled shares against probabilities, wait share, skip list.
import t from 'tap';
import { SnapshotAggregator } from '../../lib/dashboard/snapshot.js';
import type { MetricEvent } from '../../lib/metrics/events.js';

const ev = (type: string, ts: number, fields: Record<string, unknown> = {}): MetricEvent => ({ ...fields, type, ts });

t.test('scan: rate over recent progress, no ETA until the total is known, then progress and ETA', async (t) => {
  const a = new SnapshotAggregator();
  for (let i = 0; i <= 4; i++)
    a.apply(ev('scan.progress', i * 1000, { dataset: 'd', listed: 300 + i * 100, probed: i * 90, reused: i * 10 }));
  let v = a.get().scan.d;
  t.equal(v.filesPerSecond, 100, '400 files in 4 s');
  t.equal(v.etaSeconds, null, 'listing still running: no ETA');
  t.equal(v.progress, null);
  a.apply(ev('scan.listed', 4000, { dataset: 'd', files: 1000 }));
  v = a.get().scan.d;
  t.equal(v.progress, 0.4, '400 of 1000');
  t.equal(v.etaSeconds, 6, '600 files left at 100 files/s');
  a.apply(
    ev('scan.done', 8000, {
      dataset: 'd',
      skipped: { corrupt: 2 },
      examples: { corrupt: [{ file: 'x.jpg', message: 'bad header' }] },
    }),
  );
  v = a.get().scan.d;
  t.same([v.done, v.progress, v.etaSeconds], [true, 1, 0], 'done');
  t.same(a.get().skips.byReason, { corrupt: 2 });
  t.match(a.get().skips.recent[0], { phase: 'scan', dataset: 'd', file: 'x.jpg', reason: 'corrupt' });
});

t.test('scan: a previous run’s file count gives an ETA before the listing completes', async (t) => {
  const a = new SnapshotAggregator();
  a.apply(ev('scan.progress', 0, { dataset: 'd', listed: 100, probed: 0, reused: 0, expected: 500 }));
  a.apply(ev('scan.progress', 2000, { dataset: 'd', listed: 200, probed: 100, reused: 0, expected: 500 }));
  const v = a.get().scan.d;
  t.equal(v.expectedFiles, 500);
  t.equal(v.progress, 0.2);
  t.equal(v.etaSeconds, 8, '400 left at 50 files/s');
});

t.test(
  'stream: shares against normalised probabilities, per-sample stage times, wait share of the last interval',
  async (t) => {
    const a = new SnapshotAggregator();
    a.apply(
      ev('loader.datasets', 0, {
        datasets: [
          { id: 'p', probability: 1 },
          { id: 'q', probability: 0.5 },
        ],
      }),
    );
    for (let i = 0; i < 3; i++)
      a.apply(ev('loader.batch', 10 + i, { dataset: 'p', samples: 4, read_ms: 8, decode_ms: 20, assemble_ms: 2 }));
    a.apply(ev('loader.batch', 20, { dataset: 'q', samples: 4, read_ms: 4, decode_ms: 4, assemble_ms: 1 }));
    a.apply(ev('loader.throughput', 1000, { batches_s: 4, samples_s: 16, wait_ms_total: 100 }));
    a.apply(ev('loader.throughput', 2000, { batches_s: 5, samples_s: 20, wait_ms_total: 350 }));
    a.apply(ev('loader.queue', 2001, { depth: 7, max: 10 }));
    const l = a.get().loader!;
    t.same([l.batches, l.samples], [4, 16]);
    t.equal(l.datasets.p.share, 0.75);
    t.equal(l.datasets.q.expectedShare, 1 / 3);
    t.same(l.stageMs, { read: 1, decode: 1, caption: 0, assemble: 1 }, 'the last batch, per sample');
    t.equal(l.waitShare, 0.25, '250 ms waited in 1000 ms');
    t.same([l.samplesPerSecond, l.queueDepth, l.queueMax], [20, 7, 10]);
  },
);

t.test('skips: counted by reason, the 20 newest kept newest first', async (t) => {
  const a = new SnapshotAggregator();
  for (let i = 0; i < 25; i++)
    a.apply(
      ev('loader.skip', i, { dataset: 'p', key: `k${i}.jpg`, reason: i % 2 ? 'corrupt' : 'not_found', message: 'm' }),
    );
  const s = a.get().skips;
  t.same(s.byReason, { not_found: 13, corrupt: 12 });
  t.equal(s.recent.length, 20);
  t.equal(s.recent[0].file, 'k24.jpg');
  t.equal(s.recent.at(-1)!.file, 'k5.jpg');
  t.equal(a.get().seq, 25, 'seq counts every event applied');
});
