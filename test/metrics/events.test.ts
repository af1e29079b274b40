// The metrics bus: what a subscriber receives, that emitting without one does nothing, and that unsubscribing works.
import t from 'tap';
import { MetricsBus, type MetricEvent } from '../../lib/metrics/events.js';

t.test('a subscriber gets the fields with the emitted type and a timestamp, which fields cannot override', (t) => {
  const bus = new MetricsBus();
  const got: MetricEvent[] = [];
  const off = bus.subscribe((e) => got.push(e));
  const before = Date.now();
  bus.emit('loader.batch', { dataset: 'photos', samples: 4 });
  // A plain-JS caller can pass anything: the event's own type and ts still win.
  bus.emit('loader.queue', { depth: 2, type: 'forged', ts: 1 });
  off();
  bus.emit('loader.wait', { ms: 5 });
  t.equal(got.length, 2, 'nothing arrives after unsubscribing');
  t.match(got[0], { type: 'loader.batch', dataset: 'photos', samples: 4 });
  t.ok(got[0].ts >= before && got[0].ts <= Date.now(), 'ts is the emit time in ms since the epoch');
  t.equal(got[1].type, 'loader.queue', 'a type field in the payload does not replace the event type');
  t.not(got[1].ts, 1, 'a ts field in the payload does not replace the timestamp');
  t.equal(got[1].depth, 2);
  t.end();
});

t.test('stream() yields events until its signal aborts', async (t) => {
  const bus = new MetricsBus();
  const ac = new AbortController();
  const seen: string[] = [];
  const done = (async () => {
    for await (const e of bus.stream(ac.signal)) seen.push(e.type);
  })();
  await new Promise((r) => setImmediate(r));
  bus.emit('a');
  bus.emit('b');
  await new Promise((r) => setImmediate(r));
  ac.abort();
  await done;
  t.same(seen, ['a', 'b']);
});
