// CSV of URLs with the shared read cache: downloads bounded and shared, dead URLs still recorded and not refetched.
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { scanEntries } from '../../../lib/storage/cache/disk-scan.js';
import { CsvStorage, FAILURE_FILE, type CsvDescription } from '../../../lib/storage/csv.js';
import { csvDescription } from '../../helpers/csv-dataset.js';
import { startHttpServer } from '../../helpers/http-server.js';
import { tempSpec } from './helpers.js';

async function csvSetup(t: Test, n: number, size: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tf-csv-cache-'));
  const bodies = Array.from({ length: n }, (_, i) => Buffer.alloc(size, i + 1));
  const routes = Object.fromEntries(
    bodies.map((b, i) => [`/img/${i}.png`, { headers: { 'content-type': 'image/png' }, body: b }]),
  );
  const srv = await startHttpServer(t, { routes: { ...routes, '/img/dead.png': { status: 404 } } });
  const urls = [...bodies.map((_, i) => `${srv.url}/img/${i}.png`), `${srv.url}/img/dead.png`];
  await writeFile(path.join(dir, 'list.csv'), `url\n${urls.join('\n')}\n`);
  const desc = (spec: CsvDescription['cache']): CsvDescription =>
    csvDescription('urls', path.join(dir, 'list.csv'), path.join(dir, 'csvcache'), {
      captionColumn: '',
      maxAttempts: 1,
      ...(spec ? { cache: spec } : {}),
    });
  return { dir, srv, urls, bodies, desc };
}

t.test(
  'downloads go to the shared cache: a second run fetches nothing, csv_cache_dir keeps only the record',
  async (t) => {
    const { dir, srv, urls, bodies, desc } = await csvSetup(t, 6, 2000);
    const spec = await tempSpec();
    const a = new CsvStorage(desc(spec));
    t.teardown(() => a.close());
    for (let i = 0; i < 6; i++) t.same(await a.read(urls[i]), bodies[i]);
    await t.rejects(a.read(urls[6]), { code: 'TF_DOWNLOAD' }, 'dead URL fails');
    const b = new CsvStorage(desc(spec));
    t.teardown(() => b.close());
    for (let i = 0; i < 6; i++) t.same(await b.read(urls[i]), bodies[i], 'another run: same bytes');
    await t.rejects(b.read(urls[6]), { code: 'TF_DOWNLOAD', message: /Not fetching .* again/ });
    for (let i = 0; i < 6; i++) t.equal(srv.count(`/img/${i}.png`), 1, `${i}.png fetched once`);
    t.equal(srv.count('/img/dead.png'), 1, 'the dead URL is not asked again');
    t.same(await readdir(path.join(dir, 'csvcache')), [FAILURE_FILE], 'no SimpleTuner-named copies');
    t.equal((await scanEntries(spec.dir)).length, 6);
  },
);

t.test('the CSV download folder stays under its bound', async (t) => {
  const { urls, bodies, desc } = await csvSetup(t, 40, 1000);
  const spec = await tempSpec({ maxBytes: 20_000 });
  const s = new CsvStorage(desc(spec));
  t.teardown(() => s.close());
  let peak = 0;
  for (let i = 0; i < 40; i++) {
    t.same(await s.read(urls[i]), bodies[i]);
    peak = Math.max(
      peak,
      (await scanEntries(spec.dir)).reduce((x, e) => x + e.size, 0),
    );
  }
  t.ok(peak <= 20_000, `peak ${peak} ≤ 20000`);
  t.ok(peak > 10_000, 'and used');
});
