// /metrics: strict text format, every series the docs name, counters that only grow (also across a second scan).
import t from 'tap';
import { MetricsBus } from '../../lib/metrics/events.js';
import { serveDashboard } from '../../lib/dashboard/server.js';
import { SERIES } from '../../lib/dashboard/prometheus.js';
import { nonMonotonic, parsePromText } from '../helpers/prom-text.js';

t.test('the strict parser rejects what a scraper rejects', async (t) => {
  t.throws(() => parsePromText('x_total 1\n'), /no TYPE/, 'a sample without TYPE');
  t.throws(() => parsePromText('# TYPE x counter\nx 1\nx 2\n'), /duplicate series/, 'a duplicate series');
  t.throws(() => parsePromText('# TYPE x counter\nx{a="1} 1\n'), /bad labels/, 'an unterminated label value');
  const hist = (b2: number) =>
    `# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} ${b2}\nh_sum 1\nh_count ${b2}\n`;
  t.throws(() => parsePromText(hist(2)), /not cumulative/, 'buckets that decrease');
  t.equal(parsePromText(hist(4)).get('h')!.samples.length, 4, 'a valid histogram parses');
  t.same(
    nonMonotonic(parsePromText('# TYPE c counter\nc 5\n'), parsePromText('# TYPE c counter\nc 4\n')),
    ['c{}: 5 → 4'],
    'a counter that went down is reported',
  );
});

function scanAndStream(bus: MetricsBus, scale: number): void {
  bus.emit('scan.progress', {
    dataset: 'photos',
    listed: 10 * scale,
    probed: 6 * scale,
    reused: 2 * scale,
    bytesRead: 900 * scale,
  });
  bus.emit('scan.listed', { dataset: 'photos', files: 10 * scale });
  bus.emit('scan.done', { dataset: 'photos', buckets: { '1.0': 7 }, skipped: { corrupt: 1 }, examples: {} });
  for (let i = 0; i < scale; i++) {
    bus.emit('loader.batch', {
      dataset: 'photos',
      samples: 4,
      read_ms: 8,
      decode_ms: 20,
      caption_ms: 1,
      assemble_ms: 3,
    });
    bus.emit('loader.wait', { ms: 250 });
    bus.emit('loader.skip', { dataset: 'photos', key: `bad${i}.jpg`, reason: 'read_error', message: 'gone' });
  }
  bus.emit('loader.queue', { depth: 3, max: 10 });
  bus.emit('pool.utilization', { pool: 'decode', utilization: 0.5, threads: 1, queued: 0 });
}

t.test('every named series is exported in strict text format and counters never decrease', async (t) => {
  const bus = new MetricsBus();
  const d = await serveDashboard(bus, { announce: null });
  t.teardown(() => d.close());
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${d.port}/metrics`, { headers: { authorization: `Bearer ${d.token}` } });
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    return parsePromText(await res.text());
  };
  scanAndStream(bus, 1);
  const first = await scrape();
  for (const name of [...SERIES, 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes'])
    t.ok(first.get(name)?.samples.length, `${name} has samples`);
  const value = (f: typeof first, name: string, labels: Record<string, string>) =>
    [...f.values()]
      .flatMap((fam) => fam.samples)
      .find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
  t.equal(value(first, 'tunefeed_scan_files_total', { dataset: 'photos', result: 'probed' }), 6);
  t.equal(value(first, 'tunefeed_scan_files_total', { dataset: 'photos', result: 'reused' }), 2);
  t.equal(value(first, 'tunefeed_batches_total', {}), 1);
  t.equal(value(first, 'tunefeed_consumer_wait_seconds_total', {}), 0.25);
  t.equal(value(first, 'tunefeed_skips_total', { phase: 'scan', reason: 'corrupt' }), 1);
  t.equal(value(first, 'tunefeed_skips_total', { phase: 'stream', reason: 'read_error' }), 1);
  t.equal(value(first, 'tunefeed_stage_seconds_count', { stage: 'decode' }), 1);
  t.equal(value(first, 'tunefeed_stage_seconds_sum', { stage: 'decode' }), 0.005, 'decode: 20 ms over 4 samples');
  // A second scan of the same dataset in the same process starts its progress again from zero.
  scanAndStream(bus, 3);
  const second = await scrape();
  t.same(nonMonotonic(first, second), [], 'no counter or histogram series went down');
  t.equal(value(second, 'tunefeed_scan_files_total', { dataset: 'photos', result: 'probed' }), 6 + 18);
  t.equal(value(second, 'tunefeed_batches_total', {}), 4);
});
