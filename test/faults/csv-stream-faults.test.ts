// A decoding stream over a CSV-of-URLs dataset whose server misbehaves (500 then 200, hangs, endless body, 404):
// workers download with the same limits, bad URLs are skipped with their reasons, the stream ends in bounded time.
import t from 'tap';
import type http from 'node:http';
import sharp from 'sharp';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch } from '../../lib/pipeline/types.js';
import { csvUrlDataset } from '../helpers/csv-dataset.js';
import { startHttpServer, type Route } from '../helpers/http-server.js';
import { report } from '../helpers/fault-count.js';

t.test('CSV stream with a misbehaving server: skips with reasons, bounded time', async (t) => {
  const jpg = (i: number) =>
    sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 30 * i, g: 90, b: 200 } } })
      .jpeg()
      .toBuffer();
  const img = { 'content-type': 'image/jpeg' };
  const endless = (_: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(200, img);
    const block = Buffer.alloc(64 * 1024, 0xff);
    const pump = (): void => {
      while (!res.destroyed && res.write(block)) {
        /* fill */
      }
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  };
  const srv = await startHttpServer(t, {
    routes: {
      ...Object.fromEntries(
        await Promise.all(
          [0, 1, 2, 3].map(async (i): Promise<[string, Route]> => [`/g${i}.jpg`, { body: await jpg(i), headers: img }]),
        ),
      ),
      '/flaky.jpg': [
        { status: 500, body: 'oops' },
        { body: await jpg(5), headers: img },
      ],
      '/hang.jpg': { hang: true },
      '/endless.jpg': endless,
      '/gone.jpg': { status: 404, body: 'no' },
    },
  });
  const names = ['g0', 'g1', 'g2', 'g3', 'flaky', 'hang', 'endless', 'gone'];
  const urls = names.map((n) => `${srv.url}/${n}.jpg`);
  const input = await csvUrlDataset(t, t.testdir({}), urls, {
    limits: { maxAttempts: 2, retryBaseDelayMs: 1, attemptTimeoutMs: 700, connectTimeoutMs: 500, maxBytes: 512 * 1024 },
    captions: async () => 'x',
  });
  const started = Date.now();
  const batches: Batch[] = [];
  for await (const b of await createLoader('x', { thread: false, datasets: [input], epochs: 1, seed: 3 }))
    batches.push(b);
  const ms = Date.now() - started;
  const delivered = new Set(batches.flatMap((b) => b.samples.map((s) => s.key.split('/').pop()!)));
  const skipped = new Map(
    batches.flatMap((b) => b.skipped).map((s) => [s.key.split('/').pop()!, `${s.reason}: ${s.message}`]),
  );
  t.same(
    [...delivered].sort(),
    ['flaky.jpg', 'g0.jpg', 'g1.jpg', 'g2.jpg', 'g3.jpg'],
    'the good URLs and the one that recovered are delivered',
  );
  t.same([...skipped.keys()].sort(), ['endless.jpg', 'gone.jpg', 'hang.jpg'], 'the bad URLs are skipped');
  t.match(skipped.get('hang.jpg'), /timeout/, `hang: ${skipped.get('hang.jpg')?.slice(0, 100)}`);
  t.match(skipped.get('endless.jpg'), /too_large/, `endless: ${skipped.get('endless.jpg')?.slice(0, 100)}`);
  t.match(skipped.get('gone.jpg'), /http_404/, `gone: ${skipped.get('gone.jpg')?.slice(0, 100)}`);
  t.ok(
    batches.every((b) => b.samples.every((s) => s.pixels?.length === 32 * 32 * 3)),
    'delivered samples decoded',
  );
  t.equal(srv.count('/gone.jpg'), 1, '404 fetched once');
  // Bounded by requests (maxAttempts 2 for the timeout, 1 for the permanent too_large), not by a wall-clock limit.
  t.equal(srv.count('/hang.jpg'), 2, 'hang: a timeout, retried once (maxAttempts 2)');
  t.equal(srv.count('/endless.jpg'), 1, 'endless: too_large, not retried');
  report(t, 'csv-stream', {
    urls: urls.length,
    delivered: delivered.size,
    skipped: Object.fromEntries([...skipped].map(([k, v]) => [k, v.split(':')[0]])),
    ms,
  });
});
