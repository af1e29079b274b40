// CSV-of-URLs downloads against hostile loopback servers: an endless body without Content-Length, a slow-loris body,
// an endless chain of fresh redirects and a server that never answers are all cut off in bounded time, bytes and
// requests.
import t from 'tap';
import type http from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CsvStorage } from '../../lib/storage/csv.js';
import { DownloadError } from '../../lib/errors.js';
import { csvDescription } from '../helpers/csv-dataset.js';
import { startHttpServer } from '../helpers/http-server.js';
import { report } from '../helpers/fault-count.js';

const MAX_BYTES = 1024 * 1024;

t.test('hostile HTTP servers: bounded time, bytes and requests', async (t) => {
  const sent: Record<string, number> = { endless: 0, loris: 0 };
  const closed: Record<string, boolean> = {};
  const endless =
    (name: string, chunk: number, everyMs: number) =>
    (req: http.IncomingMessage, res: http.ServerResponse): void => {
      res.writeHead(200, {
        'content-type': 'image/png',
        ...(name === 'loris' ? { 'content-length': String(10 * 1024) } : {}),
      });
      const block = Buffer.alloc(chunk, 0x89);
      const pump = (): void => {
        while (!res.destroyed && sent[name] < 1024 * MAX_BYTES) {
          sent[name] += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
          if (everyMs) return void setTimeout(pump, everyMs);
        }
      };
      res.on('close', () => {
        closed[name] = true;
      });
      pump();
    };
  let hops = 0;
  const srv = await startHttpServer(t, {
    routes: {
      '/endless.png': endless('endless', 64 * 1024, 0),
      '/loris.png': endless('loris', 1, 30),
      '/hang.png': { hang: true },
    },
  });
  srv.route('/chain', (req, res) => {
    hops++;
    res.writeHead(302, { location: `/chain?n=${hops}` }).end();
  });
  const dir = t.testdir({});
  const u = (p: string): string => `${srv.url}${p}`;
  await writeFile(
    path.join(dir, 'l.csv'),
    `url,caption\n${['/endless.png', '/loris.png', '/hang.png', '/chain'].map((p) => `${u(p)},x`).join('\n')}\n`,
  );
  const desc = csvDescription('hostile', path.join(dir, 'l.csv'), path.join(dir, 'cache'), {
    maxAttempts: 2,
    retryBaseDelayMs: 1,
    attemptTimeoutMs: 600,
    connectTimeoutMs: 400,
    maxBytes: MAX_BYTES,
  });
  const csv = new CsvStorage(desc);
  t.teardown(() => csv.close());
  const heap0 = process.memoryUsage().heapUsed;
  const outcome: Record<string, { reason: string; ms: number; requests: number }> = {};
  for (const [name, p, want] of [
    ['endless', '/endless.png', /^too_large$/],
    ['loris', '/loris.png', /^timeout$/],
    ['hang', '/hang.png', /^timeout$/],
    ['chain', '/chain', /redirect/],
  ] as const) {
    const started = Date.now();
    const err = await csv.read(u(p)).catch((e: unknown) => e);
    const ms = Date.now() - started;
    t.ok(err instanceof DownloadError, `${name}: DownloadError`);
    t.match(
      (err as DownloadError).reason,
      want,
      `${name}: reason ${(err as DownloadError).reason}: ${(err as Error).message.slice(0, 160)}`,
    );
    // Bounded by requests and bytes below, not by a wall-clock limit (the time is recorded, not asserted).
    outcome[name] = { reason: (err as DownloadError).reason, ms, requests: srv.count(p) };
  }
  await new Promise((r) => setTimeout(r, 100));
  t.ok(closed.endless && closed.loris, 'the client closed both endless responses');
  t.ok(
    sent.endless < MAX_BYTES * 2 + 16 * 1024 * 1024,
    `endless body: server pushed ${(sent.endless / 2 ** 20).toFixed(1)} MB in total before the client cut it ` +
      `(cap ${MAX_BYTES / 2 ** 20} MB; socket buffers account for the rest)`,
  );
  t.equal(outcome.endless.requests, 1, 'too_large is permanent: not retried');
  t.ok(
    sent.loris < 200,
    `slow-loris: ${sent.loris} bytes trickled over ${outcome.loris.ms} ms across ${outcome.loris.requests} attempts`,
  );
  t.equal(outcome.loris.requests, 2, 'slow-loris retried up to maxAttempts, no more');
  t.equal(outcome.hang.requests, 2, 'a hung server: maxAttempts requests');
  t.ok(hops <= 6, `redirect chain stopped after ${hops} hops`);
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  t.ok(heapMb < 64, `heap grew ${heapMb.toFixed(1)} MB`);
  report(t, 'csv-hostile-http', {
    ...Object.fromEntries(Object.entries(outcome).map(([k, v]) => [k, `${v.reason}/${v.requests}req/${v.ms}ms`])),
    endless_mb_sent: +(sent.endless / 2 ** 20).toFixed(1),
    loris_bytes: sent.loris,
    redirect_hops: hops,
    heap_growth_mb: +heapMb.toFixed(1),
  });
});
