// The demo run generates its dataset, reports stages that are not built, and formats a summary; the CLI runs it as a
// real process.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { runDemo } from '../../lib/demo/run-demo.js';
import { formatSummary } from '../../lib/demo/summary.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

t.test('the demo generates its dataset, runs every stage, then reuses the dataset and the scan cache', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-demo-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const chunks: string[] = [];
  const progress = { isTTY: false, write: (s: string) => chunks.push(s) };
  // Peak RSS never falls: the report must lie between this process's peak before and after the run.
  const before = process.resourceUsage().maxRSS / 1024;
  const s = await runDemo({ dir, sizes: { photos: 4, art: 2 }, batches: 2, batchSize: 1, stepMs: 0, progress });
  const after = process.resourceUsage().maxRSS / 1024;
  t.equal(s.generated.created, true);
  t.equal(s.generated.images, 6);
  t.same(s.stages, { config: 'done', factory: 'done', scan: 'done', stream: 'done' });
  t.same(
    s.datasets.map((d) => d.reusedCache),
    [false, false],
  );
  t.equal(s.stream?.batches, 2);
  t.ok(s.peakRssMb >= before && s.peakRssMb <= after, `peak RSS ${s.peakRssMb} MB within [${before}, ${after}]`);
  t.match(chunks.join(''), /generate demo dataset .*100% 12\/12 files/);
  t.match(formatSummary(s), /6 images \+ 6 planted broken files/);
  const again = await runDemo({ dir, sizes: { photos: 4, art: 2 }, batches: 2, batchSize: 1, stepMs: 0, progress });
  t.equal(again.generated.created, false);
  t.same(
    again.datasets.map((d) => d.reusedCache),
    [true, true],
  );
  t.match(chunks.join(''), /reusing/);
});

t.test('CLI: usage errors exit 2 with a clear message', async (t) => {
  const err = await run(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'demo', '--batches', '0'], {
    cwd: root,
  }).catch((e: unknown) => e as { code: number; stderr: string });
  t.equal((err as { code: number }).code, 2);
  t.match((err as { stderr: string }).stderr, /Expected `--batches` to be an integer from 1 and up, got `0`/);
});
