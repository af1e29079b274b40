// End to end: `tunefeed demo` as a real process on a small generated dataset — scan, skips, buckets, stream, cache
// reuse.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import type { DemoSummary } from '../../lib/demo/run-demo.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** Runs the child under Python, which prints the child's peak RSS (the kernel's ru_maxrss, KiB) on stderr last. */
const RUSAGE = [
  'import resource, subprocess, sys',
  'code = subprocess.call(sys.argv[1:])',
  'sys.stderr.write("\\nCHILD_MAXRSS_KB %d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)',
  'sys.exit(code)',
].join('\n');

async function demo(dir: string, extra: string[]): Promise<{ stdout: string; stderr: string; childMaxRssMb: number }> {
  const args = [
    '--import',
    'tsx',
    'lib/cli/main.ts',
    'demo',
    '--dir',
    dir,
    '--images',
    '45',
    '--batches',
    '12',
    '--step-ms',
    '5',
    ...extra,
  ];
  const r = await run('/usr/bin/python3', ['-c', RUSAGE, process.execPath, ...args], {
    cwd: root,
    env: { ...process.env, TUNEFEED_LOG_LEVEL: 'warn' },
    maxBuffer: 1 << 24,
  });
  const kb = Number(/CHILD_MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { ...r, childMaxRssMb: kb / 1024 };
}

t.test('demo runs every stage, reports the planted skips, and reuses its scan cache', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-demo-e2e-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const first = await demo(dir, ['--json']);
  const s = JSON.parse(first.stdout) as DemoSummary;
  t.same(s.stages, { config: 'done', factory: 'done', scan: 'done', stream: 'done' });
  t.equal(s.generated.images, 45);
  const [photos, art] = [s.datasets.find((d) => d.id === 'demo-photos')!, s.datasets.find((d) => d.id === 'demo-art')!];
  t.ok(photos && art, 'both image datasets scanned');
  t.equal(photos.processed, 30 + 6, 'every photo and every planted file looked at');
  const skippedFiles = Object.values((photos.report.examples ?? {}) as Record<string, { file: string }[]>)
    .flat()
    .map((e) => path.basename(e.file))
    .sort();
  // The BMP is a valid image tunefeed reads itself (libvips has no BMP loader): scanned and bucketed, not skipped.
  const planted = ['cut-short.jpg', 'cut-short.png', 'empty.jpg', 'notes.webp', 'thumbnail.jpg'];
  t.same(skippedFiles, planted, `exactly the planted broken files, with reasons: ${skippedFiles.join(', ')}`);
  t.equal(
    Object.values(photos.skipped).reduce((a, n) => a + (n ?? 0), 0),
    skippedFiles.length,
  );
  t.same(art.skipped, {}, 'nothing skipped in the clean dataset');
  for (const d of s.datasets)
    t.equal(
      Object.values(d.buckets).reduce((a, n) => a + n, 0),
      d.samples,
      `${d.id}: buckets add up`,
    );
  // crop_aspect closest over [0.75, 1.0, 1.5]: at most three buckets whatever the input aspects (keys are the aligned
  // targets' aspects).
  t.ok(
    Object.keys(art.buckets).length <= 3,
    `art cropped to its three configured aspects: ${Object.keys(art.buckets).join(', ')}`,
  );
  t.ok(Object.keys(photos.buckets).length > 3, 'photos keep their own aspects');
  t.equal(s.stream!.batches, 12);
  t.equal(s.stream!.samples, 48, 'full batches of 4');
  // The wait share is timing; consumer.test.ts checks it against a controlled clock.
  t.same(s.stream!.streamSkips, {}, 'nothing skipped while streaming (the BMP included)');
  // The demo's seed is fixed (1234): its 12 batches draw from both datasets.
  t.same(Object.keys(s.stream!.examples).sort(), ['demo-art', 'demo-photos'], 'both datasets streamed');
  for (const id of ['demo-photos', 'demo-art']) {
    const ex = s.stream!.examples[id];
    t.equal(ex.payload, 'pixels', `${id}: decoded pixels delivered`);
    t.equal(ex.bytes, ex.targetSize![0] * ex.targetSize![1] * 3, `${id}: RGB bytes match the target size`);
    t.match(ex.caption, /\w/, `${id}: textfile caption resolved`);
  }
  // The kernel's own figure for the finished child (ru_maxrss of RUSAGE_CHILDREN, read by Python) bounds the
  // demo's report from above; the demo reads it shortly before exiting, so it is at least 90 % of it.
  t.ok(
    s.peakRssMb <= first.childMaxRssMb + 1 && s.peakRssMb >= 0.9 * first.childMaxRssMb,
    `reported peak RSS ${s.peakRssMb.toFixed(0)} MB matches the kernel's ${first.childMaxRssMb.toFixed(0)} MB`,
  );
  t.equal(
    s.datasets.every((d) => !d.reusedCache),
    true,
    'first run scans',
  );
  t.match(first.stderr, /scan demo-photos/, 'scan progress on stderr');

  const second = await demo(dir, []);
  t.match(second.stdout, /every dataset reused its scan cache/);
  t.match(second.stdout, /samples\/s:/);
  t.match(second.stdout, /consumer wait:/);
  t.match(second.stdout, /Peak memory \(RSS\): \d+ MB/);
  t.match(second.stderr, /reusing/);
});
