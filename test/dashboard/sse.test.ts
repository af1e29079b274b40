// The event stream: every bus event reaches the page as JSON, coalesced per type and dataset so bursts cannot flood it.
import t, { type Test } from 'tap';
import { MetricsBus } from '../../lib/metrics/events.js';
import { serveDashboard } from '../../lib/dashboard/server.js';
import { sseClient } from '../helpers/sse-client.js';

interface Metric {
  type: string;
  dataset?: string;
  coalesced: number;
  n: number;
}

async function setup(t: Test) {
  const bus = new MetricsBus();
  const d = await serveDashboard(bus, { announce: null, eventIntervalMs: 100 });
  const c = sseClient(`http://127.0.0.1:${d.port}/events?token=${d.token}`);
  t.teardown(async () => {
    c.close();
    await d.close();
  });
  t.equal(await c.status, 200, 'the event stream opens with the token');
  await c.waitFor(() => c.frames.some((f) => f.event === 'snapshot'));
  const metrics = () => c.frames.filter((f) => f.event === 'metric').map((f) => f.data as Metric);
  return { bus, d, c, metrics };
}

t.test('1000 events of one type in one burst arrive as at most 2 messages that account for all 1000', async (t) => {
  const { bus, c, metrics } = await setup(t);
  for (let n = 0; n < 1000; n++) bus.emit('loader.wait', { ms: 1, n });
  await c.waitFor(() => metrics().reduce((s, m) => s + m.coalesced, 0) >= 1000);
  const got = metrics();
  t.ok(got.length <= 2, `${got.length} messages`);
  t.equal(
    got.reduce((s, m) => s + m.coalesced, 0),
    1000,
    'coalesced counts sum to the events emitted',
  );
  t.equal(got.at(-1)!.n, 999, 'the last message carries the latest event');
});

t.test('coalescing is per type and dataset: the latest event of each reaches the client', async (t) => {
  const { bus, c, metrics } = await setup(t);
  for (let n = 0; n < 300; n++) {
    bus.emit('scan.progress', { dataset: 'a', listed: n, probed: n, reused: 0, n });
    bus.emit('scan.progress', { dataset: 'b', listed: n, probed: n, reused: 0, n });
    bus.emit('loader.queue', { depth: n % 10, max: 10, n });
  }
  const last = (type: string, dataset?: string) =>
    metrics().findLast((m) => m.type === type && m.dataset === dataset)?.n;
  await c.waitFor(() => last('scan.progress', 'a') === 299 && last('scan.progress', 'b') === 299);
  await c.waitFor(() => last('loader.queue') === 299);
  t.ok(metrics().length <= 6, `${metrics().length} messages for 900 events`);
  await c.waitFor(() => {
    const s = c.frames.findLast((f) => f.event === 'snapshot')?.data as { scan: Record<string, { listed: number }> };
    return s.scan.a?.listed === 299 && s.scan.b?.listed === 299;
  });
  t.pass('a snapshot message with both datasets at their final counts follows');
});

t.test('an event stream that restarts gets the current snapshot at once', async (t) => {
  const { bus, d } = await setup(t);
  bus.emit('loader.batch', { dataset: 'x', samples: 4, read_ms: 4, decode_ms: 8, caption_ms: 0, assemble_ms: 1 });
  d.restartEvents();
  const again = sseClient(`http://127.0.0.1:${d.port}/events?token=${d.token}`);
  t.teardown(() => again.close());
  await again.waitFor(() => again.frames.length > 0);
  const first = again.frames[0];
  t.equal(first.event, 'snapshot');
  t.equal((first.data as { loader: { batches: number; samples: number } }).loader.samples, 4, 'with the totals so far');
});
